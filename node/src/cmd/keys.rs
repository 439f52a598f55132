//! `tracechain keys generate`.
//!
//! A key file is JSON: `{"type":"ed25519","public_key":"<hex>","secret_seed":"<hex>"}`, created
//! with mode 0600 (owner read/write only) and never overwritten.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tracechain_types::SecretKey;

/// On-disk form of a key.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyFile {
    /// Always `ed25519`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hex public key.
    pub public_key: String,
    /// Hex 32-byte RFC 8032 secret seed.
    pub secret_seed: String,
}

/// Write a new key to `out`.
pub fn generate(out: &Path) -> ExitCode {
    match write_new_key(out) {
        Ok(public) => {
            println!("{public}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn write_new_key(out: &Path) -> anyhow::Result<String> {
    let key = SecretKey::generate(&mut rand_core::OsRng);
    write_key(out, &key)
}

/// Write `key` to the new file `out` (mode 0600, never overwriting); returns its public key.
pub fn write_key(out: &Path, key: &SecretKey) -> anyhow::Result<String> {
    let public = key.public();
    public
        .check_registrable()
        .context("generated key is not registrable")?;
    let file = KeyFile {
        kind: "ed25519".into(),
        public_key: public.to_hex(),
        secret_seed: hex::encode(key.seed()),
    };
    let mut body = serde_json::to_string_pretty(&file)?;
    body.push('\n');
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(out).map_err(|e| open_error(out, e))?;
    let written = f
        .write_all(body.as_bytes())
        .with_context(|| format!("writing {}", out.display()))
        .and_then(|()| {
            f.sync_all()
                .with_context(|| format!("syncing {}", out.display()))
        });
    if let Err(e) = written {
        // Never leave a truncated key file behind: it would block the next attempt and could
        // be mistaken for a key.
        drop(f);
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    Ok(public.to_hex())
}

/// An error for a key file that could not be created, saying what the operator should fix.
fn open_error(out: &Path, e: std::io::Error) -> anyhow::Error {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if out.is_dir() {
        anyhow::anyhow!(
            "{} is a directory; give the path of a new key file, e.g. {}",
            out.display(),
            out.join("validator.key").display()
        )
    } else if e.kind() == std::io::ErrorKind::AlreadyExists {
        anyhow::anyhow!(
            "{} already exists; refusing to overwrite a key file",
            out.display()
        )
    } else if !parent.exists() {
        anyhow::anyhow!(
            "cannot create {}: directory {} does not exist (create it first, e.g. mkdir -p {})",
            out.display(),
            parent.display(),
            parent.display()
        )
    } else {
        anyhow::Error::new(e).context(format!("cannot create {}", out.display()))
    }
}

/// Read a key file: its secret seed, checked against the public key it states.
pub fn read(path: &Path) -> anyhow::Result<SecretKey> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("reading key file {}", path.display()))?;
    if meta.len() > 4096 {
        anyhow::bail!(
            "key file {} is {} bytes; a key file is under 4 KiB",
            path.display(),
            meta.len()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    let file: KeyFile = serde_json::from_str(&text)
        .with_context(|| format!("key file {} is not a tracechain key file", path.display()))?;
    if file.kind != "ed25519" {
        anyhow::bail!(
            "key file {}: type {:?}, expected \"ed25519\"",
            path.display(),
            file.kind
        );
    }
    let seed: [u8; 32] = hex::decode(&file.secret_seed)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| {
            format!(
                "key file {}: secret_seed is not 64 hex characters",
                path.display()
            )
        })?;
    let key = SecretKey::from_seed(seed);
    if key.public().to_hex() != file.public_key.to_ascii_lowercase() {
        anyhow::bail!(
            "key file {}: public_key does not belong to secret_seed",
            path.display()
        );
    }
    Ok(key)
}
