//! The EPCIS 2.0 REST binding on a running consortium (ADR 0081): a validator and a full node.
//! A producer's WMS captures every shared example and valid document through the validator
//! (bearer token; the node signs with the producer's key from its key store), one document
//! through `tracechain epcis capture` (signed by the member); every captured event is then
//! found **on the full node**, which never saw the capture (it fetched the events from its
//! peer), by its hash id and by its query parameters, and hashes to the same CBV 2.0 hash.
//! Every invalid document is refused with its problems; attacks get 401, 409, 413.

mod cluster;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cluster::*;
use serde_json::{json, Value};
use sha2::Digest;
use tracechain_types::records::*;
use tracechain_types::{ParticipantRecord, Payload, SecretKey, TraceUnitRecord, TxBody};

const TOKEN: &str = "wms-7f3a-secret-token";

fn testdata() -> PathBuf {
    match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/testdata"
        )),
    }
    .join("epcis")
}

fn docs(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn write_key(path: &Path, k: &SecretKey) {
    let f = json!({"type": "ed25519", "public_key": k.public().to_hex(), "secret_seed": hex::encode(k.seed())});
    std::fs::write(path, f.to_string()).unwrap();
}

struct Chain<'a> {
    c: &'a Cluster,
    node: String,
    seq: BTreeMap<tracechain_types::PublicKey, u64>,
}

impl Chain<'_> {
    fn exec(&mut self, k: &SecretKey, payload: Payload) {
        let seq = self.seq.entry(k.public()).or_default();
        let tx = TxBody {
            signer: k.public(),
            sequence: *seq,
            expiry_height: 100_000,
            payload,
        }
        .sign(&self.c.chain_id, k);
        let (code, body) = self.c.submit(&self.node, &tx, true).expect("node answers");
        assert!(code < 300 && body["status"] == "committed", "{code} {body}");
        *seq += 1;
    }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The events of a query answer.
