//! Lineage links (the recall graph of R-S3): transformation (materials → product batches),
//! aggregation (logistics unit SSCC ↔ contents) and shipment (units / SSCCs → destination
//! country), with indexes for forward (downstream) and backward (upstream) traversal.
//!
//! **Graph.** Nodes are trace units, logistics units (SSCC) and shipments ([`Node`]). Every
//! link writes two index entries: `lin/d/{from}/{to}` (downstream) and `lin/u/{to}/{from}`
//! (upstream), each holding an [`Edge`] that names the neighbour, so one prefix scan lists a
//! node's neighbours in one direction. Links are history: unpacking an SSCC does not remove
//! the link (a recall must still reach a unit that *was* on a contaminated pallet); the
//! current contents of an SSCC are kept separately under `agg/{sscc}/{content}`. Item-level
//! units registered under a batch (the `tui/` index) are downstream of their batch.
//!
//! Key layout (values Borsh):
//!
//! | key | value |
//! |---|---|
//! | `lin/d/{enc(from)}/{enc(to)}` | [`Edge`] (neighbour = `to`) |
//! | `lin/u/{enc(to)}/{enc(from)}` | [`Edge`] (neighbour = `from`) |
//! | `agg/{sscc}` | [`LogisticsUnit`] |
//! | `agg/{sscc}/{code}` | `()` — currently packed |
//! | `shp/id/{tx id}` | [`ShipmentState`] |
//! | `shp/ref/{signer}/{reference}` | tx id |

use std::collections::{BTreeSet, VecDeque};

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_gs1::Sscc;
use tracechain_types::records::{
    Aggregation, AggregationAction, Shipment, TraceCode, Transformation,
};
use tracechain_types::{encode, Hash, PublicKey};

use crate::context::TxEnv;
use crate::error::{ContractError, ErrorCode, FieldProblem, Problem};
use crate::index_tags::IndexTag;
use crate::rules::Rule;
use crate::state::{decode_stored, State, StateView};
use crate::state_keys;
use crate::trace::{self, check_record_codes, MAX_TRACE_CODES_PER_RECORD};
use crate::trace_codes::NormalisedCode;
use crate::validate::FieldChecker;

/// Most SSCCs one shipment names.
pub const MAX_SSCCS_PER_SHIPMENT: usize = MAX_TRACE_CODES_PER_RECORD;
/// Most nodes one traversal visits; beyond it the result is marked truncated (a recall of
/// that size is split by the operator, e.g. per product batch). Public reads walk upstream
/// within it (a story's recall status); memory: the nodes only (about 150 bytes each).
pub const MAX_TRAVERSAL_NODES: usize = 200_000;
/// Most nodes a recall's forward walk visits ([`reach_within`]): a recall reaching 100,000
/// units also reaches their logistics units and shipments, about 200,000 nodes in the load
/// generator's mix (ADR 0085); this leaves room for 2.5 times that. Recall impact is read by
/// regulators and the batch's registrant only.
pub const MAX_RECALL_NODES: usize = 500_000;
/// Most neighbours [`neighbours`] and [`stored_links`] return for one node and direction
/// (the traversal itself pages through all of them, [`for_each_neighbour`]).
pub const MAX_EDGES_PER_NODE: usize = 100_000;
/// Keys read per page when a traversal lists a node's neighbours.
pub const EDGE_PAGE: usize = 4096;
/// Most links one traversal lists or examines (five per node at [`MAX_TRAVERSAL_NODES`]): the
/// bound of a traversal's work, whatever the graph. Policy: the
/// traversal stops there and is marked truncated. Without it a dense graph (every
/// transformation links up to 64 inputs to 64 outputs) would list about nodes × edges links
/// and exhaust the memory of the node answering the read.
pub const MAX_TRAVERSAL_LINKS: usize = 1_000_000;

/// A node of the lineage graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub enum Node {
    /// A trace unit (code with its GTIN normalised to 14 digits).
    Unit(TraceCode),
    /// A logistics unit: 18-digit SSCC.
    Sscc(String),
    /// A shipment: its transaction id.
    Shipment(Hash),
}

impl Node {
    /// The node of a normalised trace code.
    pub fn unit(code: &NormalisedCode) -> Node {
        Node::Unit(code.code().clone())
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        encode(self)
    }
}

