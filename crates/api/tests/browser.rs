//! The consumer page in a real browser (issue 15, ADR 0088): headless Chromium (Debian's
//! `chromium`, installed by `scripts/prereqs.sh`) loads the page from the read API served on
//! 127.0.0.1 and the DOM it builds is checked; screenshots at phone (390 × 844) and desktop
//! (1280 × 900) size, in English and Chinese, of a unit and of a recalled one, are written to
//! `$CARGO_TARGET_TMPDIR/screenshots/` (`target/tmp/screenshots/` by default).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::*;
use serde_json::{json, Value};
use tracechain_types::records::*;
use tracechain_types::{Hash, ParticipantRecord, Payload, RecallRecord, TraceUnitRecord};
use tracechain_workload::flow;

fn chromium() -> PathBuf {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("which").arg(c).output() {
            if o.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            }
        }
    }
    panic!(
        "no Chromium: the browser tests need it; run `make prereqs` (or: apt-get install -y chromium fonts-noto-cjk)"
    );
}

/// Run headless Chromium on `url` with `args` (its own profile, so runs do not share one).
fn browse(url: &str, args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    browse_in(url, args, profile.path())
}

/// [`browse`] in the profile at `profile` (kept between runs: what the page stored stays).
fn browse_in(url: &str, args: &[&str], profile: &Path) -> std::process::Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("Chromium runs")
}

/// The DOM Chromium built from `url`.
fn dom(url: &str) -> String {
    let o = browse(url, &["--dump-dom", "--virtual-time-budget=5000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn screenshot(url: &str, file: &Path, width: u32, height: u32) {
    let o = browse(
        url,
        &[
            &format!("--screenshot={}", file.display()),
            &format!("--window-size={width},{height}"),
            "--virtual-time-budget=5000",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    assert!(len > 10_000, "{}: {len} bytes", file.display());
}

/// Serve the fixture's read API on 127.0.0.1; its base URL.
async fn serve(f: &Fixture) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = f.router();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_page_in_chromium_at_phone_and_desktop_size() {
    let f = build();
    let base = serve(&f).await;
    let url = format!("{base}{}", dl_path(&flow::featured_unit()));
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let page = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || dom(&format!("{url}?lang=en")))
            .await
            .unwrap()
    };
    assert!(page.contains("Anxi Tieguanyin oolong tea"), "{page}");
    assert!(page.contains("id=\"map\""));
    assert!(page.contains("Released by customs on"));
    assert!(!page.contains("id=\"recall\""));
    let zh = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || dom(&format!("{url}?lang=zh")))
            .await
            .unwrap()
    };
    assert!(
        zh.contains("lang=\"zh-CN\"") && zh.contains("商品溯源"),
        "{zh}"
    );

    let take = |name: &'static str, lang: &'static str| {
        let url = format!("{url}?lang={lang}");
        let file = shots.join(format!("consumer-{name}-{lang}.png"));
        let (w, h) = if name == "phone" {
            (390, 844)
        } else {
            (1280, 900)
        };
        tokio::task::spawn_blocking(move || screenshot(&url, &file, w, h))
    };
    for (name, lang) in [
        ("phone", "en"),
        ("phone", "zh"),
        ("desktop", "en"),
        ("desktop", "zh"),
    ] {
        take(name, lang).await.unwrap();
    }

    // A suspicious scan: the warning and why, in the page the browser built, still verified.
    f.append(&[suspicious_scan_step()]);
    let warned = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || dom(&format!("{url}?lang=en")))
            .await
            .unwrap()
    };
    assert!(warned.contains("id=\"scan-warning\""), "{warned}");
    assert!(warned.contains("outside its destinations"), "{warned}");
    assert_eq!(verdict(&warned), Some("verified"), "{warned}");
    {
        let url = format!("{url}?lang=en");
        let file = shots.join("consumer-suspicious-phone-en.png");
        tokio::task::spawn_blocking(move || screenshot(&url, &file, 390, 844))
            .await
            .unwrap();
    }

    // Recalled: the banner is in the page the browser built, and in the screenshots.
    f.append(&[recall_step("RC-BROWSER-1", "residue")]);
    let recalled = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || dom(&format!("{url}?lang=en")))
            .await
            .unwrap()
    };
    assert!(recalled.contains("id=\"recall\""), "{recalled}");
    assert!(recalled.contains("RC-BROWSER-1"));
    for lang in ["en", "zh"] {
        let url = format!("{url}?lang={lang}");
        let file = shots.join(format!("consumer-recalled-phone-{lang}.png"));
        tokio::task::spawn_blocking(move || screenshot(&url, &file, 390, 844))
            .await
            .unwrap();
    }
}

// ---- The page re-checks what it shows (ADR 0089) ----

/// The public story of `code` (JSON) as the read API answers it.
async fn story_of(f: &Fixture, code: &TraceCode) -> Value {
    let target = format!("/v1/story/{}", code_path(code));
    send(&f.router(), request("GET", &target, vec![], None, NOW_MS))
        .await
        .json()
}

/// Serve `router` on 127.0.0.1; its base URL.
async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

type Tamper = Arc<dyn Fn(String) -> String + Send + Sync>;

/// A proxy in front of the fixture's read API: it passes every request on and hands each HTML
/// answer to `tamper` — a node (or a network) that lies.
async fn serve_tampered(f: &Fixture, tamper: Tamper) -> String {
    serve_proxied(f, tamper, None).await
}

/// [`serve_tampered`], replacing the page's Content-Security-Policy with `csp` when given.
async fn serve_proxied(f: &Fixture, tamper: Tamper, csp: Option<&'static str>) -> String {
    use axum::body::Body;
    use axum::http::{header, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let inner = f.router();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let inner = inner.clone();
        let tamper = tamper.clone();
        async move {
            let r = inner.oneshot(req).await.unwrap();
            let html = r
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
            if !html {
                return r;
            }
            let (mut parts, body) = r.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            let page = tamper(String::from_utf8(bytes.to_vec()).unwrap());
            parts.headers.remove(header::CONTENT_LENGTH);
            if let Some(csp) = csp {
                parts.headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    header::HeaderValue::from_static(csp),
                );
            }
            axum::response::Response::from_parts(parts, Body::from(page))
        }
    });
    serve_router(app).await
}

/// Change the proofs a page carries (its JSON data block).
fn tamper_data(page: &str, change: impl Fn(&mut Value)) -> String {
    let (head, rest) = page
        .split_once("id=\"tc-proofs\">")
        .expect("the page carries proofs");
    let (block, tail) = rest.split_once("</script>").unwrap();
    let mut v: Value = serde_json::from_str(block).unwrap();
    change(&mut v);
    let block = v.to_string().replace('<', "\\u003c");
    format!("{head}id=\"tc-proofs\">{block}</script>{tail}")
}

