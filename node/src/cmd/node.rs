//! `tracechain node run`, `genesis init`, `config check`.

use std::path::Path;
use std::process::ExitCode;

use crate::config::NodeConfig;

/// Install the log subscriber: `RUST_LOG` or `log.level`; JSON lines when asked.
fn init_logs(cfg: &NodeConfig, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json || cfg.log.json {
        let _ = builder.json().flatten_event(true).try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// `node run`.
pub fn run(config: Option<&Path>, dev: Option<&Path>, log_json: bool) -> ExitCode {
    let path = match (config, dev) {
        (Some(c), _) => c.to_path_buf(),
        (None, Some(dir)) => {
            let cfg = dir.join("customs").join("config.toml");
            if !cfg.exists() {
                let opts = super::genesis::InitOptions {
                    validators: 1,
                    full_nodes: 0,
                    chain_id: "tracechain-dev".into(),
                    api_port: 8101,
                    p2p_port: 27101,
                    timestamp_ms: None,
                };
                if let Err(e) = super::genesis::init(dir, &opts) {
                    eprintln!("error: development chain in {}: {e:#}", dir.display());
                    return ExitCode::from(2);
                }
                eprintln!(
                    "development chain created in {} (participant keys in {})",
                    dir.display(),
                    dir.join("participants").display()
                );
            }
            cfg
        }
        (None, None) => {
            eprintln!("error: give --config FILE or --dev");
            return ExitCode::from(2);
        }
    };
    let cfg = match NodeConfig::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logs(&cfg, log_json);
    match crate::node::run(cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `genesis init`.
pub fn genesis_init(out: &Path, opts: &super::genesis::InitOptions) -> ExitCode {
    match super::genesis::init(out, opts) {
        Ok(net) => {
            println!(
                "consortium {} written to {} (genesis {})",
                net.chain_id,
                out.display(),
                net.genesis_hash
            );
            for n in &net.nodes {
                println!("  {:<20} {:<9} {}  {}", n.name, n.role, n.api, n.p2p);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `config check`.
pub fn config_check(file: &Path) -> ExitCode {
    match NodeConfig::load(file) {
        Ok(cfg) => {
            print!("{}", cfg.to_toml());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
