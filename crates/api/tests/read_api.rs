//! The read API over a real data directory holding the demo's tea export flow: proofs that
//! verify offline (and fail when tampered), the role matrix (R-A5), paging, the resolver,
//! and a hostile sweep of every endpoint.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::Value;
use tracechain_api::proof::{verify_fact, verify_record, FactProof, ProofBase, RecordProof, Trust};
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_contracts::{state_keys, IndexTag};
use tracechain_types::{Category, Hash, ListingDigest};
use tracechain_workload::flow;

fn featured() -> String {
    code_path(&flow::featured_unit())
}

fn batch() -> String {
    code_path(&flow::batch())
}

fn trust() -> Trust {
    Trust::genesis(chain(), genesis().validators)
}

/// The `tud/` key of the tin's or the batch's listing.
fn listing_key(code: &str) -> Vec<u8> {
    assert!(code == featured() || code == batch(), "{code}");
    let c = if code == featured() {
        flow::featured_unit()
    } else {
        flow::batch()
    };
    state_keys::unit_digest(&NormalisedCode::new("code", &c).unwrap())
}

/// Every record of the unit's listing, page by page, as a regulator.
async fn all_pages(f: &Fixture, code: &str, limit: usize) -> Vec<Value> {
    let r = f.router();
    let reg = key("customs-regulator");
    let mut target = format!("/v1/trace/{code}?limit={limit}");
    let mut pages = Vec::new();
    let mut ts = NOW_MS + 60_000;
    loop {
        ts += 1;
        let a = send(&r, request("GET", &target, vec![], Some(&reg), ts)).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        let v = a.json();
        let next = v["next"].as_str().map(str::to_string);
        if let Some(n) = &next {
            let link = a.headers.get("link").unwrap().to_str().unwrap();
            assert_eq!(link, format!("<{n}>; rel=\"next\""));
        } else {
            assert!(a.headers.get("link").is_none());
        }
        pages.push(v);
        match next {
            Some(n) => target = n,
            None => return pages,
        }
    }
}

