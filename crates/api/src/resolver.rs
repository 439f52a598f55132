//! The consumer scan as a GS1-Conformant Resolver (ADR 0080): `GET`, `HEAD` and `OPTIONS` on
//! GS1 Digital Link paths (`/01/{gtin}/10/{batch}`, `/01/{gtin}/21/{serial}`, with key
//! qualifiers and a query string), `linkType` selection, linksets (RFC 9264) for
//! `linkType=linkset` or `Accept: application/linkset+json`, the description file at
//! `/.well-known/gs1resolver`, and CORS. A path that is not a valid Digital Link is a 400
//! problem, never a 200. The default answer is the public story as JSON.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_gs1::DigitalLink;
use tracechain_types::records::TraceCode;

use crate::problem::Problem;
use crate::{answer, console, handlers, page, ReadApi, ScanRequest};

/// The primary keys whose Digital Link paths the resolver accepts.
pub const PRIMARY_KEYS: [&str; 14] = [
    "01", "00", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017",
    "8018",
];

/// Document the resolver's paths under the primary keys other than 01: each is a valid
/// Digital Link the resolver answers (404 `E_NO_LINKS`: it links trace units only) or refuses
/// (400 `E_BAD_DIGITAL_LINK`).
pub(crate) struct OtherPrimaryKeys;

impl utoipa::Modify for OtherPrimaryKeys {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{
            HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
        };
        use utoipa::openapi::{ObjectBuilder, Required, ResponseBuilder, Type};
        for ai in PRIMARY_KEYS.iter().filter(|k| **k != "01") {
            let operation = OperationBuilder::new()
                .tag("resolver")
                .summary(Some(format!("The Digital Link of primary key ({ai})")))
                .parameter(
                    ParameterBuilder::new()
                        .name("key")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(Some(format!(
                            "the value of AI ({ai}), then any key qualifiers and data attributes"
                        )))
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                )
                .response(
                    "204",
                    ResponseBuilder::new().description("OPTIONS: the methods allowed"),
                )
                .response(
                    "400",
                    ResponseBuilder::new()
                        .description("not a GS1 Digital Link (E_BAD_DIGITAL_LINK)"),
                )
                .response(
                    "404",
                    ResponseBuilder::new().description(
                        "a valid link, but this resolver links trace units only (E_NO_LINKS)",
                    ),
                )
                .build();
            doc.paths.paths.insert(
                format!("/{ai}/{{key}}"),
                PathItem::from_http_methods(
                    [HttpMethod::Get, HttpMethod::Head, HttpMethod::Options],
                    operation,
                ),
            );
        }
    }
}

/// The link types the resolver offers for a trace unit, with where each leads.
pub const LINK_TYPES: [(&str, &str); 5] = [
    ("gs1:pip", "/v1/story/{code}"),
    ("gs1:traceability", "/v1/trace/{code}"),
    ("gs1:certificationInfo", "/v1/story/{code}"),
    ("gs1:recallStatus", "/v1/recalls/{code}/status"),
    ("gs1:defaultLink", "/v1/story/{code}"),
];

const LINKSET: &str = "application/linkset+json";

pub(crate) fn routes() -> Router<Arc<ReadApi>> {
    let mut r = Router::new()
        .route(page::WORLD_SVG_PATH, get(world_svg))
        .route(page::VERIFY_JS_PATH, get(|| script(page::VERIFY_JS)))
        .route("/assets/sign.js", get(|| script(console::SIGN_JS)))
        .route("/assets/feedback.js", get(|| script(console::FEEDBACK_JS)))
        .route("/assets/console.js", get(|| script(console::CONSOLE_JS)))
        .route(console::CONSOLE_PATH, get(console_page));
    for ai in PRIMARY_KEYS {
        r = r.route(
            &format!("/{ai}/{{*rest}}"),
            get(resolve).head(resolve).options(options),
        );
    }
    r
}

/// A bundled asset of the pages: its type, and how long browsers may keep it.
fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

/// The map's country outlines (bundled; the consumer page's only other request), kept a week.
async fn world_svg() -> Response {
    asset(
        page::WORLD_SVG,
        "image/svg+xml",
        "public, max-age=604800, immutable",
    )
}

/// The regulator console (ADR 0089), in the language asked for.
async fn console_page(uri: Uri, headers: HeaderMap) -> Response {
    let lang = page::Lang::of(
        uri.query().unwrap_or(""),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut r = html(StatusCode::OK, lang, console::console_page(lang));
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    r
}

/// A bundled script of the pages (ADR 0089). Cached for an hour, not longer: a node upgrade
/// may change it.
async fn script(body: &'static str) -> Response {
    asset(
        body,
        "text/javascript; charset=utf-8",
        "public, max-age=3600",
    )
}

/// What a page may load: its own node's script, styles and images, nothing from elsewhere,
/// no inline script (the proofs are a JSON data block, not run).
pub(crate) const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// An HTML page answer (the consumer page, or a refusal shown to a browser).
fn html(status: StatusCode, lang: page::Lang, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(match lang {
            page::Lang::En => "en",
            page::Lang::Zh => "zh-CN",
        }),
    );
    r
}

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "Accept, Accept-Language, Tracechain-Key, Tracechain-Timestamp, Tracechain-Signature",
        ),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Link, Location, Tracechain-Height"),
    );
    r
}

