//! `tracechain keys generate` end to end.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tracechain"))
}

#[test]
fn keys_generate_writes_owner_only_file_and_refuses_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("validator.key");
    let out = bin()
        .args(["keys", "generate", "--out"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("utf8");
    let printed = printed.trim();
    assert_eq!(printed.len(), 64, "public key hex: {printed}");

    let body = std::fs::read_to_string(&path).expect("read key");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["public_key"], printed);
    assert_eq!(json["type"], "ed25519");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // A second run must refuse and leave the file unchanged.
    let again = bin()
        .args(["keys", "generate", "--out"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), body);
}

#[test]
fn two_generated_keys_differ() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = bin()
        .args(["keys", "generate", "--out"])
        .arg(dir.path().join("a"))
        .output();
    let b = bin()
        .args(["keys", "generate", "--out"])
        .arg(dir.path().join("b"))
        .output();
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    assert!(a.status.success() && b.status.success());
    assert_ne!(a.stdout, b.stdout);
}

fn generate_err(out: &std::path::Path) -> String {
    let run = bin()
        .args(["keys", "generate", "--out"])
        .arg(out)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(2), "must fail with exit 2");
    assert!(run.stdout.is_empty(), "no public key printed on failure");
    String::from_utf8(run.stderr).expect("utf8")
}

#[test]
fn keys_generate_names_a_missing_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-dir");
    let err = generate_err(&missing.join("validator.key"));
    assert!(
        err.contains(&format!("directory {} does not exist", missing.display())),
        "stderr: {err}"
    );
    assert!(!missing.exists());
}

#[test]
fn keys_generate_refuses_a_directory_as_the_key_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = generate_err(dir.path());
    assert!(
        err.contains("is a directory") && !err.contains("refusing to overwrite"),
        "stderr: {err}"
    );
}

#[test]
fn help_says_what_tracechain_is_and_what_generate_needs() {
    let top = bin().arg("--help").output().expect("run");
    let top = String::from_utf8(top.stdout).expect("utf8");
    assert!(
        top.contains("permissioned consortium blockchain for tracing export products"),
        "top-level help: {top}"
    );
    let gen = bin()
        .args(["keys", "generate", "--help"])
        .output()
        .expect("run");
    let gen = String::from_utf8(gen.stdout).expect("utf8");
    for needle in ["0600", "overwrite", "--out <FILE>", "directory must exist"] {
        assert!(
            gen.contains(needle),
            "generate help lacks {needle:?}: {gen}"
        );
    }
}
