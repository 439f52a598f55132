//! The audit package (R-S2, ADR 0084) over a real data directory holding the demo's tea
//! export flow and a material batch upstream of it: a package verifies offline against the
//! genesis alone, and every alteration an attacker could make to it — a flipped byte, a
//! record left out, added, altered or moved, a fact left out, a forged validator set, another
//! genesis — is refused with the file and the reason.

mod common;

use std::collections::BTreeMap;

use common::*;
use tracechain_api::audit::{self, AuditFailure, ChainFile, FactsFile, PackageInfo, RecordEntry};
use tracechain_api::bag;
use tracechain_api::proof::Trust;
use tracechain_api::ReadConfig;
use tracechain_types::records::{TraceCode, TraceMode, TraceUnitRegistration, Transformation};
use tracechain_types::{LineageRecord, Payload, TraceUnitRecord, ValidatorSet};
use tracechain_workload::{flow, Step};

fn material() -> TraceCode {
    TraceCode::Batch {
        gtin: flow::gtin(),
        batch: "LEAVES-2026-04".into(),
    }
}

/// The flow, then a material batch registered by the producer and transformed into the tea
/// batch (upstream of it).
fn fixture() -> Fixture {
    let f = build();
    let reg = |signer: &str, code: TraceCode| Step {
        signer: signer.into(),
        label: "register material".into(),
        payload: Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
            code,
            mode: TraceMode::Full,
            product_name: "Tieguanyin fresh leaves".into(),
        })),
    };
    f.append(&[reg("producer", material())]);
    f.append(&[Step {
        signer: "producer".into(),
        label: "leaves into the tea batch".into(),
        payload: Payload::Lineage(LineageRecord::Transformation(Transformation {
            inputs: vec![material()],
            outputs: vec![flow::batch()],
            time: "2026-04-20T08:00:00Z".into(),
        })),
    }]);
    f
}

fn trust() -> Trust {
    Trust::genesis(chain(), genesis().validators)
}

async fn package(f: &Fixture, reader: Option<&str>, code: &str, cfg: ReadConfig) -> Answer {
    let r = f.router_with(cfg);
    let k = reader.map(key);
    send(
        &r,
        request(
            "GET",
            &format!("/v1/audit/{code}"),
            vec![],
            k.as_ref(),
            NOW_MS + 60_001,
        ),
    )
    .await
}

fn verify(bytes: &[u8]) -> Result<audit::AuditReport, AuditFailure> {
    audit::verify(
        bytes,
        &trust(),
        audit::MAX_PACKAGE_BYTES,
        audit::MAX_PACKAGE_FILES,
    )
}