/// How two nodes are linked.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum LinkKind {
    /// Input went into output (transformation).
    Transformation,
    /// Content was packed into an SSCC.
    Packed,
    /// Unit or SSCC shipped in a shipment to a destination country.
    Shipped {
        /// ISO 3166-1 alpha-2.
        destination_country: String,
    },
    /// Item-level unit registered under its batch (derived from the `tui/` index; never
    /// stored under `lin/`).
    ItemOfBatch,
}

/// One stored link, seen from one side.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Edge {
    /// The node at the other end.
    pub neighbour: Node,
    /// The link.
    pub kind: LinkKind,
    /// The record that made it (first one, when the same link is recorded again).
    pub tx_id: Hash,
    /// Its height.
    pub height: u64,
}

/// A logistics unit seen on the ledger (`agg/{sscc}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LogisticsUnit {
    /// Who packed it first.
    pub first_packer: PublicKey,
    /// First pack height.
    pub first_height: u64,
}

/// A shipment (`shp/id/{tx id}`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ShipmentState {
    /// The shipper (signer).
    pub shipper: PublicKey,
    /// Reference (waybill).
    pub reference: String,
    /// Destination country.
    pub destination_country: String,
    /// Units shipped (normalised).
    pub trace_codes: Vec<TraceCode>,
    /// SSCCs shipped.
    pub ssccs: Vec<String>,
    /// Height.
    pub height: u64,
}

fn edge_key(dir: &str, from: &Node, to: &Node) -> Vec<u8> {
    state_keys::key(dir, &[&from.bytes(), &to.bytes()])
}

fn link(env: &mut TxEnv<'_>, from: &Node, to: &Node, kind: LinkKind) {
    let dk = edge_key("lin/d/", from, to);
    if env.state.get_ref(&dk).is_some() {
        return; // the same link again: history keeps the first record
    }
    let (tx_id, height) = (env.tx_id, env.ctx.height);
    env.state.put_value(
        dk,
        &Edge {
            neighbour: to.clone(),
            kind: kind.clone(),
            tx_id,
            height,
        },
    );
    env.state.put_value(
        edge_key("lin/u/", to, from),
        &Edge {
            neighbour: from.clone(),
            kind,
            tx_id,
            height,
        },
    );
}

/// `agg/{sscc}`.
pub fn logistics_unit_key(sscc: &str) -> Vec<u8> {
    state_keys::key("agg/", &[sscc.as_bytes()])
}

/// `agg/{sscc}/{code}`.
pub fn packed_key(sscc: &str, code: &NormalisedCode) -> Vec<u8> {
    state_keys::key("agg/", &[sscc.as_bytes(), code.as_bytes()])
}

/// `shp/id/{tx id}`.
pub fn shipment_key(tx_id: &Hash) -> Vec<u8> {
    state_keys::key("shp/id/", &[&tx_id.0])
}

fn shipment_ref_key(signer: &PublicKey, reference: &str) -> Vec<u8> {
    state_keys::key("shp/ref/", &[&signer.0, reference.as_bytes()])
}

/// Transformation (R-S3 graph; R-N1 producers): every input links to every output. Inputs and
/// outputs must be registered units (R-X4); outputs must be registered by the signer (a
/// producer cannot declare someone else's batch made from its materials); a unit may not be
/// both input and output.
pub(crate) fn transformation(env: &mut TxEnv<'_>, r: &Transformation) -> Result<(), ContractError> {
    let mut c = FieldChecker::at(env.ctx.latest_record_time_ms());
    c.time_value("time", &r.time);
    let inputs = check_record_codes(&env.state, &mut c, "inputs", &r.inputs);
    let outputs = check_record_codes(&env.state, &mut c, "outputs", &r.outputs);
    for (i, (o, _)) in outputs.iter().enumerate() {
        if inputs.iter().any(|(n, _)| n == o) {
            c.push(
                format!("outputs[{i}]"),
                Problem::NotAllowed("a unit cannot be input and output of itself".into()),
            );
        }
    }
    finish(c, Rule::RS3)?;
    let foreign: Vec<FieldProblem> = r
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, code)| {
            outputs.iter().any(|(n, u)| {
                NormalisedCode::new("o", code).is_ok_and(|c| c == *n) && u.registrant != env.signer
            })
        })
        .map(|(i, _)| {
            FieldProblem::new(
                format!("outputs[{i}]"),
                Problem::NotAllowed("outputs must be units registered by the signer".into()),
            )
        })
        .collect();
    if !foreign.is_empty() {
        return Err(ContractError {
            rule: Rule::RS3,
            code: ErrorCode::NotOwner,
            problems: foreign,
        });
    }
    // An input is the signer's own unit or one its registrant supplied under a trade
    // relationship (R-A6): naming a stranger's batch as an input would put that batch's
    // origin into the signer's lineage.
    crate::info_blocks::check_units_of_signer(
        env,
        || "transformations taking it as an input".into(),
        "inputs",
        &inputs,
    )?;
    for (i, _) in &inputs {
        for (o, _) in &outputs {
            link(
                env,
                &Node::unit(i),
                &Node::unit(o),
                LinkKind::Transformation,
            );
        }
    }
    let all: Vec<NormalisedCode> = inputs.into_iter().chain(outputs).map(|(n, _)| n).collect();
    env.store_record(IndexTag::Lineage, &all);
    Ok(())
}

