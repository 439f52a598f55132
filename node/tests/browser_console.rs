//! The web pages on a running node, in a real browser (issue 15, ADR 0089): headless Chromium
//! driven through chromedriver (`webdriver`), against a four-validator consortium (one per agency) loaded with
//! the demo's export flow.
//!
//! * A customs regulator signs in to the console with its key file (the key stays in the
//!   browser), approves a new filing, and the new status comes back from the chain; the test
//!   reads it itself with a signed read. Then every other view: completeness, recall
//!   simulation, the document check (a file hashed in the browser), the alerts stream (a
//!   recall issued meanwhile appears), the block explorer.
//! * A consumer opens the tin's page: it verifies itself against the validator's signature,
//!   and the consumer sends feedback signed with their own key in the page; the test reads it
//!   back from the chain.
//! * Screenshots of the console at phone and desktop size, English and Chinese (the filing
//!   awaiting the decision), and of a recall simulation, go to
//!   `$CARGO_TARGET_TMPDIR/screenshots/` (`target/tmp/screenshots/`).
//! * axe-core audits the console (both languages) and the consumer page for WCAG 2.1 A/AA
//!   violations (labels, contrast, structure): none are allowed.

mod cluster;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cluster::{bin, Cluster};
use serde_json::{json, Value};
use tracechain_types::read_auth::sign_read;
use tracechain_types::records::*;
use tracechain_types::{CbeacRecord, ChainId, Hash, Payload, RecallRecord, SecretKey, TxBody};
use tracechain_workload::flow;
use webdriver::Browser;

const WAIT: Duration = Duration::from_secs(40);