#[tokio::test]
async fn a_trace_proves_every_record_and_the_listing_complete() {
    let f = build();
    let pages = all_pages(&f, &featured(), 7).await;
    assert!(pages.len() > 1, "7 records a page pages the flow's tin");
    // (listing code, (height, index, bulk item), record id) of every record on every page.
    let mut seen: Vec<(String, (u64, u32, u32), Hash)> = Vec::new();
    let mut listings: Vec<(String, u64, Hash, FactProof, ProofBase)> = Vec::new();
    for v in &pages {
        let base: ProofBase = serde_json::from_value(v["proofs"].clone()).unwrap();
        let height = v["read_at"]["height"].as_u64().unwrap();
        assert!(
            base.headers.contains_key(&height),
            "the height read at is certified"
        );
        for r in v["records"].as_array().unwrap() {
            let p: RecordProof = serde_json::from_value(r["proof"].clone()).unwrap();
            let tx = verify_record(&base, &trust(), &p).unwrap();
            assert_eq!(
                serde_json::to_value(&tx.body.payload).unwrap(),
                r["payload"],
                "the record shown is the record proven"
            );
            assert_eq!(p.record_id.to_hex(), r["record_id"].as_str().unwrap());
            assert_eq!(tx.body.signer.to_hex(), r["signer"].as_str().unwrap());
            assert_eq!(p.height, r["height"].as_u64().unwrap());
            // The listing it was read from: the tin's or the batch's.
            let listing = r["listing"].as_str().unwrap().to_string();
            assert!(listing == featured() || listing == batch(), "{listing}");
            seen.push((
                listing,
                (p.height, p.index, p.bulk_item.unwrap_or(0)),
                p.record_id,
            ));
        }
        for l in v["listings"].as_array().unwrap() {
            let fp: FactProof = serde_json::from_value(l["proof"].clone()).unwrap();
            listings.push((
                l["code"].as_str().unwrap().to_string(),
                l["count"].as_u64().unwrap(),
                l["digest"].as_str().unwrap().parse().unwrap(),
                fp,
                base.clone(),
            ));
        }
    }
    for (code, count, digest, fp, base) in &listings {
        let value = verify_fact(base, &trust(), &listing_key(code), fp)
            .unwrap()
            .expect("the listing digest is present");
        let proven: ListingDigest = tracechain_types::decode(&value, 1024).unwrap();
        assert_eq!((proven.count, proven.digest), (*count, *digest));
        let mut ids: Vec<_> = seen.iter().filter(|s| &s.0 == code).collect();
        ids.sort_by_key(|s| s.1);
        ids.dedup_by_key(|s| s.2);
        proven
            .check(ids.iter().map(|s| &s.2))
            .unwrap_or_else(|e| panic!("listing of {code} is not complete: {e}"));
        // One record left out is caught.
        assert!(proven.check(ids.iter().skip(1).map(|s| &s.2)).is_err());
    }
    assert_eq!(
        listings
            .iter()
            .map(|l| l.0.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        2,
        "the tin and its batch"
    );
}

#[tokio::test]
async fn a_tampered_proof_fails_offline() {
    let f = build();
    let v = &all_pages(&f, &featured(), 50).await[0];
    let base: ProofBase = serde_json::from_value(v["proofs"].clone()).unwrap();
    let r0 = &v["records"][0];
    let p: RecordProof = serde_json::from_value(r0["proof"].clone()).unwrap();
    verify_record(&base, &trust(), &p).unwrap();

    // A byte of the signed record flipped.
    let mut bad = p.clone();
    let mut tx = base64_decode(&bad.tx);
    let last = tx.len() - 70;
    tx[last] ^= 1;
    bad.tx = base64_encode(&tx);
    assert!(verify_record(&base, &trust(), &bad).is_err());
    // Claimed at another position.
    let mut bad = p.clone();
    bad.index += 1;
    assert!(verify_record(&base, &trust(), &bad).is_err());
    // Another record's id.
    let mut bad = p.clone();
    bad.record_id = Hash::digest(b"other");
    assert!(verify_record(&base, &trust(), &bad).is_err());
    // A certificate short of a quorum.
    let mut weak = base.clone();
    for h in weak.headers.values_mut() {
        h.certificate.votes.truncate(2);
    }
    assert!(verify_record(&weak, &trust(), &p).is_err());
    // A header altered (its certificate no longer signs it).
    let mut forged = base.clone();
    forged
        .headers
        .get_mut(&p.height)
        .unwrap()
        .header
        .timestamp_ms += 1;
    assert!(verify_record(&forged, &trust(), &p).is_err());

    // A made-up chain: one validator the verifier never trusted certifies a header of its
    // own; and the real answer checked against another chain's trust.
    let fake = tracechain_types::SecretKey::from_seed([9; 32]);
    let fake_set = tracechain_types::ValidatorSet::new(vec![tracechain_types::Validator {
        public_key: fake.public(),
        name: "fake".into(),
    }])
    .unwrap();
    let mut made_up = base.clone();
    let ch = made_up.headers.get_mut(&p.height).unwrap();
    ch.header.validator_set_hash = fake_set.hash();
    let hash = ch.header.hash();
    let msg =
        tracechain_types::commit_signing_bytes(&chain(), p.height, ch.certificate.view, &hash);
    ch.certificate.block_hash = hash;
    ch.certificate.votes = vec![tracechain_types::CommitVote {
        validator: fake.public(),
        signature: fake.sign(&msg),
    }];
    made_up
        .validator_sets
        .insert(fake_set.hash().to_hex(), fake_set.clone());
    assert!(matches!(
        verify_record(&made_up, &trust(), &p),
        Err(tracechain_api::proof::ProofFailure::UntrustedValidatorSet(
            _
        ))
    ));
    // Trusting the fake set, the made-up header would pass: the check above is the trust.
    let mut gullible = trust();
    gullible.validator_sets = vec![fake_set.clone()];
    assert!(verify_record(&made_up, &gullible, &p).is_ok());
    // Sets over time (a verified chain audit, ADR 0087): a set certifies only the heights it
    // was in force. Both sets trusted; the made-up one in force only after the record's
    // height: refused; in force from it: the made-up header passes and the genesis set, now
    // replaced, certifies nothing at that height.
    let genesis_set = genesis().validators;
    let mut over_time = trust();
    over_time.validator_sets = vec![genesis_set.clone(), fake_set.clone()];
    over_time.periods = vec![(1, genesis_set.hash()), (p.height + 1, fake_set.hash())];
    assert!(verify_record(&base, &over_time, &p).is_ok());
    assert!(matches!(
        verify_record(&made_up, &over_time, &p),
        Err(tracechain_api::proof::ProofFailure::UntrustedValidatorSet(
            _
        ))
    ));
    over_time.periods = vec![(1, genesis_set.hash()), (p.height, fake_set.hash())];
    assert!(verify_record(&made_up, &over_time, &p).is_ok());
    assert!(matches!(
        verify_record(&base, &over_time, &p),
        Err(tracechain_api::proof::ProofFailure::UntrustedValidatorSet(
            _
        ))
    ));
    // A height below the first period: no set certifies it.
    over_time.periods = vec![(p.height + 1, genesis_set.hash())];
    assert!(matches!(
        verify_record(&base, &over_time, &p),
        Err(tracechain_api::proof::ProofFailure::UntrustedValidatorSet(
            _
        ))
    ));
    let mut other_chain = trust();
    other_chain.chain_id = tracechain_types::ChainId::new("another-chain").unwrap();
    assert!(verify_record(&base, &other_chain, &p).is_err());
    // A transaction that is no bulk import presented as one's item.
    let mut item = p.clone();
    item.bulk_item = Some(0);
    assert!(verify_record(&base, &trust(), &item).is_err());

    // A listing digest: the right key verifies; another key, another height's header, or a
    // proof byte changed do not.
    let l = &v["listings"][0];
    let code = l["code"].as_str().unwrap();
    let fp: FactProof = serde_json::from_value(l["proof"].clone()).unwrap();
    verify_fact(&base, &trust(), &listing_key(code), &fp).unwrap();
    let other = if code == featured() {
        batch()
    } else {
        featured()
    };
    assert!(verify_fact(&base, &trust(), &listing_key(&other), &fp).is_err());
    let mut moved = fp.clone();
    moved.height = p.height;
    assert_ne!(
        p.height, fp.height,
        "the record is older than the height read at"
    );
    assert!(verify_fact(&base, &trust(), &listing_key(code), &moved).is_err());
    let mut bent = fp.clone();
    let mut proof = base64_decode(&bent.proof);
    let n = proof.len() - 1;
    proof[n] ^= 1;
    bent.proof = base64_encode(&proof);
    assert!(verify_fact(&base, &trust(), &listing_key(code), &bent).is_err());
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Who may read an endpoint (R-A5).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// Anyone.
    Public,
    /// Regulators and the participants that took part in the unit.
    TookPart,
    /// Regulators and the unit's registrant (everything downstream of a batch).
    Downstream,
    /// Regulators and the participants that took part in the batch itself (the audit
    /// package, R-S2); the answer is a tar, not JSON.
    BatchParty,
}

/// Every read endpoint, as (method, target, body, who may read it).
fn endpoints() -> Vec<(&'static str, String, Vec<u8>, Access)> {
    use Access::*;
    let t = featured();
    let b = batch();
    let doc = flow::certificate_of_origin().to_hex();
    let dl = flow::featured_unit();
    let (gtin, serial) = match &dl {
        tracechain_types::records::TraceCode::Item { gtin, serial } => {
            (format!("{gtin:0>14}"), serial.clone())
        }
        _ => unreachable!(),
    };
    vec![
        ("GET", "/v1/whoami".into(), vec![], Public),
        ("GET", format!("/v1/trace/{t}"), vec![], TookPart),
        (
            "GET",
            format!("/v1/trace/{t}/completeness"),
            vec![],
            TookPart,
        ),
        ("GET", format!("/v1/trace/{t}/trajectory"), vec![], Public),
        ("GET", format!("/v1/trace/{t}/alerts"), vec![], TookPart),
        (
            "GET",
            format!("/v1/trace/{t}/lineage?direction=back"),
            vec![],
            TookPart,
        ),
        (
            "GET",
            format!("/v1/trace/{b}/lineage?direction=forward"),
            vec![],
            Downstream,
        ),
        ("GET", format!("/v1/story/{t}"), vec![], Public),
        ("GET", format!("/v1/recalls/{b}/impact"), vec![], Downstream),
        ("GET", format!("/v1/recalls/{t}/status"), vec![], Public),
        ("GET", format!("/v1/documents/{doc}"), vec![], Public),
        (
            "POST",
            "/v1/documents/check".into(),
            b"not an anchored file".to_vec(),
            Public,
        ),
        ("GET", format!("/01/{gtin}/21/{serial}"), vec![], Public),
        ("GET", format!("/v1/audit/{b}"), vec![], BatchParty),
    ]
}

#[tokio::test]
async fn the_role_matrix_allows_only_its_cells() {
    let f = build();
    let r = f.router();
    // (reader, took part in the tin, registered it, its role, took part in the batch)
    let readers: Vec<(Option<&str>, bool, bool, &str, bool)> = vec![
        (None, false, false, "public", false),
        (Some("consumer-1"), false, false, "public", false),
        (Some("bench-0-producer"), false, false, "participant", false),
        (
            Some("bench-0-logistics"),
            false,
            false,
            "participant",
            false,
        ),
        // It anchored a document about the tin: speaking about a unit is not taking part.
        (Some("bench-0-trader"), false, false, "participant", false),
        (Some("producer"), true, true, "participant", true),
        (Some("platform"), true, false, "participant", true),
        (Some("logistics"), true, false, "participant", true),
        (Some("customs-regulator"), true, true, "regulator", true),
        (Some("tax-regulator"), true, true, "regulator", true),
        (
            Some("stranger-never-registered"),
            false,
            false,
            "public",
            false,
        ),
    ];
    let mut ts = NOW_MS + 60_000;
    let mut cells = 0;
    for (who, took_part, registrant, role, batch_party) in &readers {
        let k = who.map(key);
        for (m, target, body, access) in endpoints() {
            ts += 1;
            let a = send(&r, request(m, &target, body, k.as_ref(), ts)).await;
            let allowed = match access {
                Access::Public => true,
                Access::TookPart => *took_part,
                Access::Downstream => *registrant,
                Access::BatchParty => *batch_party,
            };
            cells += 1;
            if allowed && access == Access::BatchParty {
                assert_eq!(a.status, 200, "{who:?} {m} {target}");
                assert_eq!(a.headers["content-type"], "application/x-tar");
                assert!(a.headers.contains_key("tracechain-height"));
            } else if allowed {
                assert!(
                    a.status == 200,
                    "{who:?} {m} {target}: {} {}",
                    a.status,
                    String::from_utf8_lossy(&a.body)
                );
                let v = a.json();
                assert_eq!(v["read_at"]["role"], *role, "{who:?} {target}");
                assert!(a.headers.contains_key("tracechain-height"));
            } else {
                assert_eq!(
                    a.status,
                    403,
                    "{who:?} {m} {target}: {}",
                    String::from_utf8_lossy(&a.body)
                );
                let v = a.json();
                assert_eq!(v["code"], "E_NOT_ALLOWED");
                assert_eq!(v["rule"], "R-A5");
                assert_eq!(a.headers["content-type"], "application/problem+json");
            }
        }
        // Exact positions, and the records they come from, only for those who took part;
        // the public's are on the 0.01° grid and name no record.
        ts += 1;
        let a = send(
            &r,
            request(
                "GET",
                &format!("/v1/trace/{}/trajectory", featured()),
                vec![],
                k.as_ref(),
                ts,
            ),
        )
        .await;
        let v = a.json();
        let points = v["points"].as_array().unwrap();
        assert!(!points.is_empty());
        let on_grid = |p: &Value| {
            p["lat_e7"].as_i64().unwrap() % 100_000 == 0
                && p["lon_e7"].as_i64().unwrap() % 100_000 == 0
        };
        if *took_part {
            assert_eq!(v["precision"], "exact", "{who:?}");
            assert!(
                points.iter().any(|p| !on_grid(p)),
                "exact positions are not all on the grid"
            );
            assert!(points.iter().all(|p| p["record_id"].is_string()));
        } else {
            assert_eq!(v["precision"], "public", "{who:?}");
            assert!(points.iter().all(on_grid), "{who:?}: {v}");
            assert!(points
                .iter()
                .all(|p| p.get("record_id").is_none() && p.get("height").is_none()));
        }
    }
    assert_eq!(cells, readers.len() * endpoints().len());
}

#[tokio::test]
async fn the_story_says_what_a_consumer_may_see() {
    let f = build();
    let r = f.router();
    let a = send(
        &r,
        request("GET", &format!("/v1/story/{}", featured()), vec![], None, 0),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["unit"]["code"], featured());
    assert_eq!(v["unit"]["batch"], batch());
    assert_eq!(v["recall"]["recalled"], false);
    assert_eq!(v["scans"]["count"], 2);
    assert_eq!(v["scans"]["suspicious"], false);
    assert!(v["scans"]["first_scan_ms"].is_u64());
    assert!(v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["competent"] == true && c["valid"] == true));
    assert_eq!(v["trajectory"]["precision"], "public");
    for p in v["trajectory"]["points"].as_array().unwrap() {
        assert_eq!(p["lat_e7"].as_i64().unwrap() % 100_000, 0, "{p}");
        assert!(p.get("record_id").is_none());
    }
    // Certificates say who and whether to rely on them, not their hashes; the outsider's
    // leaflet (an issuer not competent for anything) is not valid for a consumer.
    for c in v["certificates"].as_array().unwrap() {
        assert!(c.get("document_hash").is_none(), "{c}");
        if c["competent"] == false {
            assert_eq!(c["valid"], false, "{c}");
        }
    }
    assert!(v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["competent"] == false));
    // Nothing of the records themselves (signed payloads, commitments) is in the story.
    assert!(v.get("records").is_none());
    let text = String::from_utf8_lossy(&a.body);
    assert!(!text.contains("\"payload\""));
    // The registration is proven against the certified state root of the height read at; a
    // proof of it does not prove another unit's.
    let base: ProofBase = serde_json::from_value(v["proofs"].clone()).unwrap();
    let reg: FactProof = serde_json::from_value(v["registration_proof"].clone()).unwrap();
    let tin = state_keys::trace_unit(&NormalisedCode::new("code", &flow::featured_unit()).unwrap());
    assert!(verify_fact(&base, &trust(), &tin, &reg).unwrap().is_some());
    let other = state_keys::trace_unit(&NormalisedCode::new("code", &flow::batch()).unwrap());
    assert!(verify_fact(&base, &trust(), &other, &reg).is_err());
    assert_eq!(v["recall"]["recalls"], serde_json::json!([]));
    // The customs status, recorded, is proven by a customs (C2) index entry of the tin or
    // its batch.
    assert_eq!(v["customs_status_recorded"], true);
    let customs: FactProof = serde_json::from_value(v["customs_proof"].clone()).unwrap();
    let key = hex::decode(&customs.key).unwrap();
    let under = |c: &tracechain_types::records::TraceCode| {
        let n = NormalisedCode::new("code", c).unwrap();
        key.starts_with(&state_keys::unit_records_of(
            &n,
            IndexTag::Info(Category::C2),
        ))
    };
    assert!(under(&flow::featured_unit()) || under(&flow::batch()));
    assert!(verify_fact(&base, &trust(), &key, &customs)
        .unwrap()
        .is_some());
    // Each certificate is proven by its unit's certificate fact, which names no hash: the
    // story holds none of the documents' hashes.
    for h in [
        flow::certificate_of_origin(),
        flow::sanitary_certificate(),
        flow::organic_certification(),
    ] {
        assert!(!text.contains(&h.to_hex()), "{h}");
    }
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 4);
    let units = [
        NormalisedCode::new("code", &flow::batch()).unwrap(),
        NormalisedCode::new("code", &flow::featured_unit()).unwrap(),
    ];
    for c in certs {
        let p: FactProof = serde_json::from_value(c["proof"].clone()).unwrap();
        let key = hex::decode(&p.key).unwrap();
        assert!(
            units
                .iter()
                .any(|n| key.starts_with(&state_keys::prefix("dcp/", &[n.as_bytes()]))),
            "{c}"
        );
        let value = verify_fact(&base, &trust(), &key, &p)
            .unwrap()
            .expect("present");
        let fact: tracechain_contracts::documents::CertificateFact =
            borsh::from_slice(&value).unwrap();
        assert_eq!(fact.issuer.to_hex(), c["issuer"].as_str().unwrap());
        assert_eq!(serde_json::to_value(fact.document_type).unwrap(), c["type"]);
        assert_eq!(fact.competent, c["competent"].as_bool().unwrap());
        assert_eq!(c["anchored_ms"].as_u64().unwrap(), fact.timestamp_ms);
        assert_eq!(
            fact.revoked_height.is_some(),
            c["revoked"].as_bool().unwrap()
        );
    }
}

