//! Documents (R-S1), consumer scans (R-S4), trajectory (R-S5), sensor alerts (R-S6) and
//! feedback (R-S7).

mod common;
mod support;

use common::*;
use support::*;
use tracechain_contracts::query::trajectory::{trajectory, trajectory_at, Precision};
use tracechain_contracts::scan::{self, ScanAlert};
use tracechain_contracts::IndexTag;
use tracechain_contracts::Rule;
use tracechain_contracts::{documents, feedback, sensor, ErrorCode};
use tracechain_types::payload::PayloadKind as K;
use tracechain_types::records::*;
use tracechain_types::{
    Category, CbeacRecord, ConsumerRecord, DocumentRecord, Hash, InfoBlockRecord, Payload,
};

fn anchor(doc: &[u8], codes: Vec<TraceCode>, until: Option<&str>) -> Payload {
    Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
        document_hash: Hash::digest(doc),
        document_type: DocumentType::SanitaryCertificate,
        valid_from: "2024-05-01".into(),
        valid_until: until.map(str::to_string),
        trace_codes: codes,
    }))
}

const MAY_2: i64 = 1_714_608_000_000; // 2024-05-02T00:00:00Z
const JUL_1: i64 = 1_719_792_000_000; // 2024-07-01T00:00:00Z

#[test]
fn r_s1_document_verification_in_one_call() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("DOC-1");
    w.unit(&cast, &code, TraceMode::Full);
    let doc = b"%PDF sanitary certificate 2024-0001";
    // the cast's regulator is of the customs department: competent for sanitary certificates
    w.exec(
        &cast.regulator,
        anchor(doc, vec![code.clone()], Some("2024-06-30")),
    )
    .unwrap();
    let v = documents::verify_bytes(&w.state, doc, MAY_2);
    assert!(v.valid, "{v:?}");
    assert_eq!(v.anchors.len(), 1);
    let a = v.relied_on().expect("a competent, valid anchor");
    assert_eq!(a.anchor.issuer, cast.regulator.public());
    assert_eq!(a.anchor.document_type, DocumentType::SanitaryCertificate);
    assert!(a.competent && a.anchor.height > 0 && a.anchor.timestamp_ms > 0);
    assert_eq!(
        a.covered_units,
        vec!["https://id.gs1.org/01/06901234567892/10/DOC-1".to_string()]
    );
    assert_eq!(
        a.issuer_name.as_deref(),
        Some("Ningbo Example Export Co., Ltd.")
    );
    // expired later
    let v = documents::verify_bytes(&w.state, doc, JUL_1);
    assert!(v.anchors[0].expired && !v.valid);
    // before its validity
    assert!(documents::verify_bytes(&w.state, doc, 0).anchors[0].not_yet_valid);
    // a forged document is not anchored
    let v = documents::verify_bytes(&w.state, b"forged", MAY_2);
    assert!(v.anchors.is_empty() && !v.valid);
    // listed under the unit
    assert_eq!(documents::documents_of(&w.state, &code).len(), 1);
}

#[test]
fn r_s1_only_the_issuer_revokes_once_and_revoked_documents_do_not_verify() {
    let mut w = World::new();
    let cast = w.cast();
    let doc = b"sanitary certificate 77";
    w.exec(&cast.regulator, anchor(doc, vec![], None)).unwrap();
    let revoke = |reason: &str| {
        Payload::Document(DocumentRecord::DocumentRevocation(DocumentRevocation {
            document_hash: Hash::digest(doc),
            reason: reason.into(),
        }))
    };
    let e = w.exec(&cast.trader, revoke("not mine")).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS1, ErrorCode::NotOwner));
    let e = w.exec(&cast.regulator, revoke("")).unwrap_err();
    assert!(e.names("reason"));
    w.exec(&cast.regulator, revoke("issued in error")).unwrap();
    let v = documents::verify_bytes(&w.state, doc, i64::MAX);
    assert!(v.anchors[0].revoked && !v.valid);
    assert_eq!(
        v.anchors[0].anchor.revoked.as_ref().unwrap().reason,
        "issued in error"
    );
    let e = w.exec(&cast.regulator, revoke("again")).unwrap_err();
    assert_eq!(e.code, ErrorCode::RevokedOrExpired);
    // the issuer cannot anchor the same hash twice
    let e = w
        .exec(&cast.regulator, anchor(doc, vec![], None))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    let e = w
        .exec(
            &cast.regulator,
            Payload::Document(DocumentRecord::DocumentRevocation(DocumentRevocation {
                document_hash: Hash::digest(b"never anchored"),
                reason: "x".into(),
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

/// The first to anchor a hash owned it: an exporter holding a laboratory's report could
/// anchor it first, and the laboratory could then not anchor its own report. Anchors are now
/// (hash, issuer), each type names its competent issuers, and verification relies only on a
/// competent issuer's anchor, listed first (ADR 0044).
#[test]
fn r_s1_attack_a_holder_cannot_squat_a_laboratorys_report() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("LAB-1");
    w.unit(&cast, &code, TraceMode::Full);
    let lab = w.seed(
        640,
        ParticipantCategory::ConsumerOrOther,
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let report = b"%PDF pesticide residue test report 2024-118";
    let test_report = |codes: Vec<TraceCode>| {
        Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
            document_hash: Hash::digest(report),
            document_type: DocumentType::TestReport,
            valid_from: "2024-05-01".into(),
            valid_until: None,
            trace_codes: codes,
        }))
    };
    w.exec(&cast.producer, test_report(vec![code.clone()]))
        .unwrap();
    let v = documents::verify_bytes(&w.state, report, MAY_2);
    assert!(
        !v.valid,
        "a producer is not competent for test reports: {v:?}"
    );
    assert!(!v.anchors[0].competent && v.anchors[0].valid);
    w.exec(&lab, test_report(vec![code.clone()]))
        .expect("the laboratory anchors its own report");
    // anchors by participants not competent cannot push the laboratory's out of the answer
    for seed in 641..641 + documents::MAX_ANCHORS_LISTED as u64 {
        let k = w.seed(
            seed,
            ParticipantCategory::Logistics,
            vec![NodeType::TallyPicking],
            tracechain_contracts::registry::ParticipantState::Approved,
        );
        w.exec(&k, test_report(vec![])).unwrap();
    }
    let v = documents::verify_bytes(&w.state, report, MAY_2);
    assert!(v.valid && v.more, "{:?}", v.anchors.len());
    assert_eq!(v.anchors.len(), documents::MAX_ANCHORS_LISTED);
    let relied = v.relied_on().unwrap();
    assert_eq!(relied.anchor.issuer, lab.public());
    assert_eq!(
        v.anchors[0].anchor.issuer,
        lab.public(),
        "competent issuers first"
    );
}

/// Anchoring any document of a unit made the anchoring participant a "trace-service provider"
/// of it, allowed to answer its consumers' feedback (R-S7).
#[test]
fn r_s7_attack_anchoring_a_document_does_not_make_a_feedback_provider() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("FBK-1");
    w.unit(&cast, &code, TraceMode::Full);
    let who = consumer(&mut w, 650);
    w.exec(
        &who,
        Payload::Consumer(ConsumerRecord::Feedback(Feedback {
            feedback_ref: "FB-1".into(),
            code: code.clone(),
            text: "is this genuine?".into(),
        })),
    )
    .unwrap();
    let outsider = w.seed(
        651,
        ParticipantCategory::Logistics,
        vec![NodeType::TallyPicking],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    w.exec(
        &outsider,
        anchor(b"a note about FBK-1", vec![code.clone()], None),
    )
    .unwrap();
    let e = w
        .exec(
            &outsider,
            Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
                author: who.public(),
                feedback_ref: "FB-1".into(),
                text: "yes, genuine".into(),
            })),
        )
        .unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS7, ErrorCode::NotOwner), "{e}");
}

