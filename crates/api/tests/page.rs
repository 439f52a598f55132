//! The consumer page (issue 15, ADR 0088): a browser at a unit's Digital Link gets the story
//! as HTML — product, producer, origin, batch, customs, certificates, the journey on the
//! bundled map — in English or Chinese, with the recall banner and the scan warning when they
//! apply, without a script; JSON clients keep the JSON; refusals are pages too.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use tracechain_types::records::TraceCode;
use tracechain_workload::flow;

/// The flow's product (as registered by the producer).
const TEA: &str = "Anxi Tieguanyin oolong tea, 250 g tin";

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn get(f: &Fixture, path: &str, accept: &str, language: Option<&str>) -> Answer {
    let mut b = Request::builder()
        .method("GET")
        .uri(path)
        .header("accept", accept);
    if let Some(l) = language {
        b = b.header("accept-language", l);
    }
    send(&f.router(), b.body(Body::empty()).unwrap()).await
}

fn text(a: &Answer) -> String {
    String::from_utf8(a.body.clone()).unwrap()
}

#[tokio::test]
async fn a_browser_gets_the_story_as_a_small_page_without_scripts() {
    let f = build();
    let path = dl_path(&flow::featured_unit());
    let a = get(&f, &path, BROWSER, Some("en-GB,en;q=0.9")).await;
    assert_eq!(a.status, 200, "{}", text(&a));
    assert_eq!(a.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(a.headers["content-language"], "en");
    assert!(a.headers["vary"].to_str().unwrap().contains("Accept"));
    let html = text(&a);
    assert!(html.starts_with("<!doctype html><html lang=\"en\">"));
    for expected in [
        TEA,
        "Product trace",
        flow::BATCH,
        "Released by customs on 2026-11-06 (R-C2)",
        "<dt>Brand</dt><dd>Anxi Tieguanyin</dd>",
        "<dt>Produced</dt><dd>2026-10-22 (CN)</dd>",
        "id=\"certificates\"",
        "valid, issued by a competent issuer",
        "id=\"journey\"",
        "id=\"map\"",
        "/assets/world-110m.svg",
        "id=\"scan-count\">2<",
        "hreflang=\"zh\"",
    ] {
        assert!(html.contains(expected), "{expected} missing from {html}");
    }
    assert!(!html.contains("id=\"recall\""));
    assert!(!html.contains("id=\"scan-warning\""));
    // Every essential fact is in the HTML; the only scripts are the proofs (a JSON data
    // block, never run) and the node's own verifier; nothing from another server; small.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 4, "{html}");
    assert!(scripts[0].starts_with(" type=\"application/json\" id=\"tc-proofs\">"));
    assert!(scripts[1].starts_with(" src=\"/assets/verify.js\" defer>"));
    assert!(scripts[2].starts_with(" src=\"/assets/sign.js\" defer>"));
    assert!(scripts[3].starts_with(" src=\"/assets/feedback.js\" defer>"));
    // The feedback form: labelled fields, disabled until its script runs.
    assert!(html.contains("<label for=\"feedback-text\">"));
    assert!(html.contains("<label for=\"feedback-key\">"));
    assert!(html.contains("id=\"feedback-send\" disabled>"));
    assert!(html.contains("Not checked in this browser (JavaScript is off)"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.len() < 100_000, "{} bytes", html.len());
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"));

    // The scripts: served by the node, cached for an hour.
    for (path, marker) in [
        ("/assets/verify.js", "tracechainVerify"),
        ("/assets/sign.js", "tracechainSign"),
        ("/assets/feedback.js", "feedback-out"),
        ("/assets/console.js", "loaders.approvals"),
    ] {
        let js = get(&f, path, "*/*", None).await;
        assert_eq!(js.status, 200, "{path}");
        assert_eq!(js.headers["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(js.headers["cache-control"], "public, max-age=3600");
        assert!(text(&js).contains(marker), "{path}");
    }

    // The console: a frame in either language, its scripts the node's own.
    let console = get(&f, "/console", BROWSER, Some("zh-CN")).await;
    assert_eq!(console.status, 200);
    assert_eq!(console.headers["content-language"], "zh-CN");
    let csp = console.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = text(&console);
    assert!(page.contains("监管控制台") && page.contains("<label for=\"key-file\">"));
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 3);
    assert!(scripts[0].starts_with(" src=\"/assets/verify.js\" defer>"));
    assert!(scripts[1].starts_with(" src=\"/assets/sign.js\" defer>"));
    assert!(scripts[2].starts_with(" src=\"/assets/console.js\" defer>"));
    let en = text(&get(&f, "/console?lang=en", BROWSER, Some("zh-CN")).await);
    assert!(en.contains("Regulator console") && en.contains("id=\"tab-approvals\""));

    // Chinese, from Accept-Language or from the switch.
    let zh = text(&get(&f, &path, BROWSER, Some("zh-CN,zh;q=0.9,en;q=0.8")).await);
    assert!(zh.starts_with("<!doctype html><html lang=\"zh-CN\">"));
    assert!(zh.contains("商品溯源") && zh.contains("物流轨迹") && zh.contains("海关"));
    let switched = text(&get(&f, &format!("{path}?lang=zh"), BROWSER, Some("en")).await);
    assert!(switched.contains("商品溯源"));

    // A JSON client at the same link keeps the JSON story.
    let a = get(&f, &path, "application/json", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["unit"]["product_name"], TEA);

    // The map's outline: one cached asset.
    let a = get(&f, "/assets/world-110m.svg", "image/svg+xml", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "image/svg+xml");
    assert!(a.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert!(text(&a).starts_with("<svg"));
}

#[tokio::test]
async fn a_recalled_unit_shows_the_banner_and_a_suspicious_scan_the_warning() {
    let f = build();
    let path = dl_path(&flow::featured_unit());
    // The tin scanned again, far away and outside its destination.
    f.append(&[suspicious_scan_step()]);
    let html = text(&get(&f, &path, BROWSER, None).await);
    assert!(html.contains("id=\"scan-warning\""), "{html}");
    assert!(html.contains("outside its destinations"), "{html}");
    assert!(!html.contains("id=\"recall\""));

    f.append(&[recall_step("RC-PAGE-1", "pesticide residue")]);
    for (lang, words) in [("en", "RECALLED"), ("zh", "已召回")] {
        let html = text(&get(&f, &format!("{path}?lang={lang}"), BROWSER, None).await);
        let banner = html.find("id=\"recall\"").expect("the banner");
        assert!(html[banner..].contains(words), "{html}");
        assert!(html[banner..].contains("RC-PAGE-1"));
        // The banner comes before everything else the page says about the product.
        assert!(banner < html.find("id=\"h-product\"").unwrap());
        // The recall's reason is not the public's.
        assert!(!html.contains("pesticide"));
    }
}

#[tokio::test]
async fn a_browser_gets_refusals_as_pages() {
    let f = build();
    let unknown = dl_path(&TraceCode::Item {
        gtin: flow::gtin(),
        serial: "NOPE".into(),
    });
    let a = get(&f, &unknown, BROWSER, None).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.headers["content-type"], "text/html; charset=utf-8");
    assert!(text(&a).contains("role=\"alert\""));
    assert!(text(&a).contains("no trace unit"));
    let a = get(&f, "/01/12345/21/%3Cscript%3E", BROWSER, Some("zh")).await;
    assert_eq!(a.status, 400);
    let html = text(&a);
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(!html.contains("<script>"), "{html}");
    // JSON clients keep problem+json.
    let a = get(&f, &unknown, "application/json", None).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["code"], "E_UNKNOWN_UNIT");
}