/// The page with the certificate row of `status` shown as valid (attribute and text).
fn status_shown_as_valid(page: &str, status: &str) -> String {
    let attr = format!("data-status=\"{status}\"");
    let row = page.find(&attr).unwrap();
    let cell = format!("class=\"c-status\">{status}<");
    let at = row + page[row..].find(&cell).unwrap();
    format!(
        "{}data-status=\"valid\"{}class=\"c-status\">valid, issued by a competent issuer<{}",
        &page[..row],
        &page[row + attr.len()..at],
        &page[at + cell.len()..]
    )
}

/// The page with the first hex digit after the first `marker` changed.
fn flip_after(page: &str, marker: &str) -> String {
    let at = page.find(marker).unwrap() + marker.len();
    let first = if page[at..].starts_with('0') {
        "1"
    } else {
        "0"
    };
    format!("{}{first}{}", &page[..at], &page[at + 1..])
}

/// The page with the first hex digit of the footer's element `id` changed.
fn footer_changed(page: &str, id: &str) -> String {
    let open = format!("id=\"{id}\">");
    let at = page.find(&open).unwrap() + open.len();
    let first = if page[at..].starts_with('0') {
        "1"
    } else {
        "0"
    };
    format!("{}{first}{}", &page[..at], &page[at + 1..])
}

/// Flip the first hex digit of a string value.
fn flip(v: &mut Value) {
    let s = v.as_str().unwrap().to_string();
    let first = if s.starts_with('0') { "1" } else { "0" };
    *v = Value::String(format!("{first}{}", &s[1..]));
}

/// The verdict the verifier wrote into the page Chromium built: "verified", "failed" or none
/// (the script did not run).
fn verdict(dom: &str) -> Option<&'static str> {
    if dom.contains("data-verdict=\"verified\"") {
        Some("verified")
    } else if dom.contains("data-verdict=\"failed\"") {
        Some("failed")
    } else {
        None
    }
}