#[test]
fn r_s1_anchor_names_every_bad_field() {
    let mut w = World::new();
    let cast = w.cast();
    let e = w
        .exec(
            &cast.producer,
            Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                document_hash: Hash::ZERO,
                document_type: DocumentType::TestReport,
                valid_from: "2024-13-01".into(),
                valid_until: Some("2023-01-01".into()),
                trace_codes: vec![batch("NOT-REGISTERED")],
            })),
        )
        .unwrap_err();
    assert_eq!(e.rule, Rule::RS1);
    for f in ["document_hash", "valid_from", "trace_codes[0]"] {
        assert!(e.names(f), "{f}: {e}");
    }
    let e = w
        .exec(&cast.producer, anchor(b"x", vec![], Some("2024-04-01")))
        .unwrap_err();
    assert!(e.names("valid_until"), "until before from: {e}");
}

fn scan_at(code: &TraceCode, country: &str, pos: Option<(i16, i16)>) -> Payload {
    Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
        code: code.clone(),
        scanner_tag: Hash::ZERO,
        country: country.into(),
        coarse_lat_e2: pos.map(|p| p.0),
        coarse_lon_e2: pos.map(|p| p.1),
    }))
}

#[test]
fn r_s4_scan_verdict_counts_first_time_and_alerts_over_threshold() {
    let mut c = supply_chain();
    let a1 = item("A1"); // shipped to NL on SSCC 1
    let amsterdam = Some((5237, 490));
    let first_block = c.w.height;
    for seed in 600..605 {
        let who = consumer(&mut c.w, seed);
        c.w.exec(&who, scan_at(&a1, "NL", amsterdam)).unwrap();
    }
    let v = scan::verdict(&c.w.state, &a1).unwrap();
    assert_eq!((v.count, v.scanners), (5, 5));
    assert_eq!(
        v.first_scan_ms,
        Some(ctx(first_block).timestamp_ms),
        "the block's time"
    );
    assert_eq!(v.destinations, vec!["NL".to_string()]);
    assert!(
        v.alerts.is_empty() && !v.suspicious && v.why.is_empty(),
        "{v:?}"
    );
    let sixth = consumer(&mut c.w, 605);
    c.w.exec(&sixth, scan_at(&a1, "NL", amsterdam)).unwrap();
    let v = scan::verdict(&c.w.state, &a1).unwrap();
    assert_eq!((v.count, v.scanners), (6, 6));
    assert!(v.suspicious);
    let too_many = ScanAlert::TooManyScans {
        count: 6,
        threshold: 5,
    };
    assert_eq!(v.alerts, vec![too_many.clone()]);
    assert_eq!(v.why, vec![too_many], "the verdict says why");
    // visible to the brand (the unit's registrant)
    let brand = scan::brand_alerts(&c.w.state, &c.cast.producer.public());
    assert_eq!(brand.len(), 1);
    assert_eq!(brand[0].scan.number, 6);
}

/// One consumer scanning a genuine item six times marked it suspicious for ever; and the scan
/// time was whatever the scanner claimed (1970 was accepted). Repeated scans of one scanner
/// now count once and the time is the block's (ADR 0043).
#[test]
fn r_s4_attack_one_scanner_repeating_scans_does_not_make_a_genuine_item_suspicious() {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 610);
    let a1 = item("A1");
    for _ in 0..10 {
        c.w.exec(&who, scan_at(&a1, "NL", None)).unwrap();
    }
    let v = scan::verdict(&c.w.state, &a1).unwrap();
    assert_eq!((v.count, v.scanners), (10, 1));
    assert!(
        !v.suspicious && v.alerts.is_empty() && v.why.is_empty(),
        "{v:?}"
    );
    assert!(v.scans.iter().skip(1).all(|s| s.repeat) && !v.scans[0].repeat);
    assert!(
        v.scans.windows(2).all(|w| w[0].time_ms < w[1].time_ms),
        "block times"
    );
}

/// The platform operator's scanning service submits for anonymous consumers with a per-item
/// device pseudonym: one device counts once, a missing tag is refused, and a consumer signing
/// its own scan cannot choose its tag (ADR 0043).
#[test]
fn r_s4_attack_scanner_tags_count_devices_once_and_cannot_be_chosen_by_consumers() {
    let mut c = supply_chain();
    let service = c.w.seed(
        620,
        ParticipantCategory::PlatformOperator,
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let a1 = item("A1");
    let tagged = |tag: Hash| {
        Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
            code: a1.clone(),
            scanner_tag: tag,
            country: "NL".into(),
            coarse_lat_e2: None,
            coarse_lon_e2: None,
        }))
    };
    let e = c.w.exec(&service, tagged(Hash::ZERO)).unwrap_err();
    assert!(e.names("scanner_tag"), "{e}");
    let device = Hash::digest(b"device 1 / A1");
    for _ in 0..3 {
        c.w.exec(&service, tagged(device)).unwrap();
    }
    c.w.exec(&service, tagged(Hash::digest(b"device 2 / A1")))
        .unwrap();
    let v = scan::verdict(&c.w.state, &a1).unwrap();
    assert_eq!((v.count, v.scanners), (4, 2));
    let who = consumer(&mut c.w, 621);
    let e = c.w.exec(&who, tagged(device)).unwrap_err();
    assert!(e.names("scanner_tag"), "{e}");
}

