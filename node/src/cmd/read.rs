//! The read commands: `trace`, `recall`, `doc verify`, `proof verify` (ADR 0080), `audit
//! fetch` and `audit package` (ADR 0084).
//!
//! Each read is signed with the participant's key file when one is given (the read API's
//! roles, R-A5), and every proof in an answer is checked here, offline, with the pure
//! verifiers of `tracechain_api::proof`: the commands trust no node. Exit 0 when the answer
//! was read and every proof holds, 1 when the node refused or a proof failed, 2 when the
//! command could not run.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tracechain_api::proof::{verify_fact, verify_record, FactProof, ProofBase, RecordProof, Trust};
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_types::read_auth::sign_read;
use tracechain_types::records::TraceCode;
use tracechain_types::{ChainId, Hash, ListingDigest, Payload, RecallRecord, SecretKey};

/// Largest answer or proof file read (bytes).
const MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

/// A client of one node's read API, signing with `key` when given.
pub(crate) struct Reader {
    http: reqwest::blocking::Client,
    base: String,
    key: Option<SecretKey>,
    chain_id: ChainId,
}

impl Reader {
    pub(crate) fn new(node: &str, key: Option<&Path>) -> anyhow::Result<Reader> {
        let base = node.trim_end_matches('/').to_string();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let status: Value = http
            .get(format!("{base}/v1/status"))
            .send()
            .with_context(|| format!("GET {base}/v1/status"))?
            .json()?;
        let chain_id = ChainId::new(
            status["chain_id"]
                .as_str()
                .context("status without chain_id")?
                .to_string(),
        )
        .map_err(|e| anyhow::anyhow!("node's chain id: {e}"))?;
        let key = key.map(super::keys::read).transpose()?;
        Ok(Reader {
            http,
            base,
            key,
            chain_id,
        })
    }

    /// `req` with the read signature headers, when a key is given.
    fn signed(
        &self,
        req: reqwest::blocking::RequestBuilder,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> anyhow::Result<reqwest::blocking::RequestBuilder> {
        let Some(k) = &self.key else {
            return Ok(req);
        };
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis() as u64;
        let sig = sign_read(k, &self.chain_id, method, target, ts, body);
        Ok(req
            .header("tracechain-key", k.public().to_hex())
            .header("tracechain-timestamp", ts.to_string())
            .header("tracechain-signature", hex::encode(sig.0)))
    }

    /// A signed `GET target` whose body is read as it arrives (each read waits at most the
    /// client's timeout, the whole body as long as it flows).
    pub(crate) fn stream(&self, target: &str) -> anyhow::Result<reqwest::blocking::Response> {
        let url = format!("{}{target}", self.base);
        let req = self.signed(self.http.get(&url), "GET", target, &[])?;
        req.send().with_context(|| format!("GET {url}"))
    }

    /// A signed `GET target`: (status, body bytes, at most the largest package).
    fn fetch(&self, target: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let url = format!("{}{target}", self.base);
        let req = self.signed(self.http.get(&url), "GET", target, &[])?;
        let resp = req.send().with_context(|| format!("GET {url}"))?;
        let status = resp.status().as_u16();
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_PACKAGE_BYTES as u64)
        {
            bail!("GET {url}: the answer is over {MAX_PACKAGE_BYTES} bytes");
        }
        let bytes = resp.bytes().with_context(|| format!("GET {url}"))?;
        if bytes.len() > MAX_PACKAGE_BYTES {
            bail!("GET {url}: the answer is over {MAX_PACKAGE_BYTES} bytes");
        }
        Ok((status, bytes.to_vec()))
    }

    /// `method target` with `body`; returns (status, JSON body).
    fn send(&self, method: &str, target: &str, body: Vec<u8>) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{target}", self.base);
        let req = match method {
            "POST" => self.http.post(&url),
            _ => self.http.get(&url),
        };
        let resp = self
            .signed(req, method, target, &body)?
            .body(body)
            .send()
            .with_context(|| format!("{method} {url}"))?;
        let status = resp.status().as_u16();
        let v: Value = resp
            .json()
            .with_context(|| format!("{method} {url}: not JSON"))?;
        Ok((status, v))
    }
}

