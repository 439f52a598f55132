//! Privacy canary (R-A5, ADRs 0024, 0043, 0046): a marker placed in every personal field of
//! every kind that has one never appears in state (records, indexes, any value or key) nor in
//! the public read answers. Personal fields are salted commitments; a field turned back into
//! clear text, or a new one added in clear, makes this test fail.

mod common;

use common::*;
use tracechain_contracts::query::trajectory::trajectory;
use tracechain_contracts::registry::ParticipantState;
use tracechain_contracts::{completeness, documents, scan, trace};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    CbeacRecord, ConsumerRecord, Hash, InfoBlockRecord, ParticipantRecord, Payload, TraceUnitRecord,
};

const MARKER: &str = "CANARY-Zhang-San-13800000000";

fn private() -> Commitment {
    Commitment::compute(&[9u8; 32], MARKER.as_bytes())
}

fn contains(hay: &[u8]) -> bool {
    hay.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

#[test]
fn privacy_attack_a_marker_in_every_personal_field_never_appears_in_clear() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("PRIV-1");
    w.unit(&cast, &code, TraceMode::Full);
    w.exec(
        &cast.producer,
        Payload::TraceUnit(TraceUnitRecord::RegisterItemCodes(ItemCodesRegistration {
            batch: code.clone(),
            serials: vec!["P1".into()],
        })),
    )
    .unwrap();
    let item = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "P1".into(),
    };
    let p = private();
    let mut records = Vec::new();
    for kind in BLOCK_KINDS {
        let mut r = valid_record(kind, &code, 1);
        match &mut r {
            Payload::InfoBlock(InfoBlockRecord::Materials(x)) => x.supplier_contact = Some(p),
            Payload::InfoBlock(InfoBlockRecord::Production(x)) => x.contact = Some(p),
            Payload::InfoBlock(InfoBlockRecord::Order(x)) => {
                x.shipping_address = Some(p);
                x.consignee = Some(p);
                x.consignee_contact = Some(p);
            }
            Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(x)) => x.payee = Some(p),
            Payload::InfoBlock(InfoBlockRecord::Transport(x)) => {
                x.shipper = Some(p);
                x.destination = Some(Place::Private(p));
            }
            Payload::InfoBlock(InfoBlockRecord::Delivery(x)) => {
                x.deliverer = Some(p);
                x.receiver = Some(p);
                x.receiving_location = Some(p);
            }
            Payload::InfoBlock(InfoBlockRecord::DeliveryException(x)) => x.description = Some(p),
            _ => {}
        }
        records.push((kind, r));
    }
    for (kind, r) in records {
        w.exec(cast.writer(kind), r)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
    // A self-declared overseas delivery (R-B4): its note and its record's personal fields.
    w.filed(&cast.trader);
    let mut d = match valid_record(K::Delivery, &code, 3) {
        Payload::InfoBlock(InfoBlockRecord::Delivery(x)) => x,
        _ => unreachable!(),
    };
    d.deliverer = Some(p);
    d.receiver = Some(p);
    d.receiving_location = Some(p);
    w.exec(
        &cast.trader,
        Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
            record: InfoBlockRecord::Delivery(d),
            reason: SelfDeclaredReason::PartyNotConnected,
            note: Some(p),
        })),
    )
    .unwrap();
    // a consumer registered as a natural person scans the item
    let consumer = key(4711);
    let mut reg = registration(ParticipantCategory::ConsumerOrOther, vec![]);
    reg.identity = Identity::NaturalPerson { commitment: p };
    w.exec(
        &consumer,
        Payload::Participant(ParticipantRecord::RegisterParticipant(reg)),
    )
    .unwrap();
    w.exec(
        &cast.regulator,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: consumer.public(),
                action: ParticipantAction::Approve,
                reason: "consumer".into(),
            },
        )),
    )
    .unwrap();
    assert_eq!(
        tracechain_contracts::registry::load(&w.state, &consumer.public())
            .unwrap()
            .state,
        ParticipantState::Approved
    );
    w.exec(
        &consumer,
        Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
            code: item.clone(),
            scanner_tag: Hash::ZERO,
            country: "NL".into(),
            coarse_lat_e2: None,
            coarse_lon_e2: None,
        })),
    )
    .unwrap();

    // nowhere in state: no key, no value
    let mut entries = 0;
    for (k, v) in w.state.entries() {
        entries += 1;
        assert!(!contains(k) && !contains(v), "marker stored under {k:?}");
    }
    assert!(
        entries > 50,
        "the flow wrote its records ({entries} entries)"
    );
    // nor in the public answers
    let answers = format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}",
        trace::lookup(&w.state, &code),
        trace::lookup(&w.state, &item),
        trajectory(&w.state, &code),
        scan::verdict(&w.state, &item),
        completeness::report(&w.state, &code),
        documents::documents_of(&w.state, &code),
    );
    assert!(!answers.contains(MARKER));
    // the commitment is there and opens with the salt and the clear value, off chain
    assert!(p.verify(&[9u8; 32], MARKER.as_bytes()));
    // control: the same search finds the marker once it is written in a clear field
    let mut clear = match valid_record(K::Warehousing, &code, 2) {
        Payload::InfoBlock(InfoBlockRecord::Warehousing(x)) => x,
        _ => unreachable!(),
    };
    clear.storage_mode = Some(MARKER.into());
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Warehousing(clear)),
    )
    .unwrap();
    assert!(w.state.entries().any(|(_, v)| contains(v)));
}