/// A consumer's scans of two items cannot be linked from the stored scans: the entries carry a
/// per-item tag, never the consumer's key (R-A5, ADR 0043).
#[test]
fn r_s4_attack_a_consumers_scans_of_two_items_are_not_linkable() {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 630);
    let (a1, a2) = (item("A1"), item("A2"));
    c.w.exec(&who, scan_at(&a1, "NL", None)).unwrap();
    c.w.exec(&who, scan_at(&a2, "NL", None)).unwrap();
    let s1 = scan::verdict(&c.w.state, &a1).unwrap().scans.remove(0);
    let s2 = scan::verdict(&c.w.state, &a2).unwrap().scans.remove(0);
    assert_ne!(s1.scanner_tag, s2.scanner_tag);
    let key = who.public().0;
    for s in [&s1, &s2] {
        let bytes = tracechain_types::encode(s);
        assert!(
            !bytes.windows(32).any(|w| w == key),
            "the scanner's key is stored"
        );
    }
}

#[test]
fn r_s4_scan_far_from_destination_or_previous_scan_raises_alert() {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 601);
    let a3 = item("A3"); // shipped to DE on SSCC 2
    c.w.exec(&who, scan_at(&a3, "DE", Some((5252, 1340))))
        .unwrap(); // Berlin
    assert!(scan::verdict(&c.w.state, &a3).unwrap().alerts.is_empty());
    c.w.exec(&who, scan_at(&a3, "DE", Some((4814, 1158))))
        .unwrap(); // Munich, ~500 km: fine
    assert!(scan::verdict(&c.w.state, &a3).unwrap().alerts.is_empty());
    c.w.exec(&who, scan_at(&a3, "CN", Some((3123, 12147))))
        .unwrap(); // Shanghai
    let v = scan::verdict(&c.w.state, &a3).unwrap();
    assert_eq!(v.alerts.len(), 2, "{:?}", v.alerts);
    assert!(matches!(
        &v.alerts[0],
        ScanAlert::OutsideDestination { country, destinations }
            if country == "CN" && destinations == &vec!["DE".to_string()]
    ));
    assert!(matches!(v.alerts[1], ScanAlert::FarFromPrevious { km, .. } if km > 8000));
}

#[test]
fn r_s4_scan_distance_is_integer_and_close_to_great_circle() {
    // Berlin – Munich ≈ 504 km, Berlin – Shanghai ≈ 8 400 km (equirectangular over-estimates
    // long east-west arcs; the threshold only needs the order of magnitude).
    let bm = scan::distance_km((5252, 1340), (4814, 1158));
    assert!((480..=530).contains(&bm), "{bm}");
    assert_eq!(scan::distance_km((100, 200), (100, 200)), 0);
    let anti = scan::distance_km((0, 17999), (0, -17999));
    assert!(anti < 5, "date line wraps: {anti}");
}

#[test]
fn r_s4_scans_only_of_registered_item_codes_with_valid_location() {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 602);
    let e = c.w.exec(&who, scan_at(&c.pa, "NL", None)).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS4, ErrorCode::MalformedItem));
    let e =
        c.w.exec(&who, scan_at(&item("ZZ"), "NL", None))
            .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownTraceUnit);
    let e =
        c.w.exec(
            &who,
            Payload::Consumer(ConsumerRecord::ConsumerScan(ConsumerScan {
                code: item("A1"),
                scanner_tag: Hash::ZERO,
                country: "Holland".into(),
                coarse_lat_e2: Some(9100),
                coarse_lon_e2: None,
            })),
        )
        .unwrap_err();
    for f in ["country", "coarse_lat_e2", "coarse_lon_e2"] {
        assert!(e.names(f), "{f}: {e}");
    }
}

#[test]
fn r_s5_trajectory_orders_positions_of_a_unit_and_its_batch() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("TRJ");
    w.unit(&cast, &b, TraceMode::Full);
    register_items(&mut w, &cast, &b, &["T1"]);
    let pos = |t: &str, lat: i32| Position {
        time: t.into(),
        lat_e7: lat,
        lon_e7: 1_215_440_000,
        system: PositioningSystem::Bds,
    };
    // recorded out of order, on the batch and on the item
    let mut late = match valid_record(K::Transport, &item("T1"), 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(r)) => r,
        _ => unreachable!(),
    };
    late.positions = vec![
        pos("2024-05-03T00:00:00Z", 3),
        pos("2024-05-02T00:00:00Z", 2),
    ];
    late.sensor_readings.clear();
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(late)),
    )
    .unwrap();
    let mut early = match valid_record(K::Tally, &b, 1) {
        Payload::InfoBlock(InfoBlockRecord::Tally(r)) => r,
        _ => unreachable!(),
    };
    early.positions = vec![pos("2024-05-01T00:00:00+08:00", 1)];
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Tally(early)),
    )
    .unwrap();
    let t = trajectory_at(&w.state, &item("T1"), Precision::Exact).unwrap();
    let lats: Vec<i32> = t.points.iter().map(|p| p.position.lat_e7).collect();
    assert_eq!(lats, vec![1, 2, 3]);
    assert_eq!(t.points[0].category, IndexTag::Info(Category::L1));
    assert!(!t.truncated);
    // the batch's own trajectory has only the batch's records
    assert_eq!(trajectory(&w.state, &b).unwrap().points.len(), 1);
}