/// `/.well-known/gs1resolver`: the resolver description file.
#[utoipa::path(
    get,
    path = "/.well-known/gs1resolver",
    tag = "resolver",
    summary = "The GS1-Conformant Resolver description file",
    responses(
        (status = 200, description = "the answer, stamped with `read_at`", body = serde_json::Value)
    )
)]
pub(crate) async fn description(headers: HeaderMap) -> Response {
    let root = resolver_root(&headers);
    cors(
        axum::Json(json!({
            "name": "tracechain node",
            "resolverRoot": root,
            "supportedPrimaryKeys": PRIMARY_KEYS,
            "supportedLinkType": LINK_TYPES.iter().map(|(t, _)| json!({"namespace": "https://gs1.org/voc/", "prefix": "gs1:", "profile": "https://gs1.org/voc/?show=linktypes", "linkType": t})).collect::<Vec<_>>(),
            "linkTypeDefaultCanBeLinkset": true,
            "contact": {"fn": "the consortium operator of this node"},
        }))
        .into_response(),
    )
}

/// The resolver at an item's Digital Link (documentation only: the route serves every
/// primary key's paths).
#[utoipa::path(
    method(get, head, options),
    path = "/01/{gtin}/21/{serial}",
    tag = "resolver",
    summary = "A consumer's scan: the public story, a linkset, or a redirect by linkType",
    params(
        ("gtin" = String, Path, description = "GTIN-14"),
        ("serial" = String, Path, description = "serial number (AI 21)"),
        ("linkType" = Option<String>, Query, description = "gs1:pip, gs1:traceability, gs1:certificationInfo, gs1:recallStatus, gs1:defaultLink, linkset, all (CURIE or gs1.org/voc URI)"),
        ("country" = Option<String>, Query, description = "where the consumer scans (ISO 3166-1 alpha-2): with it a GET is recorded as a scan through the chain by the node's scanning service (R-S4, ADR 0083)"),
        ("lat" = Option<f64>, Query, description = "coarse latitude of the scan (rounded to 0.01°)"),
        ("lon" = Option<f64>, Query, description = "coarse longitude of the scan (rounded to 0.01°)")
    ),
    responses(
        (status = 200, description = "the public story (or the linkset); on a GET, `Tracechain-Scan: recorded` or `not-recorded; reason=…`", body = serde_json::Value),
        (status = 204, description = "OPTIONS: the methods allowed, with CORS headers"),
        (status = 307, description = "to the link of the requested type"),
        (status = 400, description = "not a GS1 Digital Link", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "no such unit or link type", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
#[allow(dead_code)]
pub(crate) async fn resolve_item() {}

/// The resolver at a batch's Digital Link (documentation only).
#[utoipa::path(
    method(get, head, options),
    path = "/01/{gtin}/10/{batch}",
    tag = "resolver",
    summary = "A batch's Digital Link: the public story, a linkset, or a redirect by linkType",
    params(
        ("gtin" = String, Path, description = "GTIN-14"),
        ("batch" = String, Path, description = "batch or lot (AI 10)"),
        ("linkType" = Option<String>, Query, description = "as for an item")
    ),
    responses(
        (status = 200, description = "the public story (or the linkset)", body = serde_json::Value),
        (status = 204, description = "OPTIONS: the methods allowed, with CORS headers"),
        (status = 307, description = "to the link of the requested type"),
        (status = 400, description = "not a GS1 Digital Link", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "no such unit or link type", body = crate::problem::ProblemBody, content_type = "application/problem+json")
    )
)]
#[allow(dead_code)]
pub(crate) async fn resolve_batch() {}

async fn options() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    cors(r)
}

