//! `tracechain epcis validate|hash|map FILE` — EPCIS 2.0 JSON-LD documents
//! (`EPCISDocument` / `EPCISQueryDocument`) from MES, WMS and logistics platforms.
//!
//! * `validate`: exit 0 when valid; else exit 2 and every problem on stderr, one per
//!   line (`event 3 (eventID): field: EPCIS-…: detail`).
//! * `hash`: the CBV 2.0 event hash id of every event, one per line, in document order.
//! * `map`: the `tracechain_types::Payload`s the events become, with per-event notes, as pretty
//!   JSON; basic items EPCIS does not carry stay empty and the contract names each missing one
//!   when the payload is submitted (a note on stderr says so).
//!
//! * `capture`: sign the document's capture with a member key and send it to a node (ADR 0081).
//!
//! Any failure to read the file or parse the document: one `error: …` line on stderr,
//! exit 2. Files larger than the EPCIS document limit are refused before reading.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use tracechain_epcis::map::{map_document_with, MapOptions};
use tracechain_types::records::TraceMode;

use tracechain_epcis::{Document, MAX_DOCUMENT_BYTES};

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Read and parse the document, refusing files over the size limit unread.
fn load(path: &Path) -> Result<Document, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_DOCUMENT_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Document::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// `epcis validate FILE`.
pub fn validate(path: &Path) -> ExitCode {
    let doc = match load(path) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    match doc.validate() {
        Ok(()) => {
            println!("valid: {} events", doc.events.len());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            ExitCode::from(2)
        }
    }
}

