//! The OpenAPI document cannot drift: `docs/openapi.json` is exactly what the binary
//! generates from its routes (regenerate it with `tracechain openapi > docs/openapi.json`),
//! a running node serves the same document at `/openapi.json`, and every documented
//! operation is served by that node (never the fallback's 404 or a 405).

mod cluster;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn committed() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json"))
        .expect("docs/openapi.json is committed")
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let out = Command::new(cluster::bin())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    assert!(
        generated.trim() == committed().trim(),
        "docs/openapi.json drifted from the routes: run `tracechain openapi > docs/openapi.json`"
    );
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[test]
fn a_node_serves_the_document_and_every_operation_in_it() {
    let mut c = cluster::Cluster::init(1, 0);
    c.start_all();
    c.wait_up(Duration::from_secs(60));
    let node = c.names()[0].clone();
    let (code, served) = c.get(&node, "/openapi.json").unwrap();
    assert_eq!(code, 200);
    let committed: Value = serde_json::from_str(&committed()).unwrap();
    assert_eq!(
        served, committed,
        "the served document is the committed one"
    );
    let key = c.key(&node).to_hex();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut operations = 0;
    for (path, item) in committed["paths"].as_object().unwrap() {
        for method in ["get", "post", "head", "options"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            if path == "/v1/events" {
                continue; // a stream: its route is checked by the read API's tests
            }
            let target = path
                .replace("{code}", "010697123400412321T0001")
                .replace("{hash}", &"0".repeat(64))
                .replace("{id}", &"0".repeat(64))
                .replace("{height}", "1")
                .replace("{key}", &key)
                .replace("{enterprise}", &key)
                .replace("{owner}", &key)
                .replace("{author}", &key)
                .replace("{reference}", "X")
                .replace("{kind}", "filings")
                .replace("{gtin}", "06971234004123")
                .replace("{serial}", "T0001")
                .replace("{batch}", "AX")
                .replace("{captureID}", &"0".repeat(64))
                .replace("{record}", &"0".repeat(64))
                .replace("{eventID}", "urn:uuid:6f3c8f3e-0000-4000-8000-000000000000");
            assert!(
                !target.contains('{'),
                "{path}: a parameter the test does not fill"
            );
            let url = format!("{}{target}", c.api(&node));
            let resp = match method {
                "post" => http.post(&url).body(Vec::<u8>::new()).send(),
                "head" => http.head(&url).send(),
                "options" => http.request(reqwest::Method::OPTIONS, &url).send(),
                _ => http.get(&url).send(),
            }
            .unwrap();
            let status = resp.status().as_u16();
            assert_ne!(status, 405, "{method} {path}");
            let body: Value = resp.json().unwrap_or(Value::Null);
            assert_ne!(
                body["code"], "E_NOT_FOUND",
                "{method} {path} is documented but not served"
            );
        }
    }
    assert!(operations >= 30, "{operations} operations");
}
