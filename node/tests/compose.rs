//! `docker-compose.yml` and the `Dockerfile` checked against what `genesis init` writes. No
//! Docker engine runs on this project's machines, so this is all that is verified of the
//! compose path (docs/operations.md says so): the genesis service's command, run here with the
//! binary under test, writes exactly the nodes the compose file runs; every node service runs
//! `node run` on a config that exists, listening on the ports network.json names; every
//! service shares the volume the image declares; the image is multi-stage, built with the
//! workspace's toolchain, and its last stage downloads nothing.

mod cluster;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn compose() -> Value {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("docker-compose.yml parses");
    serde_json::to_value(yaml).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

const MOUNT: &str = "/consortium";

#[test]
fn the_compose_file_runs_what_genesis_init_writes() {
    let c = compose();
    let services = c["services"].as_object().expect("services");

    // The genesis service: its genesis init, run here into a scratch folder standing for
    // the volume.
    let g = &services["genesis"];
    let script = strings(&g["command"]).join(" ");
    let args: Vec<&str> = script
        .split("/usr/local/bin/tracechain ")
        .nth(1)
        .expect("the genesis service runs the binary")
        .split_whitespace()
        .collect();
    assert_eq!(&args[..2], ["genesis", "init"], "{script}");
    let scratch = tempfile::tempdir().unwrap();
    let local: Vec<String> = args
        .iter()
        .map(|a| a.replace(MOUNT, scratch.path().to_str().unwrap()))
        .collect();
    let out = Command::new(cluster::bin()).args(&local).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out_dir = local[local.iter().position(|a| a == "--out").unwrap() + 1].clone();
    let guard = format!(
        "test -f {}/network.json",
        args[args.iter().position(|a| *a == "--out").unwrap() + 1]
    );
    assert!(script.starts_with(&guard), "genesis runs once: {script}");
    let network: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&out_dir).join("network.json")).unwrap(),
    )
    .unwrap();

    // One service per node, named as the node, running `node run` on its config.
    let nodes = network["nodes"].as_array().unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "customs",
            "tax",
            "forex",
            "market-regulation",
            "platform-node"
        ]
    );
    let volume_root = args[args.iter().position(|a| *a == "--out").unwrap() + 1];
    for (i, n) in nodes.iter().enumerate() {
        let name = n["name"].as_str().unwrap();
        let s = &services[name];
        assert!(s.is_object(), "no service {name}");
        let cfg = format!("{volume_root}/{}/config.toml", n["dir"].as_str().unwrap());
        assert_eq!(strings(&s["command"]), ["node", "run", "--config", &cfg]);
        assert!(Path::new(&cfg.replace(MOUNT, scratch.path().to_str().unwrap())).is_file());
        assert_eq!(
            s["depends_on"]["genesis"]["condition"],
            "service_completed_successfully"
        );
        // Host networking: the node listens where network.json says, on the host.
        assert_eq!(n["api"], format!("http://127.0.0.1:{}", 8101 + i));
        assert_eq!(n["p2p"], format!("/ip4/127.0.0.1/tcp/{}", 27101 + i));
    }

    // The flow loader: the network file genesis wrote, after every node.
    let load = &services["demo-load"];
    let net_file = format!("{volume_root}/network.json");
    assert_eq!(
        strings(&load["command"]),
        ["demo", "load", "--network", &net_file]
    );
    for n in &names {
        assert!(load["depends_on"][n].is_object(), "demo-load waits for {n}");
    }
    assert_eq!(
        services.len(),
        names.len() + 2,
        "genesis, the nodes, demo-load: {:?}",
        services.keys().collect::<Vec<_>>()
    );

    // Every service: the image built here, host network, the one volume at the mount point.
    for (name, s) in services {
        assert_eq!(s["image"], "tracechain:local", "{name}");
        assert_eq!(s["network_mode"], "host", "{name}");
        assert!(
            s.get("ports").is_none(),
            "{name}: host networking publishes nothing"
        );
        assert_eq!(
            strings(&s["volumes"]),
            [format!("consortium:{MOUNT}")],
            "{name}"
        );
        if name != "genesis" {
            assert_eq!(s["pull_policy"], "never", "{name}: never pulled");
        }
    }
    assert_eq!(services["genesis"]["build"], ".");
    assert!(c["volumes"]["consortium"].is_object() || c["volumes"]["consortium"].is_null());

    // The subcommands exist with those flags.
    for cmd in [
        &["node", "run", "--help"][..],
        &["demo", "load", "--help"][..],
    ] {
        let out = Command::new(cluster::bin()).args(cmd).output().unwrap();
        assert!(out.status.success(), "{cmd:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("--config") || help.contains("--network"),
            "{cmd:?}: {help}"
        );
    }
}

#[test]
fn the_dockerfile_builds_the_node_in_stages_and_runs_it_offline() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("FROM "))
        .map(|(i, _)| i)
        .collect();
    assert!(froms.len() >= 2, "multi-stage");
    let builder = &lines[froms[0]..froms[froms.len() - 1]];
    let runtime = &lines[froms[froms.len() - 1]..];

    // The builder: the workspace's toolchain (or newer), RocksDB's bindgen needs, --locked.
    let image = lines[froms[0]].split_whitespace().nth(1).unwrap();
    let version = image
        .strip_prefix("rust:")
        .and_then(|v| v.split('-').next())
        .expect("a rust:<version> builder");
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let wanted = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
    assert!(parse(version) >= parse(wanted), "{version} < {wanted}");
    let build = builder.join(" ");
    assert!(
        build.contains("clang") && build.contains("libclang-dev"),
        "{build}"
    );
    assert!(
        build.contains("cargo build --release --locked -p tracechain-node"),
        "{build}"
    );

    // The runtime: the binary alone, as the entrypoint compose relies on; nothing fetched.
    let run = runtime.join("\n");
    assert!(
        run.contains("COPY --from=builder") && run.contains("/usr/local/bin/tracechain"),
        "{run}"
    );
    assert!(
        run.contains(r#"ENTRYPOINT ["/usr/local/bin/tracechain"]"#),
        "{run}"
    );
    assert!(run.contains(&format!("VOLUME {MOUNT}")), "{run}");
    for fetch in ["apt-get install", "curl ", "wget ", "cargo ", "pip "] {
        assert!(
            !run.contains(fetch),
            "the runtime stage must not fetch ({fetch}): {run}"
        );
    }
    let user = runtime
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert_ne!(user.trim(), "root");
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    for excluded in ["target", "demo-data"] {
        assert!(ignore.contains(excluded), ".dockerignore lacks {excluded}");
    }
}