/// Aggregation (R-S3 graph; R-N3 logistics nodes and producers packing at the line): pack
/// links each content to the SSCC (check digit verified) and marks it as currently packed;
/// unpack removes the current membership (the link stays as history) and is refused for a
/// content that is not packed in that SSCC.
pub(crate) fn aggregation(env: &mut TxEnv<'_>, r: &Aggregation) -> Result<(), ContractError> {
    let mut c = FieldChecker::at(env.ctx.latest_record_time_ms());
    c.time_value("time", &r.time);
    let sscc_ok = c.sscc_value("sscc", &r.sscc);
    let contents = check_record_codes(&env.state, &mut c, "contents", &r.contents);
    finish(c, Rule::RS3)?;
    let sscc = normalise_sscc(&r.sscc, sscc_ok)?;
    let lu = Node::Sscc(sscc.clone());
    match r.action {
        AggregationAction::Pack => {
            if env.state.get_ref(&logistics_unit_key(&sscc)).is_none() {
                env.state.put_value(
                    logistics_unit_key(&sscc),
                    &LogisticsUnit {
                        first_packer: env.signer,
                        first_height: env.ctx.height,
                    },
                );
            }
            for (n, _) in &contents {
                link(env, &Node::unit(n), &lu, LinkKind::Packed);
                env.state.put_value(packed_key(&sscc, n), &());
            }
        }
        AggregationAction::Unpack => {
            let mut problems = Vec::new();
            for (i, (n, _)) in contents.iter().enumerate() {
                if env.state.get_ref(&packed_key(&sscc, n)).is_none() {
                    problems.push(FieldProblem::new(
                        format!("contents[{i}]"),
                        Problem::NotFound(format!("{} is not packed in {sscc}", n.as_str())),
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(ContractError {
                    rule: Rule::RS3,
                    code: ErrorCode::InvalidTransition,
                    problems,
                });
            }
            for (n, _) in &contents {
                env.state.delete(&packed_key(&sscc, n));
            }
        }
    }
    let codes: Vec<NormalisedCode> = contents.into_iter().map(|(n, _)| n).collect();
    env.store_record(IndexTag::Lineage, &codes);
    Ok(())
}

fn normalise_sscc(s: &str, ok: bool) -> Result<String, ContractError> {
    match Sscc::parse(s) {
        Ok(v) if ok => Ok(v.as_str().to_string()),
        _ => Err(ContractError::one(
            Rule::RI2,
            ErrorCode::MalformedItem,
            "sscc",
            Problem::Malformed("not an SSCC".into()),
        )),
    }
}

/// Shipment (R-S3 graph; R-N3): units and/or known SSCCs to a destination country (ISO
/// 3166-1 alpha-2). The reference is unique per shipper.
pub(crate) fn shipment(env: &mut TxEnv<'_>, r: &Shipment) -> Result<(), ContractError> {
    let mut c = FieldChecker::at(env.ctx.latest_record_time_ms());
    c.time_value("time", &r.time);
    c.country_value("destination_country", &r.destination_country);
    c.text_value("reference", &r.reference, true);
    if r.trace_codes.is_empty() && r.ssccs.is_empty() {
        c.push("trace_codes", Problem::Missing);
    }
    let units = if r.trace_codes.is_empty() {
        Vec::new()
    } else {
        check_record_codes(&env.state, &mut c, "trace_codes", &r.trace_codes)
    };
    let mut ssccs: Vec<String> = Vec::new();
    if c.list("ssccs", &r.ssccs, 0, MAX_SSCCS_PER_SHIPMENT) {
        for (i, s) in r.ssccs.iter().enumerate() {
            let f = format!("ssccs[{i}]");
            match Sscc::parse(s) {
                Err(e) => c.push(f, Problem::Malformed(e.to_string())),
                Ok(v) => {
                    let v = v.as_str().to_string();
                    if ssccs.contains(&v) {
                        c.push(f, Problem::Duplicate(v));
                    } else if env.state.get_ref(&logistics_unit_key(&v)).is_none() {
                        c.push(
                            f,
                            Problem::NotFound(format!("logistics unit {v} was never packed")),
                        );
                    } else {
                        ssccs.push(v);
                    }
                }
            }
        }
    }
    finish(c, Rule::RS3)?;
    let rk = shipment_ref_key(&env.signer, &r.reference);
    if env.state.get_ref(&rk).is_some() {
        return Err(ContractError::one(
            Rule::RS3,
            ErrorCode::AlreadyExists,
            "reference",
            Problem::Duplicate(r.reference.clone()),
        ));
    }
    let node = Node::Shipment(env.tx_id);
    let kind = LinkKind::Shipped {
        destination_country: r.destination_country.clone(),
    };
    for (n, _) in &units {
        link(env, &Node::unit(n), &node, kind.clone());
    }
    for s in &ssccs {
        link(env, &Node::Sscc(s.clone()), &node, kind.clone());
    }
    let st = ShipmentState {
        shipper: env.signer,
        reference: r.reference.clone(),
        destination_country: r.destination_country.clone(),
        trace_codes: units.iter().map(|(n, _)| n.code().clone()).collect(),
        ssccs,
        height: env.ctx.height,
    };
    env.state.put_value(shipment_key(&env.tx_id), &st);
    env.state.put_value(rk, &env.tx_id);
    let codes: Vec<NormalisedCode> = units.into_iter().map(|(n, _)| n).collect();
    env.store_record(IndexTag::Lineage, &codes);
    Ok(())
}

/// FieldChecker problems about unknown units become `E_UNKNOWN_TRACE_UNIT` (R-X4) when they are
/// the only kind of problem; otherwise the usual missing / malformed error under `rule`.
fn finish(c: FieldChecker, rule: Rule) -> Result<(), ContractError> {
    if !c.is_ok()
        && c.problems
            .iter()
            .all(|p| matches!(p.problem, Problem::NotFound(_)))
        && c.problems.iter().any(|p| {
            p.field.starts_with("inputs")
                || p.field.starts_with("outputs")
                || p.field.starts_with("contents")
                || p.field.starts_with("trace_codes")
        })
    {
        return Err(trace::unknown_unit_error(c.problems));
    }
    c.finish(rule)
}

// ------------------------------------------------------------------------------ read side

/// Traversal direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Toward products, logistics units, shipments (recall).
    Forward,
    /// Toward materials and contents (origin).
    Backward,
}

/// The neighbours of a node in one direction (stored links, plus batch ↔ item membership).
pub fn neighbours(state: &dyn StateView, node: &Node, dir: Direction) -> Vec<Edge> {
    let mut out = stored_links(state, node, dir);
    if let Node::Unit(code) = node {
        if let Ok(n) = NormalisedCode::new("code", code) {
            match dir {
                Direction::Forward if !n.is_item() => {
                    let ip = state_keys::prefix("tui/", &[n.as_bytes()]);
                    for (k, _) in state.scan(&ip, None, MAX_EDGES_PER_NODE) {
                        if let Some(item) = state_keys::last_part(&k).and_then(|t| item_code(&t)) {
                            out.push(Edge {
                                neighbour: Node::Unit(item),
                                kind: LinkKind::ItemOfBatch,
                                tx_id: Hash::ZERO,
                                height: 0,
                            });
                        }
                    }
                }
                Direction::Backward => {
                    if let Some(b) = trace::load(state, &n).and_then(|u| u.batch) {
                        out.push(Edge {
                            neighbour: Node::Unit(b),
                            kind: LinkKind::ItemOfBatch,
                            tx_id: Hash::ZERO,
                            height: 0,
                        });
                    }
                }
                Direction::Forward => {}
            }
        }
    }
    out
}

/// The links recorded under `lin/` from `node` in direction `dir` (transformation, pack and
/// ship links), in key order, without the derived item-of-batch links that [`neighbours`]
/// adds: for walks that follow only recorded links (a batch may have many items).
pub fn stored_links(state: &dyn StateView, node: &Node, dir: Direction) -> Vec<Edge> {
    let p = match dir {
        Direction::Forward => "lin/d/",
        Direction::Backward => "lin/u/",
    };
    let prefix = state_keys::prefix(p, &[&node.bytes()]);
    state
        .scan(&prefix, None, MAX_EDGES_PER_NODE)
        .into_iter()
        .map(|(k, v)| decode_stored::<Edge>(&k, &v))
        .collect()
}

/// An item code from its element string `01{gtin14}21{serial}`.
fn item_code(text: &[u8]) -> Option<TraceCode> {
    let s = std::str::from_utf8(text).ok()?;
    let gtin = s.get(2..16)?;
    let serial = s.get(18..)?;
    (s.get(..2)? == "01" && s.get(16..18)? == "21").then(|| TraceCode::Item {
        gtin: gtin.to_string(),
        serial: serial.to_string(),
    })
}

/// Every neighbour of a node in one direction — recorded links, then (forward from a batch)
/// its items, (backward from an item) its batch — read page by page with no cap; `f`
/// returning `false` stops the listing. Returns whether every neighbour was listed.
pub fn for_each_neighbour(
    state: &dyn StateView,
    node: &Node,
    dir: Direction,
    mut f: impl FnMut(Edge) -> bool,
) -> bool {
    // A shipment is a sink: links only lead to it ([`shipment`] links units and SSCCs to it;
    // nothing links from it), so there is nothing downstream to read.
    if dir == Direction::Forward && matches!(node, Node::Shipment(_)) {
        return true;
    }
    let p = match dir {
        Direction::Forward => "lin/d/",
        Direction::Backward => "lin/u/",
    };
    let prefix = state_keys::prefix(p, &[&node.bytes()]);
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = state.scan(&prefix, after.as_deref(), EDGE_PAGE);
        let n = page.len();
        for (k, v) in page {
            if !f(decode_stored::<Edge>(&k, &v)) {
                return false;
            }
            after = Some(k);
        }
        if n < EDGE_PAGE {
            break;
        }
    }
    let Node::Unit(code) = node else {
        return true;
    };
    let Ok(n) = NormalisedCode::new("code", code) else {
        return true;
    };
    match dir {
        Direction::Forward if !n.is_item() => {
            let ip = state_keys::prefix("tui/", &[n.as_bytes()]);
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = state.scan(&ip, after.as_deref(), EDGE_PAGE);
                let count = page.len();
                for (k, _) in page {
                    if let Some(item) = state_keys::last_part(&k).and_then(|t| item_code(&t)) {
                        let e = Edge {
                            neighbour: Node::Unit(item),
                            kind: LinkKind::ItemOfBatch,
                            tx_id: Hash::ZERO,
                            height: 0,
                        };
                        if !f(e) {
                            return false;
                        }
                    }
                    after = Some(k);
                }
                if count < EDGE_PAGE {
                    return true;
                }
            }
        }
        Direction::Backward => match trace::load(state, &n).and_then(|u| u.batch) {
            Some(b) => f(Edge {
                neighbour: Node::Unit(b),
                kind: LinkKind::ItemOfBatch,
                tx_id: Hash::ZERO,
                height: 0,
            }),
            None => true,
        },
        Direction::Forward => true,
    }
}