#[test]
fn r_s6_readings_outside_the_declared_range_raise_alerts() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("COLD");
    w.unit(&cast, &b, TraceMode::Full);
    register_items(&mut w, &cast, &b, &["C1"]);
    // declared range 0..25 °C, humidity ≤ 60 % (valid_record's product features)
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &b, 1))
        .unwrap();
    let mut t = match valid_record(K::Transport, &item("C1"), 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(r)) => r,
        _ => unreachable!(),
    };
    let reading = |time: &str, c: i32, h: u16| SensorReading {
        time: time.into(),
        temperature_centi_c: Some(c),
        humidity_bp: Some(h),
    };
    t.sensor_readings = vec![
        reading("2024-05-01T00:00:00Z", 1800, 5000),
        reading("2024-05-01T01:00:00Z", 3100, 5000),
        reading("2024-05-01T02:00:00Z", -150, 7000),
    ];
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(t.clone())),
    )
    .unwrap();
    let alerts = sensor::sensor_alerts(&w.state, &item("C1"));
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.excursion_count, 3);
    let bounds: Vec<sensor::Bound> = a.excursions.iter().map(|x| x.bound).collect();
    assert_eq!(
        bounds,
        vec![
            sensor::Bound::TemperatureHigh,
            sensor::Bound::TemperatureLow,
            sensor::Bound::HumidityHigh
        ]
    );
    assert_eq!(a.category, "L2");
    assert_eq!(
        sensor::brand_sensor_alerts(&w.state, &cast.producer.public()).len(),
        1
    );
    let c1 = tracechain_contracts::trace_codes::NormalisedCode::new("c", &item("C1")).unwrap();
    assert_eq!(sensor::unit_alert_count(&w.state, &c1), 1);
    assert_eq!(
        sensor::brand_sensor_alert_count(&w.state, &cast.producer.public()),
        1
    );
    // readings within range: no alert; the record is never refused for its readings
    t.sensor_readings = vec![reading("2024-05-02T00:00:00Z", 2000, 4000)];
    t.waybill = Some("WB-2".into());
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(t)),
    )
    .unwrap();
    assert_eq!(sensor::sensor_alerts(&w.state, &item("C1")).len(), 1);
    // a unit without a declared range raises none
    let other = batch("NORANGE");
    w.unit(&cast, &other, TraceMode::Full);
    let mut wh = match valid_record(K::Warehousing, &other, 1) {
        Payload::InfoBlock(InfoBlockRecord::Warehousing(r)) => r,
        _ => unreachable!(),
    };
    wh.sensor_readings = vec![reading("2024-05-01T00:00:00Z", 9000, 9000)];
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Warehousing(wh)),
    )
    .unwrap();
    assert!(sensor::sensor_alerts(&w.state, &other).is_empty());
}

#[test]
fn r_s7_feedback_is_answered_by_the_units_service_provider() {
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 603);
    let fb = Payload::Consumer(ConsumerRecord::Feedback(Feedback {
        feedback_ref: "FB-1".into(),
        code: item("A1"),
        text: "seal was broken".into(),
    }));
    c.w.exec(&who, fb.clone()).unwrap();
    let e = c.w.exec(&who, fb).unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    let ans = |t: &str| {
        Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
            author: who.public(),
            feedback_ref: "FB-1".into(),
            text: t.into(),
        }))
    };
    // a logistics company that never handled A1's units may not answer
    let stranger = c.w.seed(
        700,
        ParticipantCategory::Logistics,
        vec![NodeType::TallyPicking],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    let e = c.w.exec(&stranger, ans("no idea")).unwrap_err();
    assert_eq!((e.rule, e.code), (Rule::RS7, ErrorCode::NotOwner));
    // the producer (registrant of A1's batch) and the warehouse operator answer
    c.w.exec(&c.cast.producer, ans("we will replace it"))
        .unwrap();
    c.w.exec(&c.cast.logistics, ans("damaged in transit, see R-L5"))
        .unwrap();
    let f = feedback::load(&c.w.state, &who.public(), "FB-1").unwrap();
    assert_eq!(f.answers.len(), 2);
    assert_eq!(f.answers[0].provider, c.cast.producer.public());
    let e =
        c.w.exec(
            &who,
            Payload::Consumer(ConsumerRecord::Feedback(Feedback {
                feedback_ref: "FB-2".into(),
                code: item("NOPE"),
                text: "x".into(),
            })),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnknownTraceUnit);
}

#[test]
fn r_s4_scan_counters_saturate_instead_of_overflowing() {
    // An item whose summary already holds the largest counts: one more alerted scan must not
    // overflow (a panic during execution would stop every validator on the same block).
    let mut c = supply_chain();
    let who = consumer(&mut c.w, 603);
    let a1 = item("A1");
    let k = tracechain_contracts::state_keys::key("scn/", &[es(&a1).as_bytes()]);
    let full = scan::ScanSummary {
        count: u32::MAX,
        scanners: u32::MAX,
        first_time_ms: 1_714_552_200_000,
        first_height: 1,
        last_position: None,
        alerted_scans: u32::MAX,
        why: vec![],
    };
    tracechain_contracts::State::put(&mut c.w.state, k, tracechain_types::encode(&full));
    c.w.exec(&who, scan_at(&a1, "NL", None)).unwrap();
    let v = scan::verdict(&c.w.state, &a1).unwrap();
    assert_eq!((v.count, v.scanners), (u32::MAX, u32::MAX));
    assert!(v.suspicious);
}

#[test]
fn r_l4_delivery_positions_are_coarse_so_no_person_address_is_in_clear() {
    // The receiving location of a delivery is a person's address (a commitment on the
    // record); a position taken at the door would put it on chain in clear and in the public
    // trajectory (R-S5). Delivery positions are therefore coarse: 0.01° (about 1 km), the
    // precision of consumer scans.
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("DLV");
    w.unit(&cast, &b, TraceMode::Full);
    let mut d = match valid_record(K::Delivery, &b, 1) {
        Payload::InfoBlock(InfoBlockRecord::Delivery(r)) => r,
        _ => unreachable!(),
    };
    d.positions = vec![Position {
        time: "2024-05-03T00:00:00Z".into(),
        lat_e7: 523_702_157,
        lon_e7: 48_951_679,
        system: PositioningSystem::Gps,
    }];
    let before = w.state.clone();
    let e = w
        .exec(
            &cast.logistics,
            Payload::InfoBlock(InfoBlockRecord::Delivery(d.clone())),
        )
        .unwrap_err();
    assert!(e.names("positions[0].lat_e7"), "{e}");
    assert!(e.names("positions[0].lon_e7"), "{e}");
    assert_eq!(w.state, before);
    // the same refusal through a self-declared import (R-B4) of the filed exporter
    w.filed(&cast.trader);
    let e = w
        .exec(
            &cast.trader,
            Payload::Cbeac(CbeacRecord::ManualImport(ManualImport {
                record: InfoBlockRecord::Delivery(d.clone()),
                reason: SelfDeclaredReason::PartyNotConnected,
                note: None,
            })),
        )
        .unwrap_err();
    assert!(e.names("record.positions[0].lat_e7"), "{e}");
    // a coarse position is accepted and shows in the trajectory
    d.positions[0].lat_e7 = 523_700_000;
    d.positions[0].lon_e7 = 49_000_000;
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Delivery(d)),
    )
    .unwrap();
    let t = trajectory(&w.state, &b).unwrap();
    assert_eq!(t.points.len(), 1);
    assert_eq!(t.points[0].position.lat_e7, 523_700_000);
}

