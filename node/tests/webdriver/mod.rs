//! A small W3C WebDriver client for the browser tests of the web pages: it drives headless
//! Chromium through Debian's `chromedriver` (package `chromium-driver`, installed by
//! `scripts/prereqs.sh`), on 127.0.0.1 only.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn which(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|c| {
        let o = Command::new("which").arg(c).output().ok()?;
        o.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    })
}

/// A chromedriver and one headless Chromium session; both end when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start chromedriver on a free 127.0.0.1 port and open a headless Chromium of
    /// `width` × `height`.
    pub fn start(width: u32, height: u32) -> Browser {
        let driver = which(&["chromedriver"]).unwrap_or_else(|| {
            panic!("no chromedriver: the browser tests need it; run `make prereqs` (or: apt-get install -y chromium chromium-driver fonts-noto-cjk)")
        });
        let chromium = which(&["chromium", "chromium-browser", "google-chrome"])
            .expect("no Chromium; run `make prereqs`");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let t0 = Instant::now();
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let v: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            driver: child,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let r = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        }
        .send()
        .unwrap();
        let status = r.status();
        let v: Value = r.json().unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {v}"
        );
        v["value"].clone()
    }

    /// Load `url`.
    pub fn open(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url }));
    }

    /// Resize the window.
    pub fn size(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        );
    }

    /// Run `script` (a function body; `arguments` are `args`) in the page; its return value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// Run `script` asynchronously: it ends by calling `arguments[arguments.length - 1]`
    /// with its result.
    pub fn js_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/async",
            json!({"script": script, "args": args}),
        )
    }

    /// An accessibility audit of the page with axe-core (WCAG 2 A and AA rules, contrast
    /// among them): the violations, as `rule (impact): help — n elements`.
    pub fn accessibility_violations(&self) -> Vec<String> {
        self.js(&axe_source(), json!([]));
        let v = self.js_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
               .then((r) => done(r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.length + ' elements: ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))))\
               .catch((e) => done(['axe failed: ' + e]));",
            json!([]),
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().unwrap().to_string()
    }

    /// Click the first element matching `css`.
    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), json!({}));
    }

    /// Type `text` into the first element matching `css` (for a file input: a file's path).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        );
    }

    /// Choose `file` in the file input `css`.
    pub fn choose_file(&self, css: &str, file: &Path) {
        self.type_into(css, &file.display().to_string());
    }

    /// The text of the first element matching `css` (`None`: no such element).
    pub fn text(&self, css: &str) -> Option<String> {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )
        .as_str()
        .map(str::to_string)
    }

    /// Wait until `script` (returning a value) returns something truthy; that value.
    pub fn wait_for(&self, what: &str, script: &str, args: Value, within: Duration) -> Value {
        let t0 = Instant::now();
        loop {
            let v = self.js(script, args.clone());
            let truthy = match &v {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return v;
            }
            if t0.elapsed() > within {
                let page = self.js("return document.body.innerText;", json!([]));
                panic!(
                    "timed out waiting for {what}; the page says:\n{}",
                    page.as_str().unwrap_or("")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait for an element matching `css`; its text.
    pub fn wait_text(&self, css: &str, within: Duration) -> String {
        self.wait_for(
            css,
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
            within,
        )
        .as_str()
        .unwrap()
        .to_string()
    }

    /// A PNG of the window, written to `file` (checked to be an image of some size).
    pub fn screenshot(&self, file: &Path) {
        use base64::Engine as _;
        let v = self.call("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{}",
            file.display()
        );
        std::fs::write(file, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's script (npm package `axe-core`, installed by `scripts/prereqs.sh` into
/// `/var/cache/tracechain/node` or `~/.cache/tracechain/node`; `TRACECHAIN_AXE_JS` names
/// another copy).
pub fn axe_source() -> String {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("TRACECHAIN_AXE_JS") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from(
        "/var/cache/tracechain/node/node_modules/axe-core/axe.min.js",
    ));
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(
            PathBuf::from(home).join(".cache/tracechain/node/node_modules/axe-core/axe.min.js"),
        );
    }
    for c in &candidates {
        if let Ok(s) = std::fs::read_to_string(c) {
            return s;
        }
    }
    panic!(
        "no axe-core for the accessibility audit (looked at {candidates:?}); run `make prereqs` \
         (or: npm install --prefix /var/cache/tracechain/node axe-core@4.11.0)"
    )
}
