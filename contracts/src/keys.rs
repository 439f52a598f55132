//! The state key layout: one ASCII prefix per table or index, then hex-encoded key parts
//! separated by `/`. Hex keeps every part free of `/`, so prefix scans never mix two keys
//! (a GS1 batch may itself contain `/`). Every value is a canonical (Borsh) encoding of the
//! type named here.
//!
//! | prefix | key parts | value | owner |
//! |---|---|---|---|
//! | `seq/` | signer | `u64` next sequence | exec |
//! | `par/` | participant key | [`crate::registry::Participant`] | registry |
//! | `rel/` | signer `/` counterparty | [`crate::registry::RelationshipSide`] | registry |
//! | `tu/` | trace code | [`crate::trace::TraceUnit`] | trace |
//! | `tui/` | batch code `/` item code | `()` item under batch | trace |
//! | `rec/` | tx id | [`crate::exec::RecordEnvelope`] | every record kind |
//! | `tur/` | trace code `/` category `/` height (16 hex) tx id | `()` records of a unit | blocks (and B kinds that concern units) |
//! | `dcl/` | declaration number | [`crate::blocks::CustomsDeclarationState`] | blocks |
//! | `ord/` | signer `/` order ref | tx id | blocks (R-T1) |
//! | `rcp/` | signer `/` receipt ref | tx id | blocks (R-T2) |
//! | `lin/`, `agg/`, `shp/` | — | — | lineage (part B) |
//! | `fil/`, `exd/` | — | — | cbeac (part B) |
//! | `auth/`, `lnk/` | — | — | closed_loop (part B) |
//! | `doc/` | — | — | documents (part B) |
//! | `rcl/` | — | — | recall (part B) |
//! | `scn/` | — | — | scan (part B) |
//! | `sen/` | — | — | sensor (part B) |
//! | `fb/` | — | — | feedback (part B) |
//! | `val/` | — | — | validators (part B) |
//! | `alert/` | — | — | alerts of sensor and scan (part B) |
//!
//! A module owns its prefixes: only it writes them; any module may read them.

use tracechain_types::{Hash, PublicKey};

use crate::codes::NormalisedCode;

/// Lower-case hex digits, indexed by nibble.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Append the lower-case hex form of `bytes` to `out` (the same text as `hex::encode`,
/// written in place: keys are built on every transaction, see docs/benchmarks.md).
pub fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(HEX_DIGITS[usize::from(b >> 4)]);
        out.push(HEX_DIGITS[usize::from(b & 0x0f)]);
    }
}

/// Build a key from a prefix and hex-encoded parts joined by `/`.
pub fn key(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let len = prefix.len() + parts.iter().map(|p| p.len() * 2 + 1).sum::<usize>() + 1;
    let mut k = Vec::with_capacity(len);
    k.extend_from_slice(prefix.as_bytes());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(b'/');
        }
        push_hex(&mut k, p);
    }
    k
}

/// Like [`key`] with a trailing `/`: the prefix of every key below these parts.
pub fn prefix(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = key(prefix, parts);
    if !parts.is_empty() {
        k.push(b'/');
    }
    k
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
pub fn unit_record(code: &NormalisedCode, category: &str, height: u64, tx_id: &Hash) -> Vec<u8> {
    let mut last = [0u8; 40];
    last[..8].copy_from_slice(&height.to_be_bytes());
    last[8..].copy_from_slice(&tx_id.0);
    key("tur/", &[code.as_bytes(), category.as_bytes(), &last])
}

/// Prefix of every `tur/` entry of a unit and category.
pub fn unit_records_of(code: &NormalisedCode, category: &str) -> Vec<u8> {
    prefix("tur/", &[code.as_bytes(), category.as_bytes()])
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

/// Split the last hex part of a key (after the final `/`) back into bytes.
pub fn last_part(key: &[u8]) -> Option<Vec<u8>> {
    let pos = key.iter().rposition(|b| *b == b'/')?;
    hex::decode(key.get(pos + 1..)?).ok()
}