async fn dom_of(url: String) -> String {
    tokio::task::spawn_blocking(move || dom(&url))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_verifies_itself_and_reports_a_lying_node() {
    use tracechain_contracts::documents::certificate_fact_key;
    use tracechain_contracts::trace_codes::NormalisedCode;
    let f = build();
    // The tin's story before anything below: its proofs are genuine, of an older block.
    let old_story = story_of(&f, &flow::featured_unit()).await;
    // Another batch of the producer, recalled: a real recall, of another unit.
    let other = TraceCode::Batch {
        gtin: flow::gtin(),
        batch: "AX2026-0999".into(),
    };
    f.append(&[tracechain_workload::Step {
        signer: "producer".into(),
        label: "register another batch".into(),
        payload: Payload::TraceUnit(TraceUnitRecord::RegisterTraceUnit(TraceUnitRegistration {
            code: other.clone(),
            mode: TraceMode::Full,
            product_name: "Anxi Tieguanyin oolong tea, 250 g tin".into(),
        })),
    }]);
    f.append(&[tracechain_workload::Step {
        signer: "market-regulation-regulator".into(),
        label: "recall the other batch".into(),
        payload: Payload::Recall(RecallRecord::Recall(Recall {
            recall_ref: "RC-OTHER-1".into(),
            batch: other.clone(),
            reason: "residue".into(),
        })),
    }]);
    // A certificate that expired before the chain's time, and one of the flow's revoked.
    f.append(&[
        tracechain_workload::Step {
            signer: "customs-regulator".into(),
            label: "an expired certificate".into(),
            payload: Payload::Document(tracechain_types::DocumentRecord::DocumentAnchor(
                DocumentAnchor {
                    document_hash: Hash::digest(b"sanitary certificate of 2025"),
                    document_type: DocumentType::SanitaryCertificate,
                    valid_from: "2025-01-01".into(),
                    valid_until: Some("2026-01-01".into()),
                    trace_codes: vec![flow::batch()],
                },
            )),
        },
        tracechain_workload::Step {
            signer: "market-regulation-regulator".into(),
            label: "one certification covering both batches".into(),
            payload: Payload::Document(tracechain_types::DocumentRecord::DocumentAnchor(
                DocumentAnchor {
                    document_hash: Hash::digest(b"organic certification of both batches"),
                    document_type: DocumentType::Certification,
                    valid_from: "2026-01-01".into(),
                    valid_until: None,
                    trace_codes: vec![flow::batch(), other.clone()],
                },
            )),
        },
        tracechain_workload::Step {
            signer: "customs-regulator".into(),
            label: "a certificate revoked".into(),
            payload: Payload::Document(tracechain_types::DocumentRecord::DocumentRevocation(
                DocumentRevocation {
                    document_hash: flow::sanitary_certificate(),
                    reason: "replaced by a new certificate".into(),
                },
            )),
        },
    ]);
    let other_story = story_of(&f, &other).await;
    let other_recall = other_story["recall"]["recalls"][0].clone();
    let story = story_of(&f, &flow::featured_unit()).await;
    let batch_n = NormalisedCode::new("code", &flow::batch()).unwrap();
    let other_n = NormalisedCode::new("code", &other).unwrap();
    let cert_index = |story: &Value, key: &[u8]| {
        story["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["proof"]["key"] == hex::encode(key))
            .unwrap()
    };
    // The shared certification, as the tin proves it and as the other batch does.
    let shared = Hash::digest(b"organic certification of both batches");
    let market = key("market-regulation-regulator").public();
    let shared_here = cert_index(&story, &certificate_fact_key(&batch_n, &shared, &market));
    let shared_there = other_story["certificates"][cert_index(
        &other_story,
        &certificate_fact_key(&other_n, &shared, &market),
    )]
    .clone();
    // The sanitary certificate, revoked now, and its genuine proof from before.
    let customs = key("customs-regulator").public();
    let sanitary = certificate_fact_key(&batch_n, &flow::sanitary_certificate(), &customs);
    let revoked_here = cert_index(&story, &sanitary);
    let before = old_story["certificates"][cert_index(&old_story, &sanitary)]["proof"].clone();
    let old_h = before["height"].to_string();
    let old_header = old_story["proofs"]["headers"][&old_h].clone();
    assert!(other_recall["proof"].is_object(), "{other_story}");
    // Valid exclusion proofs a lying node can make: a customs entry of the tin and a recall of
    // its batch that do not exist.
    let absent = |key: Vec<u8>| {
        let snap = f.store.snapshot();
        let height = f.store.tip().unwrap().height;
        let p = tracechain_types::state_map::prove(&snap, height, &key).unwrap();
        serde_json::to_value(tracechain_api::proof::FactProof::new(&key, height, &p)).unwrap()
    };
    let tin =
        tracechain_contracts::trace_codes::NormalisedCode::new("code", &flow::featured_unit())
            .unwrap();
    let mut no_customs = tracechain_contracts::state_keys::unit_records_of(
        &tin,
        tracechain_contracts::IndexTag::Info(tracechain_types::Category::C2),
    );
    no_customs.extend_from_slice(&[1u8; 40]);
    let no_customs = absent(no_customs);
    let market = key("market-regulation-regulator").public();
    let batch =
        tracechain_contracts::trace_codes::NormalisedCode::new("code", &flow::batch()).unwrap();
    let no_recall = absent(tracechain_contracts::recall::node_recall_key(
        &tracechain_contracts::lineage::Node::unit(&batch),
        &market,
        "RC-FAKE-1",
    ));
    let batch_text = batch.as_str().to_string();
    let path = dl_path(&flow::featured_unit());
    let base = serve(&f).await;

    // Honest: verified, with what was proven listed.
    let page = dom_of(format!("{base}{path}?lang=en")).await;
    assert_eq!(verdict(&page), Some("verified"), "{page}");
    assert!(
        page.contains("Verified against the validators’ signatures"),
        "{page}"
    );
    assert!(
        page.contains("certified by 4 of 4 validators (quorum 3)"),
        "{page}"
    );
    assert!(page.contains("registration of this code and its product name proven"));
    assert!(
        page.contains("customs record of this unit proven"),
        "{page}"
    );
    assert!(page.contains("6 certificate(s) proven"), "{page}");
    assert!(page.contains("data-status=\"revoked\"") && page.contains("data-status=\"expired\""));
    let zh = dom_of(format!("{base}{path}?lang=zh")).await;
    assert_eq!(verdict(&zh), Some("verified"), "{zh}");
    assert!(zh.contains("已依据验证节点签名核验"));

    // Without JavaScript (here: the page's scripts blocked by its policy) the page says it
    // was not checked, and shows everything else.
    let no_script = serve_proxied(&f, Arc::new(|p: String| p), Some("script-src 'none'")).await;
    let off = dom_of(format!("{no_script}{path}?lang=en")).await;
    assert_eq!(verdict(&off), None, "{off}");
    assert!(
        off.contains("Not checked in this browser (JavaScript is off)"),
        "{off}"
    );
    assert!(off.contains("Anxi Tieguanyin oolong tea"));

    // A lying node, through a proxy: each lie is reported as a failed verification.
    let lies: Vec<(&str, Tamper)> = vec![
        (
            "a vote signature changed",
            Arc::new(|p: String| {
                tamper_data(&p, |v| {
                    let h = v["read_at"]["height"].to_string();
                    flip(&mut v["proofs"]["headers"][&h]["certificate"]["votes"][0]["signature"]);
                })
            }),
        ),
        (
            "two votes left, under the quorum",
            Arc::new(|p: String| {
                tamper_data(&p, |v| {
                    let h = v["read_at"]["height"].to_string();
                    let votes = v["proofs"]["headers"][&h]["certificate"]["votes"]
                        .as_array_mut()
                        .unwrap();
                    votes.truncate(2);
                })
            }),
        ),
        (
            "another state root in the header and the footer",
            Arc::new(|p: String| {
                let root = p
                    .split("id=\"read-root\">")
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .to_string();
                let other = format!(
                    "{}{}",
                    if root.starts_with('0') { "1" } else { "0" },
                    &root[1..]
                );
                tamper_data(&p.replace(&root, &other), |_| {})
            }),
        ),
        (
            "another state root in the footer only",
            Arc::new(|p: String| footer_changed(&p, "read-root")),
        ),
        (
            "another block hash in the footer",
            Arc::new(|p: String| footer_changed(&p, "read-block")),
        ),
        (
            "another height in the footer",
            Arc::new(|p: String| {
                p.replace("<span id=\"read-height\">", "<span id=\"read-height\">1")
            }),
        ),
        (
            "a small decoy named product before another product name",
            Arc::new(|p: String| {
                p.replace(
                    "<h1 id=\"product\">Anxi Tieguanyin oolong tea, 250 g tin</h1>",
                    "<small id=\"product\">Anxi Tieguanyin oolong tea, 250 g tin</small><h1 id=\"product\">Organic Da Hong Pao, 250 g tin</h1>",
                )
            }),
        ),
        (
            "another product name in the product section",
            Arc::new(|p: String| {
                p.replace(
                    "<dd id=\"product-name\">Anxi Tieguanyin oolong tea, 250 g tin",
                    "<dd id=\"product-name\">Organic Da Hong Pao, 250 g tin",
                )
            }),
        ),
        (
            "the product name hidden by a style",
            Arc::new(|p: String| {
                p.replace(
                    "<h1 id=\"product\">",
                    "<h1 id=\"product\" style=\"display:none\">",
                )
            }),
        ),
        (
            "another code shown",
            Arc::new(|p: String| p.replace("<code id=\"code\">", "<code id=\"code\">X")),
        ),
        (
            "another batch shown",
            Arc::new(|p: String| p.replace("<code id=\"batch\">", "<code id=\"batch\">X")),
        ),
        (
            "a certificate row outside the proven table",
            Arc::new(|p: String| {
                p.replace(
                    "<footer>",
                    "<table><tr data-issuer=\"00\"><td>certification</td><td>Organic Inc.</td><td>2026-01-01 00:00 UTC</td><td>valid, issued by a competent issuer</td></tr></table><footer>",
                )
            }),
        ),
        (
            "the last certificate left out",
            Arc::new(|p: String| {
                let start = p.rfind("<tr data-issuer=").unwrap();
                let end = start + p[start..].find("</tr>").unwrap() + "</tr>".len();
                format!("{}{}", &p[..start], &p[end..])
            }),
        ),
        (
            "a certificate's status attribute alone changed",
            Arc::new(|p: String| p.replacen("data-status=\"valid\"", "data-status=\"expired\"", 1)),
        ),
        (
            "a revoked certificate proven by its proof from before the revocation",
            Arc::new(move |p: String| {
                let p = status_shown_as_valid(&p, "revoked");
                tamper_data(&p, |v| {
                    v["certificates"][revoked_here]["proof"] = before.clone();
                    v["proofs"]["headers"][&old_h] = old_header.clone();
                })
            }),
        ),
        (
            "a shared certificate proven as the other batch's",
            Arc::new({
                let there = shared_there.clone();
                move |p: String| {
                    tamper_data(&p, |v| {
                        v["certificates"][shared_here] =
                            json!({"unit": there["unit"], "proof": there["proof"]});
                    })
                }
            }),
        ),
        (
            "a shared certificate proven by the other batch's fact under this batch's name",
            Arc::new(move |p: String| {
                tamper_data(&p, |v| {
                    v["certificates"][shared_here]["proof"] = shared_there["proof"].clone()
                })
            }),
        ),
        (
            "customs shown as released, its record claimed absent by the attribute",
            Arc::new(|p: String| {
                let p = p.replace("data-recorded=\"true\"", "data-recorded=\"false\"");
                tamper_data(&p, |v| v["customs_proof"] = Value::Null)
            }),
        ),
        (
            "the product name at zero opacity",
            Arc::new(|p: String| {
                p.replace(
                    "<h1 id=\"product\">",
                    "<h1 id=\"product\" style=\"opacity:0\">",
                )
            }),
        ),
        (
            "two certificate rows shown by one proof",
            Arc::new(|p: String| {
                let first = p.find("<tr data-issuer=").unwrap();
                let first_end = first + p[first..].find("</tr>").unwrap() + "</tr>".len();
                let second_end = first_end + p[first_end..].find("</tr>").unwrap() + "</tr>".len();
                let row = p[first..first_end].to_string();
                let p = format!("{}{row}{}", &p[..first_end], &p[second_end..]);
                tamper_data(&p, |v| {
                    let c0 = v["certificates"][0].clone();
                    v["certificates"][1] = c0;
                })
            }),
        ),
        (
            "the customs status hidden by a style",
            Arc::new(|p: String| {
                p.replace("id=\"customs\"", "id=\"customs\" style=\"display:none\"")
            }),
        ),
        (
            "a certificate row hidden by a style",
            Arc::new(|p: String| {
                p.replacen(
                    "<tr data-issuer=",
                    "<tr style=\"display:none\" data-issuer=",
                    1,
                )
            }),
        ),
        (
            "a certificate of an incompetent issuer shown as valid",
            Arc::new(|p: String| {
                p.replace("data-status=\"not-competent\"", "data-status=\"valid\"")
                    .replace(
                        "issuer not competent for this document",
                        "valid, issued by a competent issuer",
                    )
            }),
        ),
        (
            "a revoked certificate shown as valid",
            Arc::new(|p: String| status_shown_as_valid(&p, "revoked")),
        ),
        (
            "an expired certificate shown as valid",
            Arc::new(|p: String| status_shown_as_valid(&p, "expired")),
        ),
        (
            "a certificate's status text alone changed",
            Arc::new(|p: String| {
                p.replace(
                    "issuer not competent for this document",
                    "valid, issued by a competent issuer",
                )
            }),
        ),
        (
            "a certificate's anchoring time changed",
            Arc::new(|p: String| {
                let at = p.find("class=\"c-anchored\">").unwrap() + "class=\"c-anchored\">".len();
                // The year's last digit.
                let other = if &p[at + 3..at + 4] == "9" { "8" } else { "9" };
                format!("{}{other}{}", &p[..at + 3], &p[at + 4..])
            }),
        ),
        (
            "a certificate's type changed",
            Arc::new(|p: String| {
                let t = "class=\"c-type\">";
                let at = p.find(t).unwrap() + t.len();
                let end = at + p[at..].find('<').unwrap();
                let other = if &p[at..end] == "other" {
                    "registration"
                } else {
                    "other"
                };
                format!("{}{other}{}", &p[..at], &p[end..])
            }),
        ),
        (
            "a certificate's issuer changed",
            Arc::new(|p: String| flip_after(&p, "<tr data-issuer=\"")),
        ),
        (
            "a certificate left out of the page",
            Arc::new(|p: String| {
                let start = p.find("<tr data-issuer=").unwrap();
                let end = start + p[start..].find("</tr>").unwrap() + "</tr>".len();
                format!("{}{}", &p[..start], &p[end..])
            }),
        ),
        (
            "two certificates' proofs swapped",
            Arc::new(|p: String| {
                tamper_data(&p, |v| v["certificates"].as_array_mut().unwrap().swap(0, 1))
            }),
        ),
        (
            "a certificate proven by the registration's proof",
            Arc::new(|p: String| {
                tamper_data(&p, |v| {
                    v["certificates"][0]["proof"] = v["registration_proof"].clone()
                })
            }),
        ),
        (
            "another product name shown",
            Arc::new(|p: String| {
                p.replace(
                    "<h1 id=\"product\">Anxi Tieguanyin oolong tea",
                    "<h1 id=\"product\">Anxi Tieguanyin oolong tea, organic",
                )
            }),
        ),
        (
            "the customs proof left out",
            Arc::new(|p: String| tamper_data(&p, |v| v["customs_proof"] = Value::Null)),
        ),
        (
            "the registration proof given as the customs'",
            Arc::new(|p: String| {
                tamper_data(&p, |v| v["customs_proof"] = v["registration_proof"].clone())
            }),
        ),
        (
            "the customs record proven absent",
            Arc::new(move |p: String| tamper_data(&p, |v| v["customs_proof"] = no_customs.clone())),
        ),
        (
            "another batch's recall shown as this tin's",
            Arc::new(move |p: String| {
                let p = p.replace(
                    "<header>",
                    "<div class=\"banner recall\" role=\"alert\" id=\"recall\">RECALLED <span class=\"ref\">RC-OTHER-1</span></div><header>",
                );
                tamper_data(&p, |v| v["recalls"] = json!([other_recall.clone()]))
            }),
        ),
        (
            "a recall proven absent shown",
            Arc::new(move |p: String| {
                let p = p.replace(
                    "<header>",
                    "<div class=\"banner recall\" role=\"alert\" id=\"recall\">RECALLED <span class=\"ref\">RC-FAKE-1</span></div><header>",
                );
                tamper_data(&p, |v| {
                    v["recalls"] = json!([{
                        "recalled_unit": batch_text.clone(),
                        "issuer": market.to_hex(),
                        "reference": "RC-FAKE-1",
                        "proof": no_recall.clone(),
                    }])
                })
            }),
        ),
        (
            "the customs proof given as the registration's",
            Arc::new(|p: String| {
                tamper_data(&p, |v| v["registration_proof"] = v["customs_proof"].clone())
            }),
        ),
        (
            "a byte of the registration proof changed",
            Arc::new(|p: String| {
                tamper_data(&p, |v| {
                    let b64 = base64::engine::general_purpose::STANDARD;
                    use base64::Engine as _;
                    let mut bytes = b64
                        .decode(v["registration_proof"]["proof"].as_str().unwrap())
                        .unwrap();
                    let i = bytes.len() - 3;
                    bytes[i] ^= 1;
                    v["registration_proof"]["proof"] = Value::String(b64.encode(bytes));
                })
            }),
        ),
    ];
    for (name, tamper) in lies {
        let proxied = serve_tampered(&f, tamper).await;
        let page = dom_of(format!("{proxied}{path}?lang=en")).await;
        assert_eq!(verdict(&page), Some("failed"), "{name}: {page}");
        assert!(page.contains("Verification FAILED"), "{name}");
    }

    // Recalled: the recall is proven and in the banner; a node hiding the banner is caught.
    f.append(&[recall_step("RC-VERIFY-1", "residue")]);
    let page = dom_of(format!("{base}{path}?lang=en")).await;
    assert_eq!(verdict(&page), Some("verified"), "{page}");
    assert!(page.contains("recall RC-VERIFY-1 proven"), "{page}");
    let hidden: Tamper = Arc::new(|p: String| {
        let start = p.find("<div class=\"banner recall\"").unwrap();
        let end = start + p[start..].find("</div>").unwrap() + "</div>".len();
        format!("{}{}", &p[..start], &p[end..])
    });
    let proxied = serve_tampered(&f, hidden).await;
    let page = dom_of(format!("{proxied}{path}?lang=en")).await;
    assert_eq!(verdict(&page), Some("failed"), "{page}");
    assert!(page.contains("is not shown in the banner"), "{page}");
    // Kept, but hidden by a style: caught too.
    let hidden: Tamper = Arc::new(|p: String| {
        p.replace(
            "<div class=\"banner recall\" role=\"alert\" id=\"recall\">",
            "<div class=\"banner recall\" role=\"alert\" id=\"recall\" style=\"display:none\">",
        )
    });
    let proxied = serve_tampered(&f, hidden).await;
    let page = dom_of(format!("{proxied}{path}?lang=en")).await;
    assert_eq!(verdict(&page), Some("failed"), "{page}");
    assert!(page.contains("the recall banner is hidden"), "{page}");
}

/// The browser's verifier and the Rust one (`tracechain_api::proof::verify_fact`) give the same
/// verdict, and the same value, on the same vectors: the proofs of a real answer, honest and
/// tampered in every field a lying node could change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_verifier_agrees_with_the_rust_verifier_on_shared_vectors() {
    use base64::Engine as _;
    use tracechain_api::proof::{verify_fact, FactProof, ProofBase, Trust};
    let b64 = &base64::engine::general_purpose::STANDARD;
    let f = build();
    f.append(&[recall_step("RC-VECTORS-1", "residue")]);
    let story = story_of(&f, &flow::featured_unit()).await;
    let height = story["read_at"]["height"].as_u64().unwrap();
    let h = height.to_string();
    let base = story["proofs"].clone();
    let genesis_set = serde_json::to_value(genesis().validators).unwrap();
    let trust = json!({"chain_id": chain().as_str(), "validators": genesis_set});
    // An exclusion proof: a key no one wrote.
    let absent_key = b"tu/01069712340041239921NO-SUCH-UNIT".to_vec();
    let absent = {
        let snap = f.store.snapshot();
        let p = tracechain_types::state_map::prove(&snap, height, &absent_key).unwrap();
        serde_json::to_value(FactProof::new(&absent_key, height, &p)).unwrap()
    };
    let reg = story["registration_proof"].clone();
    let reg_key = hex::decode(reg["key"].as_str().unwrap()).unwrap();
    let recall = story["recall"]["recalls"][0]["proof"].clone();
    let recall_key = hex::decode(recall["key"].as_str().unwrap()).unwrap();
    let customs = story["customs_proof"].clone();

    struct Vector {
        name: String,
        base: Value,
        trust: Value,
        key: Vec<u8>,
        fact: Value,
    }
    let mut vs: Vec<Vector> = Vec::new();
    let mut add = |name: &str,
                   key: &[u8],
                   fact: &Value,
                   change: &dyn Fn(&mut Value, &mut Value, &mut Value)| {
        let (mut b, mut t, mut fa) = (base.clone(), trust.clone(), fact.clone());
        change(&mut b, &mut t, &mut fa);
        vs.push(Vector {
            name: name.into(),
            base: b,
            trust: t,
            key: key.to_vec(),
            fact: fa,
        });
    };
    let none = |_: &mut Value, _: &mut Value, _: &mut Value| {};
    add("registration", &reg_key, &reg, &none);
    add("recall", &recall_key, &recall, &none);
    add(
        "customs",
        &hex::decode(customs["key"].as_str().unwrap()).unwrap(),
        &customs,
        &none,
    );
    add("absent key", &absent_key, &absent, &none);
    let proof_bytes = |fa: &Value| b64.decode(fa["proof"].as_str().unwrap()).unwrap();
    type Change<'a> = Box<dyn Fn(&mut Value, &mut Value, &mut Value) + 'a>;
    let tampers: Vec<(&str, Change)> = vec![
        (
            "vote signature",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["certificate"]["votes"][1]["signature"])
            }),
        ),
        (
            "vote signer",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["certificate"]["votes"][0]["validator"])
            }),
        ),
        (
            "votes under quorum",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"][&h]["certificate"]["votes"]
                    .as_array_mut()
                    .unwrap()
                    .truncate(2);
            }),
        ),
        (
            "a vote twice",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                let v = b["headers"][&h]["certificate"]["votes"][0].clone();
                b["headers"][&h]["certificate"]["votes"]
                    .as_array_mut()
                    .unwrap()
                    .insert(0, v);
            }),
        ),
        (
            "votes unsorted",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"][&h]["certificate"]["votes"]
                    .as_array_mut()
                    .unwrap()
                    .swap(0, 1);
            }),
        ),
        (
            "certificate view",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                let v = b["headers"][&h]["certificate"]["view"].as_u64().unwrap();
                b["headers"][&h]["certificate"]["view"] = json!(v + 1);
            }),
        ),
        (
            "certificate height",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"][&h]["certificate"]["height"] = json!(height + 1);
            }),
        ),
        (
            "certificate block hash",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["certificate"]["block_hash"])
            }),
        ),
        (
            "header state root",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["header"]["state_root"])
            }),
        ),
        (
            "header tx root",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["header"]["tx_root"])
            }),
        ),
        (
            "header time",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                let t = b["headers"][&h]["header"]["timestamp_ms"].as_u64().unwrap();
                b["headers"][&h]["header"]["timestamp_ms"] = json!(t + 1);
            }),
        ),
        (
            "header chain",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"][&h]["header"]["chain_id"] = json!("tracechain-other");
            }),
        ),
        (
            "header validator set",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                flip(&mut b["headers"][&h]["header"]["validator_set_hash"])
            }),
        ),
        (
            "header height",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"][&h]["header"]["height"] = json!(height + 1);
            }),
        ),
        (
            "no header",
            Box::new(|b: &mut Value, _: &mut Value, _: &mut Value| {
                b["headers"] = json!({});
            }),
        ),
        (
            "fact height",
            Box::new(|_: &mut Value, _: &mut Value, fa: &mut Value| {
                fa["height"] = json!(height - 1);
            }),
        ),
        (
            "trusted: another set",
            Box::new(|_: &mut Value, t: &mut Value, _: &mut Value| {
                t["validators"][0]["public_key"] = json!(key("intruder").public().to_hex());
            }),
        ),
        (
            "trusted: another chain",
            Box::new(|_: &mut Value, t: &mut Value, _: &mut Value| {
                t["chain_id"] = json!("tracechain-other");
            }),
        ),
        (
            "trusted: set with one validator more",
            Box::new(|_: &mut Value, t: &mut Value, _: &mut Value| {
                t["validators"].as_array_mut().unwrap().push(
                    json!({"public_key": key("intruder").public().to_hex(), "name": "intruder"}),
                );
            }),
        ),
        (
            "proof of another key",
            Box::new(|_: &mut Value, _: &mut Value, fa: &mut Value| flip(&mut fa["key"])),
        ),
        (
            "proof: a sibling byte",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let mut p = proof_bytes(fa);
                p[6] ^= 0x80;
                fa["proof"] = json!(b64.encode(p));
            }),
        ),
        (
            "proof: last byte",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let mut p = proof_bytes(fa);
                let n = p.len() - 1;
                p[n] ^= 1;
                fa["proof"] = json!(b64.encode(p));
            }),
        ),
        (
            "proof: cut",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let mut p = proof_bytes(fa);
                p.pop();
                fa["proof"] = json!(b64.encode(p));
            }),
        ),
        (
            "proof: a byte after its end",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let mut p = proof_bytes(fa);
                p.push(0);
                fa["proof"] = json!(b64.encode(p));
            }),
        ),
        (
            "proof: version 2",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let mut p = proof_bytes(fa);
                p[0] = 2;
                fa["proof"] = json!(b64.encode(p));
            }),
        ),
        (
            "proof: one sibling fewer",
            Box::new(move |_: &mut Value, _: &mut Value, fa: &mut Value| {
                let p: tracechain_types::StateProof = borsh::from_slice(&proof_bytes(fa)).unwrap();
                let mut q = p.clone();
                q.siblings.remove(0);
                fa["proof"] = json!(b64.encode(borsh::to_vec(&q).unwrap()));
            }),
        ),
        (
            "proof: base64 unpadded",
            Box::new(|_: &mut Value, _: &mut Value, fa: &mut Value| {
                let s = fa["proof"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches('=')
                    .to_string();
                fa["proof"] = json!(s);
            }),
        ),
    ];
    for (name, t) in &tampers {
        for (what, k, fact) in [
            ("registration", &reg_key, &reg),
            ("absent key", &absent_key, &absent),
        ] {
            add(&format!("{what}, {name}"), k, fact, t.as_ref());
        }
    }
    // What only a Byzantine quorum, or a key outside the set, could sign: the verifier must
    // refuse it on the rules alone.
    let resign = |b: &mut Value, header: &tracechain_types::BlockHeader, cert_height: u64| {
        let view = b["headers"][&h]["certificate"]["view"].as_u64().unwrap();
        let msg =
            tracechain_types::commit_signing_bytes(&chain(), cert_height, view, &header.hash());
        let mut votes: Vec<tracechain_types::CommitVote> = (0..4)
            .map(|i| {
                let k = key(&format!("validator-{i}"));
                tracechain_types::CommitVote {
                    validator: k.public(),
                    signature: k.sign(&msg),
                }
            })
            .collect();
        votes.sort_by_key(|v| v.validator);
        b["headers"][&h]["header"] = serde_json::to_value(header).unwrap();
        b["headers"][&h]["certificate"]["height"] = json!(cert_height);
        b["headers"][&h]["certificate"]["block_hash"] = json!(header.hash().to_hex());
        b["headers"][&h]["certificate"]["votes"] = serde_json::to_value(votes).unwrap();
    };
    let header: tracechain_types::BlockHeader =
        serde_json::from_value(base["headers"][&h]["header"].clone()).unwrap();
    add(
        "registration, the certificate re-signed by the set for another height",
        &reg_key,
        &reg,
        &|b: &mut Value, _: &mut Value, _: &mut Value| resign(b, &header, height + 1),
    );
    add(
        "registration, a header of another height, re-signed, filed under this one",
        &reg_key,
        &reg,
        &|b: &mut Value, _: &mut Value, _: &mut Value| {
            let mut other = header.clone();
            other.height = height + 1;
            resign(b, &other, height + 1);
        },
    );
    add(
        "registration, the honest certificate re-signed (control)",
        &reg_key,
        &reg,
        &|b: &mut Value, _: &mut Value, _: &mut Value| resign(b, &header, height),
    );
    add(
        "registration, a vote by a key outside the set, signed correctly",
        &reg_key,
        &reg,
        &|b: &mut Value, _: &mut Value, _: &mut Value| {
            let view = b["headers"][&h]["certificate"]["view"].as_u64().unwrap();
            let msg =
                tracechain_types::commit_signing_bytes(&chain(), height, view, &header.hash());
            let intruder = key("intruder");
            let votes = b["headers"][&h]["certificate"]["votes"]
                .as_array_mut()
                .unwrap();
            votes.truncate(2);
            votes.push(json!({"validator": intruder.public().to_hex(), "signature": hex::encode(intruder.sign(&msg).0)}));
            votes.sort_by_key(|v| v["validator"].as_str().unwrap().to_string());
        },
    );
    // Base64 with stray bits in its last character (padded, but not canonical).
    for (what, k, fact) in [
        ("registration", &reg_key, &reg),
        ("absent key", &absent_key, &absent),
    ] {
        let s = fact["proof"].as_str().unwrap();
        let data = s.trim_end_matches('=');
        if data.len() == s.len() {
            continue;
        }
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let last = ALPHABET
            .iter()
            .position(|c| *c == *data.as_bytes().last().unwrap())
            .unwrap();
        let stray = format!(
            "{}{}{}",
            &data[..data.len() - 1],
            ALPHABET[last ^ 1] as char,
            &s[data.len()..]
        );
        add(
            &format!("{what}, base64 with stray bits"),
            k,
            fact,
            &|_: &mut Value, _: &mut Value, fa: &mut Value| fa["proof"] = json!(stray.clone()),
        );
    }
    // An exclusion proof turned into an inclusion, and the value of an inclusion changed.
    add(
        "absent key claimed present",
        &absent_key,
        &absent,
        &|_: &mut Value, _: &mut Value, fa: &mut Value| {
            let mut p: tracechain_types::StateProof =
                borsh::from_slice(&b64.decode(fa["proof"].as_str().unwrap()).unwrap()).unwrap();
            p.leaf = tracechain_types::state_map::ProofLeaf::Present { value: vec![1] };
            fa["proof"] = json!(b64.encode(borsh::to_vec(&p).unwrap()));
        },
    );
    add(
        "registration claimed absent",
        &reg_key,
        &reg,
        &|_: &mut Value, _: &mut Value, fa: &mut Value| {
            let mut p: tracechain_types::StateProof =
                borsh::from_slice(&b64.decode(fa["proof"].as_str().unwrap()).unwrap()).unwrap();
            p.leaf = tracechain_types::state_map::ProofLeaf::AbsentEmpty;
            fa["proof"] = json!(b64.encode(borsh::to_vec(&p).unwrap()));
        },
    );

    assert!(vs
        .iter()
        .any(|v| v.name.ends_with("base64 with stray bits")));
    // The Rust verdicts.
    let rust: Vec<Result<Option<String>, String>> = vs
        .iter()
        .map(|v| {
            let base: ProofBase =
                serde_json::from_value(v.base.clone()).map_err(|e| e.to_string())?;
            let set: tracechain_types::ValidatorSet =
                serde_json::from_value(v.trust["validators"].clone()).map_err(|e| e.to_string())?;
            let chain = tracechain_types::ChainId::new(v.trust["chain_id"].as_str().unwrap())
                .map_err(|e| e.to_string())?;
            let fact: FactProof =
                serde_json::from_value(v.fact.clone()).map_err(|e| e.to_string())?;
            verify_fact(&base, &Trust::genesis(chain, set), &v.key, &fact)
                .map(|o| o.map(hex::encode))
                .map_err(|e| e.to_string())
        })
        .collect();
    assert!(rust[..4].iter().all(Result::is_ok), "{rust:?}");
    assert_eq!(rust[3], Ok(None), "the absent key is proven absent");
    assert!(rust.iter().filter(|r| r.is_err()).count() >= 2 * tampers.len());

    // The browser's verdicts: a harness page runs verify.js on every vector.
    let vectors: Vec<Value> = vs
        .iter()
        .map(|v| json!({"name": v.name, "base": v.base, "trust": v.trust, "key": hex::encode(&v.key), "fact": v.fact}))
        .collect();
    let vectors = Arc::new(serde_json::to_string(&vectors).unwrap());
    let harness = "<!doctype html><html><body><pre id=\"out\">pending</pre>\
        <script src=\"/assets/verify.js\"></script><script src=\"/harness.js\"></script></body></html>";
    let harness_js = r#"(async () => {
      const hex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
      const vs = await (await fetch('/vectors')).json();
      const out = [];
      for (const v of vs) {
        try {
          const val = await tracechainVerify.verifyFact(v.base, v.trust, hex(v.key), v.fact);
          out.push({ ok: true, value: val === null ? null : tracechainVerify.toHex(val) });
        } catch (e) {
          out.push({ ok: false, error: String(e && e.message) });
        }
      }
      document.getElementById('out').textContent = JSON.stringify(out);
    })();"#;
    let app = f
        .router()
        .route(
            "/harness",
            axum::routing::get(move || async move { axum::response::Html(harness) }),
        )
        .route(
            "/harness.js",
            axum::routing::get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                    harness_js,
                )
            }),
        )
        .route(
            "/vectors",
            axum::routing::get(move || {
                let v = vectors.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        (*v).clone(),
                    )
                }
            }),
        );
    let url = format!("{}/harness", serve_router(app).await);
    let page = dom_of(url).await;
    let out = page
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap();
    let out = out
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let js: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(js.len(), vs.len());
    for ((v, r), j) in vs.iter().zip(&rust).zip(&js) {
        match r {
            Ok(value) => {
                assert_eq!(
                    j["ok"],
                    json!(true),
                    "{}: Rust accepts, the browser refuses: {j}",
                    v.name
                );
                assert_eq!(j["value"], json!(value), "{}", v.name);
            }
            Err(e) => assert_eq!(
                j["ok"],
                json!(false),
                "{}: Rust refuses ({e}), the browser accepts",
                v.name
            ),
        }
    }
}