fn resolver_root(headers: &HeaderMap) -> String {
    // Only a plain host[:port] is echoed into links and the linkset: no quote, angle bracket,
    // comma, semicolon or slash from a client's Host header reaches a header or an anchor.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Percent-decode a query value (`+` is a space); `None` when it is not UTF-8.
fn percent_decode(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 3;
            }
            b'%' => return None,
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The query string without `linkType` (passed on to the link's target).
fn passed_on(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("linkType="))
        .collect::<Vec<_>>()
        .join("&")
}

/// The requested link type as a `gs1:` CURIE: given as a CURIE or as its full URI
/// (`https://gs1.org/voc/pip`, `https://ref.gs1.org/voc/pip`), percent-encoded or not.
fn link_type(query: &str) -> Option<String> {
    let raw = query.split('&').find_map(|p| p.strip_prefix("linkType="))?;
    let v = percent_decode(raw).unwrap_or_else(|| raw.to_string());
    for stem in [
        "https://gs1.org/voc/",
        "http://gs1.org/voc/",
        "https://ref.gs1.org/voc/",
        "http://ref.gs1.org/voc/",
    ] {
        if let Some(name) = v.strip_prefix(stem) {
            return Some(format!("gs1:{name}"));
        }
    }
    Some(v)
}

/// Parse the request as a Digital Link; `Ok(None)` for a valid link that is not a trace unit
/// (a GTIN alone, another primary key).
fn parse(uri: &Uri, root: &str) -> Result<(DigitalLink, Option<TraceCode>), Problem> {
    let full = format!("{root}{}", uri.path());
    let dl = DigitalLink::parse(&full).map_err(|e| {
        Problem::bad_request(
            "E_BAD_DIGITAL_LINK",
            format!("{} is not a GS1 Digital Link: {e}", uri.path()),
        )
        .rule("R-I2")
    })?;
    let gtin = dl.get("01").map(str::to_string);
    let code = match (gtin, dl.get("21"), dl.get("10")) {
        (Some(gtin), Some(serial), _) => Some(TraceCode::Item {
            gtin,
            serial: serial.to_string(),
        }),
        (Some(gtin), None, Some(batch)) => Some(TraceCode::Batch {
            gtin,
            batch: batch.to_string(),
        }),
        _ => None,
    };
    Ok((dl, code))
}

fn linkset(anchor: &str, code: &str) -> Value {
    let mut entry = serde_json::Map::new();
    entry.insert("anchor".into(), json!(anchor));
    for (t, target) in LINK_TYPES {
        let name = t.trim_start_matches("gs1:");
        entry.insert(
            format!("https://gs1.org/voc/{name}"),
            json!([{ "href": target.replace("{code}", code), "title": name, "type": "application/json" }]),
        );
    }
    json!({ "linkset": [Value::Object(entry)] })
}

async fn resolve(
    State(api): State<Arc<ReadApi>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let root = resolver_root(&headers);
    // A browser (`Accept: text/html`) gets the consumer page, in its language; everything
    // else the JSON answers.
    let page_lang = page::wants_html(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
        .then(|| {
            page::Lang::of(
                uri.query().unwrap_or(""),
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        });
    let path = uri.path().to_string();
    let refuse = |p: Problem| -> Response {
        let r = match page_lang {
            Some(lang) => html(
                StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST),
                lang,
                page::error_page(lang, &path, &p.title, &p.detail),
            ),
            None => p.into_response(),
        };
        cors(r)
    };
    let (dl, code) = match parse(&uri, &root) {
        Ok(v) => v,
        Err(p) => return refuse(p),
    };
    let Some(code) = code else {
        return refuse(
            Problem::not_found(
                "E_NO_LINKS",
                format!(
                    "{} is a valid Digital Link, but this resolver links only trace units: a GTIN with a batch (10) or serial (21)",
                    dl.element_string()
                ),
            ),
        );
    };
    let text = match NormalisedCode::new("code", &code) {
        Ok(n) => n.as_str().to_string(),
        Err(_) => {
            return refuse(Problem::bad_request(
                "E_BAD_DIGITAL_LINK",
                "not a valid trace code",
            ))
        }
    };
    // The unit must exist (and, when a link names both, the item must be of that batch)
    // before any link is offered for it.
    let given_batch = dl.get("10").map(str::to_string);
    let exists = {
        let api = api.clone();
        let code = code.clone();
        tokio::task::spawn_blocking(move || {
            let snap = api.store.snapshot();
            match tracechain_contracts::query::unit(&snap, &code) {
                None => false,
                Some((_, u)) => match (&code, &given_batch, &u.batch) {
                    (
                        TraceCode::Item { gtin, .. },
                        Some(b),
                        Some(TraceCode::Batch { gtin: g2, batch }),
                    ) => {
                        batch == b
                            && NormalisedCode::new(
                                "code",
                                &TraceCode::Batch {
                                    gtin: gtin.clone(),
                                    batch: b.clone(),
                                },
                            )
                            .ok()
                            .zip(
                                NormalisedCode::new(
                                    "code",
                                    &TraceCode::Batch {
                                        gtin: g2.clone(),
                                        batch: batch.clone(),
                                    },
                                )
                                .ok(),
                            )
                            .is_some_and(|(a, b)| a == b)
                    }
                    (TraceCode::Item { .. }, Some(_), _) => false,
                    _ => true,
                },
            }
        })
        .await
        .unwrap_or(false)
    };
    if !exists {
        return refuse(
            Problem::not_found(
                "E_UNKNOWN_UNIT",
                format!(
                    "no trace unit {} is registered{}",
                    text,
                    if dl.get("10").is_some() && dl.get("21").is_some() {
                        " under that batch"
                    } else {
                        ""
                    }
                ),
            )
            .rule("R-I1"),
        );
    }
    let query = uri.query().unwrap_or("").to_string();
    let wants_linkset = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains(LINKSET));
    let lt = link_type(&query);
    let anchor = format!("{root}{}", uri.path());
    if lt.as_deref() == Some("linkset")
        || lt.as_deref() == Some("all")
        || (lt.is_none() && wants_linkset)
    {
        let mut r = axum::Json(linkset(&anchor, &text)).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(LINKSET));
        return cors(r);
    }
    if let Some(t) = lt {
        let Some((_, target)) = LINK_TYPES.iter().find(|(name, _)| *name == t) else {
            return cors(
                Problem::not_found(
                    "E_NO_SUCH_LINK_TYPE",
                    format!(
                        "no link of type {t:?} for this unit; available: {}, linkset",
                        LINK_TYPES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .into_response(),
            );
        };
        let rest = passed_on(&query);
        let mut loc = target.replace("{code}", &text);
        if !rest.is_empty() {
            loc.push('?');
            loc.push_str(&rest);
        }
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&loc) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return cors(r);
    }
    // The default link: the public story, answered here; the linkset is announced in `Link`.
    let link = format!("<{anchor}?linkType=linkset>; rel=\"linkset\"; type=\"{LINKSET}\"");
    let is_head = method == Method::HEAD;
    // An item's scan is recorded through the chain (R-S4, ADR 0083) when the client says
    // where it scans; the answer says whether it was.
    let scan = if method == Method::GET && matches!(code, TraceCode::Item { .. }) {
        Some(record_scan(&api, &code, &query, &extensions))
    } else {
        None
    };
    let mut r = match page_lang {
        None => {
            answer(api, method, uri, headers, Bytes::new(), move |ctx| {
                handlers::story_json(ctx, &code)
            })
            .await
        }
        Some(lang) => {
            let page_path = path.clone();
            let read = crate::read(api, method, uri, headers, Bytes::new(), move |ctx| {
                let mut story = handlers::story_json(ctx, &code)?;
                story["read_at"] = json!({
                    "height": ctx.tip.height,
                    "block_hash": ctx.tip.hash.to_hex(),
                    "state_root": ctx.tip.state_root.to_hex(),
                });
                Ok(page::consumer_page(&story, lang, &page_path))
            })
            .await;
            match read {
                Ok((height, body)) => {
                    let mut r = html(StatusCode::OK, lang, body);
                    r.headers_mut()
                        .insert(crate::HEIGHT_HEADER, HeaderValue::from(height));
                    r
                }
                Err(p) => return refuse(p),
            }
        }
    };
    r.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    if let Ok(v) = HeaderValue::from_str(&link) {
        r.headers_mut().insert(header::LINK, v);
    }
    if let Some(scan) = scan {
        let v = match scan {
            Ok(()) => "recorded".to_string(),
            Err(why) => format!("not-recorded; reason=\"{}\"", why.replace('"', "'")),
        };
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert("tracechain-scan", v);
        }
    }
    if is_head {
        *r.body_mut() = axum::body::Body::empty();
    }
    cors(r)
}