pub(crate) fn finish(r: anyhow::Result<bool>) -> ExitCode {
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn refused(status: u16, v: &Value) -> bool {
    if status >= 400 {
        eprintln!(
            "refused: {status} {}: {}",
            v["code"].as_str().unwrap_or("?"),
            v["detail"].as_str().unwrap_or("")
        );
        true
    } else {
        false
    }
}

/// What checking the proofs of one or more answers found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Record proofs that hold.
    pub records: usize,
    /// Fact proofs that hold.
    pub facts: usize,
    /// Listings whose records were all present and in order.
    pub complete_listings: usize,
    /// What failed, one line each.
    pub failures: Vec<String>,
    /// Validator-set hashes the answers rest on.
    pub sets: std::collections::BTreeSet<String>,
}

/// A listing as the answers show it: its proven digest, and (height, index, bulk item,
/// record id) of each record read from it.
type Listing = (Option<ListingDigest>, Vec<(u64, u32, u32, Hash)>);

/// Check every proof in `pages` (answers of the read API: trace pages, a document check):
/// each record against its certified header, each fact against its height's state root, and
/// each listing digest against the records the pages hold.
pub fn check_answers(pages: &[Value], trust: &Trust) -> Checked {
    let mut c = Checked::default();
    // (listing code) -> (proven digest, [(height, index, item, id)])
    let mut listings: std::collections::BTreeMap<String, Listing> = Default::default();
    for (i, page) in pages.iter().enumerate() {
        let base: ProofBase = match serde_json::from_value(page["proofs"].clone()) {
            Ok(b) => b,
            Err(e) => {
                c.failures.push(format!("answer {i}: no proof base: {e}"));
                continue;
            }
        };
        c.sets.extend(base.validator_sets.keys().cloned());
        for r in page["records"].as_array().into_iter().flatten() {
            let id = r["record_id"].as_str().unwrap_or("?").to_string();
            match serde_json::from_value::<RecordProof>(r["proof"].clone()) {
                Ok(p) => match verify_record(&base, trust, &p) {
                    Ok(tx)
                        if p.record_id.to_hex() == id
                            && shown_payload(&tx, p.bulk_item) != r["payload"] =>
                    {
                        c.failures.push(format!(
                            "record {id}: the payload shown is not the one proven"
                        ))
                    }
                    Ok(_) if p.record_id.to_hex() == id => {
                        c.records += 1;
                        if let Some(l) = r["listing"].as_str() {
                            listings.entry(l.to_string()).or_default().1.push((
                                p.height,
                                p.index,
                                p.bulk_item.unwrap_or(0),
                                p.record_id,
                            ));
                        }
                    }
                    Ok(_) => c
                        .failures
                        .push(format!("record {id}: proof of another record")),
                    Err(e) => c.failures.push(format!("record {id}: {e}")),
                },
                Err(e) => c.failures.push(format!("record {id}: no proof: {e}")),
            }
        }
        // A story (ADR 0085): its registration, proven, must say what the story shows; each
        // recall of the unit or its batch, proven by its `rcl/n/` entry.
        if page.get("certificates").is_some() && page.get("digital_link").is_some() {
            let unit = &page["unit"];
            let code = unit["code"]
                .as_str()
                .and_then(|t| code_of(t).ok())
                .and_then(|t| NormalisedCode::new("code", &t).ok());
            let proven = code
                .as_ref()
                .ok_or_else(|| "a story without its unit's code".to_string())
                .and_then(|n| {
                    let p: FactProof =
                        serde_json::from_value(page["registration_proof"].clone())
                            .map_err(|e| format!("the story's registration: no proof: {e}"))?;
                    verify_fact(
                        &base,
                        trust,
                        &tracechain_contracts::state_keys::trace_unit(n),
                        &p,
                    )
                    .map_err(|e| format!("the story's registration: {e}"))?
                    .ok_or_else(|| "the story's unit is proven not registered".to_string())
                })
                .and_then(|v| {
                    tracechain_types::decode::<tracechain_contracts::trace::TraceUnit>(&v, 1 << 20)
                        .map_err(|e| format!("the story's registration: {e}"))
                });
            match proven {
                Ok(u) => {
                    let batch = u.batch.as_ref().and_then(|b| {
                        NormalisedCode::new("batch", b)
                            .ok()
                            .map(|n| n.as_str().to_string())
                    });
                    if unit["product_name"] != json!(u.product_name)
                        || unit["registrant"] != json!(u.registrant.to_hex())
                        || unit["batch"] != json!(batch)
                    {
                        c.failures.push(
                            "the story's unit (product, registrant, batch) is not the proven registration"
                                .into(),
                        );
                    } else {
                        c.facts += 1;
                    }
                    let public: Vec<String> = code
                        .iter()
                        .map(|n| n.as_str().to_string())
                        .chain(batch)
                        .collect();
                    for r in page["recall"]["recalls"].as_array().into_iter().flatten() {
                        if r["proof"].is_null() {
                            continue;
                        }
                        let what = format!("recall {}", r["reference"]);
                        let key = r["recalled_unit"]
                            .as_str()
                            .filter(|u| public.iter().any(|p| p == u))
                            .and_then(|u| code_of(u).ok())
                            .and_then(|t| NormalisedCode::new("code", &t).ok())
                            .zip(r["issuer"].as_str().and_then(|k| k.parse().ok()))
                            .zip(r["reference"].as_str())
                            .map(|((u, i), rf)| {
                                tracechain_contracts::recall::node_recall_key(
                                    &tracechain_contracts::lineage::Node::unit(&u),
                                    &i,
                                    rf,
                                )
                            });
                        let Some(key) = key else {
                            c.failures
                                .push(format!("{what}: the answer does not say what it proves"));
                            continue;
                        };
                        match serde_json::from_value::<FactProof>(r["proof"].clone())
                            .map_err(|e| e.to_string())
                            .and_then(|p| {
                                verify_fact(&base, trust, &key, &p).map_err(|e| e.to_string())
                            }) {
                            Ok(Some(_)) => c.facts += 1,
                            Ok(None) => c.failures.push(format!("{what}: proven absent")),
                            Err(e) => c.failures.push(format!("{what}: {e}")),
                        }
                    }
                    let public_codes: Vec<NormalisedCode> = public
                        .iter()
                        .filter_map(|t| code_of(t).ok())
                        .filter_map(|t| NormalisedCode::new("code", &t).ok())
                        .collect();
                    story_customs_and_certificates(&base, trust, page, &public_codes, &mut c);
                }
                Err(e) => c.failures.push(e),
            }
        }
        let facts = page["listings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| (l, true))
            .chain(
                page["anchors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| (a, false)),
            );
        for (f, is_listing) in facts {
            if f["proof"].is_null() {
                c.failures
                    .push("a fact read at genesis has no proof".into());
                continue;
            }
            let p: FactProof = match serde_json::from_value(f["proof"].clone()) {
                Ok(p) => p,
                Err(e) => {
                    c.failures.push(format!("fact: no proof: {e}"));
                    continue;
                }
            };
            let expected = if is_listing {
                f["code"]
                    .as_str()
                    .and_then(|t| code_of(t).ok())
                    .and_then(|t| NormalisedCode::new("code", &t).ok())
                    .map(|n| tracechain_contracts::state_keys::unit_digest(&n))
            } else {
                let h = page["document_hash"]
                    .as_str()
                    .and_then(|h| h.parse::<Hash>().ok());
                let i = f["issuer"].as_str().and_then(|k| k.parse().ok());
                h.zip(i)
                    .map(|(h, i)| tracechain_contracts::documents::document_key(&h, &i))
            };
            let Some(expected) = expected else {
                c.failures
                    .push("fact: the answer does not say what it proves".into());
                continue;
            };
            match verify_fact(&base, trust, &expected, &p) {
                Ok(v) => {
                    c.facts += 1;
                    if is_listing {
                        let code = f["code"].as_str().unwrap_or("?").to_string();
                        let d = v
                            .and_then(|v| tracechain_types::decode::<ListingDigest>(&v, 1024).ok());
                        let claimed = (
                            f["count"].as_u64(),
                            f["digest"].as_str().map(str::to_string),
                        );
                        let proven = d.as_ref().map(|d| (Some(d.count), Some(d.digest.to_hex())));
                        if proven.as_ref().is_some_and(|p| *p != claimed) {
                            c.failures.push(format!("listing {code}: the answer's count or digest is not the proven one"));
                        }
                        // The digest of the latest page read wins (pages may be read at
                        // growing heights).
                        listings.entry(code).or_default().0 = d;
                    }
                }
                Err(e) => c.failures.push(format!("fact {}: {e}", p.key)),
            }
        }
    }
    for (code, (digest, mut ids)) in listings {
        let Some(d) = digest else { continue };
        ids.sort();
        ids.dedup_by_key(|x| x.3);
        match d.check(ids.iter().map(|x| &x.3)) {
            Ok(()) => c.complete_listings += 1,
            Err(e) => c.failures.push(format!("listing {code}: {e}")),
        }
    }
    c
}

/// The payload a record shows: the transaction's, or for an item (of a bulk import or an EPCIS
/// capture) the item as the payload it is stored as.
fn shown_payload(tx: &tracechain_types::Transaction, item: Option<u32>) -> Value {
    let p = match item {
        Some(i) => {
            tracechain_contracts::carried_item(&tx.body.payload, &tx.id(), i).map(|(_, p)| p)
        }
        None => Some(tx.body.payload.clone()),
    };
    p.and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or(Value::Null)
}

/// Trust the genesis file's validators, or, without one, the chain and validator sets the
/// first answer presents (said aloud: that trusts the node for who the validators are).
fn trust_of(genesis: Option<&Path>, pages: &[Value]) -> anyhow::Result<Trust> {
    if let Some(g) = genesis {
        let loaded = crate::config::GenesisFile::load(g)?;
        return Ok(Trust::genesis(
            loaded.genesis.chain_id.clone(),
            loaded.genesis.validators.clone(),
        ));
    }
    let base: ProofBase = pages
        .first()
        .and_then(|p| serde_json::from_value(p["proofs"].clone()).ok())
        .context("the answer carries no proofs")?;
    let chain = base
        .headers
        .values()
        .next()
        .map(|h| h.header.chain_id.clone())
        .context("the answer carries no certified header")?;
    println!(
        "no --genesis given: trusting the validator set the answer presents (give the genesis file to check who the validators are)"
    );
    Ok(Trust {
        chain_id: chain,
        validator_sets: base.validator_sets.into_values().collect(),
        periods: Vec::new(),
    })
}

/// Trust the validator sets over time that a verified chain audit (`tracechain audit chain
/// --json`, ADR 0087) found by replaying the chain from this genesis: each set certifies the
/// heights it was in force only (the last one, every height after it).
fn audited_trust(genesis: &Path, summary: &Path) -> anyhow::Result<Trust> {
    let loaded = crate::config::GenesisFile::load(genesis)?;
    let g = loaded.genesis;
    let genesis_hash = g
        .build()
        .map_err(|e| anyhow::anyhow!("{}: {e}", genesis.display()))?
        .block
        .hash();
    let meta =
        std::fs::metadata(summary).with_context(|| format!("reading {}", summary.display()))?;
    if meta.len() > MAX_ANSWER_BYTES {
        bail!("{} is over {MAX_ANSWER_BYTES} bytes", summary.display());
    }
    let s: Value = serde_json::from_slice(&std::fs::read(summary)?)
        .with_context(|| format!("{} is not JSON", summary.display()))?;
    if s["format"] != tracechain_audit::replay::SUMMARY_FORMAT {
        bail!(
            "{} is not an `audit chain --json` summary",
            summary.display()
        );
    }
    if s["verified"] != true {
        bail!("{}: that audit did not verify the chain", summary.display());
    }
    if s["chain_id"] != g.chain_id.as_str() || s["genesis_hash"] != genesis_hash.to_hex().as_str() {
        bail!(
            "{} is the audit of another chain than {}",
            summary.display(),
            genesis.display()
        );
    }
    let mut sets = Vec::new();
    let mut periods = Vec::new();
    for (i, p) in s["validators"].as_array().into_iter().flatten().enumerate() {
        let from = p["from_height"]
            .as_u64()
            .context("a period without from_height")?;
        let members = p["validators"]
            .as_array()
            .context("a period without validators")?
            .iter()
            .map(|v| {
                Ok(tracechain_types::Validator {
                    name: v["name"]
                        .as_str()
                        .context("a validator without name")?
                        .to_string(),
                    public_key: v["key"]
                        .as_str()
                        .context("a validator without key")?
                        .parse()
                        .map_err(|e| anyhow::anyhow!("a validator key: {e}"))?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let set = tracechain_types::ValidatorSet::new(members)
            .map_err(|e| anyhow::anyhow!("validator set from height {from}: {e}"))?;
        if p["set_hash"] != set.hash().to_hex().as_str() {
            bail!("the validator set from height {from} does not hash to its set_hash");
        }
        if i == 0 && (from != 1 || set.hash() != g.validators.hash()) {
            bail!("the audit's first validator set is not the genesis set from height 1");
        }
        if periods.last().is_some_and(|(f, _)| *f >= from) {
            bail!("the audit's validator sets are not in height order");
        }
        periods.push((from, set.hash()));
        sets.push(set);
    }
    if sets.is_empty() {
        bail!("{} lists no validator set", summary.display());
    }
    Ok(Trust {
        chain_id: g.chain_id,
        validator_sets: sets,
        periods,
    })
}

/// A story's customs record entry and certificate facts (ADR 0089): each proof is of a key of
/// the story's unit or batch, and each certificate's proven fact is what the story says.
fn story_customs_and_certificates(
    base: &ProofBase,
    trust: &Trust,
    page: &Value,
    public: &[NormalisedCode],
    c: &mut Checked,
) {
    use tracechain_contracts::documents::CertificateFact;
    use tracechain_contracts::state_keys;
    // Every proof is of the height the story was read at: an older genuine proof (of a
    // certificate before its revocation, say) is no evidence of what the story says now.
    let height = page["read_at"]["height"].as_u64();
    let at_ms = height
        .and_then(|h| base.headers.get(&h))
        .map(|ch| i64::try_from(ch.header.timestamp_ms).unwrap_or(i64::MAX));
    let proven = |proof: &Value, under: &dyn Fn(&[u8]) -> bool| -> Result<Vec<u8>, String> {
        let p: FactProof =
            serde_json::from_value(proof.clone()).map_err(|e| format!("no proof: {e}"))?;
        if Some(p.height) != height {
            return Err(format!(
                "a proof of height {}, the story was read at {height:?}",
                p.height
            ));
        }
        let key = hex::decode(&p.key).map_err(|_| "a key that is not hex".to_string())?;
        if !under(&key) {
            return Err("a proof of a key of another unit or kind".into());
        }
        verify_fact(base, trust, &key, &p)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "proven absent".to_string())
    };
    if page["customs_status_recorded"] == json!(true) && page["customs_proof"].is_null() {
        c.failures
            .push("the story's customs record: said recorded, without a proof".into());
    }
    if !page["customs_proof"].is_null() {
        let tag = tracechain_contracts::IndexTag::Info(tracechain_types::Category::C2);
        let under = |k: &[u8]| {
            public
                .iter()
                .any(|n| k.starts_with(&state_keys::unit_records_of(n, tag)))
        };
        match proven(&page["customs_proof"], &under) {
            Ok(_) => c.facts += 1,
            Err(e) => c.failures.push(format!("the story's customs record: {e}")),
        }
    }
    for cert in page["certificates"].as_array().into_iter().flatten() {
        let what = format!("certificate {}", cert["type"]);
        let unit = public.iter().find(|n| cert["unit"] == json!(n.as_str()));
        let Some(unit) = unit else {
            c.failures
                .push(format!("{what}: not of the story's unit or batch"));
            continue;
        };
        let prefix = state_keys::prefix("dcp/", &[unit.as_bytes()]);
        match proven(&cert["proof"], &|k: &[u8]| k.starts_with(&prefix)).and_then(|v| {
            tracechain_types::decode::<CertificateFact>(&v, 1 << 20).map_err(|e| e.to_string())
        }) {
            Ok(f) => {
                // Judged at the story's block time, as the story judges it.
                let at = at_ms.unwrap_or(i64::MAX);
                let expired = f.valid_until_ms.is_some_and(|v| at >= v);
                let valid =
                    f.competent && f.revoked_height.is_none() && !expired && at >= f.valid_from_ms;
                if cert["expired"] != json!(expired)
                    || cert["valid"] != json!(valid)
                    || cert["issuer"] != json!(f.issuer.to_hex())
                    || cert["type"] != json!(f.document_type)
                    || cert["competent"] != json!(f.competent)
                    || cert["anchored_ms"] != json!(f.timestamp_ms)
                    || cert["revoked"] != json!(f.revoked_height.is_some())
                {
                    c.failures
                        .push(format!("{what}: the story says other than its proven fact"));
                } else {
                    c.facts += 1;
                }
            }
            Err(e) => c.failures.push(format!("{what}: {e}")),
        }
    }
}

fn report(c: &Checked) -> bool {
    println!(
        "proofs: {} records and {} facts verified against the validators' signatures ({} validator set{}: {}); {} listing{} proven complete",
        c.records,
        c.facts,
        c.sets.len(),
        if c.sets.len() == 1 { "" } else { "s" },
        c.sets.iter().cloned().collect::<Vec<_>>().join(", "),
        c.complete_listings,
        if c.complete_listings == 1 { "" } else { "s" },
    );
    for f in &c.failures {
        println!("FAILED: {f}");
    }
    c.failures.is_empty()
}

/// `tracechain trace CODE`: every page of a unit's history, every proof checked.
pub fn trace(
    node: &str,
    code: &str,
    key: Option<&Path>,
    out: Option<&Path>,
    genesis: Option<&Path>,
) -> ExitCode {
    finish((|| {
        let r = Reader::new(node, key)?;
        let code = encode_segment(code);
        let mut target = format!("/v1/trace/{code}");
        let mut pages = Vec::new();
        loop {
            let (status, v) = r.send("GET", &target, vec![])?;
            if refused(status, &v) {
                return Ok(false);
            }
            let next = v["next"].as_str().map(str::to_string);
            pages.push(v);
            match next {
                Some(n) => target = n,
                None => break,
            }
        }
        let first = &pages[0];
        println!(
            "{} — {} ({}), read at height {}",
            first["unit"]["code"].as_str().unwrap_or("?"),
            first["unit"]["product_name"].as_str().unwrap_or("?"),
            first["unit"]["producer_name"].as_str().unwrap_or("?"),
            first["read_at"]["height"]
        );
        for p in &pages {
            for rec in p["records"].as_array().into_iter().flatten() {
                println!(
                    "  height {:>6}  {:<4} {:<22} {}",
                    rec["height"],
                    rec["category"].as_str().unwrap_or(""),
                    format!(
                        "{}/{}",
                        rec["payload"]["family"].as_str().unwrap_or("?"),
                        rec["payload"]["kind"].as_str().unwrap_or("?")
                    ),
                    rec["record_id"].as_str().unwrap_or("")
                );
            }
        }
        let c = check_answers(&pages, &trust_of(genesis, &pages)?);
        if let Some(out) = out {
            std::fs::write(
                out,
                serde_json::to_vec_pretty(&json!({ "answers": pages }))?,
            )
            .with_context(|| format!("writing {}", out.display()))?;
        }
        Ok(report(&c))
    })())
}

/// Percent-encode a path segment (a Digital Link URI given as a code).
fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Options of `tracechain recall`.
#[derive(Debug)]
pub struct RecallOptions<'a> {
    /// Node API base URL.
    pub node: &'a str,
    /// The batch (element string or Digital Link).
    pub batch: &'a str,
    /// Key file (a regulator's, or a participant that took part).
    pub key: Option<&'a Path>,
    /// Issue the recall with this reference and reason (a regulator's key).
    pub issue: Option<(&'a str, &'a str)>,
}

/// `tracechain recall BATCH [--issue]`: simulate (nothing written), then optionally issue.
pub fn recall(o: &RecallOptions<'_>) -> ExitCode {
    finish((|| {
        let r = Reader::new(o.node, o.key)?;
        let started = std::time::Instant::now();
        let (status, v) = r.send(
            "GET",
            &format!("/v1/recalls/{}/impact", encode_segment(o.batch)),
            vec![],
        )?;
        if refused(status, &v) {
            return Ok(false);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        eprintln!(
            "simulated in {} ms: {} units, {} logistics units, {} countries, {} orders; {}",
            started.elapsed().as_millis(),
            v["units"].as_array().map_or(0, Vec::len),
            v["logistics_units"].as_array().map_or(0, Vec::len),
            v["countries"].as_array().map_or(0, Vec::len),
            v["orders"].as_array().map_or(0, Vec::len),
            if v["complete"] == true {
                "complete".to_string()
            } else {
                format!("NOT complete: {}", v["not_reached"])
            }
        );
        let Some((recall_ref, reason)) = o.issue else {
            return Ok(true);
        };
        let Some(key) = o.key else {
            bail!("--issue signs the recall: give the regulator's --key");
        };
        let batch: TraceCode = code_of(o.batch)?;
        let key = super::keys::read(key)?;
        let payload = Payload::Recall(RecallRecord::Recall(tracechain_types::records::Recall {
            recall_ref: recall_ref.to_string(),
            batch,
            reason: reason.to_string(),
        }));
        let (ok, body) = super::tx::sign_and_submit(o.node, &key, payload, true, 100, None)?;
        println!("{}", serde_json::to_string_pretty(&body)?);
        Ok(ok)
    })())
}

/// A trace code from an element string (`01…10…`, `01…21…`) or a Digital Link URI.
fn code_of(s: &str) -> anyhow::Result<TraceCode> {
    if s.starts_with("http") {
        return tracechain_contracts::trace_codes::parse_digital_link(s)
            .map_err(anyhow::Error::msg);
    }
    let rest = s.strip_prefix("01").context("a code starts with AI 01")?;
    if rest.len() < 16 || !rest.is_char_boundary(14) {
        bail!("AI 01 takes 14 digits, then AI 10 or 21");
    }
    let (gtin, tail) = rest.split_at(14);
    if let Some(b) = tail.strip_prefix("10") {
        Ok(TraceCode::Batch {
            gtin: gtin.into(),
            batch: b.into(),
        })
    } else if let Some(s) = tail.strip_prefix("21") {
        Ok(TraceCode::Item {
            gtin: gtin.into(),
            serial: s.into(),
        })
    } else {
        bail!("after the GTIN comes AI 10 (batch) or 21 (serial)")
    }
}

/// `tracechain doc verify FILE`: the file is hashed here and never sent; the node's answer
/// about its hash is checked against the validators' signatures.
pub fn doc_verify(node: &str, file: &Path, key: Option<&Path>, genesis: Option<&Path>) -> ExitCode {
    finish((|| {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let h = Hash::digest(&bytes);
        let r = Reader::new(node, key)?;
        let (status, v) = r.send("GET", &format!("/v1/documents/{}", h.to_hex()), vec![])?;
        if refused(status, &v) {
            return Ok(false);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        let pages = std::slice::from_ref(&v);
        let c = check_answers(pages, &trust_of(genesis, pages)?);
        eprintln!(
            "{}: {}",
            file.display(),
            match (v["anchored"] == true, v["valid"] == true) {
                (false, _) => "NOT anchored".to_string(),
                (true, true) => "anchored by a competent issuer, valid".to_string(),
                (true, false) => "anchored, but no competent issuer's anchor is valid (revoked, expired, or issuer not competent)".to_string(),
            }
        );
        Ok(report(&c) && v["valid"] == true)
    })())
}

/// `tracechain proof verify FILE [--genesis FILE]`: check every proof of saved answers
/// offline; with a genesis file, against its chain and validators (validator-set changes are
/// not followed yet), without one against the set the answers present.
pub fn proof_verify(file: &Path, genesis: Option<&Path>, audit: Option<&Path>) -> ExitCode {
    finish((|| {
        let meta =
            std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
        if meta.len() > MAX_ANSWER_BYTES {
            bail!("{} is over {MAX_ANSWER_BYTES} bytes", file.display());
        }
        let v: Value = serde_json::from_slice(&std::fs::read(file)?)
            .with_context(|| format!("{} is not JSON", file.display()))?;
        let pages: Vec<Value> = match v.get("answers").and_then(Value::as_array) {
            Some(a) => a.clone(),
            None => vec![v],
        };
        let trust = match (genesis, audit) {
            (Some(g), Some(a)) => audited_trust(g, a)?,
            (None, Some(_)) => bail!("--audit needs --genesis"),
            (g, None) => trust_of(g, &pages)?,
        };
        let mut c = check_answers(&pages, &trust);
        if c.records + c.facts == 0 && c.failures.is_empty() {
            c.failures.push("the file holds no proof".into());
        }
        Ok(report(&c))
    })())
}

/// Largest audit package read or fetched (bytes).
const MAX_PACKAGE_BYTES: usize = tracechain_api::audit::MAX_PACKAGE_BYTES;

/// The trusted genesis of an audit package: the auditor's own genesis file, never the
/// package's (a node could invent validators and sign everything). A `genesis.toml` in the
/// package must describe the same chain and validators: `Err` says why not.
fn package_trust(
    genesis: &Path,
    package: &[u8],
) -> anyhow::Result<Result<Trust, tracechain_api::audit::AuditFailure>> {
    use tracechain_api::audit::AuditFailure;
    let loaded = crate::config::GenesisFile::load(genesis)?;
    let trust = Trust::genesis(
        loaded.genesis.chain_id.clone(),
        loaded.genesis.validators.clone(),
    );
    let bag = match tracechain_api::bag::read(
        package,
        MAX_PACKAGE_BYTES,
        tracechain_api::audit::MAX_PACKAGE_FILES,
    ) {
        Ok(b) => b,
        // The package itself is damaged: that is its verdict, not a failure to run.
        Err(e) => return Ok(Err(e.into())),
    };
    if let Some(text) = bag.payload.get("genesis.toml") {
        let theirs = std::str::from_utf8(text)
            .ok()
            .and_then(|t| toml::from_str::<crate::config::GenesisFile>(t).ok())
            .and_then(|f| f.check().ok());
        let same = theirs.is_some_and(|g| {
            g.genesis.chain_id == loaded.genesis.chain_id
                && g.genesis.validators == loaded.genesis.validators
                && g.genesis.timestamp_ms == loaded.genesis.timestamp_ms
        });
        if !same {
            return Ok(Err(AuditFailure::Inconsistent {
                file: "genesis.toml",
                reason: format!(
                    "the package's genesis is not the one given ({})",
                    genesis.display()
                ),
            }));
        }
    }
    Ok(Ok(trust))
}

/// Verify package bytes and print what they prove (or the JSON report).
fn check_package(
    bytes: &[u8],
    genesis: &Path,
    batch: Option<&str>,
    as_json: bool,
) -> anyhow::Result<bool> {
    let verdict = package_trust(genesis, bytes)?
        .and_then(|trust| {
            tracechain_api::audit::verify(
                bytes,
                &trust,
                MAX_PACKAGE_BYTES,
                tracechain_api::audit::MAX_PACKAGE_FILES,
            )
        })
        .and_then(|r| match batch {
            // The package of the batch asked for, not of another one.
            Some(b) if r.batch != b => Err(tracechain_api::audit::AuditFailure::Inconsistent {
                file: "package.json",
                reason: format!("the package is of {}, not of {b}", r.batch),
            }),
            _ => Ok(r),
        });
    match verdict {
        Ok(r) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"verified": true, "report": r}))?
                );
            } else {
                println!(
                    "audit package of {} read at height {} (block {}, state root {})",
                    r.batch, r.read_at.height, r.read_at.block_hash, r.read_at.state_root
                );
                for (code, relation, n) in &r.units {
                    println!("  {relation:<8} {code}: {n} records, listing proven complete");
                }
                for o in &r.not_included {
                    println!(
                        "  LEFT OUT {} (upstream; the node says: {})",
                        o.code, o.reason
                    );
                }
                let cats: Vec<String> = r
                    .categories
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect();
                println!(
                    "  {} records by kind ({}), each included in its certified block",
                    r.records,
                    cats.join(", ")
                );
                println!(
                    "  {} certified headers; validator sets followed from genesis: {}",
                    r.headers,
                    r.validator_sets.len()
                );
                for d in &r.documents {
                    println!(
                        "  document {} by {}: competent {}, revoked {}",
                        d["document_hash"].as_str().unwrap_or("?"),
                        d["issuer"].as_str().unwrap_or("?"),
                        d["competent"],
                        if d["revoked"].is_null() {
                            "no".to_string()
                        } else {
                            format!("at height {}", d["revoked"])
                        }
                    );
                }
                for rc in &r.recalls {
                    println!(
                        "  recall {} of {}: {}",
                        rc["reference"], rc["batch"], rc["reason"]
                    );
                }
                println!(
                    "  EPCIS originals: {} checked against their captures, {} not held by the node that made the package",
                    r.epcis_events, r.epcis_missing
                );
                if r.not_included.is_empty() {
                    println!("verified: every file hash, header, proof and listing holds; the package is complete");
                } else {
                    println!(
                        "verified: every file hash, header, proof and listing holds; {} upstream units are left out",
                        r.not_included.len()
                    );
                }
            }
            Ok(true)
        }
        Err(e) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"verified": false, "failure": e.to_string()})
                    )?
                );
            } else {
                println!("NOT verified: {e}");
            }
            Ok(false)
        }
    }
}

