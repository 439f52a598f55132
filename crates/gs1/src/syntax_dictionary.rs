//! Reader for the GS1 Barcode Syntax Dictionary, the machine-readable AI
//! table GS1 publishes (format documented in the file's header), and the
//! renderer that turns it into this crate's `ai_table.rs` (ADR 0038).
//!
//! The crate never reads the dictionary at build or run time: the example
//! `gen_ai_table` runs [`parse`] and [`render_table`] and writes the result
//! into `src/ai_table.rs`, which is committed; a test re-parses the
//! dictionary from the shared test data and asserts the committed table is
//! what the generator produces now. [`parse`] refuses anything the crate
//! would not enforce: an unknown flag, attribute or linter, a malformed
//! component, so a new dictionary release that needs new code fails loudly.

use crate::lint::Linter;

/// One entry: a solitary AI or a range of AIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the dictionary.
    pub line: usize,
    /// First AI of the range.
    pub first: String,
    /// Last AI of the range (equal to `first` for a solitary AI).
    pub last: String,
    /// Flag `*`: predefined length, no FNC1 separator.
    pub predefined: bool,
    /// Flag `?`: permitted as a Digital Link data attribute.
    pub dl_attr: bool,
    /// The data field's components, in order.
    pub components: Vec<Component>,
    /// Each `req=` attribute: alternatives, each a list of AIs or patterns
    /// that must all be present.
    pub req: Vec<Vec<Vec<String>>>,
    /// Every `ex=` AI or pattern.
    pub ex: Vec<String>,
    /// `dlpkey`: `None` if not a primary key, else its alternative
    /// qualifier sequences (empty for a bare `dlpkey`).
    pub dlpkey: Option<Vec<Vec<String>>>,
    /// The title after `#` (may be empty).
    pub title: String,
}

/// One component of a data field, e.g. `[N..12]` or `N13,csum,gcppos1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// `N`, `X`, `Y` or `Z`.
    pub cset: char,
    /// Minimum length (1 for a variable-length component).
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// Enclosed in `[...]`.
    pub optional: bool,
    /// Linters, in order.
    pub linters: Vec<Linter>,
}

/// A parsed dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    /// The release, from the header line `# Release: …`.
    pub release: String,
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

/// The command that regenerates `ai_table.rs`, named in its header.
pub const GENERATOR: &str = "cargo run -p tracechain-gs1 --example gen_ai_table";

const FLAG_CHARS: &str = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~";

