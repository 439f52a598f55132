//! GS1 company prefixes (R-I2, ADR 0042): only a brand owner, or the contract manufacturer it
//! delegated to, registers trace units under its GTINs.

mod common;

use common::*;
use tracechain_contracts::prefixes::{self, ClaimState};
use tracechain_contracts::registry::ParticipantState;
use tracechain_contracts::ErrorCode;
use tracechain_contracts::Rule;
use tracechain_types::records::*;
use tracechain_types::{Hash, ParticipantRecord, Payload, SecretKey, TraceUnitRecord};

fn squatter(w: &mut World, seed: u64) -> SecretKey {
    w.seed(
        seed,
        ParticipantCategory::TradeEntity(TradeEntityKind::TradingCompany),
        vec![NodeType::Producer, NodeType::DomesticProcurement],
        ParticipantState::Approved,
    )
}

fn register(code: TraceCode) -> Payload {
    Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
        code,
        mode: TraceMode::Full,
        product_name: "Green tea".into(),
    }))
}

fn code3(b: &str) -> TraceCode {
    TraceCode::Batch {
        gtin: GTIN3.into(),
        batch: b.into(),
    }
}

fn claim(prefix: &str) -> Payload {
    Payload::Participant(ParticipantRecord::CompanyPrefixClaim(CompanyPrefixClaim {
        prefix: prefix.into(),
        evidence: Hash::digest(b"GS1 licence certificate"),
    }))
}

fn decision(holder: &SecretKey, prefix: &str, action: PrefixAction) -> Payload {
    Payload::Participant(ParticipantRecord::CompanyPrefixDecision(
        CompanyPrefixDecision {
            holder: holder.public(),
            prefix: prefix.into(),
            action,
            reason: "licence checked with the GS1 member organisation".into(),
        },
    ))
}

fn delegation(prefix: &str, to: &SecretKey, withdraw: bool) -> Payload {
    Payload::Participant(ParticipantRecord::CompanyPrefixDelegation(
        CompanyPrefixDelegation {
            prefix: prefix.into(),
            delegate: to.public(),
            withdraw,
        },
    ))
}

/// Anyone could register another brand's GTIN + batch first; the brand then got
/// `E_DUPLICATE_TRACE_CODE` for its own code and could write none of its product records.
#[test]
fn r_i2_attack_nobody_registers_another_brands_gtin() {
    let mut w = World::new();
    let cast = w.cast();
    let rival = squatter(&mut w, 700);
    let e = w.exec(&rival, register(batch("LOT-1"))).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RI2, ErrorCode::NotOwner), "{e}");
    assert!(e.names("code.gtin"), "{e}");
    // a GTIN under no approved prefix is nobody's to register yet
    let e = w.exec(&rival, register(code3("LOT-1"))).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RI2, ErrorCode::NotOwner), "{e}");
    // the brand registers its own code
    w.exec(&cast.producer, register(batch("LOT-1")))
        .expect("the brand owner registers its GTIN");
}

/// A squatter's claim, filed first, neither blocks the brand's claim nor can be approved
/// beside it; nor can a claim overlapping an approved prefix (shorter or longer).
#[test]
fn r_i2_attack_a_squatters_claim_does_not_block_the_brand() {
    let mut w = World::new();
    let cast = w.cast();
    let brand = squatter(&mut w, 701);
    let rival = squatter(&mut w, 702);
    w.exec(&rival, claim(PREFIX3)).unwrap();
    w.exec(&brand, claim(PREFIX3))
        .expect("a pending claim by someone else does not block");
    let e = w.exec(&brand, claim(PREFIX3)).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::AlreadyExists,
        "one live claim per claimant"
    );
    w.exec(
        &cast.regulator,
        decision(&brand, PREFIX3, PrefixAction::Approve),
    )
    .unwrap();
    assert_eq!(prefixes::holder(&w.state, PREFIX3), Some(brand.public()));
    let e = w
        .exec(
            &cast.regulator,
            decision(&rival, PREFIX3, PrefixAction::Approve),
        )
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RI2, ErrorCode::AlreadyExists),
        "{e}"
    );
    for overlapping in ["501234", "50123456"] {
        w.exec(&rival, claim(overlapping)).unwrap();
        let e = w
            .exec(
                &cast.regulator,
                decision(&rival, overlapping, PrefixAction::Approve),
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::AlreadyExists, "{overlapping}: {e}");
    }
    w.exec(
        &cast.regulator,
        decision(&rival, PREFIX3, PrefixAction::Reject),
    )
    .unwrap();
    assert_eq!(
        prefixes::claim_of(&w.state, PREFIX3, &rival.public()).map(|c| c.state),
        Some(ClaimState::Rejected)
    );
    w.exec(&brand, register(code3("B-1"))).unwrap();
    let e = w.exec(&rival, register(code3("B-2"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner, "{e}");
    // the brand's licence lapses: it registers no new units under the prefix
    w.exec(
        &cast.regulator,
        decision(&brand, PREFIX3, PrefixAction::Revoke),
    )
    .unwrap();
    let e = w.exec(&brand, register(code3("B-3"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner, "{e}");
}

/// Contract manufacturing: the holder delegates its prefix; only it can, and it can withdraw.
#[test]
fn r_i2_a_contract_manufacturer_registers_under_a_delegated_prefix() {
    let mut w = World::new();
    let cast = w.cast();
    let maker = squatter(&mut w, 703);
    let e = w.exec(&maker, register(batch("OEM-1"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner);
    let e = w
        .exec(&maker, delegation(PREFIX, &maker, false))
        .unwrap_err();
    assert_eq!(
        (e.rule, e.code),
        (Rule::RI2, ErrorCode::NotOwner),
        "only the holder delegates"
    );
    w.exec(&cast.producer, delegation(PREFIX, &maker, false))
        .unwrap();
    w.exec(&maker, register(batch("OEM-1")))
        .expect("the delegate registers under the brand's prefix");
    w.exec(&cast.producer, delegation(PREFIX, &maker, true))
        .unwrap();
    let e = w.exec(&maker, register(batch("OEM-2"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotOwner, "withdrawn");
    let e = w
        .exec(&cast.producer, delegation(PREFIX, &maker, true))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

/// Claims are well formed: 4–12 digits and evidence.
#[test]
fn r_i2_company_prefix_claims_are_digits_with_evidence() {
    let mut w = World::new();
    let cast = w.cast();
    for bad in ["123", "1234567890123", "69O1234", ""] {
        let e = w.exec(&cast.producer, claim(bad)).unwrap_err();
        assert_eq!(
            (e.rule, e.code),
            (Rule::RI2, ErrorCode::MalformedItem),
            "{bad}: {e}"
        );
    }
    let e = w
        .exec(
            &cast.producer,
            Payload::Participant(ParticipantRecord::CompanyPrefixClaim(CompanyPrefixClaim {
                prefix: "7012345".into(),
                evidence: Hash::ZERO,
            })),
        )
        .unwrap_err();
    assert!(e.names("evidence"), "{e}");
}
