//! The JSON-LD `@context` of an EPCIS document, as far as EPCIS needs it: the namespace
//! prefixes that user extensions are declared with (`{"example": "https://ns.example.com/epcis/"}`),
//! on top of the prefixes the standard EPCIS 2.0 context defines.
//!
//! No remote context is ever fetched (pure library, no I/O): the standard context is
//! known by its URL and its prefixes are built in.

use serde_json::Value;

use crate::vocab::STANDARD_PREFIXES;

/// URLs of the standard EPCIS 2.0 context a document may reference.
pub const STANDARD_CONTEXT_URLS: &[&str] = &[
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
];

/// Namespace prefixes in scope for a document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Prefixes declared by the document, in declaration order (later wins).
    declared: Vec<(String, String)>,
    /// Whether the document referenced the standard EPCIS context.
    pub references_standard: bool,
}

/// Whether a term definition's value is a namespace IRI (not a keyword such as `@id`).
fn is_namespace_iri(v: &str) -> bool {
    crate::ids::is_uri(v) && !v.starts_with('@')
}

impl Context {
    /// Read the prefixes of an `@context` value (a URL, an object, or a list of both).
    pub fn from_value(ctx: Option<&Value>) -> Context {
        let mut c = Context::default();
        if let Some(v) = ctx {
            c.add(v);
        }
        c
    }

    /// Add the prefixes of a nested `@context` (an event may carry its own).
    pub fn add(&mut self, v: &Value) {
        match v {
            Value::String(url) if STANDARD_CONTEXT_URLS.contains(&url.as_str()) => {
                self.references_standard = true;
            }
            Value::Object(map) => {
                for (k, val) in map {
                    if let Value::String(iri) = val {
                        if is_namespace_iri(iri) && !k.starts_with('@') {
                            self.declared.push((k.clone(), iri.clone()));
                        }
                    }
                }
            }
            Value::Array(items) => {
                for it in items {
                    self.add(it);
                }
            }
            _ => {}
        }
    }

    /// The namespace IRI of a prefix: declared by the document, else standard.
    pub fn namespace(&self, prefix: &str) -> Option<&str> {
        self.declared
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, iri)| iri.as_str())
            .or_else(|| {
                STANDARD_PREFIXES
                    .iter()
                    .find(|(p, _)| *p == prefix)
                    .map(|(_, iri)| *iri)
            })
    }

    /// Whether the document itself declared `prefix`.
    pub fn declares(&self, prefix: &str) -> bool {
        self.declared.iter().any(|(p, _)| p == prefix)
    }

    /// Expand a property name: a compact IRI `prefix:local` becomes `{namespace}local`,
    /// a full IRI is split after its last `/` or `#` into `{namespace}local`; a plain
    /// term is returned unchanged. The second value says whether the name is namespaced
    /// (a user extension).
    pub fn expand_key(&self, key: &str) -> (String, bool) {
        if let Some((prefix, local)) = key.split_once(':') {
            if local.starts_with("//") || prefix == "urn" {
                if let Some(pos) = key.rfind(['/', '#', ':']) {
                    if pos + 1 < key.len() {
                        let (ns, local) = key.split_at(pos + 1);
                        return (format!("{{{ns}}}{local}"), true);
                    }
                }
                return (format!("{{{key}}}"), true);
            }
            if let Some(ns) = self.namespace(prefix) {
                return (format!("{{{ns}}}{local}"), true);
            }
            return (key.to_string(), true);
        }
        (key.to_string(), false)
    }

    /// Expand a compact IRI value `prefix:rest` whose prefix is in scope.
    pub fn expand_value(&self, value: &str) -> Option<String> {
        let (prefix, rest) = value.split_once(':')?;
        if rest.starts_with("//") {
            return None;
        }
        let ns = self.namespace(prefix)?;
        Some(format!("{ns}{rest}"))
    }
}
