//! The AI table against the GS1 Barcode Syntax Dictionary in the shared test
//! data (`$TRACECHAIN_CONFORMANCE_DIR/gs1`, default
//! `<workspace>/../shared/testdata/gs1`), read in place (ADR 0038):
//!
//! * the committed `src/ai_table.rs` is exactly what the generator produces
//!   from the dictionary now, so it is never stale;
//! * every AI of the dictionary is known, with its title, flags, components
//!   and linters, and its `req`/`ex`/`dlpkey` attributes, checked through the
//!   public API against the dictionary's own text;
//! * no AI outside the dictionary is known, and every linter is used.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tracechain_gs1::syntax_dictionary::{parse, render_table, GENERATOR};
use tracechain_gs1::{
    ai_attributes, ai_format, ai_title, is_dl_data_attribute, is_predefined_length, is_primary_key,
    Linter, SYNTAX_DICTIONARY_RELEASE,
};

fn dictionary_text() -> String {
    let dir = match std::env::var_os("TRACECHAIN_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata"
        )),
    };
    let path = dir.join("gs1").join("gs1-syntax-dictionary.txt");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "GS1 syntax dictionary missing: cannot read {} ({e}); set TRACECHAIN_CONFORMANCE_DIR to the folder holding gs1/",
            path.display()
        )
    })
}

#[test]
fn generated_table_is_current() {
    let dict = parse(&dictionary_text()).expect("the dictionary parses");
    let committed = include_str!("../src/ai_table.rs");
    let fresh = render_table(&dict, GENERATOR);
    assert!(
        committed == fresh,
        "src/ai_table.rs is stale: run `{GENERATOR}` and commit the result"
    );
    assert_eq!(SYNTAX_DICTIONARY_RELEASE, dict.release);
}

/// The dictionary's data lines, split without the crate's parser: AIs,
/// flags, component tokens, attribute tokens, title.
struct Line {
    first: String,
    last: String,
    flags: String,
    spec: Vec<String>,
    attrs: Vec<String>,
    title: String,
}

fn raw_lines(text: &str) -> Vec<Line> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (body, title) = l.split_once('#').unwrap_or((l, ""));
            let mut toks = body.split_whitespace().peekable();
            let ais = toks.next().unwrap();
            let (first, last) = ais.split_once('-').unwrap_or((ais, ais));
            let flags = toks
                .next_if(|t| t.chars().all(|c| !c.is_ascii_alphanumeric() && c != '['))
                .unwrap_or("")
                .to_string();
            let mut spec = Vec::new();
            while let Some(t) = toks.next_if(|t| !t.contains('=') && *t != "dlpkey") {
                spec.push(t.to_string());
            }
            Line {
                first: first.into(),
                last: last.into(),
                flags,
                spec,
                attrs: toks.map(str::to_string).collect(),
                title: title.trim().into(),
            }
        })
        .collect()
}

/// `req=` attributes keep their order (each is a separate rule); all
/// `ex=` lists are one set.
fn canonical_attrs(tokens: &[String]) -> (Vec<String>, BTreeSet<String>, Option<String>) {
    let mut req = Vec::new();
    let mut ex = BTreeSet::new();
    let mut dlpkey = None;
    for t in tokens {
        if let Some(v) = t.strip_prefix("ex=") {
            ex.extend(v.split(',').map(str::to_string));
        } else if t.starts_with("req=") {
            req.push(t.clone());
        } else {
            dlpkey = Some(t.clone());
        }
    }
    (req, ex, dlpkey)
}

#[test]
fn every_dictionary_ai_is_known_with_its_components_and_rules() {
    let text = dictionary_text();
    let lines = raw_lines(&text);
    let mut known = BTreeSet::new();
    let mut linters_used = BTreeSet::new();
    for l in &lines {
        let w = l.first.len();
        let (a, b): (u32, u32) = (l.first.parse().unwrap(), l.last.parse().unwrap());
        for n in a..=b {
            let ai = format!("{n:0w$}");
            assert_eq!(ai_title(&ai), Some(l.title.as_str()), "AI ({ai}) title");
            assert_eq!(
                is_predefined_length(&ai),
                l.flags.contains('*'),
                "AI ({ai}) flag *"
            );
            assert_eq!(
                is_dl_data_attribute(&ai),
                l.flags.contains('?'),
                "AI ({ai}) flag ?"
            );
            assert_eq!(
                ai_format(&ai).as_deref(),
                Some(l.spec.join(" ").as_str()),
                "AI ({ai}) components and linters"
            );
            let attrs = ai_attributes(&ai).unwrap();
            let ours: Vec<String> = attrs.split_whitespace().map(str::to_string).collect();
            assert_eq!(
                canonical_attrs(&ours),
                canonical_attrs(&l.attrs),
                "AI ({ai}) req/ex/dlpkey"
            );
            assert_eq!(
                is_primary_key(&ai),
                l.attrs.iter().any(|t| t.starts_with("dlpkey")),
                "AI ({ai}) dlpkey"
            );
            known.insert(ai);
        }
        for tok in &l.spec {
            linters_used.extend(tok.split(',').skip(1).map(str::to_string));
        }
    }
    // Nothing outside the dictionary is known.
    for w in 2..=4u32 {
        for n in 0..10u32.pow(w) {
            let ai = format!("{n:0w$}", w = w as usize);
            assert_eq!(
                ai_title(&ai).is_some(),
                known.contains(&ai),
                "AI ({ai}) known but not in the dictionary"
            );
        }
    }
    // Every linter the dictionary names is implemented, and no other.
    for name in &linters_used {
        assert!(Linter::from_name(name).is_some(), "linter {name} missing");
    }
    let ours: BTreeSet<String> = Linter::all().iter().map(|l| l.name().to_string()).collect();
    assert_eq!(ours, linters_used);
    println!(
        "{} dictionary lines, {} AIs, {} linters",
        lines.len(),
        known.len(),
        linters_used.len()
    );
}