/// A brand's alerts came back as the oldest 1,000 with no way to read further: a flood of old
/// alerts hid the new ones. They are read page by page (R-S4).
#[test]
fn r_s4_attack_old_alerts_cannot_hide_new_ones_from_the_brand() {
    let mut c = supply_chain();
    let a1 = item("A1");
    for seed in 670..679 {
        let who = consumer(&mut c.w, seed);
        c.w.exec(&who, scan_at(&a1, "NL", None)).unwrap();
    }
    let brand = c.cast.producer.public();
    let all = scan::brand_alerts(&c.w.state, &brand);
    assert_eq!(all.len(), 4, "scanners 6 to 9 of threshold 5");
    let mut seen = Vec::new();
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let (page, next) = scan::brand_alerts_page(&c.w.state, &brand, cursor.as_deref(), 3);
        assert!(page.len() <= 3);
        seen.extend(page.into_iter().map(|a| a.scan.number));
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, vec![6, 7, 8, 9]);
    assert_eq!(scan::brand_alert_count(&c.w.state, &brand), 4);
    assert_eq!(
        scan::brand_alert_count(&c.w.state, &c.cast.trader.public()),
        0
    );
}

/// A flood of feedback about a unit (anyone may file it) pushed a trade partner's order record
/// beyond the 1,000 index entries `is_provider_of` inspected, so the partner could no longer
/// answer the unit's feedback (R-S7). Providers are now indexed per unit (`prv/`).
#[test]
fn r_s7_attack_a_feedback_flood_cannot_hide_a_units_provider() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("FBK-FLOOD");
    w.unit(&cast, &code, TraceMode::Full);
    // The registrant's trade partner writes the unit's order (category T1).
    w.exec(&cast.trader, valid_record(K::Order, &code, 1))
        .unwrap();
    // 1,001 feedback records (category S7, listed before T1) from one consumer.
    let who = consumer(&mut w, 660);
    for i in 0..1001 {
        w.exec(
            &who,
            Payload::Consumer(ConsumerRecord::Feedback(Feedback {
                feedback_ref: format!("FLOOD-{i}"),
                code: code.clone(),
                text: "?".into(),
            })),
        )
        .unwrap();
    }
    w.exec(
        &cast.trader,
        Payload::Consumer(ConsumerRecord::FeedbackAnswer(FeedbackAnswer {
            author: who.public(),
            feedback_ref: "FLOOD-1000".into(),
            text: "we shipped it on 1 May".into(),
        })),
    )
    .unwrap();
}

/// Every page of a listing of anchors, from the first: the anchors in order and the counts
/// each page reported.
fn all_pages(
    page: impl Fn(Option<&documents::AnchorCursor>) -> documents::AnchorPage,
) -> (
    Vec<documents::AnchoredDocument>,
    Vec<documents::AnchorCount>,
) {
    let mut out = Vec::new();
    let mut counts = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor.as_ref());
        out.extend(p.anchors);
        counts.push(p.count);
        match p.next {
            Some(c) => cursor = Some(c),
            None => return (out, counts),
        }
    }
}

/// Anyone may anchor a document covering a registered unit. The unit's document listing read
/// the first 1,000 anchors in hash order, so 1,000 anchors with small hashes hid the unit's
/// real certificate; it now lists competent issuers' anchors first, pages through every
/// anchor and says how many there are.
#[test]
fn r_s1_attack_a_flood_of_anchors_cannot_hide_a_units_competent_document() {
    let mut w = World::new();
    let cast = w.cast();
    let code = batch("FLOOD-1");
    w.unit(&cast, &code, TraceMode::Full);
    let junk = documents::MAX_DOCUMENTS_PER_UNIT as u32 + 3;
    for i in 0..junk {
        let mut h = [0u8; 32];
        h[28..].copy_from_slice(&(i + 1).to_be_bytes());
        w.exec(
            &cast.producer,
            Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                document_hash: Hash(h),
                document_type: DocumentType::Other,
                valid_from: "2024-05-01".into(),
                valid_until: None,
                trace_codes: vec![code.clone()],
            })),
        )
        .unwrap();
    }
    // The customs department's certificate, whose hash sorts after every junk anchor.
    let real = Hash([0xFF; 32]);
    w.exec(
        &cast.regulator,
        Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
            document_hash: real,
            document_type: DocumentType::SanitaryCertificate,
            valid_from: "2024-05-01".into(),
            valid_until: None,
            trace_codes: vec![code.clone()],
        })),
    )
    .unwrap();
    let first = documents::documents_of(&w.state, &code);
    assert_eq!(first.len(), documents::MAX_DOCUMENTS_PER_UNIT);
    assert_eq!(
        (first[0].document_hash, first[0].issuer),
        (real, cast.regulator.public()),
        "the competent issuer's anchor comes first"
    );
    let want = documents::AnchorCount {
        anchors: u64::from(junk) + 1,
        competent: 1,
    };
    for limit in [1, 7, documents::MAX_DOCUMENTS_PER_UNIT] {
        let view = Counting {
            inner: &w.state,
            read: std::cell::Cell::new(0),
        };
        let (listed, counts) = all_pages(|after| {
            let before = view.read.get();
            let p = documents::documents_of_page(&view, &code, after, limit);
            assert!(
                view.read.get() - before <= limit + 2,
                "{limit}: a page reads only what it returns"
            );
            p
        });
        assert!(counts.iter().all(|c| *c == want), "{limit}: {counts:?}");
        assert_eq!(
            listed.len(),
            junk as usize + 1,
            "{limit}: every anchor, once"
        );
        assert_eq!(listed[0].document_hash, real, "{limit}");
        let mut keys: Vec<_> = listed.iter().map(|d| (d.document_hash, d.issuer)).collect();
        assert!(
            keys[1..].windows(2).all(|p| p[0] < p[1]),
            "{limit}: the others in (hash, issuer) order"
        );
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), junk as usize + 1, "{limit}: no anchor twice");
    }
}

