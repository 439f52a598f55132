//! `genesis init`, `config check` and `tx submit` as an operator runs them.

mod cluster;

use std::process::Command;
use std::time::Duration;

use cluster::{bin, Cluster};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn genesis_init_writes_a_consortium_whose_configs_all_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let o = out.to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "genesis",
        "init",
        "--validators",
        "4",
        "--full-nodes",
        "1",
        "--out",
        o,
    ]);
    assert_eq!(code, 0, "{stderr}");
    for name in [
        "customs",
        "tax",
        "forex",
        "market-regulation",
        "platform-node",
    ] {
        assert!(stdout.contains(name), "{stdout}");
        let cfg = out.join(name).join("config.toml");
        let (code, printed, stderr) = run(&["config", "check", cfg.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {stderr}");
        // Every limit is printed with its default.
        for key in [
            "max_body_bytes",
            "max_txs",
            "max_bytes",
            "peer_send_queue",
            "view_timeout_ms",
            "max_future_heights",
            "block_cache_bytes",
        ] {
            assert!(
                printed.contains(&format!("{key} = ")),
                "{key} missing from\n{printed}"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(out.join(name).join("node.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}'s key is owner-only");
        }
    }
    let net: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("network.json")).unwrap()).unwrap();
    let nodes = net["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert_eq!(nodes.iter().filter(|n| n["role"] == "validator").count(), 4);
    for n in nodes {
        assert!(n["api"].as_str().unwrap().starts_with("http://127.0.0.1:"));
        assert!(n["p2p"]
            .as_str()
            .unwrap()
            .starts_with("/ip4/127.0.0.1/tcp/"));
    }
    let participants = net["participants"].as_array().unwrap();
    assert_eq!(
        participants.len(),
        4 + 8,
        "a regulator per agency, the sample enterprises and two consumers"
    );
    for p in participants {
        assert!(out.join(p[1].as_str().unwrap()).exists());
    }
    let genesis = std::fs::read_to_string(out.join("genesis.toml")).unwrap();
    assert_eq!(genesis.matches("[[validators]]").count(), 4);
    assert_eq!(genesis.matches("[[regulators]]").count(), 4);
    // A second init into the same folder is refused: keys are never overwritten.
    let (code, _, stderr) = run(&["genesis", "init", "--out", o]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not empty"), "{stderr}");
}

#[test]
fn config_check_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let (code, _, stderr) = run(&[
        "genesis",
        "init",
        "--validators",
        "1",
        "--full-nodes",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let cfg = out.join("customs").join("config.toml");
    let base = std::fs::read_to_string(&cfg).unwrap();
    let cases = [
        ("\n[mempool]\nmax_txs = 0\n", "mempool.max_txs"),
        (
            "\n[consensus]\nview_timeout_ms = 5000\nmax_view_timeout_ms = 10\n",
            "consensus.max_view_timeout_ms",
        ),
        ("\n[mempool]\nmax_tixs = 5\n", "max_tixs"),
        (
            "\n[consensus.limits]\nmax_buffered_bytes_per_sender = 1\n",
            "consensus.limits",
        ),
        ("\n[log]\nlevel = \"[[[\"\n", "log.level"),
        (
            "\n[storage]\nstate_versions_kept = 1\n",
            "storage.state_versions_kept",
        ),
    ];
    for (extra, named) in cases {
        std::fs::write(&cfg, format!("{base}{extra}")).unwrap();
        let (code, _, stderr) = run(&["config", "check", cfg.to_str().unwrap()]);
        assert_eq!(code, 2, "{extra}");
        assert!(stderr.contains(named), "{extra}: {stderr}");
    }
    let bad_listen = base.replace("listen = \"/ip4/", "listen = \"/nonsense/");
    std::fs::write(&cfg, bad_listen).unwrap();
    let (code, _, stderr) = run(&["config", "check", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("p2p.listen"), "{stderr}");
}

#[test]
fn tx_submit_signs_a_json_record_and_waits_for_its_commit() {
    let mut c = Cluster::init(1, 0);
    let v = c.validators()[0].clone();
    c.start(&v);
    c.wait_up(Duration::from_secs(60));
    let record = c.dir.path().join("register.json");
    std::fs::write(
        &record,
        serde_json::json!({
            "family": "participant",
            "kind": "register_participant",
            "category": { "category": "trade_entity", "kind": "manufacturer" },
            "node_types": ["producer"],
            "identity": {
                "kind": "organisation",
                "legal_name": "Fujian Anxi Tea Co., Ltd.",
                "registration_id": { "scheme": "uscc", "value": cluster::enterprise_uscc(42) }
            },
            "country": "CN",
            "identity_document": "c312ed0590d2c939ce4ef13619065acdc3948e0a5c6415b2fb0035dcacf4566b"
        })
        .to_string(),
    )
    .unwrap();
    let key = c.net_dir().join("participants/producer.key");
    let args = |wait: bool| {
        let mut a = vec![
            "tx".to_string(),
            "submit".into(),
            "--node".into(),
            c.api(&v),
            "--key".into(),
            key.to_str().unwrap().into(),
            record.to_str().unwrap().into(),
        ];
        if wait {
            a.push("--wait".into());
        }
        a
    };
    let out = Command::new(bin()).args(args(true)).output().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        out.status.success(),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(body["status"], "committed");
    // The same record again is a second registration: refused by R-A1, exit 1.
    let out = Command::new(bin()).args(args(false)).output().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(out.status.code(), Some(1), "{body}");
    assert_eq!(body["rule"], "R-A1");
    // Not a record: exit 2 naming the file.
    std::fs::write(&record, "{\"family\": \"nonsense\"}").unwrap();
    let out = Command::new(bin()).args(args(false)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a record"));
}