/// Once the batch is recalled, the tin's story names the recall with the proof of its entry.
#[tokio::test]
async fn a_recalled_units_story_proves_the_recall() {
    let f = build();
    f.append(&[recall_step("RC-STORY-1", "residue")]);
    let r = f.router();
    let a = send(
        &r,
        request("GET", &format!("/v1/story/{}", featured()), vec![], None, 0),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["recall"]["recalled"], true);
    let rc = &v["recall"]["recalls"][0];
    assert_eq!(rc["reference"], "RC-STORY-1");
    // A recall of the tin's own batch: proven by its `rcl/n/` entry, whose value is empty (the
    // reason is not the public's).
    assert_eq!(rc["recalled_unit"], batch());
    assert!(!String::from_utf8_lossy(&a.body).contains("residue"));
    let base: ProofBase = serde_json::from_value(v["proofs"].clone()).unwrap();
    let p: FactProof = serde_json::from_value(rc["proof"].clone()).unwrap();
    let issuer = key("market-regulation-regulator").public();
    let node = tracechain_contracts::lineage::Node::unit(
        &NormalisedCode::new("code", &flow::batch()).unwrap(),
    );
    let k = tracechain_contracts::recall::node_recall_key(&node, &issuer, "RC-STORY-1");
    let proven = verify_fact(&base, &trust(), &k, &p)
        .unwrap()
        .expect("present");
    assert!(proven.is_empty(), "the entry carries no reason");
    // The same proof under another reference proves nothing.
    let wrong = tracechain_contracts::recall::node_recall_key(&node, &issuer, "RC-STORY-2");
    assert!(verify_fact(&base, &trust(), &wrong, &p).is_err());
}

#[tokio::test]
async fn a_document_check_proves_its_anchor() {
    let f = build();
    let r = f.router();
    let h = flow::certificate_of_origin().to_hex();
    let a = send(
        &r,
        request("GET", &format!("/v1/documents/{h}"), vec![], None, 0),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["anchored"], true);
    assert_eq!(v["valid"], true);
    let base: ProofBase = serde_json::from_value(v["proofs"].clone()).unwrap();
    for an in v["anchors"].as_array().unwrap() {
        let fp: FactProof = serde_json::from_value(an["proof"].clone()).unwrap();
        let issuer: tracechain_types::PublicKey = an["issuer"].as_str().unwrap().parse().unwrap();
        let k =
            tracechain_contracts::documents::document_key(&flow::certificate_of_origin(), &issuer);
        assert!(
            verify_fact(&base, &trust(), &k, &fp).unwrap().is_some(),
            "the anchor is proven present"
        );
    }
    // An unknown file: not anchored, and nothing to prove present.
    let a = send(
        &r,
        request("POST", "/v1/documents/check", b"hello".to_vec(), None, 0),
    )
    .await;
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["anchored"], false);
    assert_eq!(v["document_hash"], Hash::digest(b"hello").to_hex());
}