fn event_list(v: &Value) -> Vec<Value> {
    v["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The CBV 2.0 hash id of a served event, computed again from what the node sent.
fn hash_of_served(ev: &Value) -> String {
    let mut ev = ev.clone();
    let ctx = ev
        .as_object_mut()
        .unwrap()
        .remove("@context")
        .unwrap_or(json!([
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
        ]));
    let doc = json!({"@context": ctx, "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z", "epcisBody": {"eventList": [ev]}});
    let d = tracechain_epcis::Document::parse(doc.to_string().as_bytes()).unwrap();
    d.event_hashes()[0].id.clone()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn epcis_documents_capture_on_one_node_and_are_found_on_another() {
    let mut c = Cluster::init(1, 1);
    let (v, full) = (c.validators()[0].clone(), c.full_nodes()[0].clone());
    let producer = key(81, 1);
    write_key(&c.node_dir(&v).join("producer.key"), &producer);
    // The platform operator's scanning service (ADR 0083) runs on the validator too.
    let operator = key(82, 1);
    write_key(&c.node_dir(&v).join("scanner.key"), &operator);
    let cfg = c.node_dir(&v).join("config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text = text.replace(
        "[api]\n",
        "[api]\nscan_key_file = \"scanner.key\"\nscans_per_client_per_minute = 3\n",
    );
    assert!(
        text.contains("scan_key_file"),
        "the config has an [api] table"
    );
    text.push_str(&format!(
        "\n[epcis]\nmax_capture_events = 100\n[[epcis.clients]]\nname = \"wms\"\ntoken_sha256 = \"{}\"\nkey_file = \"producer.key\"\n",
        hex::encode(sha2::Sha256::digest(TOKEN.as_bytes()))
    ));
    std::fs::write(&cfg, text).unwrap();
    c.start_all();
    c.wait_up(Duration::from_secs(60));
    let regulator_file = c.net_dir().join(format!("participants/{v}-regulator.key"));
    let regulator = tracechain_types::SecretKey::from_seed(
        hex::decode(
            serde_json::from_str::<Value>(&std::fs::read_to_string(&regulator_file).unwrap())
                .unwrap()["secret_seed"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
        .try_into()
        .unwrap(),
    );

    // The producer registers, is approved, holds the documents' GS1 prefixes and registers
    // every trace unit they name (R-X4: events link registered units only).
    let mut chain = Chain {
        c: &c,
        node: v.clone(),
        seq: BTreeMap::new(),
    };
    chain.exec(
        &producer,
        Payload::Participant(ParticipantRecord::RegisterParticipant(
            ParticipantRegistration {
                category: ParticipantCategory::TradeEntity(TradeEntityKind::Manufacturer),
                node_types: vec![NodeType::Producer],
                identity: Identity::Organisation {
                    legal_name: "EPCIS Producer Co., Ltd.".into(),
                    registration_id: RegistrationId::Uscc(enterprise_uscc(8101)),
                },
                country: "CN".into(),
                identity_document: tracechain_types::Hash::digest(b"licence"),
            },
        )),
    );
    chain.exec(
        &regulator,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: producer.public(),
                action: ParticipantAction::Approve,
                reason: "licence checked".into(),
            },
        )),
    );
    let valid: Vec<PathBuf> = docs("examples").into_iter().chain(docs("valid")).collect();
    let mut units: BTreeSet<(String, String, bool)> = BTreeSet::new();
    for p in &valid {
        let d = tracechain_epcis::Document::parse(&std::fs::read(p).unwrap()).unwrap();
        if let Ok(events) = tracechain_epcis::capture::capture_events(&d) {
            for e in events {
                for code in e.record.trace_codes {
                    match code {
                        TraceCode::Batch { gtin, batch } => units.insert((gtin, batch, false)),
                        TraceCode::Item { gtin, serial } => units.insert((gtin, serial, true)),
                    };
                }
            }
        }
    }
    let prefixes: BTreeSet<String> = units
        .iter()
        .map(|(g, _, _)| format!("{g:0>14}")[1..8].to_string())
        .collect();
    for prefix in &prefixes {
        chain.exec(
            &producer,
            Payload::Participant(ParticipantRecord::CompanyPrefixClaim(CompanyPrefixClaim {
                prefix: prefix.clone(),
                evidence: tracechain_types::Hash::digest(prefix.as_bytes()),
            })),
        );
        chain.exec(
            &regulator,
            Payload::Participant(ParticipantRecord::CompanyPrefixDecision(
                CompanyPrefixDecision {
                    holder: producer.public(),
                    prefix: prefix.clone(),
                    action: PrefixAction::Approve,
                    reason: "GS1 licence verified".into(),
                },
            )),
        );
    }
    for (gtin, v2, item) in &units {
        let code = if *item {
            TraceCode::Item {
                gtin: gtin.clone(),
                serial: v2.clone(),
            }
        } else {
            TraceCode::Batch {
                gtin: gtin.clone(),
                batch: v2.clone(),
            }
        };
        chain.exec(
            &producer,
            Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
                code,
                mode: TraceMode::Trader,
                product_name: "Example product".into(),
            })),
        );
    }

    let h = http();
    let api = c.api(&v);
    // Discovery.
    let r = h
        .request(reqwest::Method::OPTIONS, format!("{api}/epcis/capture"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["GS1-EPCIS-Version"], "2.0.0");
    assert_eq!(r.headers()["GS1-EPCIS-Capture-Limit"], "100");
    // Attacks: no token, a wrong token, a signed capture whose transaction is not the
    // document's capture: refused, nothing captured.
    let one = std::fs::read(&valid[0]).unwrap();
    for auth in [None, Some("Bearer not-the-token")] {
        let mut req = h.post(format!("{api}/epcis/capture")).body(one.clone());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key("www-authenticate"));
    }

    // A hostile client: malformed, deep, huge, over the capture limit, a signed capture whose
    // transaction is another document's, bad ids. Never a 5xx; nothing captured.
    let bearer = format!("Bearer {TOKEN}");
    let many = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": (0..101).map(|i| json!({"type": "ObjectEvent", "action": "OBSERVE",
            "eventTime": format!("2026-01-01T00:00:{:02}.{:03}Z", i % 60, i), "eventTimeZoneOffset": "+00:00",
            "epcList": [format!("urn:epc:id:sscc:0614141.{i:010}")]})).collect::<Vec<_>>()}});
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for (body, want) in [
        (b"{not json".to_vec(), 400u16),
        (deep.into_bytes(), 400),
        (vec![b' '; 600 * 1024], 413),
        (many.to_string().into_bytes(), 413),
        (b"{\"type\": \"EPCISDocument\"}".to_vec(), 400),
    ] {
        let r = h
            .post(format!("{api}/epcis/capture"))
            .header("authorization", &bearer)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), want);
        let b: Value = r.json().unwrap_or(Value::Null);
        assert!(b["code"].as_str().is_some(), "{b}");
    }
    let doc_a = std::fs::read(testdata().join("examples/AssociationEvent-a.jsonld")).unwrap();
    let doc_b: Value = serde_json::from_slice(
        &std::fs::read(testdata().join("examples/AssociationEvent-f.jsonld")).unwrap(),
    )
    .unwrap();
    let a = tracechain_epcis::Document::parse(&doc_a).unwrap();
    let captured = tracechain_epcis::capture::capture_events(&a).unwrap();
    let originals = captured.iter().map(|c| c.original).collect();
    let records = captured.into_iter().map(|c| c.record).collect();
    let tx = TxBody {
        signer: producer.public(),
        sequence: 99,
        expiry_height: 100_000,
        payload: Payload::Epcis(tracechain_types::EpcisRecord::EpcisCapture(
            tracechain_types::records::epcis::EpcisCapture {
                events: records,
                originals,
            },
        )),
    }
    .sign(&c.chain_id, &producer);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(tracechain_types::encode(&tx));
    for (body, code) in [
        (json!({"document": doc_b, "tx": b64}), "E_CAPTURE_MISMATCH"),
        (json!({"document": doc_b, "tx": "%%%"}), "E_BAD_BASE64"),
        (json!({"document": doc_b}), "E_BAD_JSON"),
    ] {
        let r = h
            .post(format!("{api}/epcis/capture"))
            .header(
                "content-type",
                "application/vnd.tracechain.signed-capture+json",
            )
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status(), 400);
        let b: Value = r.json().unwrap();
        assert_eq!(b["code"], code, "{b}");
    }
    // doc_a's exact capture, signed by a key that is no participant, or with a broken
    // signature: refused before the node keeps anything (403, 400).
    let stranger = key(83, 1);
    let mut by_stranger = tx.clone();
    by_stranger.body.signer = stranger.public();
    let by_stranger = by_stranger.body.sign(&c.chain_id, &stranger);
    let mut forged = tx.clone();
    forged.signature.0[0] ^= 1;
    let doc_a_json: Value = serde_json::from_slice(&doc_a).unwrap();
    for (t, status, code) in [
        (by_stranger, 403u16, "E_NOT_A_PARTICIPANT"),
        (forged, 400, "E_BAD_SIGNATURE"),
    ] {
        let b64 = base64::engine::general_purpose::STANDARD.encode(tracechain_types::encode(&t));
        let r = h
            .post(format!("{api}/epcis/capture"))
            .header(
                "content-type",
                "application/vnd.tracechain.signed-capture+json",
            )
            .body(json!({"document": doc_a_json, "tx": b64}).to_string())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), status);
        let b: Value = r.json().unwrap();
        assert_eq!(b["code"], code, "{b}");
    }
    for (path, want) in [
        (format!("/epcis/capture/{}", "0".repeat(64)), 404u16),
        ("/epcis/capture/xyz".to_string(), 400),
        (format!("/epcis/events/{}", "a".repeat(3000)), 400),
        ("/epcis/events/urn:uuid:nope".to_string(), 404),
    ] {
        let r = h.get(format!("{api}{path}")).send().unwrap();
        assert_eq!(r.status().as_u16(), want, "{path}");
    }

    // One document through the CLI (signed by the member itself).
    let cli_doc = testdata().join("examples/Example_9.6.2-ObjectEvent.jsonld");
    let out = std::process::Command::new(bin())
        .args(["epcis", "capture"])
        .arg(&cli_doc)
        .arg("--key")
        .arg(c.node_dir(&v).join("producer.key"))
        .args(["--node", &api, "--wait"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every document through the validator's bearer client.
    let (mut captured, mut duplicate) = (Vec::new(), Vec::new());
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for p in &valid {
        let d = tracechain_epcis::Document::parse(&std::fs::read(p).unwrap()).unwrap();
        for eh in d.event_hashes() {
            expected.insert(eh.id);
        }
        let r = h
            .post(format!("{api}/epcis/capture"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(std::fs::read(p).unwrap())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().unwrap();
        match status {
            202 => {
                let id = body["captureID"].as_str().unwrap().to_string();
                let until = Instant::now() + Duration::from_secs(30);
                loop {
                    let j: Value = h
                        .get(format!("{api}/epcis/capture/{id}"))
                        .send()
                        .unwrap()
                        .json()
                        .unwrap();
                    if j["running"] == false {
                        assert_eq!(j["success"], true, "{p:?}: {j}");
                        break;
                    }
                    assert!(Instant::now() < until, "{p:?} still running");
                    std::thread::sleep(Duration::from_millis(100));
                }
                captured.push(p.clone());
            }
            409 => {
                assert_eq!(body["rule"], "R-S1", "{body}");
                duplicate.push(p.clone());
            }
            other => panic!("{p:?}: {other} {body}"),
        }
    }
    // Every event is found on the full node, by hash id and by its parameters, hashing the same.
    let fapi = c.api(&full);
    let until = Instant::now() + Duration::from_secs(60);
    let mut found = 0usize;
    for id in &expected {
        loop {
            let r = h
                .get(format!("{fapi}/epcis/events/{}", enc(id)))
                .send()
                .unwrap();
            if r.status() == 200 {
                let v: Value = r.json().unwrap();
                let evs = event_list(&v);
                assert!(!evs.is_empty());
                for ev in &evs {
                    assert_eq!(&hash_of_served(ev), id, "{ev}");
                    // By its query parameters: type, time window, an identifier, bizStep.
                    let t = ev["eventTime"].as_str().unwrap();
                    let mut q = vec![
                        (
                            "eventType".to_string(),
                            ev["type"].as_str().unwrap().to_string(),
                        ),
                        ("GE_eventTime".into(), t.to_string()),
                    ];
                    // A query carries no @context: a private vocabulary's compact IRI
                    // (`ext1:…`) is matched only in full, so it is left out here.
                    if let Some(s) = ev["bizStep"].as_str().filter(|s| {
                        !s.contains(':') || s.starts_with("http") || s.starts_with("urn:")
                    }) {
                        q.push(("EQ_bizStep".into(), s.to_string()));
                    }
                    if let Some(e) = ev["epcList"].as_array().and_then(|l| l.first()) {
                        q.push(("MATCH_anyEPC".into(), e.as_str().unwrap().to_string()));
                    }
                    q.push(("perPage".into(), "1000".into()));
                    let qs = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(q)
                        .finish();
                    let r: Value = h
                        .get(format!("{fapi}/epcis/events?{qs}"))
                        .send()
                        .unwrap()
                        .json()
                        .unwrap();
                    assert!(
                        event_list(&r).iter().any(|e| &hash_of_served(e) == id),
                        "{id} not found by {qs}"
                    );
                }
                found += 1;
                break;
            }
            assert!(Instant::now() < until, "{id} never reached the full node");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // A document captured again: 409, nothing captured twice.
    let again = h
        .post(format!("{api}/epcis/capture"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(std::fs::read(&cli_doc).unwrap())
        .send()
        .unwrap();
    assert_eq!(again.status(), 409);
    // Invalid documents: refused with their problems.
    let mut refused = 0;
    for p in docs("invalid") {
        let r = h
            .post(format!("{api}/epcis/capture"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(std::fs::read(&p).unwrap())
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "{p:?}");
        let b: Value = r.json().unwrap();
        assert!(b["detail"].as_str().is_some_and(|d| !d.is_empty()), "{b}");
        refused += 1;
    }
    // Unsupported query parameters and a bad page token: 400.
    for q in [
        "EQ_foo=1",
        "perPage=0",
        "nextPageToken=zz",
        "EQ_bizStep=a&EQ_bizStep=b",
    ] {
        let r = h.get(format!("{fapi}/epcis/events?{q}")).send().unwrap();
        assert_eq!(r.status(), 400, "{q}");
    }
    // Paging: one event per page walks every event once.
    let mut seen = BTreeSet::new();
    let mut url = format!("{fapi}/epcis/events?perPage=1");
    for _ in 0..1000 {
        let r = h.get(&url).send().unwrap();
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_string());
        for e in event_list(&r.json().unwrap()) {
            assert!(seen.insert((hash_of_served(&e), e.get("errorDeclaration").is_some())));
        }
        match link {
            Some(l) => {
                let path = l.trim_start_matches('<').split('>').next().unwrap();
                url = format!("{fapi}{path}");
            }
            None => break,
        }
    }
    let hashes: BTreeSet<String> = seen.iter().map(|(h, _)| h.clone()).collect();
    assert_eq!(hashes, expected);
    // The counts docs/epcis.md and ADR 0081 report, for the shared data of this repository.
    assert_eq!(
        (captured.len(), duplicate.len(), found, refused),
        (23, 3, 35, 9),
        "captured, 409, events found, invalid refused"
    );
    // Anonymous consumers' item scans at the resolver (R-S4, ADR 0083): recorded through the
    // chain by the platform operator's scanning service, once registered and approved.
    chain.exec(
        &operator,
        Payload::Participant(ParticipantRecord::RegisterParticipant(
            ParticipantRegistration {
                category: ParticipantCategory::PlatformOperator,
                node_types: vec![],
                identity: Identity::Organisation {
                    legal_name: "Consortium Platform Operator Co., Ltd.".into(),
                    registration_id: RegistrationId::Uscc(enterprise_uscc(8201)),
                },
                country: "CN".into(),
                identity_document: tracechain_types::Hash::digest(b"operator licence"),
            },
        )),
    );
    chain.exec(
        &regulator,
        Payload::Participant(ParticipantRecord::ParticipantDecision(
            ParticipantDecision {
                participant: operator.public(),
                action: ParticipantAction::Approve,
                reason: "operator licence checked".into(),
            },
        )),
    );
    let (gtin, serial, _) = units
        .iter()
        .find(|u| u.2)
        .expect("an item-level unit")
        .clone();
    let dl = format!("/01/{gtin:0>14}/21/{serial}");
    let item = TraceCode::Item {
        gtin: gtin.clone(),
        serial: serial.clone(),
    };
    let element = tracechain_contracts::trace_codes::NormalisedCode::new("code", &item)
        .unwrap()
        .as_str()
        .to_string();
    let scan = |q: &str| {
        let r = h.get(format!("{api}{dl}{q}")).send().unwrap();
        assert_eq!(r.status(), 200);
        r.headers()["tracechain-scan"].to_str().unwrap().to_string()
    };
    assert!(
        scan("").starts_with("not-recorded"),
        "no country: not recorded"
    );
    assert!(scan("?country=D").starts_with("not-recorded"));
    assert_eq!(scan("?country=DE&lat=52.53&lon=13.40"), "recorded");
    assert_eq!(scan("?country=DE"), "recorded");
    assert_eq!(scan("?country=DE"), "recorded");
    assert!(
        scan("?country=DE").contains("a minute"),
        "the per-client rate"
    );
    // A HEAD or a batch is no scan.
    let r = h.head(format!("{api}{dl}?country=DE")).send().unwrap();
    assert!(!r.headers().contains_key("tracechain-scan"));
    let until = Instant::now() + Duration::from_secs(30);
    let story = loop {
        let st: Value = h
            .get(format!("{fapi}/v1/story/{element}"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if st["scans"]["count"] == 3 {
            break st;
        }
        assert!(Instant::now() < until, "scans never committed: {st}");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Three scans by one client of one item: one scanner, the first scan's time stamped.
    assert_eq!(story["scans"]["scanners"], 1, "{story}");
    assert!(
        story["scans"]["first_scan_ms"].as_u64().is_some(),
        "{story}"
    );
    // The audit package (R-S2, ADR 0084) of a batch the captures named, from the full node:
    // the events' originals are in it, each bound to its capture, and it verifies offline
    // against the genesis file.
    let (bg, bb, _) = units.iter().find(|u| !u.2).expect("a batch unit").clone();
    let batch_code = tracechain_contracts::trace_codes::NormalisedCode::new(
        "code",
        &TraceCode::Batch {
            gtin: bg,
            batch: bb,
        },
    )
    .unwrap()
    .as_str()
    .to_string();
    let pkg = c.net_dir().join("audit.tar");
    let out = std::process::Command::new(bin())
        .args(["audit", "fetch", &batch_code, "--node", &fapi, "--key"])
        .arg(&regulator_file)
        .arg("--out")
        .arg(&pkg)
        .arg("--genesis")
        .arg(c.net_dir().join("genesis.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: usize = text
        .split("EPCIS originals: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        checked > 0,
        "the batch's captured events are in its package: {text}"
    );
    assert!(text.contains(", 0 not held"), "{text}");
    // Any tar lists it.
    let tar = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&pkg)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&tar.stdout).to_string();
    assert!(tar.status.success(), "{listing}");
    assert!(
        listing.contains("tracechain-audit/manifest-sha256.txt"),
        "{listing}"
    );
    // An EPCIS original taken out (the manifests rewritten): refused, the package must hold
    // every original its captures bind or name it as not held.
    let good = std::fs::read(&pkg).unwrap();
    let b = tracechain_api::bag::read(&good, 1 << 30, 1 << 20).unwrap();
    let mut payload = b.payload.clone();
    let first = payload
        .keys()
        .find(|k| k.starts_with("epcis/"))
        .unwrap()
        .clone();
    payload.remove(&first);
    let mut info: Value = serde_json::from_slice(&payload["package.json"]).unwrap();
    info["epcis_events"] = json!(info["epcis_events"].as_u64().unwrap() - 1);
    payload.insert("package.json".into(), serde_json::to_vec(&info).unwrap());
    let tags: Vec<(String, String)> = b
        .info
        .iter()
        .filter(|(k, _)| k != "Payload-Oxum")
        .cloned()
        .collect();
    let forged = c.net_dir().join("forged.tar");
    std::fs::write(&forged, tracechain_api::bag::write(&payload, &tags, 0)).unwrap();
    let out = std::process::Command::new(bin())
        .args(["audit", "package"])
        .arg(&forged)
        .arg("--genesis")
        .arg(c.net_dir().join("genesis.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("neither in the package nor named as missing"),
        "{text}"
    );
    // One flipped byte: refused by `audit package`, exit 1, naming the file.
    let mut bytes = std::fs::read(&pkg).unwrap();
    let at = bytes
        .windows(b"\"payload\"".len())
        .position(|w| w == b"\"payload\"")
        .unwrap();
    bytes[at + 12] ^= 1;
    std::fs::write(&pkg, &bytes).unwrap();
    let out = std::process::Command::new(bin())
        .args(["audit", "package"])
        .arg(&pkg)
        .arg("--genesis")
        .arg(c.net_dir().join("genesis.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("NOT verified") && text.contains("data/records.json"),
        "{text}"
    );
    println!("audit package of {batch_code}: {checked} EPCIS originals verified");

    // A query's examined bound (`epcis.max_query_examined`) cuts pages, never results: the
    // full node restarted with a bound of 4 still gives, page after page, exactly what the
    // validator gives in one page, for a filter most events fail and for two identifiers
    // whose index scans share the bound.
    let all_pages = |base: &str, qs: &str| {
        let mut got = BTreeSet::new();
        let mut url = format!("{base}/epcis/events?{qs}");
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages < 1000, "paging never ends: {url}");
            let r = h.get(&url).send().unwrap();
            assert_eq!(r.status(), 200, "{url}");
            let link = r
                .headers()
                .get("link")
                .map(|l| l.to_str().unwrap().to_string());
            for e in event_list(&r.json().unwrap()) {
                assert!(
                    got.insert((hash_of_served(&e), e.get("errorDeclaration").is_some())),
                    "an event twice across pages"
                );
            }
            match link {
                Some(l) => {
                    let path = l.trim_start_matches('<').split('>').next().unwrap();
                    url = format!("{base}{path}");
                }
                None => return (got, pages),
            }
        }
    };
    let some_epcs: Vec<String> = {
        let r: Value = h
            .get(format!("{api}/epcis/events?perPage=1000"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let mut v: Vec<String> = event_list(&r)
            .iter()
            .filter_map(|e| e["epcList"].as_array().and_then(|l| l.first()))
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert!(some_epcs.len() >= 2, "{some_epcs:?}");
    let two = format!(
        "MATCH_anyEPC={}&perPage=30",
        enc(&format!("{}|{}", some_epcs[0], some_epcs.last().unwrap()))
    );
    let queries = ["eventType=AggregationEvent&perPage=30", two.as_str()];
    let wanted: Vec<BTreeSet<(String, bool)>> = queries
        .iter()
        .map(|q| {
            let (got, pages) = all_pages(&api, q);
            assert_eq!(pages, 1, "the validator's bound holds every candidate: {q}");
            assert!(!got.is_empty(), "{q}");
            got
        })
        .collect();
    assert_eq!(c.stop(&full).code(), Some(0));
    let fcfg = c.node_dir(&full).join("config.toml");
    let mut text = std::fs::read_to_string(&fcfg).unwrap();
    text.push_str("\n[epcis]\nmax_query_examined = 4\n");
    std::fs::write(&fcfg, text).unwrap();
    c.start(&full);
    c.wait_up(Duration::from_secs(60));
    for (q, want) in queries.iter().zip(&wanted) {
        let (got, pages) = all_pages(&fapi, q);
        assert_eq!(&got, want, "{q}");
        assert!(pages > 1, "the bound of 4 cuts {q} into pages");
    }
    println!(
        "EPCIS conformance: {} documents captured ({} with 409: every event already captured from another document), {} distinct events found on the full node by hash id and query parameters, {} invalid documents refused",
        captured.len(),
        duplicate.len(),
        found,
        refused
    );
}