fn key_file(path: &Path) -> SecretKey {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let seed: [u8; 32] = hex::decode(v["secret_seed"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    SecretKey::from_seed(seed)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A signed read by `key` at `api`.
fn signed_get(api: &str, chain: &ChainId, key: &SecretKey, target: &str) -> (u16, Value) {
    let ts = now_ms();
    let sig = sign_read(key, chain, "GET", target, ts, b"");
    let r = reqwest::blocking::Client::new()
        .get(format!("{api}{target}"))
        .header("tracechain-key", key.public().to_hex())
        .header("tracechain-timestamp", ts.to_string())
        .header("tracechain-signature", hex::encode(sig.0))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

fn get(url: &str) -> Value {
    reqwest::blocking::get(url).unwrap().json().unwrap()
}

/// Sign `payload` as `key`'s next record and submit it, waiting for its commit.
fn submit(c: &Cluster, node: &str, key: &SecretKey, payload: Payload) -> Value {
    let api = c.api(node);
    let seq = get(&format!(
        "{api}/v1/accounts/{}/sequence",
        key.public().to_hex()
    ));
    let tip = c.height(node).unwrap();
    let tx = TxBody {
        signer: key.public(),
        sequence: seq["next_sequence"].as_u64().unwrap(),
        expiry_height: tip + 100,
        payload,
    }
    .sign(&c.chain_id, key);
    let (status, v) = c.submit(node, &tx, true).unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Sign in to the console at `api` with `key`.
fn sign_in(b: &Browser, api: &str, lang: &str, key: &Path) {
    b.open(&format!("{api}/console?lang={lang}"));
    b.wait_for(
        "the console's script",
        "return document.getElementById('console-js').textContent.includes(arguments[0]);",
        json!([if lang == "zh" { "就绪" } else { "Ready" }]),
        WAIT,
    );
    b.choose_file("#key-file", key);
    b.click("#sign-in");
    let role = b.wait_for(
        "the sign-in",
        "return document.getElementById('who').dataset.role || null;",
        json!([]),
        WAIT,
    );
    assert_eq!(role, "regulator", "{:?}", b.text("#who"));
    let who = b.text("#who").unwrap();
    let department = if lang == "zh" {
        "部门 customs"
    } else {
        "department customs"
    };
    assert!(who.contains(department), "{who}");
    b.wait_for(
        "the approval queues",
        "return document.getElementById('approvals').dataset.loaded === 'true';",
        json!([]),
        WAIT,
    );
}

#[test]
fn a_regulator_decides_in_the_console_and_a_consumer_sends_feedback_in_chromium() {
    let mut c = Cluster::init(4, 0);
    c.start_all();
    c.wait_up(Duration::from_secs(60));
    let node = c.validators()[0].clone();
    let api = c.api(&node);
    let load = Command::new(bin())
        .args(["demo", "load", "--network"])
        .arg(c.net_dir().join("network.json"))
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "demo load: {}",
        String::from_utf8_lossy(&load.stderr)
    );
    let keys = c.net_dir().join("participants");
    let producer = key_file(&keys.join("producer.key"));
    let customs = keys.join("customs-regulator.key");
    let customs_key = key_file(&customs);

    // A new filing by the producer, awaiting every department.
    const FILING: &str = "FJ-CBEAC-2026-CONSOLE";
    submit(
        &c,
        &node,
        &producer,
        Payload::Cbeac(CbeacRecord::Filing(Filing {
            filing_ref: FILING.into(),
            document: Hash::digest(b"CBEAC filing form, second product line"),
            departments: vec![
                Agency::Customs,
                Agency::Tax,
                Agency::Forex,
                Agency::MarketRegulation,
            ],
            valid_until: tracechain_workload::date(now_ms() + 365 * tracechain_workload::DAY_MS),
        })),
    );

    // Market regulation approves it first (from its own tooling).
    let market = key_file(&keys.join("market-regulation-regulator.key"));
    submit(
        &c,
        &node,
        &market,
        Payload::Cbeac(CbeacRecord::FilingDecision(FilingDecision {
            enterprise: producer.public(),
            filing_ref: FILING.into(),
            verdict: Verdict::Approve,
            reason: "licence verified".into(),
        })),
    );

    // The customs regulator signs in and approves it.
    let b = Browser::start(1280, 900);
    sign_in(&b, &api, "en", &customs);
    let row = format!("tr[data-kind=filing][data-ref=\"{FILING}\"]");
    b.wait_text(&row, WAIT);
    b.screenshot(&shots().join("console-desktop-en.png"));
    let a11y = b.accessibility_violations();
    assert!(a11y.is_empty(), "the console: {a11y:#?}");
    // The same at phone size, the filing in view; then in Chinese.
    let to_filings = "document.getElementById('q-filings').scrollIntoView(); return true;";
    b.size(390, 844);
    b.js(to_filings, json!([]));
    b.screenshot(&shots().join("console-phone-en.png"));
    sign_in(&b, &api, "zh", &customs);
    b.wait_text(&row, WAIT);
    b.js(to_filings, json!([]));
    b.screenshot(&shots().join("console-phone-zh.png"));
    b.size(1280, 900);
    b.screenshot(&shots().join("console-desktop-zh.png"));
    let a11y = b.accessibility_violations();
    assert!(a11y.is_empty(), "the console in Chinese: {a11y:#?}");
    sign_in(&b, &api, "en", &customs);
    b.wait_text(&row, WAIT);
    // The market regulator decided first; the customs console shows that decision.
    let decisions = b.wait_for(
        "the filing's decisions so far",
        "const e = document.querySelector(arguments[0]); return e && e.textContent !== '…' ? e.textContent : null;",
        json!([format!("{row} td.decisions")]),
        WAIT,
    );
    assert_eq!(
        decisions, "market_regulation: approve (licence verified)",
        "{decisions}"
    );
    b.type_into(
        &format!("{row} input.reason"),
        "Filing form and licence checked",
    );
    b.click(&format!("{row} button[data-verdict=approve]"));
    let done = b
        .wait_for(
            "the decision's commit",
            "const e = document.querySelector(arguments[0]); return e && e.dataset.done === 'true' ? e.textContent : null;",
            json!([format!("{row} .msg[role=status]")]),
            WAIT,
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(done.contains("Committed at block"), "{done}");
    assert!(
        done.contains(
            "status from the chain: pending (customs: approve, market_regulation: approve)"
        ),
        "{done}"
    );
    // The chain says so to the test too, and names the regulator who decided.
    let (status, f) = signed_get(
        &api,
        &c.chain_id,
        &customs_key,
        &format!("/v1/filings/{}/{FILING}", producer.public().to_hex()),
    );
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["status"], "pending");
    let by_customs = f["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "customs")
        .unwrap_or_else(|| panic!("{f}"));
    assert_eq!(by_customs["verdict"], "approve");
    assert_eq!(by_customs["by"], customs_key.public().to_hex());
    assert_eq!(by_customs["reason"], "Filing form and licence checked");
    assert_eq!(f["decisions"].as_array().unwrap().len(), 2);
    // Decided: it left the customs queue.
    b.click("#tabs button[data-tab=approvals]");
    b.wait_for(
        "the queue without the filing",
        "return document.getElementById('approvals').dataset.loaded === 'true' && !document.querySelector(arguments[0]);",
        json!([row]),
        WAIT,
    );

    // Completeness of the tin.
    let tin = format!("/01/{:0>14}/21/{}", flow::gtin(), flow::SERIALS[0]);
    b.click("#tabs button[data-tab=units]");
    b.type_into("#unit-code", &tin);
    b.click("#unit-form button[type=submit]");
    let verdict = b.wait_text("#unit-verdict", WAIT);
    assert!(
        verdict.ends_with("complete: every mandatory category recorded (R-X2)"),
        "{verdict}"
    );

    // The batch's dashboard: every unit it reaches with its completeness.
    let batch_dl = format!("/01/{:0>14}/10/{}", flow::gtin(), flow::BATCH);
    b.js(
        "document.getElementById('unit-code').value = ''; return true;",
        json!([]),
    );
    b.type_into("#unit-code", &batch_dl);
    b.click("#unit-form button[type=submit]");
    let dash = b.wait_text("#dashboard-summary", WAIT);
    let rows = b
        .js(
            "return document.querySelectorAll('#dashboard tr[data-unit]').length;",
            json!([]),
        )
        .as_u64()
        .unwrap();
    assert!(rows >= flow::SERIALS.len() as u64, "{dash}");
    assert!(
        dash.contains(&format!("Units this batch reaches: {rows}")),
        "{dash}"
    );
    let tin_row = b
        .text(&format!(
            "#dashboard tr[data-unit=\"01{:0>14}21{}\"]",
            flow::gtin(),
            flow::SERIALS[0]
        ))
        .unwrap();
    assert!(tin_row.contains("yes"), "{tin_row}");

    // Recall simulation of the batch: the graph, the tables, the elapsed time.
    let batch = format!("/01/{:0>14}/10/{}", flow::gtin(), flow::BATCH);
    b.click("#tabs button[data-tab=recall]");
    b.type_into("#recall-code", &batch);
    b.click("#recall-form button[type=submit]");
    let summary = b.wait_text("#recall-summary", WAIT);
    let batch_code = format!("01{:0>14}10{}", flow::gtin(), flow::BATCH);
    let (status, impact) = signed_get(
        &api,
        &c.chain_id,
        &customs_key,
        &format!("/v1/recalls/{batch_code}/impact"),
    );
    assert_eq!(status, 200, "{impact}");
    let units = impact["units"].as_array().unwrap().len();
    assert!(units > 1, "{impact}");
    assert!(
        summary.contains(&format!(
            ": {units} units, {} countries",
            impact["countries"].as_array().unwrap().len()
        )),
        "{summary} vs {impact}"
    );
    assert!(summary.contains(" ms"), "{summary}");
    assert!(b.text("#recall-out svg.graph").is_some());
    b.js(
        "document.getElementById('recall-summary').scrollIntoView(); return true;",
        json!([]),
    );
    b.screenshot(&shots().join("console-recall-desktop-en.png"));

    // The document check: the certificate of origin, hashed in the browser.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("certificate-of-origin.txt");
    std::fs::write(
        &doc,
        b"Certificate of origin (China-EU), Xiamen Customs, AX2026-0412",
    )
    .unwrap();
    b.click("#tabs button[data-tab=documents]");
    b.choose_file("#doc-file", &doc);
    let v = b.wait_text("#doc-verdict", WAIT);
    assert_eq!(v, "Anchored and valid.");
    assert_eq!(
        b.text("#doc-hash").unwrap(),
        flow::certificate_of_origin().to_hex()
    );

    // Alerts: follow the stream; a recall issued meanwhile appears.
    b.click("#tabs button[data-tab=alerts]");
    b.click("#alerts-start");
    b.wait_for(
        "the stream",
        "return document.getElementById('alerts-state').textContent.includes('block');",
        json!([]),
        WAIT,
    );
    let market = key_file(&keys.join("market-regulation-regulator.key"));
    submit(
        &c,
        &node,
        &market,
        Payload::Recall(RecallRecord::Recall(Recall {
            recall_ref: "RC-CONSOLE-1".into(),
            batch: flow::batch(),
            reason: "pesticide residue above the limit".into(),
        })),
    );
    let alert = b.wait_text("#alerts-list tr[data-kind=recall]", WAIT);
    assert!(alert.contains("RC-CONSOLE-1"), "{alert}");
    b.click("#alerts-stop");

    // The block explorer: the newest block first, with its certificate.
    b.click("#tabs button[data-tab=blocks]");
    let first = b.wait_text("#blocks-table tbody tr", WAIT);
    let tip = c.height(&node).unwrap();
    let shown: u64 = b
        .js(
            "return Number(document.querySelector('#blocks-table tbody tr').dataset.height);",
            json!([]),
        )
        .as_u64()
        .unwrap();
    assert!(
        shown >= tip.saturating_sub(1) && shown <= tip + 1,
        "{shown} vs {tip}"
    );
    assert!(
        first.contains("signatures: 3 —") || first.contains("signatures: 4 —"),
        "{first}"
    );

    // A consumer: the tin's page verifies itself against the validator's signature, and
    // takes feedback signed with the consumer's own key, in the page.
    b.open(&format!("{api}{tin}?lang=en"));
    let verdict = b.wait_for(
        "the page's verification",
        "return document.getElementById('verify-status').dataset.verdict || null;",
        json!([]),
        WAIT,
    );
    assert_eq!(verdict, "verified", "{:?}", b.text("#verify"));
    assert!(b.text("#recall").unwrap().contains("RC-CONSOLE-1"));
    let a11y = b.accessibility_violations();
    assert!(a11y.is_empty(), "the consumer page: {a11y:#?}");
    // The audit is not blind: a field without a label, and grey on grey, are reported.
    b.js(
        "const i = document.createElement('input'); i.type = 'text'; i.id = 'unlabelled';\
         const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#bbb'; p.style.background = '#ccc';\
         document.querySelector('main').append(i, p); return true;",
        json!([]),
    );
    let v = b.accessibility_violations();
    assert!(v.iter().any(|s| s.starts_with("label ")), "{v:?}");
    assert!(v.iter().any(|s| s.starts_with("color-contrast ")), "{v:?}");
    b.js("document.getElementById('unlabelled').remove(); document.querySelector('main p:last-child').remove(); return true;", json!([]));
    let text = "Tin arrived sealed; the tea tastes as described.";
    b.type_into("#feedback-text", text);
    b.choose_file("#feedback-key", &keys.join("consumer-1.key"));
    b.click("#feedback-send");
    let sent = b
        .wait_for(
            "the feedback's commit",
            "const e = document.getElementById('feedback-out'); return e.dataset.ref ? [e.dataset.ref, e.dataset.author, e.textContent] : null;",
            json!([]),
            WAIT,
        );
    let (reference, author) = (sent[0].as_str().unwrap(), sent[1].as_str().unwrap());
    assert!(
        sent[2].as_str().unwrap().contains("is recorded at block"),
        "{sent}"
    );
    let consumer = key_file(&keys.join("consumer-1.key"));
    assert_eq!(author, consumer.public().to_hex());
    let (status, fb) = signed_get(
        &api,
        &c.chain_id,
        &consumer,
        &format!("/v1/feedback/{author}/{reference}"),
    );
    assert_eq!(status, 200, "{fb}");
    assert_eq!(fb["text"], text);
    assert_eq!(
        fb["unit"],
        format!("01{:0>14}21{}", flow::gtin(), flow::SERIALS[0])
    );
}