#[tokio::test]
async fn a_recall_simulation_reaches_the_batchs_units() {
    let f = build();
    let r = f.router();
    let reg = key("market-regulation-regulator");
    let a = send(
        &r,
        request(
            "GET",
            &format!("/v1/recalls/{}/impact", batch()),
            vec![],
            Some(&reg),
            NOW_MS + 60_000,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v = a.json();
    assert_eq!(v["complete"], true);
    let units: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    for s in flow::SERIALS {
        assert!(
            units.iter().any(|u| u.ends_with(&format!("21{s}"))),
            "{s} not reached: {units:?}"
        );
    }
    assert!(!v["countries"].as_array().unwrap().is_empty());
    assert!(!v["logistics_units"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_resolver_follows_the_gs1_conformant_resolver_rules() {
    let f = build();
    let r = f.router();
    let (gtin, serial) = match flow::featured_unit() {
        tracechain_types::records::TraceCode::Item { gtin, serial } => {
            (format!("{gtin:0>14}"), serial)
        }
        _ => unreachable!(),
    };
    let path = format!("/01/{gtin}/21/{serial}");
    // Default: the public story, with the linkset announced.
    let a = send(&r, request("GET", &path, vec![], None, 0)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["unit"]["code"], featured());
    assert!(a.headers["link"]
        .to_str()
        .unwrap()
        .contains("rel=\"linkset\""));
    assert_eq!(a.headers["access-control-allow-origin"], "*");
    // HEAD: same status and headers, no body.
    let a = send(&r, request("HEAD", &path, vec![], None, 0)).await;
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    // OPTIONS.
    let a = send(&r, request("OPTIONS", &path, vec![], None, 0)).await;
    assert_eq!(a.status, 204);
    assert!(a.headers["allow"].to_str().unwrap().contains("GET"));
    // A link type redirects, passing the rest of the query on.
    let a = send(
        &r,
        request(
            "GET",
            &format!("{path}?linkType=gs1:traceability&limit=5"),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 307);
    assert_eq!(
        a.headers["location"],
        format!("/v1/trace/{}?limit=5", featured())
    );
    let a = send(
        &r,
        request(
            "GET",
            &format!("{path}?linkType=gs1:recallStatus"),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(
        a.headers["location"],
        format!("/v1/recalls/{}/status", featured())
    );
    // The linkset, by query or by Accept.
    for req in [
        request("GET", &format!("{path}?linkType=linkset"), vec![], None, 0),
        {
            let mut q = request("GET", &path, vec![], None, 0);
            q.headers_mut()
                .insert("accept", "application/linkset+json".parse().unwrap());
            q
        },
    ] {
        let a = send(&r, req).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.headers["content-type"], "application/linkset+json");
        let v = a.json();
        let set = &v["linkset"][0];
        assert!(set["anchor"].as_str().unwrap().ends_with(&path));
        assert!(set["https://gs1.org/voc/traceability"].is_array());
        assert!(set["https://gs1.org/voc/recallStatus"].is_array());
    }
    // The link type as a full URI, percent-encoded, is the same link type.
    let a = send(
        &r,
        request(
            "GET",
            &format!("{path}?linkType=https%3A%2F%2Fgs1.org%2Fvoc%2FrecallStatus"),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 307);
    assert_eq!(
        a.headers["location"],
        format!("/v1/recalls/{}/status", featured())
    );
    // No link is offered for a unit no one registered, nor for an item under a batch it is
    // not of.
    for q in ["?linkType=linkset", "?linkType=gs1:traceability", ""] {
        let a = send(
            &r,
            request("GET", &format!("/01/{gtin}/21/NOSUCH{q}"), vec![], None, 0),
        )
        .await;
        assert_eq!(a.status, 404, "{q}");
    }
    let a = send(
        &r,
        request(
            "GET",
            &format!("/01/{gtin}/10/OTHER/21/{serial}"),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 404, "{}", String::from_utf8_lossy(&a.body));
    let a = send(
        &r,
        request(
            "GET",
            &format!("/01/{gtin}/10/{}/21/{serial}", flow::BATCH),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    // A hostile Host header is not echoed into the links.
    let mut q = request("GET", &format!("{path}?linkType=linkset"), vec![], None, 0);
    q.headers_mut()
        .insert("host", "evil.example>; rel=\"x\"".parse().unwrap());
    let a = send(&r, q).await;
    assert!(
        !String::from_utf8_lossy(&a.body).contains("evil"),
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    // An unknown link type is a 404 naming those offered.
    let a = send(
        &r,
        request(
            "GET",
            &format!("{path}?linkType=gs1:nonsense"),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["code"], "E_NO_SUCH_LINK_TYPE");
    // The batch's link, with a qualifier order GS1 allows.
    let a = send(
        &r,
        request(
            "GET",
            &format!("/01/{gtin}/10/{}", flow::BATCH),
            vec![],
            None,
            0,
        ),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["unit"]["code"], batch());
    // The description file.
    let a = send(
        &r,
        request("GET", "/.well-known/gs1resolver", vec![], None, 0),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.json()["supportedPrimaryKeys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k == "01"));
    // Bad Digital Links: 400, never 200.
    for bad in [
        format!("/01/{}/21/{serial}", &gtin[..13]),
        "/01/12345678901234/21/X".to_string(),
        format!("/01/{gtin}/99/x"),
        format!("/01/{gtin}/21/"),
        "/00/123".to_string(),
    ] {
        let a = send(&r, request("GET", &bad, vec![], None, 0)).await;
        assert_eq!(a.status, 400, "{bad}: {}", String::from_utf8_lossy(&a.body));
        assert_eq!(a.json()["code"], "E_BAD_DIGITAL_LINK", "{bad}");
    }
    // A valid link to a unit no one registered.
    let a = send(
        &r,
        request("GET", &format!("/01/{gtin}/21/NOSUCH"), vec![], None, 0),
    )
    .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn replayed_stale_and_forged_reads_are_refused() {
    let f = build();
    let r = f.router();
    let reg = key("customs-regulator");
    let target = format!("/v1/trace/{}", featured());
    let ts = NOW_MS + 60_000;
    let a = send(&r, request("GET", &target, vec![], Some(&reg), ts)).await;
    assert_eq!(a.status, 200);
    let a = send(&r, request("GET", &target, vec![], Some(&reg), ts)).await;
    assert_eq!(
        (a.status, a.json()["code"].clone()),
        (401, "E_READ_REPLAYED".into())
    );
    let a = send(&r, request("GET", &target, vec![], Some(&reg), ts - 31_000)).await;
    assert_eq!(
        (a.status, a.json()["code"].clone()),
        (401, "E_READ_STALE".into())
    );
    // Signed for another target, sent to this one.
    let mut q = request(
        "GET",
        &format!("/v1/story/{}", featured()),
        vec![],
        Some(&reg),
        ts + 1,
    );
    *q.uri_mut() = target.parse().unwrap();
    let a = send(&r, q).await;
    assert_eq!(
        (a.status, a.json()["code"].clone()),
        (401, "E_READ_BAD_SIGNATURE".into())
    );
    // A regulator's key with a stranger's signature.
    let mut q = request("GET", &target, vec![], Some(&key("stranger")), ts + 2);
    q.headers_mut()
        .insert("tracechain-key", reg.public().to_hex().parse().unwrap());
    let a = send(&r, q).await;
    assert_eq!(a.status, 401);
}

/// Hostile input to every endpoint: never a 5xx, every refusal a problem.
#[tokio::test]
async fn a_hostile_sweep_gets_problems_never_server_errors() {
    let f = build();
    let r = f.router();
    let long = "9".repeat(9000);
    let mut targets: Vec<(String, String)> = Vec::new();
    for bad_code in [
        "",
        "01",
        "0112345678901234",
        "01069712340004121",
        "01ABCDEFGHIJKLMN10X",
        "%FF%FE",
        "01069712340004129910X",
        &long,
        "https%3A%2F%2Fid.gs1.org%2F01%2F1",
        "0106971234000412\u{e9}10X",
    ] {
        for suffix in ["", "/completeness", "/trajectory", "/alerts", "/lineage"] {
            targets.push(("GET".into(), format!("/v1/trace/{bad_code}{suffix}")));
        }
        targets.push(("GET".into(), format!("/v1/story/{bad_code}")));
        targets.push(("GET".into(), format!("/v1/recalls/{bad_code}/impact")));
        targets.push(("GET".into(), format!("/v1/recalls/{bad_code}/status")));
        targets.push(("GET".into(), format!("/v1/audit/{bad_code}")));
    }
    let t = featured();
    for q in [
        "cursor=%%%",
        "cursor=AAAA",
        "cursor=AAAAAAAAAA",
        "limit=0",
        "limit=99999999999999999999",
        "limit=-1",
        "category=ZZ",
        "unknown=1",
        "cursor=////",
    ] {
        targets.push(("GET".into(), format!("/v1/trace/{t}?{q}")));
    }
    targets.push((
        "GET".into(),
        format!("/v1/trace/{t}/lineage?direction=sideways"),
    ));
    for h in ["", "zz", "00", &"0".repeat(65), &long] {
        targets.push(("GET".into(), format!("/v1/documents/{h}")));
    }
    for dl in [
        "/01/",
        "/01/x",
        "/01/%ZZ",
        "/00/",
        "/414/1",
        "/01/06971234000412/10/",
        "/8004/abc",
        &format!("/01/{long}"),
    ] {
        targets.push(("GET".into(), dl.to_string()));
        targets.push(("HEAD".into(), dl.to_string()));
    }
    let zeros = "0".repeat(64);
    for w in [
        "/v1/participants/zz".to_string(),
        format!("/v1/participants/{zeros}"),
        "/v1/participants?state=weird".into(),
        "/v1/participants?after=zz".into(),
        "/v1/participants?limit=0".into(),
        "/v1/participants?limit=100000".into(),
        "/v1/filings/zz/x".into(),
        format!("/v1/filings/{zeros}/x"),
        format!("/v1/declarations/{zeros}/{long}"),
        "/v1/orders/zz/x/closed-loop".into(),
        format!("/v1/orders/{zeros}/%FF/closed-loop"),
        "/v1/feedback/zz/x".into(),
        format!("/v1/feedback/{zeros}/x"),
        "/v1/queues/filings?after=zz".into(),
        "/v1/queues/filings?after=00".into(),
        "/v1/queues/filings?limit=0".into(),
        "/v1/queues/%00".into(),
    ] {
        targets.push(("GET".into(), w));
    }
    let reg = key("customs-regulator");
    let mut ts = NOW_MS + 60_000;
    for (m, target) in &targets {
        for signed in [false, true] {
            ts += 1;
            let Ok(uri) = target.parse::<axum::http::Uri>() else {
                continue;
            };
            let target = uri.to_string();
            let req = request(m, &target, vec![], signed.then_some(&reg), ts);
            let a = send(&r, req).await;
            assert!(a.status < 500, "{m} {target}: {}", a.status);
            if a.status >= 400 && m != "HEAD" {
                assert_eq!(
                    a.headers["content-type"], "application/problem+json",
                    "{m} {target}"
                );
                let v = a.json();
                assert!(
                    v["code"].as_str().unwrap().starts_with("E_"),
                    "{m} {target}"
                );
            }
        }
    }
    // Malformed signature headers.
    for (k, v) in [
        ("tracechain-key", "zz"),
        ("tracechain-timestamp", "-5"),
        ("tracechain-signature", "00"),
    ] {
        let mut q = request("GET", &format!("/v1/trace/{t}"), vec![], Some(&reg), ts + 1);
        ts += 1;
        q.headers_mut().insert(k, v.parse().unwrap());
        let a = send(&r, q).await;
        assert_eq!(a.status, 401, "{k}: {v}");
    }
}

#[tokio::test]
async fn regulators_see_the_workflows_and_enterprises_their_own_status() {
    let f = build();
    let r = f.router();
    let mut ts = NOW_MS + 60_000;
    let mut get = |who: Option<&str>, target: String| {
        ts += 1;
        let k = who.map(key);
        let r = r.clone();
        async move { send(&r, request("GET", &target, vec![], k.as_ref(), ts)).await }
    };
    let producer = key("producer").public().to_hex();
    let platform = key("platform").public().to_hex();

    // The directory: approved organisations, to anyone; the latecomer awaits a decision,
    // which only regulators list.
    let a = get(None, "/v1/participants?limit=200".into()).await;
    assert_eq!(a.status, 200);
    let listed = a.json()["participants"].as_array().unwrap().clone();
    assert!(listed.iter().any(|p| p["key"] == producer));
    assert!(listed
        .iter()
        .all(|p| p.get("state").is_none() && p.get("last_decision").is_none()));
    assert!(!listed.iter().any(|p| p["name"] == "Latecomer Freight Co."));
    let a = get(Some("platform"), "/v1/participants?state=pending".into()).await;
    assert_eq!(a.status, 403);
    let a = get(
        Some("customs-regulator"),
        "/v1/participants?state=pending".into(),
    )
    .await;
    assert_eq!(a.status, 200);
    let pending = a.json()["participants"].as_array().unwrap().clone();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["name"], "Latecomer Freight Co.");
    assert_eq!(pending[0]["state"], "pending");
    // One participant: the public sees an approved organisation's directory entry and nothing
    // of a pending one; regulators and the latecomer itself (pending: the public's role)
    // see its state.
    let latecomer = key("latecomer").public().to_hex();
    assert_eq!(
        get(None, format!("/v1/participants/{latecomer}"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(Some("platform"), format!("/v1/participants/{latecomer}"))
            .await
            .status,
        404
    );
    for who in ["customs-regulator", "latecomer"] {
        let a = get(Some(who), format!("/v1/participants/{latecomer}")).await;
        assert_eq!(a.status, 200, "{who}");
        assert_eq!(a.json()["participant"]["state"], "pending", "{who}");
    }
    let a = get(None, format!("/v1/participants/{producer}")).await;
    assert_eq!(a.status, 200);
    assert!(
        a.json()["participant"].get("state").is_none(),
        "the public sees no state"
    );
    // Filters: a country lists its participants only; a country no participant is in lists
    // none; a malformed one is refused.
    let de = get(None, "/v1/participants?country=DE".into()).await.json();
    let de = de["participants"].as_array().unwrap();
    assert!(!de.is_empty() && de.len() < listed.len());
    assert!(de.iter().all(|p| p["country"] == "DE"));
    let a = get(None, "/v1/participants?country=JP".into()).await;
    assert_eq!(a.status, 200);
    assert!(a.json()["participants"].as_array().unwrap().is_empty());
    assert_eq!(
        get(None, "/v1/participants?country=cn".into()).await.status,
        400
    );
    assert_eq!(
        get(
            Some("tax-regulator"),
            "/v1/queues/prefixes?department=customs".into()
        )
        .await
        .status,
        400
    );
    // Paging walks the whole directory exactly once.
    let mut seen = Vec::new();
    let mut target = "/v1/participants?limit=3".to_string();
    loop {
        let v = get(None, target.clone()).await.json();
        seen.extend(
            v["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["key"].as_str().unwrap().to_string()),
        );
        match v["next"].as_str() {
            Some(n) => target = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), listed.len());
    assert_eq!(
        seen.iter().collect::<std::collections::BTreeSet<_>>().len(),
        seen.len()
    );

    // The producer's filing and export declaration: each department's decision (R-B2, R-B3).
    for (what, r) in [
        ("filings", flow::FILING_REF),
        ("declarations", flow::EXPORT_DECLARATION_REF),
    ] {
        let target = format!("/v1/{what}/{producer}/{r}");
        for (who, ok) in [
            (Some("producer"), true),
            (Some("customs-regulator"), true),
            (Some("platform"), false),
            (Some("bench-0-producer"), false),
            (None, false),
        ] {
            let a = get(who, target.clone()).await;
            if ok {
                assert_eq!(
                    a.status,
                    200,
                    "{who:?} {target}: {}",
                    String::from_utf8_lossy(&a.body)
                );
                let v = a.json();
                assert_eq!(v["status"], "approved", "{v}");
                assert_eq!(
                    v["decisions"].as_array().unwrap().len(),
                    v["departments"].as_array().unwrap().len()
                );
                assert!(v["awaiting"].as_array().unwrap().is_empty());
            } else {
                assert_eq!(a.status, 403, "{who:?} {target}");
            }
        }
    }
    assert_eq!(
        get(Some("producer"), format!("/v1/filings/{producer}/NO-SUCH"))
            .await
            .status,
        404
    );
    // The outsider's filing awaits every department; nothing else awaits a decision.
    let outsider = key("bench-0-producer").public().to_hex();
    for q in [
        "filings",
        "declarations",
        "prefixes",
        "filings?department=customs",
        "filings?department=commerce",
    ] {
        let a = get(Some("tax-regulator"), format!("/v1/queues/{q}")).await;
        assert_eq!(a.status, 200, "{q}");
        let items = a.json()["items"].as_array().unwrap().clone();
        if q == "filings" || q == "filings?department=customs" {
            assert_eq!(items.len(), 1, "{q}: {items:?}");
            assert_eq!(items[0]["enterprise"], outsider);
            assert_eq!(items[0]["reference"], "OUTSIDER-FILING-1");
            assert_eq!(
                items[0]["awaiting"].as_array().unwrap().len(),
                4,
                "{items:?}"
            );
        } else {
            assert!(items.is_empty(), "{q}: {items:?}");
        }
        assert_eq!(
            get(Some("producer"), format!("/v1/queues/{q}"))
                .await
                .status,
            403
        );
    }
    assert_eq!(
        get(Some("tax-regulator"), "/v1/queues/other".into())
            .await
            .status,
        404
    );
    assert_eq!(
        get(
            Some("tax-regulator"),
            "/v1/queues/filings?department=nobody".into()
        )
        .await
        .status,
        400
    );

    // The order's closed loop (R-Q2): its platform and regulators read it.
    let target = format!("/v1/orders/{platform}/{}/closed-loop", flow::ORDER_REF);
    let a = get(Some("platform"), target.clone()).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v = a.json();
    assert!(v["order"].is_string(), "{v}");
    assert!(["matched", "incomplete", "mismatched"].contains(&v["verdict"].as_str().unwrap()));
    assert_eq!(get(Some("producer"), target.clone()).await.status, 403);
    assert_eq!(
        get(Some("market-regulation-regulator"), target)
            .await
            .status,
        200
    );
}

/// Read SSE frames from an event stream until `until` says stop (or 5 s pass): (event, id,
/// data) of each event.
async fn sse_events(
    r: &axum::Router,
    req: axum::http::Request<axum::body::Body>,
    until: impl Fn(&[(String, Option<String>, Value)]) -> bool,
) -> (u16, Vec<(String, Option<String>, Value)>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = r.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    if status != 200 {
        return (status, vec![]);
    }
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !until(&events) && std::time::Instant::now() < deadline {
        let Ok(Some(Ok(frame))) =
            tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await
        else {
            break;
        };
        if let Ok(d) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&d));
        }
        while let Some(end) = text.find("\n\n") {
            let chunk: String = text.drain(..end + 2).collect();
            let (mut ev, mut id, mut data) = (String::new(), None, String::new());
            for line in chunk.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    ev = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !ev.is_empty() {
                events.push((ev, id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    (status, events)
}

#[tokio::test]
async fn the_event_stream_resumes_after_the_last_block_seen() {
    let f = build();
    let tip = f.store.tip().unwrap().height;
    let r = f.router();
    let last_block = move |evs: &[(String, Option<String>, Value)]| {
        evs.iter()
            .any(|e| e.0 == "block" && e.1.as_deref() == Some(&tip.to_string()))
    };
    // From the start: one block event per height, in order, each the last of its block.
    let (status, evs) = sse_events(
        &r,
        request("GET", "/v1/events?from=0", vec![], None, 0),
        last_block,
    )
    .await;
    assert_eq!(status, 200);
    let blocks: Vec<u64> = evs
        .iter()
        .filter(|e| e.0 == "block")
        .map(|e| e.2["height"].as_u64().unwrap())
        .collect();
    assert_eq!(blocks, (1..=tip).collect::<Vec<_>>());
    for e in &evs {
        if e.0 == "block" {
            assert_eq!(e.1.as_deref(), Some(e.2["height"].to_string().as_str()));
        } else {
            assert!(e.1.is_none(), "only block events carry an id: {e:?}");
        }
    }
    // The public sees no one's transactions.
    assert!(!evs.iter().any(|e| e.0 == "tx"));
    // Resuming with Last-Event-ID: the blocks after it, nothing before.
    let mut q = request("GET", "/v1/events", vec![], None, 0);
    q.headers_mut()
        .insert("last-event-id", (tip - 3).to_string().parse().unwrap());
    let (_, evs) = sse_events(&r, q, last_block).await;
    let blocks: Vec<u64> = evs
        .iter()
        .filter(|e| e.0 == "block")
        .map(|e| e.2["height"].as_u64().unwrap())
        .collect();
    assert_eq!(blocks, vec![tip - 2, tip - 1, tip]);
    // A participant's signed stream carries its own transactions, each once, and no one
    // else's.
    let producer = key("producer");
    let (_, evs) = sse_events(
        &r,
        request(
            "GET",
            "/v1/events?from=0",
            vec![],
            Some(&producer),
            NOW_MS + 60_000,
        ),
        last_block,
    )
    .await;
    let txs: Vec<&Value> = evs.iter().filter(|e| e.0 == "tx").map(|e| &e.2).collect();
    let seqs: Vec<u64> = txs
        .iter()
        .map(|t| t["sequence"].as_u64().unwrap())
        .collect();
    assert!(!seqs.is_empty());
    assert_eq!(
        seqs,
        (0..seqs.len() as u64).collect::<Vec<_>>(),
        "every transaction of the producer, in order"
    );
    // A bad Last-Event-ID is a problem, not a stream.
    let mut q = request("GET", "/v1/events", vec![], None, 0);
    q.headers_mut()
        .insert("last-event-id", "yesterday".parse().unwrap());
    let (status, _) = sse_events(&r, q, |_| true).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn event_streams_are_bounded() {
    let f = build();
    let r = f.router_with(tracechain_api::ReadConfig {
        max_event_streams: 1,
        ..Default::default()
    });
    use tower::ServiceExt;
    let first = r
        .clone()
        .oneshot(request("GET", "/v1/events", vec![], None, 0))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = send(&r, request("GET", "/v1/events", vec![], None, 0)).await;
    assert_eq!(second.status, 503);
    assert_eq!(second.json()["code"], "E_BUSY");
    drop(first);
    let third = r
        .clone()
        .oneshot(request("GET", "/v1/events", vec![], None, 0))
        .await
        .unwrap();
    assert_eq!(third.status(), 200, "a closed stream frees its place");
}

/// The OpenAPI document and the router agree: every documented operation is served (not the
/// fallback's 404, not a 405), and the document is OpenAPI 3.1.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let f = build();
    let r = f.router();
    let doc = serde_json::to_value(tracechain_api::openapi()).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let t = featured();
    let (gtin, serial) = match flow::featured_unit() {
        tracechain_types::records::TraceCode::Item { gtin, serial } => {
            (format!("{gtin:0>14}"), serial)
        }
        _ => unreachable!(),
    };
    let producer = key("producer").public().to_hex();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "head", "options"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let target = path
                .replace("{code}", &t)
                .replace("{hash}", &flow::certificate_of_origin().to_hex())
                .replace("{key}", &producer)
                .replace("{enterprise}", &producer)
                .replace("{owner}", &producer)
                .replace("{author}", &producer)
                .replace("{reference}", "X")
                .replace("{kind}", "filings")
                .replace("{gtin}", &gtin)
                .replace("{serial}", &serial)
                .replace("{batch}", flow::BATCH)
                .replace("{record}", &"0".repeat(64));
            assert!(
                !target.contains('{'),
                "{path}: a parameter the test does not fill"
            );
            let req = request(&method.to_uppercase(), &target, vec![], None, 0);
            let a = if path == "/v1/events" {
                use tower::ServiceExt;
                let resp = r.clone().oneshot(req).await.unwrap();
                Answer {
                    status: resp.status().as_u16(),
                    headers: resp.headers().clone(),
                    body: vec![],
                }
            } else {
                send(&r, req).await
            };
            assert_ne!(a.status, 405, "{method} {path}");
            if a.status == 404 {
                assert_ne!(
                    a.json()["code"],
                    "E_NOT_FOUND",
                    "{method} {path} is documented but not served"
                );
            }
        }
    }
    assert!(operations >= 20, "{operations}");
}

/// The commit-time index of each block's transactions agrees with the block: the same
/// leaves (so the same root), and each transaction read alone is the block's.
#[test]
fn the_block_transaction_index_agrees_with_the_blocks() {
    let f = build();
    let snap = f.store.snapshot();
    let tip = snap.tip().unwrap().height;
    let mut txs = 0;
    for h in 1..=tip {
        let block = snap.block(h).unwrap().unwrap();
        let layout = snap
            .tx_layout(h)
            .unwrap()
            .expect("blocks committed now are indexed");
        assert_eq!(layout.len(), block.txs.len());
        let leaves: Vec<Hash> = layout.iter().map(|l| l.0).collect();
        assert_eq!(
            tracechain_types::merkle::root_of_leaves(&leaves),
            block.header.tx_root,
            "height {h}"
        );
        for (i, tx) in block.txs.iter().enumerate() {
            assert_eq!(leaves[i], tracechain_types::block::tx_leaf(tx));
            assert_eq!(
                snap.tx_at(h, i as u32).unwrap().as_ref(),
                Some(tx),
                "height {h} tx {i}"
            );
            txs += 1;
        }
        assert!(snap.tx_at(h, block.txs.len() as u32).unwrap().is_none());
    }
    assert!(txs > 60);
}

#[tokio::test]
async fn feedback_is_read_by_its_author_regulators_and_the_units_providers_only() {
    let f = build();
    let r = f.router();
    let author = key("consumer-1").public().to_hex();
    let target = format!("/v1/feedback/{author}/FB-1");
    let mut ts = NOW_MS + 60_000;
    for (who, ok) in [
        (Some("consumer-1"), true), // its author (a consumer: the public's role)
        (Some("customs-regulator"), true),
        (Some("producer"), true),  // the tin's batch registrant
        (Some("logistics"), true), // a provider of the unit's records
        (Some("bench-0-producer"), false),
        (Some("consumer-2"), false),
        (None, false),
    ] {
        ts += 1;
        let a = send(
            &r,
            request("GET", &target, vec![], who.map(key).as_ref(), ts),
        )
        .await;
        if ok {
            assert_eq!(
                a.status,
                200,
                "{who:?}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(a.json()["text"], "the tin's lid was dented");
        } else {
            // Not told whether it exists: the same answer as for feedback that does not.
            assert_eq!(a.status, 404, "{who:?}");
            assert_eq!(a.json()["code"], "E_UNKNOWN_FEEDBACK");
        }
    }
    ts += 1;
    let a = send(
        &r,
        request(
            "GET",
            &format!("/v1/feedback/{author}/NOPE"),
            vec![],
            Some(&key("customs-regulator")),
            ts,
        ),
    )
    .await;
    assert_eq!(a.status, 404);
}

/// A stream that started before a block sees it: a regulator's recall is announced to the
/// public, the recalling regulator sees its own transaction, and a consumer's scan alert goes
/// to regulators only.
#[tokio::test]
async fn the_event_stream_follows_new_blocks_live() {
    let f = Arc::new(build());
    let r = f.router();
    let tip = f.store.tip().unwrap().height;
    let appender = {
        let f = f.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            tokio::task::spawn_blocking(move || {
                f.append(&[tracechain_workload::Step {
                    signer: "market-regulation-regulator".into(),
                    label: "recall".into(),
                    payload: tracechain_types::Payload::Recall(
                        tracechain_types::RecallRecord::Recall(tracechain_types::records::Recall {
                            recall_ref: "RC-LIVE-1".into(),
                            batch: flow::batch(),
                            reason: "residue".into(),
                        }),
                    ),
                }]);
            })
            .await
            .unwrap();
        })
    };
    let next = tip + 1;
    let until = move |evs: &[(String, Option<String>, Value)]| {
        evs.iter()
            .any(|e| e.0 == "block" && e.1.as_deref() == Some(&next.to_string()))
    };
    let regulator = key("market-regulation-regulator");
    let (public, own) = tokio::join!(
        sse_events(&r, request("GET", "/v1/events", vec![], None, 0), until),
        sse_events(
            &r,
            request(
                "GET",
                "/v1/events",
                vec![],
                Some(&regulator),
                NOW_MS + 60_000
            ),
            until
        ),
    );
    appender.await.unwrap();
    for (name, (status, evs)) in [("public", &public), ("regulator", &own)] {
        assert_eq!(*status, 200);
        let kinds: Vec<&str> = evs.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(kinds.last(), Some(&"block"), "{name}: {kinds:?}");
        assert!(
            evs.iter().all(|e| e.0 != "block" || e.2["height"] == next),
            "{name}: only the new block"
        );
        let recall = evs
            .iter()
            .find(|e| e.0 == "recall")
            .unwrap_or_else(|| panic!("{name}: {kinds:?}"));
        assert_eq!(recall.2["reference"], "RC-LIVE-1");
        assert_eq!(recall.2["batch"], batch());
    }
    assert!(
        !public.1.iter().any(|e| e.0 == "tx"),
        "the public sees no one's transactions"
    );
    assert_eq!(
        own.1.iter().filter(|e| e.0 == "tx").count(),
        1,
        "the regulator sees its own"
    );
}

#[tokio::test]
async fn a_key_reads_at_its_own_rate() {
    let f = build();
    let r = f.router_with(tracechain_api::ReadConfig {
        read_rate_per_key: 1,
        read_burst_per_key: 2,
        ..Default::default()
    });
    let reg = key("customs-regulator");
    let target = format!("/v1/trace/{}", featured());
    let mut ts = NOW_MS + 60_000;
    for _ in 0..2 {
        ts += 1;
        assert_eq!(
            send(&r, request("GET", &target, vec![], Some(&reg), ts))
                .await
                .status,
            200
        );
    }
    ts += 1;
    let a = send(&r, request("GET", &target, vec![], Some(&reg), ts)).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["code"], "E_RATE_LIMITED");
    // Another key, and the public, are not slowed by it.
    ts += 1;
    let other = send(
        &r,
        request("GET", &target, vec![], Some(&key("tax-regulator")), ts),
    )
    .await;
    assert_eq!(other.status, 200);
    assert_eq!(
        send(
            &r,
            request("GET", &format!("/v1/story/{}", featured()), vec![], None, 0)
        )
        .await
        .status,
        200
    );
    // A second later (the node's clock), the key has a token again.
    f.now.fetch_add(1_000, std::sync::atomic::Ordering::SeqCst);
    ts += 1_000;
    assert_eq!(
        send(&r, request("GET", &target, vec![], Some(&reg), ts))
            .await
            .status,
        200
    );
}

/// Personal data (R-A5, ADR 0082): the order's signer leaves the opening of its shipping
/// address with the node; only a true opening of the commitment on chain is kept, only the
/// signer may leave it, and only regulators and the signer read it back: no other participant
/// (not even one that took part in the unit), no consumer, nobody unsigned.
#[tokio::test]
async fn personal_data_is_kept_when_it_opens_and_read_by_regulators_and_its_signer() {
    let f = build();
    let r = f.router();
    // The flow's order (T1) and its signer.
    let tip = f.store.tip().unwrap().height;
    let (order_id, signer) = (1..=tip)
        .flat_map(|h| f.store.block(h).unwrap().unwrap().txs)
        .find_map(|tx| match &tx.body.payload {
            tracechain_types::Payload::InfoBlock(tracechain_types::InfoBlockRecord::Order(_)) => {
                Some((tx.id(), tx.body.signer))
            }
            _ => None,
        })
        .expect("the flow has an order");
    let who = flow::PARTICIPANTS
        .iter()
        .find(|n| key(n).public() == signer)
        .copied()
        .expect("the order's signer is a flow participant");
    let me = key(who);
    // The workload's salt for the order's commitments (crates/workload: derived from the label).
    let salt =
        tracechain_types::Hash::tagged(b"tracechain/workload-salt/v1", &[b"order".as_slice()]);
    let value = "Torstrasse 1, 10119 Berlin";
    let target = format!("/v1/private/{}", order_id.to_hex());
    let body = |field: &str, salt: &str, value: &str| {
        serde_json::json!({"field": field, "salt": salt, "value": value})
            .to_string()
            .into_bytes()
    };
    let mut ts = NOW_MS + 60_000;
    let mut put = |k: Option<&tracechain_types::SecretKey>, b: Vec<u8>| {
        ts += 1;
        request("PUT", &target, b, k, ts)
    };
    // Wrong value, wrong salt, a field that is no commitment, another signer, unsigned.
    for (k, b, status, code) in [
        (
            Some(&me),
            body("/shipping_address", &salt.to_hex(), "Elsewhere 2"),
            422,
            "E_DOES_NOT_OPEN",
        ),
        (
            Some(&me),
            body("/shipping_address", &"00".repeat(32), value),
            422,
            "E_DOES_NOT_OPEN",
        ),
        (
            Some(&me),
            body("/order_ref", &salt.to_hex(), value),
            422,
            "E_NOT_COMMITTED",
        ),
        (
            Some(&me),
            body("shipping_address", &salt.to_hex(), value),
            400,
            "E_BAD_FIELD",
        ),
        (
            Some(&me),
            body("/shipping_address", "zz", value),
            400,
            "E_BAD_SALT",
        ),
        (Some(&me), b"{not json".to_vec(), 400, "E_BAD_JSON"),
        (
            Some(&me),
            body("/shipping_address", &salt.to_hex(), &"x".repeat(5000)),
            413,
            "E_TOO_LARGE",
        ),
        (
            Some(&key("customs-regulator")),
            body("/shipping_address", &salt.to_hex(), value),
            403,
            "E_NOT_ALLOWED",
        ),
        (
            Some(&key("producer")),
            body("/shipping_address", &salt.to_hex(), value),
            403,
            "E_NOT_ALLOWED",
        ),
        (
            None,
            body("/shipping_address", &salt.to_hex(), value),
            403,
            "E_NOT_ALLOWED",
        ),
    ] {
        let a = send(&r, put(k, b)).await;
        assert_eq!(
            (a.status, a.json()["code"].as_str().unwrap_or("")),
            (status, code),
            "{}",
            a.json()
        );
    }
    // Nothing was kept by any of those.
    let mut get_ts = NOW_MS + 61_000;
    let mut get = |k: Option<&tracechain_types::SecretKey>| {
        get_ts += 1;
        request("GET", &target, vec![], k, get_ts)
    };
    let a = send(&r, get(Some(&key("customs-regulator")))).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["personal_data"], serde_json::json!([]));
    // The true opening is kept.
    let a = send(
        &r,
        put(Some(&me), body("/shipping_address", &salt.to_hex(), value)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json());
    for (reader, allowed) in [
        (Some("customs-regulator"), true),
        (Some("tax-regulator"), true),
        (Some(who), true),
        (Some("producer"), false),
        (Some("logistics"), false),
        (Some("consumer-1"), false),
        (None, false),
    ] {
        let k = reader.map(key);
        let a = send(&r, get(k.as_ref())).await;
        if allowed {
            assert_eq!(a.status, 200, "{reader:?}");
            let d = &a.json()["personal_data"][0];
            assert_eq!(d["value"], value, "{reader:?}");
            assert_eq!(d["field"], "/shipping_address");
            // The reader checks it against the commitment itself.
            let c = tracechain_types::records::Commitment(
                d["commitment"].as_str().unwrap().parse().unwrap(),
            );
            assert!(c.verify(&salt.0, value.as_bytes()));
        } else {
            assert_eq!(a.status, 403, "{reader:?}: {}", a.json());
            assert!(!String::from_utf8_lossy(&a.body).contains("Torstrasse"));
        }
    }
    // Unknown and malformed record ids.
    ts_check(&r).await;
}

async fn ts_check(r: &axum::Router) {
    let k = key("customs-regulator");
    let a = send(
        r,
        request(
            "GET",
            &format!("/v1/private/{}", "0".repeat(64)),
            vec![],
            Some(&k),
            NOW_MS + 65_000,
        ),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["code"].clone()),
        (404, serde_json::json!("E_NO_SUCH_RECORD"))
    );
    let a = send(
        r,
        request("GET", "/v1/private/xyz", vec![], Some(&k), NOW_MS + 65_001),
    )
    .await;
    assert_eq!(a.status, 400);
}

/// A payment linked to an order of another amount: the event stream alerts regulators, the
/// enterprise and the linker to the mismatched closed loop (R-Q2); the public hears nothing
/// of it, and the flow's own matched loop raised no alert.
#[tokio::test]
async fn a_mismatched_closed_loop_is_an_alert() {
    use tracechain_types::{ClosedLoopRecord, InfoBlockRecord, Payload};
    let f = build();
    let keys: std::collections::BTreeMap<String, tracechain_types::PublicKey> = flow::PARTICIPANTS
        .iter()
        .map(|n| (n.to_string(), key(n).public()))
        .collect();
    let stages = flow::tea_export(&keys, NOW_MS).unwrap();
    let find = |label: &str| {
        stages
            .iter()
            .flat_map(|s| &s.steps)
            .find(|s| s.label.starts_with(label))
            .unwrap()
            .clone()
    };
    let mut order = find("order from a consumer in Germany");
    let mut receipt = find("payment received and settled");
    let mut link = find("platform links the payment");
    let Payload::InfoBlock(InfoBlockRecord::Order(o)) = &mut order.payload else {
        panic!("{:?}", order.payload)
    };
    o.order_ref = Some("ORD-MISMATCH-1".into());
    let Payload::InfoBlock(InfoBlockRecord::PaymentReceipt(r)) = &mut receipt.payload else {
        panic!("{:?}", receipt.payload)
    };
    r.receipt_ref = Some("RCP-MISMATCH-1".into());
    r.receipt_amount_minor = Some(9_999);
    let Payload::ClosedLoop(ClosedLoopRecord::PaymentOrderLink(l)) = &mut link.payload else {
        panic!("{:?}", link.payload)
    };
    l.order_ref = "ORD-MISMATCH-1".into();
    l.receipt_ref = "RCP-MISMATCH-1".into();
    f.append(&[order, receipt]);
    f.append(&[link]);
    let tip = f.store.tip().unwrap().height;
    let r = f.router();
    let to_tip = move |evs: &[(String, Option<String>, Value)]| {
        evs.iter()
            .any(|e| e.0 == "block" && e.1.as_deref() == Some(&tip.to_string()))
    };
    let mismatches = |evs: &[(String, Option<String>, Value)]| -> Vec<Value> {
        evs.iter()
            .filter(|e| e.0 == "alert" && e.2["kind"] == "closed_loop_mismatch")
            .map(|e| e.2.clone())
            .collect()
    };
    let mut ts = NOW_MS + 60_000;
    for reader in ["customs-regulator", "producer", "platform"] {
        ts += 1;
        let (status, evs) = sse_events(
            &r,
            request("GET", "/v1/events?from=0", vec![], Some(&key(reader)), ts),
            to_tip,
        )
        .await;
        assert_eq!(status, 200);
        let m = mismatches(&evs);
        assert_eq!(m.len(), 1, "{reader}: {m:?}");
        assert_eq!(m[0]["height"], tip);
        assert_eq!(m[0]["order_ref"], "ORD-MISMATCH-1");
        assert_eq!(m[0]["owner"], key("producer").public().to_hex());
        let reasons = m[0]["reasons"].to_string();
        assert!(
            reasons.contains("amount: order 27540, receipt 9999"),
            "{reasons}"
        );
    }
    // The public, and a participant of neither side, hear nothing of it.
    for reader in [None, Some(key("logistics"))] {
        ts += 1;
        let (_, evs) = sse_events(
            &r,
            request("GET", "/v1/events?from=0", vec![], reader.as_ref(), ts),
            to_tip,
        )
        .await;
        assert!(mismatches(&evs).is_empty());
        assert!(evs.iter().any(|e| e.0 == "block"));
    }
}

/// Anyone may anchor a document about a unit (ADR 0044): a flood of them cannot make the
/// public story — read at every scan, each certificate with its proof — grow without bound,
/// nor push the competent issuers' certificates out of it.
#[tokio::test]
async fn a_flood_of_anchors_cannot_grow_the_story() {
    use tracechain_types::{DocumentRecord, Payload};
    let f = build();
    let steps: Vec<_> = (0..70)
        .map(|i| tracechain_workload::Step {
            signer: "bench-0-trader".into(),
            label: format!("leaflet {i}"),
            payload: Payload::Document(DocumentRecord::DocumentAnchor(
                tracechain_types::records::DocumentAnchor {
                    document_hash: Hash::digest(format!("leaflet {i}").as_bytes()),
                    document_type: tracechain_types::records::DocumentType::Other,
                    valid_from: "2026-01-01".into(),
                    valid_until: None,
                    trace_codes: vec![flow::featured_unit()],
                },
            )),
        })
        .collect();
    f.append(&steps);
    let v = send(
        &f.router(),
        request("GET", &format!("/v1/story/{}", featured()), vec![], None, 0),
    )
    .await
    .json();
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), tracechain_api::MAX_STORY_CERTIFICATES);
    // 3 competent certificates of the flow, its outsider's leaflet and these 70.
    assert_eq!(v["certificates_more"], 3 + 1 + 70 - certs.len());
    assert!(
        certs[..3].iter().all(|c| c["competent"] == true),
        "{certs:?}"
    );
    assert!(certs[3..].iter().all(|c| c["competent"] == false));
}