fn is_ai(s: &str) -> bool {
    (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_ai_or_pattern(s: &str) -> bool {
    (2..=4).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'n')
}

fn parse_component(tok: &str) -> Result<Component, String> {
    let (ty, linters) = match tok.find(',') {
        Some(i) => (&tok[..i], &tok[i + 1..]),
        None => (tok, ""),
    };
    let (optional, ty) = match ty.strip_prefix('[') {
        Some(inner) => (
            true,
            inner
                .strip_suffix(']')
                .ok_or_else(|| format!("component {tok:?}: unclosed '['"))?,
        ),
        None => (false, ty),
    };
    let mut chars = ty.chars();
    let cset = chars
        .next()
        .filter(|c| matches!(c, 'N' | 'X' | 'Y' | 'Z'))
        .ok_or_else(|| format!("component {tok:?}: type is not N, X, Y or Z"))?;
    let len = chars.as_str();
    let (min, max) = match len.strip_prefix("..") {
        Some(m) => (1, m),
        None => (0, len),
    };
    let max: u8 = max
        .parse()
        .ok()
        .filter(|m| *m > 0)
        .ok_or_else(|| format!("component {tok:?}: bad length"))?;
    let min = if min == 0 { max } else { min };
    let linters = if linters.is_empty() {
        Vec::new()
    } else {
        linters
            .split(',')
            .map(|n| {
                Linter::from_name(n)
                    .ok_or_else(|| format!("component {tok:?}: unknown linter {n:?}"))
            })
            .collect::<Result<_, _>>()?
    };
    Ok(Component {
        cset,
        min,
        max,
        optional,
        linters,
    })
}

fn parse_line(line: usize, text: &str) -> Result<Entry, String> {
    let err = |m: String| format!("line {line}: {m}");
    let (body, title) = match text.find('#') {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let mut toks = body.split_whitespace().peekable();
    let ais = toks.next().ok_or_else(|| err("no AI".into()))?;
    let (first, last) = ais.split_once('-').unwrap_or((ais, ais));
    if !is_ai(first) || !is_ai(last) || first.len() != last.len() || first > last {
        return Err(err(format!("bad AI or range {ais:?}")));
    }
    let mut predefined = false;
    let mut dl_attr = false;
    if let Some(flags) = toks.next_if(|t| t.chars().all(|c| FLAG_CHARS.contains(c))) {
        for c in flags.chars() {
            match c {
                '*' => predefined = true,
                '?' => dl_attr = true,
                other => return Err(err(format!("unknown flag {other:?}"))),
            }
        }
    }
    let mut components: Vec<Component> = Vec::new();
    while let Some(tok) = toks.next_if(|t| !t.contains('=') && *t != "dlpkey") {
        let c = parse_component(tok).map_err(err)?;
        if components.last().is_some_and(|p| p.optional) && !c.optional {
            return Err(err(format!(
                "mandatory component {tok:?} after an optional one"
            )));
        }
        if components.last().is_some_and(|p| p.min != p.max) {
            return Err(err(format!(
                "component {tok:?} after a variable-length one"
            )));
        }
        components.push(c);
    }
    if components.is_empty() {
        return Err(err("no data components".into()));
    }
    let list = |v: &str, sep: char| -> Result<Vec<String>, String> {
        v.split(sep)
            .map(|a| {
                if is_ai_or_pattern(a) {
                    Ok(a.to_string())
                } else {
                    Err(err(format!("bad AI or pattern {a:?}")))
                }
            })
            .collect()
    };
    let mut req = Vec::new();
    let mut ex = Vec::new();
    let mut dlpkey = None;
    for tok in toks {
        match tok.split_once('=') {
            Some(("req", v)) => req.push(
                v.split(',')
                    .map(|alt| list(alt, '+'))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(("ex", v)) => ex.extend(list(v, ',')?),
            Some(("dlpkey", _)) | None
                if (tok == "dlpkey" || tok.starts_with("dlpkey=")) && dlpkey.is_some() =>
            {
                return Err(err("dlpkey given twice".into()));
            }
            Some(("dlpkey", v)) => {
                // Qualifiers are matched by equality at run time (dl.rs):
                // a pattern such as `2n` could not be enforced.
                let alts = v
                    .split('|')
                    .map(|alt| {
                        alt.split(',')
                            .map(|a| {
                                if is_ai(a) {
                                    Ok(a.to_string())
                                } else {
                                    Err(err(format!(
                                        "bad dlpkey qualifier {a:?} (an AI, not a pattern)"
                                    )))
                                }
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                dlpkey = Some(alts);
            }
            None if tok == "dlpkey" => dlpkey = Some(Vec::new()),
            _ => return Err(err(format!("unknown attribute {tok:?}"))),
        }
    }
    Ok(Entry {
        line,
        first: first.to_string(),
        last: last.to_string(),
        predefined,
        dl_attr,
        components,
        req,
        ex,
        dlpkey,
        title: title.to_string(),
    })
}

/// Parse the dictionary text. Errors name the line.
pub fn parse(text: &str) -> Result<Dictionary, String> {
    let mut release = None;
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(r) = comment.trim().strip_prefix("Release:") {
                release.get_or_insert_with(|| r.trim().to_string());
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let e = parse_line(i + 1, line)?;
        if let Some(prev) = entries.last() {
            if prev.last.as_str() >= e.first.as_str() {
                return Err(format!(
                    "line {}: AI {} is not after {} (entries are in AI order)",
                    e.line, e.first, prev.last
                ));
            }
        }
        entries.push(e);
    }
    let release = release.ok_or("no '# Release:' line")?;
    if entries.is_empty() {
        return Err("no entries".into());
    }
    Ok(Dictionary { release, entries })
}

fn str_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", items.join(", "))
}

fn str_list2(v: &[Vec<String>]) -> String {
    let items: Vec<String> = v.iter().map(|s| str_list(s)).collect();
    format!("&[{}]", items.join(", "))
}

/// Render the dictionary as the Rust source of `ai_table.rs`. `generator`
/// names the command that produced it, for the file's header.
pub fn render_table(d: &Dictionary, generator: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// @generated by `{generator}` from the GS1 Barcode Syntax Dictionary,\n\
         // Release: {}. Do not edit: regenerate (ADR 0038).\n\
         \n\
         //! The GS1 AI table: one entry per line of the GS1 Barcode Syntax Dictionary.\n\
         \n\
         use crate::ai::{{AiDef, Comp, Cset}};\n\
         use crate::lint::Linter;\n\
         \n\
         /// Release line of the dictionary this table was generated from.\n\
         pub(crate) const DICTIONARY_RELEASE: &str = {:?};\n\
         \n\
         /// Every AI of the dictionary, in AI order ({} entries).\n\
         pub(crate) static TABLE: &[AiDef] = &[\n",
        d.release,
        d.release,
        d.entries.len()
    ));
    for e in &d.entries {
        let comps: Vec<String> = e
            .components
            .iter()
            .map(|c| {
                let linters: Vec<String> = c.linters.iter().map(|l| l.variant()).collect();
                format!(
                    "Comp {{ cs: Cset::{}, min: {}, max: {}, optional: {}, linters: &[{}] }}",
                    c.cset,
                    c.min,
                    c.max,
                    c.optional,
                    linters.join(", ")
                )
            })
            .collect();
        let req: Vec<String> = e.req.iter().map(|r| str_list2(r)).collect();
        let quals = e.dlpkey.as_deref().unwrap_or_default();
        out.push_str(&format!(
            "    AiDef {{ first: {:?}, last: {:?}, title: {:?}, predefined: {}, dl_attr: {}, pkey: {}, \
             qualifiers: {}, comps: &[{}], req: &[{}], ex: {} }},\n",
            e.first,
            e.last,
            e.title,
            e.predefined,
            e.dl_attr,
            e.dlpkey.is_some(),
            str_list2(quals),
            comps.join(", "),
            req.join(", "),
            str_list(&e.ex),
        ));
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Release: 2000-01-01\n\
        01         *?  N14,csum,gcppos2                  ex=255,37 dlpkey=22,10,21|235  # GTIN\n\
        253         ?  N13,csum,gcppos1 [X..17]          dlpkey                         # GDTI\n\
        3920-3929   ?  N..15   req=01 req=30,31nn,01+21 ex=392n,393n                    # PRICE\n\
        8110        ?  X..70,couponcode\n";

    #[test]
    fn parses_each_part_of_an_entry() {
        let d = parse(SAMPLE).unwrap();
        assert_eq!(d.release, "2000-01-01");
        assert_eq!(d.entries.len(), 4);
        let gtin = &d.entries[0];
        assert!(gtin.predefined && gtin.dl_attr);
        assert_eq!(
            gtin.components[0].linters,
            vec![Linter::Csum, Linter::GcpPos2]
        );
        assert_eq!(
            gtin.dlpkey,
            Some(vec![
                vec!["22".into(), "10".into(), "21".into()],
                vec!["235".into()]
            ])
        );
        let gdti = &d.entries[1];
        assert!(!gdti.predefined && gdti.components[1].optional);
        assert_eq!((gdti.components[1].min, gdti.components[1].max), (1, 17));
        assert_eq!(gdti.dlpkey, Some(vec![]));
        let price = &d.entries[2];
        assert_eq!(
            (price.first.as_str(), price.last.as_str()),
            ("3920", "3929")
        );
        assert_eq!(price.req.len(), 2);
        assert_eq!(price.req[1][2], vec!["01".to_string(), "21".to_string()]);
        assert_eq!(price.ex, vec!["392n".to_string(), "393n".to_string()]);
        assert_eq!(d.entries[3].title, "");
    }

    #[test]
    fn refuses_what_the_crate_would_not_enforce() {
        let bad = [
            "01  N14,csum,nosuchlinter",
            "01  ^  N14",
            "01  N14 foo=1",
            "01  Q14",
            "01  N0",
            "01  [N1] N2",
            "01  N..2 N2",
            "1  N2",
            "3109-3100  N2",
            "01  N2 req=0x",
        ];
        for b in bad {
            let text = format!("# Release: x\n{b}\n");
            assert!(parse(&text).is_err(), "{b}");
        }
        assert!(parse("01 N2\n").is_err(), "no release line");
        assert!(parse("# Release: x\n02 N2\n01 N2\n").is_err(), "order");
    }

    #[test]
    fn refuses_dlpkey_patterns_and_repeats() {
        let bad = [
            // Qualifiers are compared with == at run time: no patterns.
            "01  N14 dlpkey=2n",
            "01  N14 dlpkey=22,1n|235",
            "01  N14 dlpkey=22,,21",
            // A second dlpkey would silently replace the first.
            "01  N14 dlpkey=22 dlpkey=235",
            "01  N14 dlpkey dlpkey=235",
            "01  N14 dlpkey=235 dlpkey",
        ];
        for b in bad {
            let text = format!("# Release: x\n{b}\n");
            let e = parse(&text).expect_err(b);
            assert!(e.contains("dlpkey"), "{b}: {e}");
        }
        assert!(parse("# Release: x\n01  N14 dlpkey=22,10|235\n").is_ok());
    }
}
