//! `tracechain tx submit`: sign a record written as JSON and submit it to a node.
//!
//! The record is a payload in the JSON form of `docs/api.md` (`{"family": …, "kind": …, …}`).
//! The command asks the node for the chain id, the height and the signer's next sequence
//! (counting its pending transactions), signs, posts the Borsh bytes, and prints the node's
//! answer as JSON. With `--chain-id` it refuses to sign for a node on another chain (the
//! signature binds the chain id, so a node cannot obtain a signature valid elsewhere). Exit 0 when the node accepted (or committed, with `--wait`), 1 when it
//! refused, 2 when the command could not run.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::Value;
use tracechain_types::{ChainId, Payload, TxBody};

/// Largest record file read (bytes).
const MAX_RECORD_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Options of `tx submit`.
#[derive(Debug)]
pub struct SubmitOptions<'a> {
    /// Node API base URL.
    pub node: &'a str,
    /// Key file of the signer.
    pub key: &'a Path,
    /// The record (JSON).
    pub record: &'a Path,
    /// Wait for the commit.
    pub wait: bool,
    /// Heights the transaction stays valid.
    pub expiry_window: u64,
    /// The chain the signer means to sign for; the node must report the same.
    pub chain_id: Option<&'a str>,
}

/// Run `tx submit`.
pub fn submit(opts: &SubmitOptions<'_>) -> ExitCode {
    match run(opts) {
        Ok((accepted, body)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
            if accepted {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(opts: &SubmitOptions<'_>) -> anyhow::Result<(bool, Value)> {
    let key = super::keys::read(opts.key)?;
    let meta = std::fs::metadata(opts.record)
        .with_context(|| format!("reading {}", opts.record.display()))?;
    if meta.len() > MAX_RECORD_FILE_BYTES {
        bail!(
            "{} is over {MAX_RECORD_FILE_BYTES} bytes",
            opts.record.display()
        );
    }
    let text = std::fs::read_to_string(opts.record)
        .with_context(|| format!("reading {}", opts.record.display()))?;
    let payload: Payload = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a record (see docs/api.md for the JSON of each kind)",
            opts.record.display()
        )
    })?;
    sign_and_submit(
        opts.node,
        &key,
        payload,
        opts.wait,
        opts.expiry_window,
        opts.chain_id,
    )
}

/// Sign `payload` with `key` for the node's chain (its next sequence, expiry `height +
/// expiry_window`), post it, and return (accepted, the node's answer).
pub fn sign_and_submit(
    node: &str,
    key: &tracechain_types::SecretKey,
    payload: Payload,
    wait: bool,
    expiry_window: u64,
    expected_chain: Option<&str>,
) -> anyhow::Result<(bool, Value)> {
    let base = node.trim_end_matches('/');
    let api = super::client::Api::new(Duration::from_secs(60))?;
    let tx = sign_for_node(&api, base, key, payload, expiry_window, expected_chain)?;
    let query = if wait { "?wait=commit" } else { "" };
    let (code, body) = api.post_tx(base, query, &tx)?;
    let accepted = (200..300).contains(&code) && (!wait || body["status"] == "committed");
    Ok((accepted, body))
}

/// Sign `payload` with `key` for the chain of the node at `base`: its next sequence, expiry
/// `height + expiry_window`; refused when the node is not on `expected_chain`.
pub fn sign_for_node(
    api: &super::client::Api,
    base: &str,
    key: &tracechain_types::SecretKey,
    payload: Payload,
    expiry_window: u64,
    expected_chain: Option<&str>,
) -> anyhow::Result<tracechain_types::Transaction> {
    let status = api.status(base)?;
    let chain_id = ChainId::new(
        status["chain_id"]
            .as_str()
            .context("status without chain_id")?
            .to_string(),
    )
    .map_err(|e| anyhow::anyhow!("node's chain id: {e}"))?;
    if let Some(expected) = expected_chain {
        if chain_id.as_str() != expected {
            bail!(
                "the node is on chain {}, not {expected}: nothing was signed",
                chain_id.as_str()
            );
        }
    }
    let height = status["height"].as_u64().context("status without height")?;
    let seq = api.get_json(&format!(
        "{base}/v1/accounts/{}/sequence",
        key.public().to_hex()
    ))?;
    let sequence = seq["next_sequence"]
        .as_u64()
        .context("sequence answer without next_sequence")?;
    Ok(TxBody {
        signer: key.public(),
        sequence,
        expiry_height: height + expiry_window,
        payload,
    }
    .sign(&chain_id, key))
}
