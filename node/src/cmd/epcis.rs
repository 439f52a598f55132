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
