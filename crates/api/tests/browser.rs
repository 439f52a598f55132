//! The consumer page in a real browser (issue 15, ADR 0088): headless Chromium (Debian's
//! `chromium`, installed by `scripts/prereqs.sh`) loads the page from the read API served on
//! 127.0.0.1 and the DOM it builds is checked; screenshots at phone (390 × 844) and desktop
//! (1280 × 900) size, in English and Chinese, of a unit and of a recalled one, are written to
//! `$CARGO_TARGET_TMPDIR/screenshots/` (`target/tmp/screenshots/` by default).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
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
        .arg(format!("--user-data-dir={}", profile.path().display()))
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
    assert!(page.contains("Customs status recorded"));
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