/// `epcis hash FILE`.
pub fn hash(path: &Path) -> ExitCode {
    match load(path) {
        Ok(doc) => {
            for h in doc.event_hashes() {
                println!("{}", h.id);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// `epcis map FILE [--trace-mode MODE]`: only a valid document is mapped (else exit 2 with its
/// problems). With a trace mode, the units that ILMD commissioning events create get
/// `RegisterTraceUnit` payloads in that mode.
pub fn map(path: &Path, trace_mode: Option<TraceMode>) -> ExitCode {
    let doc = match load(path) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if let Err(problems) = doc.validate() {
        for p in &problems {
            eprintln!("{p}");
        }
        return ExitCode::from(2);
    }
    let opts = MapOptions { trace_mode };
    match serde_json::to_string_pretty(&map_document_with(&doc, &opts)) {
        Ok(json) => {
            println!("{json}");
            eprintln!(
                "note: basic items EPCIS does not carry stay empty; the contract names every missing one when a payload is submitted (R-X1); see each event's notes"
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot render payloads as JSON: {e}")),
    }
}

/// `tracechain epcis capture FILE --key KEYFILE --node URL [--wait]`.
pub fn capture(path: &Path, key: &Path, node: &str, wait: bool) -> ExitCode {
    match capture_inner(path, key, node, wait) {
        Ok((ok, answer)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => fail(format!("{e:#}")),
    }
}

fn capture_inner(
    path: &Path,
    key: &Path,
    node: &str,
    wait: bool,
) -> anyhow::Result<(bool, serde_json::Value)> {
    use anyhow::Context;
    use base64::Engine;
    use tracechain_types::records::epcis::{EpcisCapture, EpcisEventRecord};
    use tracechain_types::{EpcisRecord, Payload};
    let base = node.trim_end_matches('/');
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let doc = Document::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let events = tracechain_epcis::capture::capture_events(&doc).map_err(|e| match e {
        tracechain_epcis::capture::CaptureError::Invalid(p) => {
            anyhow::anyhow!("{}: not valid EPCIS 2.0:\n{}", path.display(), p.join("\n"))
        }
        other => anyhow::anyhow!("{}: {other}", path.display()),
    })?;
    let key = super::keys::read(key)?;
    let api = super::client::Api::new(std::time::Duration::from_secs(60))?;
    // An error declaration of an event anchored nowhere yet is captured after the event
    // itself (as the node does for its clients): ask the node whether it is anchored.
    let mut records: Vec<EpcisEventRecord> = Vec::new();
    let mut originals: Vec<tracechain_types::Hash> = Vec::new();
    for c in events {
        if c.record.error_declaration.is_some()
            && !records
                .iter()
                .any(|r| r.event_hash == c.record.event_hash && r.error_declaration.is_none())
        {
            let id: String = form_urlencoded::byte_serialize(c.hash_id.as_bytes()).collect();
            let http = reqwest::blocking::Client::new();
            let code = http
                .get(format!("{base}/epcis/events/{id}"))
                .send()
                .map(|r| r.status().as_u16())?;
            match code {
                404 => {
                    let plain = tracechain_epcis::capture::retracted_event(&c);
                    originals.push(plain.original);
                    records.push(plain.record);
                }
                200 => {}
                other => anyhow::bail!(
                    "asking the node whether {} is captured: HTTP {other}",
                    c.hash_id
                ),
            }
        }
        records.push(c.record);
        originals.push(c.original);
    }
    let payload = Payload::Epcis(EpcisRecord::EpcisCapture(EpcisCapture {
        events: records,
        originals,
    }));
    let tx = super::tx::sign_for_node(
        &api,
        base,
        &key,
        payload,
        crate::node::epcis::CAPTURE_EXPIRY_BLOCKS,
        None,
    )?;
    let document: serde_json::Value = serde_json::from_slice(&bytes)?;
    let body = serde_json::json!({
        "document": document,
        "tx": base64::engine::general_purpose::STANDARD.encode(tracechain_types::encode(&tx)),
    });
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let resp = http
        .post(format!("{base}/epcis/capture"))
        .header(
            "content-type",
            "application/vnd.tracechain.signed-capture+json",
        )
        .body(body.to_string())
        .send()?;
    let code = resp.status().as_u16();
    let answer: serde_json::Value = resp.json().unwrap_or(serde_json::Value::Null);
    if code != 202 || !wait {
        return Ok((code == 202, answer));
    }
    let job = format!("{base}/epcis/capture/{}", tx.id().to_hex());
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let j = api.get_json(&job)?;
        if j["running"] == false {
            return Ok((j["success"] == true, j));
        }
        if std::time::Instant::now() > until {
            return Ok((false, j));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A generated EPCIS document of `events` ObjectEvents (OBSERVE, inspecting) on fresh SSCCs,
/// unique per `run` and `doc`: events that name no trace unit, so any information provider
/// may capture them.
pub fn generated_document(run: u64, doc: usize, events: usize) -> serde_json::Value {
    let list: Vec<serde_json::Value> = (0..events)
        .map(|i| {
            let serial = (run % 1000) * 10_000_000 + (doc as u64 % 1000) * 10_000 + i as u64 % 10_000;
            serde_json::json!({
                "type": "ObjectEvent",
                "eventTime": format!("2026-01-01T{:02}:{:02}:{:02}.{:03}Z", (i / 3600) % 24, (i / 60) % 60, i % 60, doc % 1000),
                "eventTimeZoneOffset": "+08:00",
                "epcList": [format!("urn:epc:id:sscc:0614141.{serial:010}")],
                "action": "OBSERVE",
                "bizStep": "inspecting",
                "disposition": "in_progress",
                "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"}
            })
        })
        .collect();
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": list}
    })
}

/// `tracechain bench capture`.
pub fn bench_capture(
    node: &str,
    token_file: &Path,
    documents: usize,
    events: usize,
    clients: usize,
) -> ExitCode {
    let token = match std::fs::read_to_string(token_file) {
        Ok(t) => t.trim().to_string(),
        Err(e) => return fail(format!("{}: {e}", token_file.display())),
    };
    let base = node.trim_end_matches('/').to_string();
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Documents are generated before the clock starts.
    let bodies: Vec<Vec<u8>> = (0..documents)
        .map(|d| serde_json::to_vec(&generated_document(run, d, events)).unwrap_or_default())
        .collect();
    let bodies = std::sync::Arc::new(bodies);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..clients.max(1))
        .map(|_| {
            let (bodies, next, base, token) =
                (bodies.clone(), next.clone(), base.clone(), token.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(120))
                    .build()
                    .ok()?;
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = std::time::Instant::now();
                    let r = http
                        .post(format!("{base}/epcis/capture"))
                        .header("authorization", format!("Bearer {token}"))
                        .header("content-type", "application/ld+json")
                        .body(body.clone())
                        .send();
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    match r {
                        Ok(r) if r.status() == 202 => {
                            let v: serde_json::Value = r.json().unwrap_or_default();
                            out.push((ms, v["captureID"].as_str().map(str::to_string)));
                        }
                        Ok(r) => {
                            let code = r.status();
                            let text = r.text().unwrap_or_default();
                            eprintln!(
                                "capture {i}: {code} {}",
                                text.chars().take(300).collect::<String>()
                            );
                            out.push((ms, None));
                        }
                        Err(e) => {
                            eprintln!("capture {i}: {e}");
                            out.push((ms, None));
                        }
                    }
                }
                Some(out)
            })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.extend(h.join().ok().flatten().unwrap_or_default());
    }
    let accepted_s = started.elapsed().as_secs_f64();
    let ids: Vec<String> = results.iter().filter_map(|(_, id)| id.clone()).collect();
    let mut lat: Vec<f64> = results.iter().map(|(ms, _)| *ms).collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    // Wait for every accepted capture to commit.
    let http = super::client::Api::new(std::time::Duration::from_secs(30));
    let mut committed = 0usize;
    if let Ok(api) = http {
        for id in &ids {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
            loop {
                let j = api.get_json(&format!("{base}/epcis/capture/{id}"));
                match j {
                    Ok(j) if j["running"] == false => {
                        if j["success"] == true {
                            committed += 1;
                        } else {
                            eprintln!("capture {id}: {}", j["errors"]);
                        }
                        break;
                    }
                    _ if std::time::Instant::now() > until => break,
                    _ => std::thread::sleep(std::time::Duration::from_millis(100)),
                }
            }
        }
    }
    let committed_s = started.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "documents": documents, "events_per_document": events, "clients": clients,
        "accepted_documents": ids.len(),
        "accepted_events_per_s": (ids.len() * events) as f64 / accepted_s,
        "accept_seconds": accepted_s,
        "capture_ms_p50": pct(0.5), "capture_ms_p99": pct(0.99),
        "committed_documents": committed,
        "committed_events_per_s": (committed * events) as f64 / committed_s,
        "commit_seconds": committed_s,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if ids.len() == documents && committed == documents {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