/// The result of a traversal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traversal {
    /// Every node reached (the start included), sorted.
    pub nodes: BTreeSet<Node>,
    /// Every link followed: (from, to, kind) in the traversal's direction, sorted by visit
    /// (empty from [`reach`]).
    pub links: Vec<(Node, Node, LinkKind)>,
    /// Links examined (listed or not), at most [`MAX_TRAVERSAL_LINKS`].
    pub links_examined: usize,
    /// Whether [`MAX_TRAVERSAL_NODES`] or [`MAX_TRAVERSAL_LINKS`] cut the traversal.
    pub truncated: bool,
    /// Destination countries of the shipment links examined (a recall's countries, read from
    /// the links rather than from each shipment).
    pub shipped_to: BTreeSet<String>,
}

/// Breadth-first traversal from `start` (lineage forward for recall, backward for origin).
/// Iterative (no recursion however deep the lineage), at most [`MAX_TRAVERSAL_NODES`] nodes
/// and [`MAX_TRAVERSAL_LINKS`] links.
pub fn traverse(state: &dyn StateView, start: &Node, dir: Direction) -> Traversal {
    walk(state, start, dir, true, MAX_TRAVERSAL_NODES)
}

/// [`traverse`] without listing the links (`links` stays empty; `links_examined` counts them):
/// what a recall needs. Its memory is bounded by [`MAX_TRAVERSAL_NODES`] whatever the number
/// of links, and its work by [`MAX_TRAVERSAL_LINKS`] links examined, however many links
/// other writers attached to the affected units (ADR 0048).
pub fn reach(state: &dyn StateView, start: &Node, dir: Direction) -> Traversal {
    walk(state, start, dir, false, MAX_TRAVERSAL_NODES)
}