#[test]
fn r_s1_anchors_of_a_hash_page_competent_first_with_their_counts() {
    let mut w = World::new();
    let cast = w.cast();
    let doc = b"%PDF certificate of origin 2024-77";
    let h = Hash::digest(doc);
    let mut issuers = Vec::new();
    for seed in 700..705u64 {
        let k = w.seed(
            seed,
            ParticipantCategory::Logistics,
            vec![NodeType::TallyPicking],
            tracechain_contracts::registry::ParticipantState::Approved,
        );
        w.exec(&k, anchor(doc, vec![], None)).unwrap();
        issuers.push(k.public());
    }
    w.exec(&cast.regulator, anchor(doc, vec![], None)).unwrap();
    let second = w.seed(
        710,
        ParticipantCategory::Regulator(Agency::MarketRegulation),
        vec![],
        tracechain_contracts::registry::ParticipantState::Approved,
    );
    w.exec(&second, anchor(doc, vec![], None)).unwrap();
    let want = documents::AnchorCount {
        anchors: 7,
        competent: 2,
    };
    let v = documents::verify_bytes(&w.state, doc, MAY_2);
    assert_eq!((v.count, v.more, v.anchors.len()), (want, false, 7));
    let mut competent = vec![cast.regulator.public(), second.public()];
    competent.sort();
    let mut others = issuers.clone();
    others.sort();
    let expected: Vec<_> = competent.into_iter().chain(others).collect();
    for limit in [1, 2, 3, 5, 7] {
        let (listed, counts) =
            all_pages(|after| documents::anchors_page(&w.state, &h, after, limit));
        assert!(counts.iter().all(|c| *c == want), "{limit}");
        let got: Vec<_> = listed.iter().map(|d| d.issuer).collect();
        assert_eq!(
            got, expected,
            "{limit}: competent first, then by issuer, each once"
        );
        assert_eq!(
            counts.len(),
            7usize.div_ceil(limit),
            "{limit}: no empty last page"
        );
    }
}

/// A state view that counts the entries its scans return.
struct Counting<'a> {
    inner: &'a tracechain_contracts::MemoryState,
    read: std::cell::Cell<usize>,
}

impl tracechain_contracts::StateView for Counting<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.get(key)
    }
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let r = self.inner.scan(prefix, after, limit);
        self.read.set(self.read.get() + r.len());
        r
    }
}

/// A unit's sensor alerts and a brand's were read up to 1,000 with nothing saying more exist;
/// every listing now pages to its end and says how many entries it has.
#[test]
fn r_s6_alert_listings_page_to_the_end_and_say_how_many() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("HOT");
    w.unit(&cast, &b, TraceMode::Full);
    w.exec(&cast.producer, valid_record(K::ProductFeatures, &b, 1))
        .unwrap();
    let n = sensor::MAX_ALERTS_LISTED + 2;
    w.transports(&cast.logistics, &b, "WB-HOT", n, |_, t| {
        t.sensor_readings = vec![SensorReading {
            time: "2024-05-01T00:00:00Z".into(),
            temperature_centi_c: Some(4000),
            humidity_bp: None,
        }];
    });
    let code = tracechain_contracts::trace_codes::NormalisedCode::new("c", &b).unwrap();
    let brand = cast.producer.public();
    assert_eq!(sensor::unit_alert_count(&w.state, &code), n as u64);
    assert_eq!(sensor::brand_sensor_alert_count(&w.state, &brand), n as u64);
    assert_eq!(
        sensor::sensor_alerts(&w.state, &b).len(),
        sensor::MAX_ALERTS_LISTED
    );
    let mut listed = Vec::new();
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let (page, next) = sensor::unit_alerts_page(&w.state, &code, cursor.as_deref(), 400);
        listed.extend(page.into_iter().map(|a| (a.height, a.tx_id)));
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(listed.len(), n);
    assert!(
        listed.windows(2).all(|p| p[0] < p[1]),
        "in (height, tx) order, each once"
    );
    let mut brand_listed = 0;
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        let (page, next) =
            sensor::brand_sensor_alerts_page(&w.state, &brand, cursor.as_deref(), 1000);
        brand_listed += page.len();
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(brand_listed, n);
}

/// R-S5: a trajectory that could not read every logistics record of its unit says so (a
/// custodian writing more than a read takes cannot cut the public answer silently).
#[test]
fn r_s5_attack_a_trajectory_beyond_its_read_bound_says_so() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("ROUTE");
    w.unit(&cast, &b, TraceMode::Full);
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY;
    w.transports(&cast.logistics, &b, "WB-R", bound, |_, _| {});
    assert!(
        !trajectory(&w.state, &b).unwrap().truncated,
        "every record read at the bound"
    );
    w.transports(&cast.logistics, &b, "WB-R2", 1, |_, _| {});
    let tr = trajectory(&w.state, &b).unwrap();
    assert!(tr.truncated, "one record more than a read takes");
}

/// R-S4: every scan of an item can be listed, page by page in scan order, with how many there
/// are (the verdict shows the latest ones only).
#[test]
fn r_s4_scans_page_to_the_end_with_their_count() {
    let mut c = supply_chain();
    let a1 = item("A1");
    let total = scan::MAX_SCANS_LISTED as u32 + 5;
    let who = consumer(&mut c.w, 700);
    for _ in 0..total {
        c.w.exec(&who, scan_at(&a1, "NL", None)).unwrap();
    }
    assert_eq!(
        scan::verdict(&c.w.state, &a1).unwrap().scans.len(),
        scan::MAX_SCANS_LISTED
    );
    let mut numbers = Vec::new();
    let mut from = 1;
    loop {
        let (page, count) = scan::scans_page(&c.w.state, &a1, from, 30).unwrap();
        assert_eq!(count, total);
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 30);
        from = page.last().unwrap().number + 1;
        numbers.extend(page.into_iter().map(|s| s.number));
    }
    assert_eq!(numbers, (1..=total).collect::<Vec<_>>());
    let (page, _) = scan::scans_page(&c.w.state, &a1, 0, 1_000_000).unwrap();
    assert_eq!(page.len(), scan::MAX_SCANS_LISTED, "the limit is clamped");
    assert_eq!(page[0].number, 1);
}

