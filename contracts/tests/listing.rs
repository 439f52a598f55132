//! Completeness of a unit's listing (ADR 0050): every record written about a trace unit moves
//! its `tud/` count and running digest, in execution order, so a client holding the records can
//! prove none was left out. The digest is checked against the `tur/` index the contracts keep
//! independently, and a refused record leaves it unchanged.

mod common;

use common::*;
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_contracts::{state_keys as keys, StateView};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{decode, Hash, ListingDigest, ListingError};

/// The unit's proven-to-be digest, as stored.
fn digest(w: &World, code: &TraceCode) -> ListingDigest {
    let n = NormalisedCode::new("c", code).unwrap();
    w.state
        .get_ref(&keys::unit_digest(&n))
        .map(|v| decode::<ListingDigest>(&v, 64).unwrap())
        .unwrap_or(ListingDigest::EMPTY)
}

/// The unit's record ids from the `tur/` index, ordered by height (one transaction per height
/// in these tests, so that is execution order).
fn indexed(w: &World, code: &TraceCode) -> Vec<Hash> {
    let n = NormalisedCode::new("c", code).unwrap();
    let mut ids: Vec<(u64, Hash)> = w
        .state
        .scan(&keys::unit_records(&n), None, 10_000)
        .into_iter()
        .map(|(k, _)| {
            let last = keys::last_part(&k).unwrap();
            let height = u64::from_be_bytes(last[..8].try_into().unwrap());
            (height, Hash(last[8..40].try_into().unwrap()))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

#[test]
fn every_record_of_a_unit_moves_its_listing_digest_in_order() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("LIST-1");
    w.unit(&cast, &code, TraceMode::Manufacturer);
    let mut ids = Vec::new();
    for (n, kind) in [K::Materials, K::Production, K::ProductFeatures]
        .into_iter()
        .enumerate()
    {
        let payload = valid_record(kind, &code, n as u64);
        ids.push(w.tx(&cast.producer, payload.clone()).id());
        w.exec(&cast.producer, payload).unwrap();
    }
    let proven = digest(&w, &code);
    let listed = indexed(&w, &code);
    // The listing the index gives checks against the digest; it ends with the three records.
    assert_eq!(proven.check(&listed), Ok(()));
    assert_eq!(proven.count as usize, listed.len());
    assert_eq!(listed[listed.len() - 3..], ids[..]);
    // A client given one record fewer, or the records out of order, finds out.
    let mut short = listed.clone();
    short.remove(1);
    assert!(matches!(
        proven.check(&short),
        Err(ListingError::Count { .. })
    ));
    let mut swapped = listed.clone();
    let last = swapped.len() - 1;
    swapped.swap(last - 1, last);
    assert!(matches!(
        proven.check(&swapped),
        Err(ListingError::Digest { .. })
    ));
}

#[test]
fn a_refused_record_leaves_the_listing_digest_unchanged() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("LIST-2");
    w.unit(&cast, &code, TraceMode::Manufacturer);
    let before = digest(&w, &code);
    assert!(before.count >= 1, "the registration is the first record");
    // A stranger's record about the unit is refused (R-A6): nothing moves.
    let stranger = w.seed(
        311,
        ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
        vec![NodeType::Producer],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    assert!(w
        .exec(&stranger, valid_record(K::Materials, &code, 0))
        .is_err());
    assert_eq!(digest(&w, &code), before);
}