/// [`reach`] keeping at most `max_nodes` nodes (a recall's [`MAX_RECALL_NODES`]); the link
/// bound is the same.
pub fn reach_within(
    state: &dyn StateView,
    start: &Node,
    dir: Direction,
    max_nodes: usize,
) -> Traversal {
    walk(state, start, dir, false, max_nodes)
}

fn walk(
    state: &dyn StateView,
    start: &Node,
    dir: Direction,
    list_links: bool,
    max_nodes: usize,
) -> Traversal {
    let mut t = Traversal::default();
    let mut queue = VecDeque::new();
    t.nodes.insert(start.clone());
    queue.push_back(start.clone());
    while let Some(n) = queue.pop_front() {
        // Every neighbour is read (paged, no per-node cap): a node with more neighbours than
        // any limit cuts the traversal only through the stated limits below, which set
        // `truncated`, never silently.
        let complete = for_each_neighbour(state, &n, dir, |e| {
            if t.links_examined >= MAX_TRAVERSAL_LINKS {
                return false;
            }
            t.links_examined += 1;
            if let LinkKind::Shipped {
                destination_country,
            } = &e.kind
            {
                if !t.shipped_to.contains(destination_country) {
                    t.shipped_to.insert(destination_country.clone());
                }
            }
            if list_links {
                t.links.push((n.clone(), e.neighbour.clone(), e.kind));
            }
            if !t.nodes.contains(&e.neighbour) {
                if t.nodes.len() >= max_nodes {
                    t.truncated = true;
                } else {
                    t.nodes.insert(e.neighbour.clone());
                    queue.push_back(e.neighbour);
                }
            }
            true
        });
        if !complete {
            t.truncated = true;
            return t;
        }
    }
    t
}

