//! The state key layout (ADR 0023): one ASCII prefix per table or index, then the key parts
//! in binary, each followed by the separator `0x00 0x01` except the last; a `0x00` byte inside
//! a part is written `0x00 0xFF`. Parts are therefore raw bytes (a 32-byte key is 32 bytes, a
//! trace code its element string) and prefix scans never mix two keys: no part contains the
//! separator (a GS1 batch may contain `/` or any other byte). The encoding keeps the order of
//! the parts as tuples (a part sorts before its extensions and `0x00 0x01` sorts below every
//! continuation), so ordered scans return keys in the same logical order as the earlier
//! hex-with-`/` layout. Every value is a canonical (Borsh) encoding of the type named here.
//! In this table `/` between parts stands for the separator.
//!
//! | prefix | key parts | value | owner |
//! |---|---|---|---|
//! | `seq/` | signer | `u64` next sequence | exec |
//! | `par/` | participant key | [`crate::registry::Participant`] | registry |
//! | `rel/` | signer `/` counterparty | [`crate::registry::RelationshipSide`] | registry |
//! | `paa/` | agency (1 byte) `/` regulator key | `()` approved regulator of the agency | registry (ADR 0041) |
//! | `pav/` | regulator key `/` registered height `/` round `/` action (1 byte) | [`crate::registry::DepartmentVotes`] | registry (ADR 0041) |
//! | `gcp/` | company prefix `/` claimant | [`crate::prefixes::PrefixClaimState`] | prefixes (ADR 0042) |
//! | `gch/` | company prefix | holder key of the approved prefix | prefixes |
//! | `gcd/` | company prefix `/` delegate | `u64` delegation height | prefixes |
//! | `tu/` | trace code | [`crate::trace::TraceUnit`] | trace |
//! | `tui/` | batch code `/` item code | `()` item under batch | trace |
//! | `rec/` | tx id | [`crate::context::RecordEnvelope`] | every record kind |
//! | `tur/` | trace code `/` category `/` height (16 hex) tx id | `()` records of a unit | blocks (and B kinds that concern units) |
//! | `dcl/` | declaration number | [`crate::info_blocks::CustomsDeclarationState`] | blocks |
//! | `tref/` | trace code `/` category `/` reference `/` height (8 bytes BE) tx id | `()` records of a unit by order, waybill or receipt reference, and customs declarations by the order references they list | info_blocks (R-T1, R-L2, R-T2, R-C1; read by cbeac R-B3, closed_loop R-Q1/R-Q2) |
//! | `ord/` | signer `/` order ref | tx id | blocks (R-T1) |
//! | `rcp/` | signer `/` receipt ref | tx id | blocks (R-T2) |
//! | `lin/`, `agg/`, `shp/` | — | — | lineage |
//! | `fil/`, `exd/` | — | — | cbeac |
//! | `auth/`, `lnk/` | — | — | closed_loop |
//! | `dca/`, `dcc/`, `dco/`, `dcu/`, `dcuc/`, `dcn/`, `dhn/`, `dct/` | — | — | documents (ADR 0044; listings, their counts, anchored types) |
//! | `rcl/` | — | — | recall |
//! | `scn/` | — | — | scan |
//! | `dst/` | trace code `/` country | `()` a transport of the unit names this destination | info_blocks (read by scan, R-S4) |
//! | `cus/` | trace code `/` custodian | `u64` hand-over height | custody (ADR 0049) |
//! | `scnt/` | trace code `/` scanner tag | `u32` first scan number of that scanner | scan (ADR 0043) |
//! | `sen/`, `srg/` | — / trace code | — / the declared `SensorRange` (R-P3) | sensor |
//! | `fb/` | — | — | feedback |
//! | `val/` | — | — | validators |
//! | `alert/` | — | — | alerts of sensor and scan |
//! | `cnt/` | the listing's prefix (one part) | `u64` how many entries the listing has | [`listing_count`]: brand scan and sensor alerts, a unit's sensor alerts |
//!
//! A module owns its prefixes: only it writes them; any module may read them.

use tracechain_types::records::Agency;
use tracechain_types::{Hash, PublicKey};

use crate::index_tags::IndexTag;
use crate::trace_codes::NormalisedCode;

/// Written after every key part but the last.
pub const PART_SEPARATOR: [u8; 2] = [0x00, 0x01];
/// How a `0x00` byte inside a part is written.
const ZERO_ESCAPE: [u8; 2] = [0x00, 0xFF];