/// Queue the record of an item scan: the client's country (`country=`, ISO 3166-1 alpha-2)
/// and optional coarse position (`lat=`, `lon=`, degrees, rounded to 0.01°) from the query.
fn record_scan(
    api: &ReadApi,
    code: &TraceCode,
    query: &str,
    extensions: &axum::http::Extensions,
) -> Result<(), String> {
    let Some(recorder) = api.scans.as_ref() else {
        return Err("this node records no scans".into());
    };
    let Some(client) = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return Err("no client address".into());
    };
    let mut country = None;
    let (mut lat, mut lon) = (None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "country" => country = Some(v.to_ascii_uppercase()),
            "lat" => lat = v.parse::<f64>().ok().filter(|x| x.is_finite()),
            "lon" => lon = v.parse::<f64>().ok().filter(|x| x.is_finite()),
            _ => {}
        }
    }
    let Some(country) =
        country.filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
    else {
        return Err("say where you scan: country=XX (ISO 3166-1 alpha-2)".into());
    };
    let e2 =
        |x: f64, max: f64| -> Option<i16> { (x.abs() <= max).then(|| (x * 100.0).round() as i16) };
    let coarse = match (
        lat.and_then(|x| e2(x, 90.0)),
        lon.and_then(|x| e2(x, 180.0)),
    ) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    recorder.record(ScanRequest {
        code: code.clone(),
        client,
        country,
        coarse,
    })
}