/// R-X4/R-S3: anchors anyone may write about an item (tag `S1`, before `S3` in tag order)
/// pushed its batch's records, a recall among them, out of the item's lookup, which said
/// nothing. The batch's records now have their own budget, and the answer says whether there
/// are more and how many.
#[test]
fn r_s3_attack_anchors_about_an_item_cannot_hide_its_batchs_recall() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("RC-ITEM");
    w.unit(&cast, &b, TraceMode::Full);
    register_items(&mut w, &cast, &b, &["X1"]);
    let x1 = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "X1".into(),
    };
    // Records of the batch that sort before the recall (`P2`, `P3` < `S3`).
    for kind in [K::Production, K::ProductFeatures] {
        w.exec(&cast.producer, valid_record(kind, &b, 1)).unwrap();
    }
    w.exec(
        &cast.producer,
        Payload::Recall(tracechain_types::RecallRecord::Recall(Recall {
            recall_ref: "RC-1".into(),
            batch: b.clone(),
            reason: "allergen".into(),
        })),
    )
    .unwrap();
    let n = tracechain_contracts::trace::MAX_LOOKUP_RECORDS as u32 + 1;
    for i in 0..n {
        let mut h = [0u8; 32];
        h[28..].copy_from_slice(&(i + 1).to_be_bytes());
        w.exec(
            &cast.trader,
            Payload::Document(DocumentRecord::DocumentAnchor(DocumentAnchor {
                document_hash: Hash(h),
                document_type: DocumentType::Other,
                valid_from: "2024-05-01".into(),
                valid_until: None,
                trace_codes: vec![x1.clone()],
            })),
        )
        .unwrap();
    }
    let view = tracechain_contracts::trace::lookup(&w.state, &x1).unwrap();
    assert!(
        view.records.iter().any(|(tag, _)| tag == "S3"),
        "the batch's recall is listed"
    );
    assert!(view.more, "the item's own records do not all fit");
    assert_eq!(view.listings.len(), 2, "the item and its batch");
    assert_eq!(
        view.listings[0].1.count,
        u64::from(n) + 1,
        "n anchors and the item code registration"
    );
}

/// R-S6: readings are judged against the latest declared range however many product-features
/// records the unit has (the range was looked for among the first 1,000 only, and judging
/// decoded up to that many records per unit on every logistics write).
#[test]
fn r_s6_readings_are_judged_against_the_latest_declared_range() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("RANGE");
    w.unit(&cast, &b, TraceMode::Full);
    let features = |n: u64| match valid_record(K::ProductFeatures, &b, n) {
        Payload::InfoBlock(InfoBlockRecord::ProductFeatures(r)) => r,
        _ => unreachable!(),
    };
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY as u64;
    for n in 1..=bound {
        w.exec(
            &cast.producer,
            Payload::InfoBlock(InfoBlockRecord::ProductFeatures(features(n))),
        )
        .unwrap();
    }
    // The latest declares a colder range (at most 10 °C), and one after it declares none.
    let mut colder = features(bound + 1);
    colder.sensor_range = Some(SensorRange {
        min_temperature_centi_c: Some(0),
        max_temperature_centi_c: Some(1_000),
        min_humidity_bp: None,
        max_humidity_bp: None,
    });
    w.exec(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::ProductFeatures(colder)),
    )
    .unwrap();
    let mut none = features(bound + 2);
    none.sensor_range = None;
    w.exec(
        &cast.producer,
        Payload::InfoBlock(InfoBlockRecord::ProductFeatures(none)),
    )
    .unwrap();
    let mut t = match valid_record(K::Transport, &b, 1) {
        Payload::InfoBlock(InfoBlockRecord::Transport(r)) => r,
        _ => unreachable!(),
    };
    t.sensor_readings = vec![SensorReading {
        time: "2024-05-01T00:00:00Z".into(),
        temperature_centi_c: Some(1_500),
        humidity_bp: None,
    }];
    w.exec(
        &cast.logistics,
        Payload::InfoBlock(InfoBlockRecord::Transport(t)),
    )
    .unwrap();
    let alerts = sensor::sensor_alerts(&w.state, &b);
    assert_eq!(alerts.len(), 1, "15 °C is above the latest declared 10 °C");
    assert_eq!(alerts[0].range.max_temperature_centi_c, Some(1_000));
}

/// R-S1: a document is relied on through any competent issuer's valid anchor, however many
/// competent anchors of the same hash come before it (revoked ones here); the answer lists the
/// first page only.
#[test]
fn r_s1_attack_revoked_competent_anchors_cannot_hide_a_valid_one() {
    let mut w = World::new();
    let doc = b"%PDF sanitary certificate 2024-99";
    let mut regulators: Vec<_> = (0..documents::MAX_ANCHORS_LISTED as u64 + 2)
        .map(|i| {
            w.seed(
                800 + i,
                ParticipantCategory::Regulator(Agency::MarketRegulation),
                vec![],
                tracechain_contracts::registry::ParticipantState::Approved,
            )
        })
        .collect();
    regulators.sort_by_key(|k| k.public());
    let (valid_one, others) = regulators.split_last().unwrap();
    for k in others {
        w.exec(k, anchor(doc, vec![], None)).unwrap();
        w.exec(
            k,
            Payload::Document(DocumentRecord::DocumentRevocation(DocumentRevocation {
                document_hash: Hash::digest(doc),
                reason: "withdrawn".into(),
            })),
        )
        .unwrap();
    }
    let v = documents::verify_bytes(&w.state, doc, i64::MAX);
    assert!(!v.valid, "every anchor is revoked");
    w.exec(valid_one, anchor(doc, vec![], None)).unwrap();
    let v = documents::verify_bytes(&w.state, doc, i64::MAX);
    assert_eq!(v.anchors.len(), documents::MAX_ANCHORS_LISTED);
    assert!(
        v.anchors
            .iter()
            .all(|a| a.anchor.issuer != valid_one.public()),
        "the valid anchor is beyond the first page"
    );
    assert!(
        v.valid && v.more,
        "relied on through the valid anchor beyond the page"
    );
}

/// R-S4: without a shipment, an item's declared destinations are the destination countries of
/// its transports — all of them, however many transports there are (only the first 1,000 were
/// read, so a later transport to another country raised a false alert there).
#[test]
fn r_s4_destinations_come_from_every_transport() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("DEST");
    w.unit(&cast, &b, TraceMode::Full);
    register_items(&mut w, &cast, &b, &["D1"]);
    let d1 = TraceCode::Item {
        gtin: GTIN.into(),
        serial: "D1".into(),
    };
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY;
    w.transports(&cast.logistics, &b, "WB-D", bound + 1, |i, t| {
        t.destination_country = Some(if i == bound { "DE" } else { "NL" }.into());
    });
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &b).unwrap();
    assert_eq!(
        scan::destinations(&w.state, &n)
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["DE".to_string(), "NL".to_string()]
    );
    let who = consumer(&mut w, 650);
    w.exec(&who, scan_at(&d1, "DE", None)).unwrap();
    let v = scan::verdict(&w.state, &d1).unwrap();
    assert!(
        !v.alerts
            .iter()
            .any(|a| matches!(a, ScanAlert::OutsideDestination { .. })),
        "{:?}",
        v.alerts
    );
}

