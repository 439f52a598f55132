//! The binary key layout (ADR 0023): `state_keys::key` is injective and keeps the tuple order of
//! its parts, `state_keys::prefix` of leading parts is a byte prefix of exactly the keys that
//! extend them, and `state_keys::parts_after` / `state_keys::last_part` give the parts back. Parts are
//! drawn with many `0x00`, `0x01` and `0xFF` bytes, the bytes the escaping is about.

use proptest::prelude::*;
use tracechain_contracts::state_keys;

fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0x00u8),
        Just(0x01u8),
        Just(0xFFu8),
        Just(0xFEu8),
        any::<u8>()
    ]
}

fn part() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(byte(), 0..6)
}

fn parts() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(part(), 1..4)
}

fn build(p: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = p.iter().map(Vec::as_slice).collect();
    state_keys::key("t/", &refs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn r_d4_key_layout_is_injective_and_round_trips(a in parts(), b in parts()) {
        let (ka, kb) = (build(&a), build(&b));
        prop_assert_eq!(ka == kb, a == b, "{:?} {:?}", a, b);
        prop_assert_eq!(state_keys::parts_after(&ka, b"t/"), Some(a.clone()));
        if a.len() >= 2 {
            prop_assert_eq!(state_keys::last_part(&ka), a.last().cloned());
        }
    }

    #[test]
    fn r_d4_key_layout_keeps_tuple_order(a in parts(), b in parts()) {
        // Same arity, as within one table: byte order of keys = lexicographic tuple order.
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        prop_assert_eq!(build(a).cmp(&build(b)), a.cmp(b), "{:?} {:?}", a, b);
    }

    #[test]
    fn r_d4_key_prefix_selects_exactly_the_extensions(lead in parts(), full in parts()) {
        let refs: Vec<&[u8]> = lead.iter().map(Vec::as_slice).collect();
        let p = state_keys::prefix("t/", &refs);
        let k = build(&full);
        let extends = full.len() > lead.len() && full[..lead.len()] == lead[..];
        prop_assert_eq!(k.starts_with(&p), extends, "{:?} {:?}", lead, full);
    }
}