/// Append one key part to `out`, escaping its `0x00` bytes (parts are usually text or fixed
/// binary without zeros, so this is a copy).
pub fn push_part(out: &mut Vec<u8>, bytes: &[u8]) {
    for (i, run) in bytes.split(|b| *b == 0).enumerate() {
        if i > 0 {
            out.extend_from_slice(&ZERO_ESCAPE);
        }
        out.extend_from_slice(run);
    }
}

/// Room reserved per part for escaped zero bytes (more only costs a reallocation).
const ESCAPE_ROOM: usize = 8;

/// Build a key from a prefix and parts joined by [`PART_SEPARATOR`].
pub fn key(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    // Room for separators, the separator [`prefix`] appends and a few escapes.
    let len = prefix.len()
        + parts
            .iter()
            .map(|p| p.len() + 2 + ESCAPE_ROOM)
            .sum::<usize>();
    let mut k = Vec::with_capacity(len);
    k.extend_from_slice(prefix.as_bytes());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.extend_from_slice(&PART_SEPARATOR);
        }
        push_part(&mut k, p);
    }
    k
}

/// Like [`key`] followed by the separator: the prefix of every key below these parts.
pub fn prefix(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = key(prefix, parts);
    if !parts.is_empty() {
        k.extend_from_slice(&PART_SEPARATOR);
    }
    k
}

/// The key of the count of a listing: `cnt/{listing prefix}`, where the listing prefix is the
/// one its entries are scanned under ([`prefix`]). A listing that can grow with other
/// participants' writes keeps its count here, so that every answer listing it says how many
/// entries there are (issue 9: no listing is cut silently). The count key is outside the
/// listing's own prefix, so it is never one of its entries.
pub fn listing_count(listing: &[u8]) -> Vec<u8> {
    key("cnt/", &[listing])
}

/// Split the parts of a key that follow `prefix` (as given to [`key`] / [`prefix`], e.g. the
/// result of [`prefix`] for the leading parts) back into bytes. `None` when the key does not
/// start with `prefix` or is not in the layout.
pub fn parts_after(key: &[u8], prefix: &[u8]) -> Option<Vec<Vec<u8>>> {
    let rest = key.strip_prefix(prefix)?;
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut bytes = rest.iter();
    while let Some(&b) = bytes.next() {
        if b != 0 {
            part.push(b);
            continue;
        }
        match bytes.next() {
            Some(0x01) => parts.push(std::mem::take(&mut part)),
            Some(0xFF) => part.push(0),
            _ => return None,
        }
    }
    parts.push(part);
    Some(parts)
}

/// The last part of a key with at least two parts (after its final separator), as bytes.
pub fn last_part(key: &[u8]) -> Option<Vec<u8>> {
    // In the layout a 0x00 byte is followed by 0x01 (separator) or 0xFF (escape), so the last
    // 0x00 0x01 pair is the last separator.
    let pos = key.windows(2).rposition(|w| w == PART_SEPARATOR)?;
    let tail = key.get(pos + 2..)?;
    parts_after(tail, &[])
        .filter(|p| p.len() == 1)
        .and_then(|mut p| p.pop())
}

/// `seq/{signer}`.
pub fn sequence(signer: &PublicKey) -> Vec<u8> {
    key("seq/", &[&signer.0])
}

/// Prefix of the registry (`par/`).
pub const PARTICIPANT_PREFIX: &[u8] = b"par/";

/// `par/{key}`.
pub fn participant(pk: &PublicKey) -> Vec<u8> {
    key("par/", &[&pk.0])
}

/// Prefix of trade-relationship sides (the block cache forgets its relationship memo when a
/// write set touches it).
pub const RELATIONSHIP_PREFIX: &[u8] = b"rel/";

/// `paa/{agency}/{regulator}`: an approved regulator of the agency (ADR 0041).
pub fn regulator_in_office(agency: Agency, pk: &PublicKey) -> Vec<u8> {
    key("paa/", &[&[agency as u8], &pk.0])
}

/// Prefix of the approved regulators of an agency.
pub fn regulators_in_office(agency: Agency) -> Vec<u8> {
    prefix("paa/", &[&[agency as u8]])
}

/// `pav/{regulator}/{registered height}/{round}/{action}`: departments' votes on a decision
/// about a regulator (ADR 0041).
pub fn department_vote(pk: &PublicKey, registered: u64, round: u64, action: u8) -> Vec<u8> {
    key(
        "pav/",
        &[
            &pk.0,
            &registered.to_be_bytes(),
            &round.to_be_bytes(),
            &[action],
        ],
    )
}