/// `sign.js` in the browser: a key file imported into WebCrypto gives the participant's
/// public key; its signed reads are accepted by the node (the regulator reads a queue); the
/// records it builds are the Rust encoding of the same records, and its signed transactions
/// verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_signs_reads_and_records_as_the_node_expects() {
    use tracechain_types::{decode, encode, Transaction};
    let f = build();
    // Signed reads carry the browser's clock: the node's must agree.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    f.now.store(wall, std::sync::atomic::Ordering::SeqCst);
    let regulator = key("customs-regulator");
    let key_file = json!({
        "type": "ed25519",
        "public_key": regulator.public().to_hex(),
        "secret_seed": hex::encode(Hash::digest(b"customs-regulator").0),
    });
    let enterprise = key("bench-0-producer").public();
    let code = flow::featured_unit();
    let (gtin, kind, value) = match &code {
        TraceCode::Item { gtin, serial } => (format!("{gtin:0>14}"), "item", serial.clone()),
        TraceCode::Batch { gtin, batch } => (format!("{gtin:0>14}"), "batch", batch.clone()),
    };
    let harness_js = format!(
        r#"(async () => {{
      const S = tracechainSign, out = {{}};
      try {{
        const k = await S.importKey({key_file});
        out.public = k.publicHex;
        try {{ await S.importKey(JSON.stringify(Object.assign({key_file}, {{ public_key: '00'.repeat(32) }}))); out.mismatch = 'accepted'; }}
        catch (e) {{ out.mismatch = 'refused'; }}
        const s = new S.Session(k, {chain});
        const who = await s.readJson('/v1/whoami');
        out.role = who.read_at.role;
        const q = await s.readJson('/v1/queues/filings?department=customs');
        out.queue = q.items.map((i) => i.reference);
        const again = await s.readJson('/v1/queues/filings?department=customs');
        out.again = again.items.length;
        const e = '{enterprise}';
        const R = S.records;
        const recs = {{
          participant: R.participantDecision(e, 'suspend', 'licence lapsed'),
          prefix: R.prefixDecision(e, '6971234', 'approve', 'licence seen'),
          filing: R.filingDecision(e, 'OUTSIDER-FILING-1', 'approve', 'form checked'),
          declaration: R.declarationDecision(e, 'EXD-1', 'reject', '申报不完整'),
          feedback: R.feedback('FB-JS-1', {{ kind: '{kind}', gtin: '{gtin}', value: '{value}' }}, 'lid dented'),
        }};
        out.records = {{}};
        for (const [n, b] of Object.entries(recs)) out.records[n] = S.toHex(b);
        out.tx = S.toHex(await s.transaction(recs.filing, 7, 1234));
      }} catch (e) {{ out.error = String(e && e.message); }}
      document.getElementById('out').textContent = JSON.stringify(out);
    }})();"#,
        key_file = serde_json::to_string(&key_file.to_string()).unwrap(),
        chain = serde_json::to_string(chain().as_str()).unwrap(),
        enterprise = enterprise.to_hex(),
    );
    let harness = "<!doctype html><html><body><pre id=\"out\">pending</pre>\
        <script src=\"/assets/verify.js\"></script><script src=\"/assets/sign.js\"></script><script src=\"/harness.js\"></script></body></html>";
    let app = f
        .router()
        .route(
            "/harness",
            axum::routing::get(move || async move { axum::response::Html(harness) }),
        )
        .route(
            "/harness.js",
            axum::routing::get(move || {
                let js = harness_js.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/javascript")], js) }
            }),
        );
    let url = format!("{}/harness", serve_router(app).await);
    let page = dom_of(url).await;
    let out = page
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let js: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(js.get("error").is_none(), "{js}");
    assert_eq!(js["public"], regulator.public().to_hex());
    assert_eq!(
        js["mismatch"], "refused",
        "a key file whose public key is not its secret's"
    );
    assert_eq!(js["role"], "regulator");
    assert_eq!(js["queue"], json!(["OUTSIDER-FILING-1"]));
    assert_eq!(
        js["again"], 1,
        "two signed reads of one target are not replays"
    );
    let expected = [
        (
            "participant",
            Payload::Participant(ParticipantRecord::ParticipantDecision(
                ParticipantDecision {
                    participant: enterprise,
                    action: ParticipantAction::Suspend,
                    reason: "licence lapsed".into(),
                },
            )),
        ),
        (
            "prefix",
            Payload::Participant(ParticipantRecord::CompanyPrefixDecision(
                CompanyPrefixDecision {
                    holder: enterprise,
                    prefix: "6971234".into(),
                    action: PrefixAction::Approve,
                    reason: "licence seen".into(),
                },
            )),
        ),
        (
            "filing",
            Payload::Cbeac(tracechain_types::CbeacRecord::FilingDecision(
                FilingDecision {
                    enterprise,
                    filing_ref: "OUTSIDER-FILING-1".into(),
                    verdict: Verdict::Approve,
                    reason: "form checked".into(),
                },
            )),
        ),
        (
            "declaration",
            Payload::Cbeac(tracechain_types::CbeacRecord::DeclarationDecision(
                DeclarationDecision {
                    enterprise,
                    declaration_ref: "EXD-1".into(),
                    verdict: Verdict::Reject,
                    reason: "申报不完整".into(),
                },
            )),
        ),
        (
            "feedback",
            Payload::Consumer(tracechain_types::ConsumerRecord::Feedback(Feedback {
                feedback_ref: "FB-JS-1".into(),
                code: match &code {
                    TraceCode::Item { serial, .. } => TraceCode::Item {
                        gtin: gtin.clone(),
                        serial: serial.clone(),
                    },
                    TraceCode::Batch { batch, .. } => TraceCode::Batch {
                        gtin: gtin.clone(),
                        batch: batch.clone(),
                    },
                },
                text: "lid dented".into(),
            })),
        ),
    ];
    for (name, payload) in &expected {
        assert_eq!(js["records"][name], hex::encode(encode(payload)), "{name}");
    }
    // The transaction the browser signed: the same record, and the regulator's signature.
    let tx: Transaction =
        decode(&hex::decode(js["tx"].as_str().unwrap()).unwrap(), 1 << 20).unwrap();
    assert_eq!(tx.body.signer, regulator.public());
    assert_eq!((tx.body.sequence, tx.body.expiry_height), (7, 1234));
    assert_eq!(tx.body.payload, expected[2].1);
    tx.verify(&chain())
        .expect("the browser's signature verifies");
}