/// Re-bag an altered payload, manifests recomputed: what an attacker who rewrites the whole
/// file would send.
fn rebag(bytes: &[u8], edit: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<u8> {
    let b = bag::read(bytes, audit::MAX_PACKAGE_BYTES, audit::MAX_PACKAGE_FILES).unwrap();
    let mut payload = b.payload;
    edit(&mut payload);
    let info: Vec<(String, String)> = b
        .info
        .into_iter()
        .filter(|(k, _)| k != "Payload-Oxum")
        .collect();
    bag::write(&payload, &info, 0)
}

fn json_edit<T: serde::Serialize + serde::de::DeserializeOwned>(
    payload: &mut BTreeMap<String, Vec<u8>>,
    file: &str,
    edit: impl FnOnce(&mut T),
) {
    let mut v: T = serde_json::from_slice(&payload[file]).unwrap();
    edit(&mut v);
    payload.insert(file.into(), serde_json::to_vec(&v).unwrap());
}

fn failure_text(r: Result<audit::AuditReport, AuditFailure>) -> String {
    match r {
        Ok(_) => panic!("an altered package verified"),
        Err(e) => {
            eprintln!("refused: {e}");
            e.to_string()
        }
    }
}

#[tokio::test]
async fn a_regulators_package_verifies_offline_and_is_complete() {
    let f = fixture();
    let a = package(
        &f,
        Some("customs-regulator"),
        &code_path(&flow::batch()),
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.headers["content-type"], "application/x-tar");
    let height: u64 = a.headers["tracechain-height"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = verify(&a.body).unwrap();
    assert_eq!(r.read_at.height, height);
    let units: Vec<(&str, &str)> = r
        .units
        .iter()
        .map(|(c, rel, _)| (c.as_str(), rel.as_str()))
        .collect();
    assert_eq!(units.len(), 2, "{units:?}");
    assert_eq!(units[0].1, "batch");
    assert_eq!(units[1], (code_path(&material()).as_str(), "upstream"));
    // The batch's listing as the trace reads it, page by page: the same count.
    let listing = r.units[0].2;
    assert!(
        listing > 10,
        "the flow writes many records about the batch: {listing}"
    );
    // Every kind of record the R-S2 package is for is there, counted by its signed payload:
    // materials, production, inspections and documents, shipping and customs.
    for kind in [
        "info_block/materials",
        "info_block/production",
        "document/document_anchor",
        "info_block/transport",
        "info_block/customs_declaration",
        "info_block/customs_status",
        "lineage/transformation",
    ] {
        assert!(
            r.categories.contains_key(kind),
            "{kind} in {:?}",
            r.categories
        );
    }
    assert!(
        !r.documents.is_empty(),
        "the flow anchors certificates of the batch"
    );
    assert!(r
        .documents
        .iter()
        .any(|d| d["document_hash"] == flow::certificate_of_origin().to_hex()));
    assert_eq!(
        r.validator_sets.len(),
        1,
        "no change of validators in the fixture"
    );
    assert!(r.not_included.is_empty());
    // The BagIt files any archivist's tool reads.
    let b = bag::read(&a.body, audit::MAX_PACKAGE_BYTES, audit::MAX_PACKAGE_FILES).unwrap();
    for p in ["package.json", "chain.json", "records.json", "facts.json"] {
        assert!(b.payload.contains_key(p), "{p}");
    }
    assert!(b
        .info
        .iter()
        .any(|(k, v)| k == "External-Identifier" && v.ends_with(&format!("@{height}"))));
}

#[tokio::test]
async fn only_regulators_and_the_batchs_participants_get_a_package() {
    let f = fixture();
    let b = code_path(&flow::batch());
    for (who, status) in [
        (None, 403),
        (Some("consumer-1"), 403),
        (Some("bench-0-producer"), 403),
        (Some("stranger-never-registered"), 403),
        (Some("tax-regulator"), 200),
        (Some("producer"), 200),
    ] {
        let a = package(&f, who, &b, ReadConfig::default()).await;
        assert_eq!(
            a.status,
            status,
            "{who:?}: {}",
            String::from_utf8_lossy(&a.body)
        );
        if status == 403 {
            let v = a.json();
            assert_eq!(v["rule"], "R-A5", "{who:?}");
        } else {
            verify(&a.body).unwrap_or_else(|e| panic!("{who:?}: {e}"));
        }
    }
    // An item, an unknown batch, a malformed code.
    let a = package(
        &f,
        Some("customs-regulator"),
        &code_path(&flow::featured_unit()),
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["code"], "E_NOT_A_BATCH");
    let unknown = code_path(&TraceCode::Batch {
        gtin: flow::gtin(),
        batch: "NO-SUCH-BATCH".into(),
    });
    let a = package(
        &f,
        Some("customs-regulator"),
        &unknown,
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 404);
    let a = package(
        &f,
        Some("customs-regulator"),
        "01ABC",
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 400);
    // Bounded: more records than the node's limit is a clear 422, never a cut package.
    let small = ReadConfig {
        max_audit_records: 3,
        ..ReadConfig::default()
    };
    let a = package(&f, Some("customs-regulator"), &b, small).await;
    assert_eq!(a.status, 422, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["code"], "E_AUDIT_TOO_LARGE");
    let one_unit = ReadConfig {
        max_audit_units: 1,
        ..ReadConfig::default()
    };
    let a = package(&f, Some("customs-regulator"), &b, one_unit).await;
    assert_eq!(a.status, 422);
}

#[tokio::test]
async fn a_participant_gets_the_units_it_took_part_in_and_is_told_of_the_others() {
    let f = fixture();
    let a = package(
        &f,
        Some("logistics"),
        &code_path(&flow::batch()),
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let r = verify(&a.body).unwrap();
    assert_eq!(r.units.len(), 1, "the carrier took no part in the leaves");
    assert_eq!(r.not_included.len(), 1);
    assert_eq!(r.not_included[0].code, code_path(&material()));
    assert!(r.not_included[0].reason.contains("R-A5"));
}

#[tokio::test]
async fn every_alteration_of_a_package_is_refused_with_its_reason() {
    let f = fixture();
    let a = package(
        &f,
        Some("customs-regulator"),
        &code_path(&flow::batch()),
        ReadConfig::default(),
    )
    .await;
    assert_eq!(a.status, 200);
    let good = a.body.clone();
    verify(&good).unwrap();

    // A flipped byte anywhere in records.json, without rewriting the manifest.
    let at = good
        .windows(b"\"record_id\"".len())
        .position(|w| w == b"\"record_id\"")
        .unwrap();
    let mut t = good.clone();
    t[at + 20] ^= 1;
    assert!(
        matches!(verify(&t), Err(AuditFailure::Bag(bag::BagError::Hash { ref path, .. })) if path == "data/records.json"),
        "{:?}",
        verify(&t).err()
    );

    // A record left out (manifests rewritten): package.json's count says so ...
    let t = rebag(&good, |p| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            rs.remove(3);
        })
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("records.json holds"), "{e}");
    // ... and when package.json is made to agree, the unit's proven listing.
    let t = rebag(&good, |p| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            rs.remove(3);
        });
        json_edit::<PackageInfo>(p, "package.json", |i| i.records -= 1);
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("some are missing"), "{e}");

    // A record's payload altered, its signer changed, its time moved.
    for (what, edit) in [
        (
            "payload",
            Box::new(|r: &mut RecordEntry| r.payload["family"] = "consumer".into())
                as Box<dyn Fn(&mut RecordEntry)>,
        ),
        (
            "signer",
            Box::new(|r: &mut RecordEntry| r.signer = key("tax-regulator").public()),
        ),
        ("time", Box::new(|r: &mut RecordEntry| r.timestamp_ms += 1)),
    ] {
        let t = rebag(&good, |p| {
            json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| edit(&mut rs[2]))
        });
        let e = failure_text(verify(&t));
        assert!(e.contains("not the signed transaction's"), "{what}: {e}");
    }

    // A record listed under the wrong unit, or twice: the listings no longer match.
    let t = rebag(&good, |p| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            let extra = rs[1].clone();
            rs.push(extra);
        });
        json_edit::<PackageInfo>(p, "package.json", |i| i.records += 1);
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("listed twice"), "{e}");

    // Two records swapped in position: their inclusion proofs fail.
    let t = rebag(&good, |p| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            let a = rs[1].proof.index;
            rs[1].proof.index = rs[2].proof.index;
            rs[2].proof.index = a;
        })
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("not included"), "{e}");

    // A document's fact left out (a revocation could hide there).
    let t = rebag(&good, |p| {
        json_edit::<FactsFile>(p, "facts.json", |f| f.documents.clear())
    });
    let e = failure_text(verify(&t));
    assert!(
        e.contains("facts.json") && e.contains("no proven fact"),
        "{e}"
    );

    // A unit's record count raised to match a record smuggled in.
    let t = rebag(&good, |p| {
        json_edit::<PackageInfo>(p, "package.json", |i| i.units[0].records += 1)
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("its proven listing holds"), "{e}");

    // A unit dropped: its records are then listed under no unit of the package.
    let t = rebag(&good, |p| {
        json_edit::<PackageInfo>(p, "package.json", |i| {
            i.units.pop();
        })
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("not a unit of the package"), "{e}");

    // The upstream unit taken out whole: its records, its place in others' listings, the
    // counts, the manifests — what it was made into still names it as an input.
    let material_code = code_path(&material());
    // Take the unit out of records.json and package.json, counts kept consistent.
    let drop_unit = |p: &mut BTreeMap<String, Vec<u8>>, left_out: Option<audit::Omitted>| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            rs.retain(|r| r.listed_under != vec![material_code.clone()]);
            for r in rs.iter_mut() {
                r.listed_under.retain(|u| *u != material_code);
            }
        });
        let n = serde_json::from_slice::<Vec<RecordEntry>>(&p["records.json"])
            .unwrap()
            .len();
        json_edit::<PackageInfo>(p, "package.json", |i| {
            i.units.retain(|u| u.code != material_code);
            i.records = n;
            i.not_included.extend(left_out);
        });
    };
    let t = rebag(&good, |p| drop_unit(p, None));
    let e = failure_text(verify(&t));
    assert!(
        e.contains("upstream of the batch, yet neither in the package nor named as left out"),
        "{e}"
    );
    // ... or named as left out in a regulator's package (regulators read every unit).
    let t = rebag(&good, |p| {
        drop_unit(
            p,
            Some(audit::Omitted {
                code: material_code.clone(),
                reason: "not the reader's (R-A5)".into(),
            }),
        )
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("a regulator's package leaves units out"), "{e}");
    // A unit that is not upstream of the batch, added as if it were.
    let t = rebag(&good, |p| {
        json_edit::<PackageInfo>(p, "package.json", |i| {
            i.not_included.push(audit::Omitted {
                code: code_path(&flow::featured_unit()),
                reason: "made up".into(),
            });
        })
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("is not upstream of the batch"), "{e}");
    // A record's source relabelled (a transaction shown as an item of another).
    let t = rebag(&good, |p| {
        json_edit::<Vec<RecordEntry>>(p, "records.json", |rs| {
            rs[2].source = serde_json::json!({"bulk_import": rs[2].carrier.to_hex(), "item": 0});
        })
    });
    let e = failure_text(verify(&t));
    assert!(
        e.contains("its source is not how the chain holds it"),
        "{e}"
    );
    // A record's transaction left out of transactions.json.
    let t = rebag(&good, |p| {
        let carrier = serde_json::from_slice::<Vec<RecordEntry>>(&p["records.json"]).unwrap()[2]
            .carrier
            .to_hex();
        json_edit::<BTreeMap<String, String>>(p, "transactions.json", |m| {
            m.remove(&carrier);
        });
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("not in transactions.json"), "{e}");

    // The read height's header replaced by another height's claim.
    let t = rebag(&good, |p| {
        json_edit::<PackageInfo>(p, "package.json", |i| i.read_at.block_time_ms += 1)
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("read_at"), "{e}");

    // A validator-set change invented by the package: its proof is of another key.
    let t = rebag(&good, |p| {
        json_edit::<ChainFile>(p, "chain.json", |c| {
            let forged = ValidatorSet::new(
                (0..4)
                    .map(|i| tracechain_types::validator::Validator {
                        public_key: key(&format!("forger-{i}")).public(),
                        name: format!("forger-{i}"),
                    })
                    .collect(),
            )
            .unwrap();
            let proof = c.change_count.clone();
            c.validator_set_changes.push(audit::SetChange {
                effective_height: proof.height + 1,
                set: forged,
                proof: tracechain_api::proof::FactProof {
                    height: proof.height - 1,
                    ..proof
                },
            });
        })
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("chain.json"), "{e}");

    // An EPCIS "original" no capture bound.
    let t = rebag(&good, |p| {
        let b = b"{\"event\":{}}".to_vec();
        p.insert(
            format!("epcis/{}.json", tracechain_types::Hash::digest(&b).to_hex()),
            b,
        );
    });
    let e = failure_text(verify(&t));
    assert!(e.contains("original of no captured event"), "{e}");

    // Under another consortium's genesis nothing holds.
    let other = ValidatorSet::new(
        (0..4)
            .map(|i| tracechain_types::validator::Validator {
                public_key: key(&format!("other-validator-{i}")).public(),
                name: format!("v{i}"),
            })
            .collect(),
    )
    .unwrap();
    let e = audit::verify(
        &good,
        &Trust::genesis(chain(), other),
        audit::MAX_PACKAGE_BYTES,
        audit::MAX_PACKAGE_FILES,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not trusted"), "{e}");

    // Truncated or oversized: refused, no panic.
    for cut in [0, 512, good.len() / 2, good.len() - 1] {
        assert!(verify(&good[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        audit::verify(&good, &trust(), 1024, audit::MAX_PACKAGE_FILES),
        Err(AuditFailure::Bag(bag::BagError::TooLarge(..)))
    ));
}