/// `rel/{a}/{b}`.
pub fn relationship(a: &PublicKey, b: &PublicKey) -> Vec<u8> {
    key("rel/", &[&a.0, &b.0])
}

/// `tu/{code}`.
pub fn trace_unit(code: &NormalisedCode) -> Vec<u8> {
    key("tu/", &[code.as_bytes()])
}

/// `tui/{batch}/{item}`.
pub fn item_under_batch(batch: &NormalisedCode, item: &NormalisedCode) -> Vec<u8> {
    key("tui/", &[batch.as_bytes(), item.as_bytes()])
}

/// `rec/{tx id}`.
pub fn record(tx_id: &Hash) -> Vec<u8> {
    key("rec/", &[&tx_id.0])
}

/// `tur/{code}/{category}/{height}{tx id}`: category is a short tag such as `P2`.
pub fn unit_record(
    code: &NormalisedCode,
    category: IndexTag,
    height: u64,
    tx_id: &Hash,
) -> Vec<u8> {
    let mut last = [0u8; 40];
    last[..8].copy_from_slice(&height.to_be_bytes());
    last[8..].copy_from_slice(&tx_id.0);
    key("tur/", &[code.as_bytes(), category.as_bytes(), &last])
}

/// Prefix of every `tur/` entry of a unit and category.
pub fn unit_records_of(code: &NormalisedCode, category: IndexTag) -> Vec<u8> {
    prefix("tur/", &[code.as_bytes(), category.as_bytes()])
}

/// `tref/{code}/{category}/{reference}/{height}{tx id}`: a record of the unit carrying an
/// order, waybill or receipt reference (category `T1`, `L2`, `T2`), so that a declaration
/// finds the records of a reference without reading every record of the unit (R-B3).
pub fn unit_reference(
    code: &NormalisedCode,
    category: IndexTag,
    reference: &str,
    height: u64,
    tx_id: &Hash,
) -> Vec<u8> {
    let mut last = [0u8; 40];
    last[..8].copy_from_slice(&height.to_be_bytes());
    last[8..].copy_from_slice(&tx_id.0);
    key(
        "tref/",
        &[
            code.as_bytes(),
            category.as_bytes(),
            reference.as_bytes(),
            &last,
        ],
    )
}

/// Prefix of every `tref/` entry of a unit, category and reference.
pub fn unit_references_of(code: &NormalisedCode, category: IndexTag, reference: &str) -> Vec<u8> {
    prefix(
        "tref/",
        &[code.as_bytes(), category.as_bytes(), reference.as_bytes()],
    )
}

/// The record id at the end of a `tur/` or `tref/` key (its last part is the height, 8 bytes
/// big-endian, then the transaction id).
pub fn record_id_of(key: &[u8]) -> Option<Hash> {
    let last = last_part(key)?;
    Some(Hash(last.get(8..40)?.try_into().ok()?))
}

/// `tud/{code}`: the unit's [`tracechain_types::ListingDigest`] — how many records were written
/// about it and the running digest of their ids, in execution order — so that a client can
/// prove a listing of the unit's records complete (ADR 0050).
pub fn unit_digest(code: &NormalisedCode) -> Vec<u8> {
    key("tud/", &[code.as_bytes()])
}

/// `prv/{code}/{signer}`: the height of the first record `signer` wrote about the unit other
/// than feedback, scans and document anchors — it is a trace-service provider of the unit
/// (R-S7).
pub fn unit_provider(code: &NormalisedCode, signer: &PublicKey) -> Vec<u8> {
    key("prv/", &[code.as_bytes(), &signer.0])
}

/// Prefix of every `tur/` entry of a unit.
pub fn unit_records(code: &NormalisedCode) -> Vec<u8> {
    prefix("tur/", &[code.as_bytes()])
}

/// `dcl/{declaration number}`.
pub fn declaration(number: &str) -> Vec<u8> {
    key("dcl/", &[number.as_bytes()])
}

/// `ord/{signer}/{order ref}`.
pub fn order(signer: &PublicKey, order_ref: &str) -> Vec<u8> {
    key("ord/", &[&signer.0, order_ref.as_bytes()])
}

/// `rcp/{signer}/{receipt ref}`.
pub fn receipt(signer: &PublicKey, receipt_ref: &str) -> Vec<u8> {
    key("rcp/", &[&signer.0, receipt_ref.as_bytes()])
}
