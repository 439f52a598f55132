//! The node's scanning service (ADR 0083): anonymous consumers' item scans at the resolver,
//! recorded through the chain as `ConsumerScan` records signed with the platform operator's
//! scanning-service key (`api.scan_key_file`). The scanner tag is derived from a secret of the
//! key, the client's address and the item, so one client's scans of one item count once and
//! its scans of two items cannot be linked; the address itself is never written.
//!
//! Bounded: `api.scans_per_client_per_minute` per address (`api.max_tracked_scan_clients`
//! addresses tracked) and a queue of [`SCAN_QUEUE`] scans; beyond them a scan is answered and
//! not recorded (the answer says why).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracechain_api::{ScanRecorder, ScanRequest};
use tracechain_contracts::trace_codes::NormalisedCode;
use tracechain_types::records::ConsumerScan;
use tracechain_types::{ConsumerRecord, Hash, Payload, SecretKey, TxBody};

use super::admission::{Admission, Admitted};
use super::core::stored_next_sequence;
use super::Shared;

/// Scans waiting to be signed and submitted.
pub const SCAN_QUEUE: usize = 1024;
const TAG_DOMAIN: &[u8] = b"tracechain/node-scan-tag/v1";
const SALT_DOMAIN: &[u8] = b"tracechain/node-scan-salt/v1";
/// Blocks a scan record may wait for inclusion.
const EXPIRY_BLOCKS: u64 = 100;

struct Service {
    queue: mpsc::Sender<ScanRequest>,
    per_minute: u32,
    max_clients: usize,
    seen: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl ScanRecorder for Service {
    fn record(&self, scan: ScanRequest) -> Result<(), String> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if seen.len() >= self.max_clients && !seen.contains_key(&scan.client) {
                seen.retain(|_, (_, t)| now.duration_since(*t) < Duration::from_secs(60));
                if seen.len() >= self.max_clients {
                    return Err("too many clients scanning; try again".into());
                }
            }
            let e = seen.entry(scan.client).or_insert((0, now));
            if now.duration_since(e.1) >= Duration::from_secs(60) {
                *e = (0, now);
            }
            if e.0 >= self.per_minute {
                return Err(format!(
                    "at most {} scans a minute are recorded per client",
                    self.per_minute
                ));
            }
            e.0 += 1;
        }
        self.queue
            .try_send(scan)
            .map_err(|_| "the scanning service is busy".to_string())
    }
}

/// The scanning service, when the node has a scan key.
pub fn start(shared: Arc<Shared>, admission: Admission) -> Option<Arc<dyn ScanRecorder>> {
    let key = SecretKey::from_seed(shared.scan_key.as_ref()?.seed());
    let (tx, mut rx) = mpsc::channel::<ScanRequest>(SCAN_QUEUE);
    let salt = Hash::tagged(SALT_DOMAIN, &[&key.seed()]);
    let s = shared.clone();
    tokio::spawn(async move {
        while let Some(scan) = rx.recv().await {
            let Ok(code) = NormalisedCode::new("code", &scan.code) else {
                continue;
            };
            let ip = match scan.client {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            let record = ConsumerScan {
                code: scan.code,
                scanner_tag: Hash::tagged(TAG_DOMAIN, &[&salt.0, &ip, code.as_bytes()]),
                country: scan.country,
                coarse_lat_e2: scan.coarse.map(|c| c.0),
                coarse_lon_e2: scan.coarse.map(|c| c.1),
            };
            let signer = key.public();
            let payload = Payload::Consumer(ConsumerRecord::ConsumerScan(record));
            // A commit between reading the committed sequence and admission makes the
            // sequence stale: sign again with the next one.
            for _attempt in 0..3 {
                let store = s.clone();
                let Ok(committed) = tokio::task::spawn_blocking(move || {
                    stored_next_sequence(&store.store, &signer)
                })
                .await
                else {
                    break;
                };
                let sequence = s.mempool().next_sequence(&signer, committed);
                let tx = TxBody {
                    signer,
                    sequence,
                    expiry_height: s.status().height + EXPIRY_BLOCKS,
                    payload: payload.clone(),
                }
                .sign(&s.chain_id, &key);
                let size = tracechain_types::encode(&tx).len();
                match admission.submit(tx, size).await {
                    Admitted::Pending(_) | Admitted::Committed(_) => break,
                    Admitted::Refused { outcome, .. } => {
                        let stale = matches!(&*outcome,
                            super::mempool::Outcome::Rejected { code, .. } if code == "E_BAD_SEQUENCE");
                        if !stale {
                            tracing::warn!(outcome = ?outcome, "a consumer scan was refused");
                            break;
                        }
                    }
                    Admitted::Busy(_) => {
                        tracing::warn!("a consumer scan found the pool full");
                        break;
                    }
                }
            }
        }
    });
    Some(Arc::new(Service {
        queue: tx,
        per_minute: shared.cfg.api.scans_per_client_per_minute,
        max_clients: shared.cfg.api.max_tracked_scan_clients,
        seen: Mutex::new(HashMap::new()),
    }))
}