/// Forward (downstream) lineage of a trace code; `None` when it is not registered.
pub fn trace_forward(state: &dyn StateView, code: &TraceCode) -> Option<Traversal> {
    let (n, _) = crate::query::unit(state, code)?;
    Some(traverse(state, &Node::unit(&n), Direction::Forward))
}

/// Backward (upstream) lineage of a trace code; `None` when it is not registered.
pub fn trace_backward(state: &dyn StateView, code: &TraceCode) -> Option<Traversal> {
    let (n, _) = crate::query::unit(state, code)?;
    Some(traverse(state, &Node::unit(&n), Direction::Backward))
}

/// A shipment's state.
pub fn load_shipment(state: &dyn StateView, tx_id: &Hash) -> Option<ShipmentState> {
    let k = shipment_key(tx_id);
    state.get_ref(&k).map(|b| decode_stored(&k, &b))
}

/// The current contents of an SSCC (units packed and not unpacked), sorted.
pub fn current_contents(state: &dyn StateView, sscc: &str) -> Vec<String> {
    let prefix = state_keys::prefix("agg/", &[sscc.as_bytes()]);
    state
        .scan(&prefix, None, MAX_EDGES_PER_NODE)
        .into_iter()
        .filter_map(|(k, _)| state_keys::last_part(&k))
        .filter_map(|b| String::from_utf8(b).ok())
        .collect()
}
