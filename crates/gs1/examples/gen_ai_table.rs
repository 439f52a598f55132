//! Regenerate `crates/gs1/src/ai_table.rs` from the GS1 Barcode Syntax
//! Dictionary (ADR 0038):
//!
//! ```text
//! cargo run -p tracechain-gs1 --example gen_ai_table [DICTIONARY]
//! ```
//!
//! `DICTIONARY` defaults to `$TRACECHAIN_CONFORMANCE_DIR/gs1/gs1-syntax-dictionary.txt`,
//! else `<workspace>/../shared/testdata/gs1/gs1-syntax-dictionary.txt`. The
//! test `generated_table_is_current` fails until the output is committed.

use std::path::PathBuf;
use std::process::ExitCode;

use tracechain_gs1::syntax_dictionary::{parse, render_table};

/// The command named in the generated file's header.
const GENERATOR: &str = tracechain_gs1::syntax_dictionary::GENERATOR;

fn default_dictionary() -> PathBuf {
    let dir = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata"
        )),
    };
    dir.join("gs1").join("gs1-syntax-dictionary.txt")
}

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(default_dictionary, PathBuf::from);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let dict = match parse(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/ai_table.rs"));
    if let Err(e) = std::fs::write(&out, render_table(&dict, GENERATOR)) {
        eprintln!("cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "{}: release {}, {} entries",
        out.display(),
        dict.release,
        dict.entries.len()
    );
    ExitCode::SUCCESS
}