/// Trust on first use, per site: the first check pins the validator set for the page's origin;
/// an answer certified by another set — however well signed — then fails on that device, and
/// is marked as a first check on a fresh one (where only the published fingerprint can tell).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validator_set_is_pinned_per_site_at_the_first_check() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = build();
    let path = dl_path(&flow::featured_unit());
    let story = story_of(&f, &flow::featured_unit()).await;
    let h = story["read_at"]["height"].to_string();
    let real: tracechain_types::BlockHeader =
        serde_json::from_value(story["proofs"]["headers"][&h]["header"].clone()).unwrap();
    // Four keys of the attacker's, signing the same state as a chain of their own set.
    let intruders: Vec<_> = (0..4).map(|i| key(&format!("intruder-{i}"))).collect();
    let set = tracechain_types::ValidatorSet::new(
        intruders
            .iter()
            .enumerate()
            .map(|(i, k)| tracechain_types::Validator {
                public_key: k.public(),
                name: format!("validator-{i}"),
            })
            .collect(),
    )
    .unwrap();
    let mut fake = real.clone();
    fake.validator_set_hash = set.hash();
    let view = story["proofs"]["headers"][&h]["certificate"]["view"]
        .as_u64()
        .unwrap();
    let msg = tracechain_types::commit_signing_bytes(&chain(), fake.height, view, &fake.hash());
    let mut votes: Vec<tracechain_types::CommitVote> = intruders
        .iter()
        .map(|k| tracechain_types::CommitVote {
            validator: k.public(),
            signature: k.sign(&msg),
        })
        .collect();
    votes.sort_by_key(|v| v.validator);
    let cert = json!({"height": fake.height, "view": view, "block_hash": fake.hash().to_hex(), "votes": votes});
    let (real_hash, fake_hash) = (real.hash().to_hex(), fake.hash().to_hex());
    let (fake_json, set_json, set_hash) = (
        serde_json::to_value(&fake).unwrap(),
        serde_json::to_value(&set).unwrap(),
        set.hash().to_hex(),
    );
    let lie = Arc::new(AtomicBool::new(false));
    let tamper: Tamper = {
        let lie = lie.clone();
        Arc::new(move |p: String| {
            if !lie.load(Ordering::SeqCst) {
                return p;
            }
            let p = p.replace(&real_hash, &fake_hash);
            tamper_data(&p, |v| {
                v["proofs"]["headers"][&h] = json!({"header": fake_json, "certificate": cert});
                v["proofs"]["validator_sets"] = json!({ set_hash.clone(): set_json });
            })
        })
    };
    let site = serve_tampered(&f, tamper).await;
    let url = format!("{site}{path}?lang=en");
    let device = tempfile::tempdir().unwrap();
    let on_device = |url: String, profile: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            let o = browse_in(
                &url,
                &["--dump-dom", "--virtual-time-budget=5000"],
                &profile,
            );
            String::from_utf8_lossy(&o.stdout).to_string()
        })
    };
    // First check: verified, pinned now, with the chain and the fingerprint to compare.
    let first = on_device(url.clone(), device.path().to_path_buf())
        .await
        .unwrap();
    assert_eq!(verdict(&first), Some("verified"), "{first}");
    assert!(
        first.contains("first check of this site on this device: pinned now"),
        "{first}"
    );
    assert!(
        first.contains(&format!("chain {}", chain().as_str())),
        "{first}"
    );
    // Again: as pinned.
    let again = on_device(url.clone(), device.path().to_path_buf())
        .await
        .unwrap();
    assert_eq!(verdict(&again), Some("verified"), "{again}");
    assert!(
        again.contains("as pinned for this site on this device"),
        "{again}"
    );
    // The attacker's set, signing correctly: refused on the device that pinned the real one.
    lie.store(true, Ordering::SeqCst);
    let lied = on_device(url.clone(), device.path().to_path_buf())
        .await
        .unwrap();
    assert_eq!(verdict(&lied), Some("failed"), "{lied}");
    assert!(lied.contains("not trusted"), "{lied}");
    // On a fresh device it is a first check — which the page says, with the attacker's
    // fingerprint for the consumer to compare.
    let fresh = tempfile::tempdir().unwrap();
    let fooled = on_device(url, fresh.path().to_path_buf()).await.unwrap();
    assert_eq!(verdict(&fooled), Some("verified"), "{fooled}");
    assert!(fooled.contains("first check of this site"), "{fooled}");
    assert!(fooled.contains(&set.hash().to_hex()[..32]), "{fooled}");
}