/// R-L3/R-X2: a warehouse stay closed by a later record is closed, however many warehousing
/// records come before it (the report read the first 1,000 and showed the stay open).
#[test]
fn r_l3_a_stay_closed_after_many_records_is_closed() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("STAY");
    w.unit(&cast, &b, TraceMode::Full);
    let base = match valid_record(K::Warehousing, &b, 1) {
        Payload::InfoBlock(InfoBlockRecord::Warehousing(r)) => r,
        _ => unreachable!(),
    };
    let bound = tracechain_contracts::query::MAX_RECORDS_PER_CATEGORY;
    for i in 0..=bound {
        let mut r = base.clone();
        if i < bound {
            r.outbound_time = None;
        }
        w.exec(
            &cast.logistics,
            Payload::InfoBlock(InfoBlockRecord::Warehousing(r)),
        )
        .unwrap_or_else(|e| panic!("{i}: {e}"));
    }
    let report = tracechain_contracts::completeness::report(&w.state, &b).unwrap();
    let l3 = report
        .lines
        .iter()
        .find(|l| l.category == Category::L3)
        .unwrap();
    assert!(l3.missing_items.is_empty(), "{l3:?}");
    assert_ne!(
        l3.status,
        tracechain_contracts::completeness::Status::Partial
    );
}

/// A registered state whose every node has an endless supply of forward pack links
/// (`lin/d/` answered on the fly, honouring the cursor), counting the links read.
struct EndlessPacks<'a> {
    base: &'a tracechain_contracts::MemoryState,
    read: std::cell::Cell<usize>,
}

impl tracechain_contracts::StateView for EndlessPacks<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.base.get(key)
    }
    fn scan(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        if !prefix.starts_with(b"lin/d/") {
            return self.base.scan(prefix, after, limit);
        }
        let start = after.map_or(0, |a| {
            u32::from_be_bytes(a[a.len() - 4..].try_into().unwrap()) + 1
        });
        self.read.set(self.read.get() + limit);
        (start..start + limit as u32)
            .map(|i| {
                let mut k = prefix.to_vec();
                k.extend_from_slice(&i.to_be_bytes());
                let e = tracechain_contracts::lineage::Edge {
                    neighbour: tracechain_contracts::lineage::Node::Sscc(format!("{i:018}")),
                    kind: tracechain_contracts::lineage::LinkKind::Packed,
                    tx_id: Hash::ZERO,
                    height: 0,
                };
                (k, tracechain_types::encode(&e))
            })
            .collect()
    }
}

/// R-S4: judging a scan (executed by every validator) reads a bounded number of lineage links,
/// however many pack links custodians wrote around the item.
#[test]
fn r_s4_attack_a_dense_lineage_cannot_make_judging_a_scan_costly() {
    let mut w = World::new();
    let cast = w.cast();
    let b = batch("PACKS");
    w.unit(&cast, &b, TraceMode::Full);
    let n = tracechain_contracts::trace_codes::NormalisedCode::new("c", &b).unwrap();
    let view = EndlessPacks {
        base: &w.state,
        read: std::cell::Cell::new(0),
    };
    let found = scan::destinations(&view, &n);
    assert!(found.is_empty());
    assert!(
        view.read.get() <= scan::MAX_DESTINATION_LINKS,
        "{} links read",
        view.read.get()
    );
}

/// Each unit an anchor covers gets a certificate fact (`dcp/`) under a key that names the unit
/// but not the document's hash — so a public page can prove it (ADR 0089) — equal to the
/// anchor's own entry, and updated when the anchor is revoked.
#[test]
fn r_s1_a_units_certificate_fact_is_proven_without_its_hash() {
    use tracechain_contracts::trace_codes::NormalisedCode;
    use tracechain_contracts::StateView;
    let mut w = World::new();
    let cast = w.cast();
    let (a, b) = (batch("FACT-A"), batch("FACT-B"));
    w.unit(&cast, &a, TraceMode::Full);
    w.unit(&cast, &b, TraceMode::Full);
    let doc = b"%PDF sanitary certificate FACT";
    let h = Hash::digest(doc);
    w.exec(
        &cast.regulator,
        anchor(doc, vec![a.clone(), b.clone()], Some("2024-06-30")),
    )
    .unwrap();
    let issuer = cast.regulator.public();
    let (na, nb) = (
        NormalisedCode::new("a", &a).unwrap(),
        NormalisedCode::new("b", &b).unwrap(),
    );
    let anchored = documents::load(&w.state, &h, &issuer).unwrap();
    for n in [&na, &nb] {
        let key = documents::certificate_fact_key(n, &h, &issuer);
        // The key names the unit, not the hash (nor anything of it a reader could look up).
        assert!(key.starts_with(b"dcp/"));
        assert!(
            key.windows(4).all(|w4| !h.0.windows(4).any(|hw| hw == w4)),
            "the key holds bytes of the hash"
        );
        assert!(w.state.get(&key).is_some());
        let f = documents::certificate_fact(&w.state, n, &h, &issuer).unwrap();
        assert_eq!(f.document_type, DocumentType::SanitaryCertificate);
        assert_eq!(f.issuer, issuer);
        assert!(f.competent);
        assert_eq!(
            (f.height, f.timestamp_ms),
            (anchored.height, anchored.timestamp_ms)
        );
        assert_eq!(f.valid_from_ms, anchored.valid_from_ms);
        assert_eq!(f.valid_until_ms, anchored.valid_until_ms);
        assert_eq!(f.revoked_height, None);
    }
    // The blinds of one document differ per unit: two units' facts cannot be linked.
    let ka = documents::certificate_fact_key(&na, &h, &issuer);
    let kb = documents::certificate_fact_key(&nb, &h, &issuer);
    assert_ne!(ka[ka.len() - 32..], kb[kb.len() - 32..]);
    // Another issuer's anchor of the same hash has its own fact.
    assert!(documents::certificate_fact(&w.state, &na, &h, &cast.trader.public()).is_none());
    // Revoked: every covered unit's fact says so, at the revocation's height.
    w.exec(
        &cast.regulator,
        Payload::Document(DocumentRecord::DocumentRevocation(DocumentRevocation {
            document_hash: h,
            reason: "issued in error".into(),
        })),
    )
    .unwrap();
    let revoked = documents::load(&w.state, &h, &issuer)
        .unwrap()
        .revoked
        .unwrap();
    for n in [&na, &nb] {
        let f = documents::certificate_fact(&w.state, n, &h, &issuer).unwrap();
        assert_eq!(f.revoked_height, Some(revoked.height));
        assert_eq!(f.timestamp_ms, anchored.timestamp_ms);
    }
}