/// `tracechain audit package FILE --genesis FILE [--json]`: verify an audit package offline
/// against the auditor's genesis (R-S2, ADR 0084).
pub fn audit_package(file: &Path, genesis: &Path, as_json: bool) -> ExitCode {
    finish((|| {
        let meta =
            std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
        if meta.len() > MAX_PACKAGE_BYTES as u64 {
            bail!("{} is over {MAX_PACKAGE_BYTES} bytes", file.display());
        }
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        check_package(&bytes, genesis, None, as_json)
    })())
}

/// `tracechain audit fetch BATCH --node URL --key FILE --out FILE --genesis FILE`: fetch a
/// batch's audit package with a signed read, save it, and verify it is that batch's.
pub fn audit_fetch(
    node: &str,
    code: &str,
    key: Option<&Path>,
    out: &Path,
    genesis: &Path,
) -> ExitCode {
    finish((|| {
        let r = Reader::new(node, key)?;
        let target = format!("/v1/audit/{}", encode_segment(code));
        let (status, bytes) = r.fetch(&target)?;
        if status != 200 {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Ok(!refused(status, &v));
        }
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        println!("saved {} ({} bytes)", out.display(), bytes.len());
        let wanted = NormalisedCode::new("code", &code_of(code)?)
            .map_err(|e| anyhow::anyhow!("{code}: {e:?}"))?;
        check_package(&bytes, genesis, Some(wanted.as_str()), false)
    })())
}
