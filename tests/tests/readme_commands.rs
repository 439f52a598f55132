//! The README's two commands and CI's entry point, checked as a user would meet them: `make test`
//! runs formatting, lints and the whole suite and ends with nextest's summary; `make demo`,
//! `make demo-stop` and `make demo-reset` run the demo scripts (which `node/tests/demo.rs` runs
//! against a real consortium); `scripts/prereqs.sh` stops with the exact command
//! to run when something is missing; `.ci/run` falls back when its cache directory cannot be
//! created. Scripts run against stub tools or scratch copies, never changing this machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p =
            std::env::temp_dir().join(format!("tracechain-readme-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write stub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

/// The recipe lines of a Makefile target.
fn recipe(makefile: &str, target: &str) -> Vec<String> {
    let mut lines = makefile
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{target}:")));
    lines.next();
    lines
        .take_while(|l| l.starts_with('\t'))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn make_test_runs_fmt_clippy_and_every_test_and_ends_with_the_nextest_summary() {
    let makefile = std::fs::read_to_string(repo().join("Makefile")).expect("Makefile");
    assert!(
        makefile.contains("\ntest: prereqs"),
        "make test installs prerequisites first"
    );
    let steps = recipe(&makefile, "test");
    assert!(
        steps.iter().any(|s| s.contains("fmt --all -- --check")),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("clippy --workspace --all-targets") && s.ends_with("-D warnings")),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| s.contains("--doc")),
        "doctests run: {steps:?}"
    );
    let last = steps.last().expect("a recipe");
    assert!(
        last.contains("nextest run --workspace") && last.contains("--profile ci"),
        "the last step must be nextest so that the output ends with its summary: {steps:?}"
    );
}

#[test]
fn make_demo_runs_the_demo_scripts() {
    let makefile = std::fs::read_to_string(repo().join("Makefile")).unwrap();
    assert_eq!(recipe(&makefile, "demo"), vec!["@scripts/demo.sh"]);
    assert_eq!(
        recipe(&makefile, "demo-stop"),
        vec!["@scripts/demo-stop.sh"]
    );
    assert_eq!(
        recipe(&makefile, "demo-reset"),
        vec!["@scripts/demo-stop.sh --reset"]
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("make demo "), "the README names make demo");
    assert!(
        readme.contains("make demo-stop"),
        "the README says how to stop"
    );
}

#[test]
fn ci_runs_make_test_and_falls_back_when_the_cache_dir_cannot_be_created() {
    let dir = Scratch::new("ci");
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    // A stub `make` reports what it was asked and the cache directory in force.
    script(
        &bin.join("make"),
        "echo \"make $* CARGO_TARGET_DIR=$CARGO_TARGET_DIR\"",
    );
    let blocker = dir.0.join("a-file");
    std::fs::write(&blocker, "").expect("file");
    let home = dir.0.join("home");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // The cache directory cannot be created (its parent is a file): fall back under $HOME.
    let out = Command::new(repo().join(".ci/run"))
        .env("PATH", &path)
        .env("HOME", &home)
        .env("CARGO_TARGET_DIR", blocker.join("target"))
        .output()
        .expect("run .ci/run");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let fallback = home.join(".cache/tracechain/target");
    assert!(
        t.contains(&format!(
            "make test CARGO_TARGET_DIR={}",
            fallback.display()
        )),
        "{t}"
    );

    // Without a usable $HOME either, the build still runs (in the clone's own target/).
    let out = Command::new(repo().join(".ci/run"))
        .env("PATH", &path)
        .env_remove("HOME")
        .env("CARGO_TARGET_DIR", blocker.join("target"))
        .output()
        .expect("run .ci/run");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let own = repo().canonicalize().expect("repo").join("target");
    assert!(
        t.contains(&format!("make test CARGO_TARGET_DIR={}\n", own.display())),
        "{t}"
    );
}

/// A scratch project holding a copy of `scripts/prereqs.sh`, run with `bin/` first on PATH.
fn run_prereqs(
    dir: &Scratch,
    stubs: &[(&str, &str)],
    manifest: &str,
    lock: Option<&str>,
) -> Output {
    let scripts = dir.0.join("scripts");
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&scripts).expect("scripts");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::copy(
        repo().join("scripts/prereqs.sh"),
        scripts.join("prereqs.sh"),
    )
    .expect("copy");
    std::fs::create_dir_all(dir.0.join("src")).expect("src");
    std::fs::write(dir.0.join("src/lib.rs"), "").expect("lib.rs");
    std::fs::write(dir.0.join("Cargo.toml"), manifest).expect("manifest");
    if let Some(lock) = lock {
        std::fs::write(dir.0.join("Cargo.lock"), lock).expect("lock");
    }
    for (name, body) in stubs {
        script(&bin.join(name), body);
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(scripts.join("prereqs.sh"))
        .env("PATH", path)
        .output()
        .expect("run prereqs.sh")
}

const MANIFEST: &str = "[package]\nname = \"scratch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n";

#[test]
fn prereqs_names_the_command_when_nextest_cannot_be_installed() {
    let dir = Scratch::new("nextest");
    // cargo without nextest, whose `install` fails (no network); everything else real.
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v cargo"])
            .output()
            .expect("sh")
            .stdout,
    )
    .expect("utf8");
    let cargo = format!(
        "case \"$1\" in nextest) exit 101;; install) echo 'network unreachable' >&2; exit 101;; esac\nexec {} \"$@\"",
        real.trim()
    );
    let out = run_prereqs(&dir, &[("cargo", &cargo)], MANIFEST, None);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("run: cargo install cargo-nextest --locked"),
        "{t}"
    );
}

#[test]
fn prereqs_names_the_command_when_cargo_lock_is_stale() {
    let dir = Scratch::new("lock");
    // The manifest gained a dependency that the committed Cargo.lock does not list, so every
    // `--locked` command of `make test` would fail.
    std::fs::create_dir_all(dir.0.join("helper/src")).expect("helper");
    std::fs::write(dir.0.join("helper/src/lib.rs"), "").expect("helper lib");
    std::fs::write(
        dir.0.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
    )
    .expect("helper manifest");
    let manifest = format!("{MANIFEST}[dependencies]\nhelper = {{ path = \"helper\" }}\n");
    let stale = "version = 4\n\n[[package]]\nname = \"scratch\"\nversion = \"0.0.0\"\n";
    let out = run_prereqs(&dir, &[], &manifest, Some(stale));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("Cargo.lock is out of date"), "{t}");
    assert!(t.contains("run: cargo update --workspace"), "{t}");
    // An up-to-date lock file passes.
    std::fs::remove_file(dir.0.join("Cargo.lock")).expect("rm lock");
    let out = run_prereqs(&dir, &[], &manifest, None);
    assert!(out.status.success(), "{}", text(&out));
}
