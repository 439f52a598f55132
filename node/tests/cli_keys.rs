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
