//! The block-sync protocol's messages and the server side (answered from storage on a
//! blocking thread).

use borsh::{BorshDeserialize, BorshSerialize};
use tracechain_storage::Store;
use tracechain_types::{decode, encode, Block, CommitCertificate, Hash};

/// A sync request.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SyncRequest {
    /// The peer's last committed block.
    Status,
    /// Committed blocks `from..=to` with their certificates (the responder may send fewer:
    /// at most its `max_sync_blocks` and `max_sync_response_bytes`, from `from` on).
    Blocks {
        /// First height.
        from: u64,
        /// Last height wanted.
        to: u64,
    },
}

/// A sync response.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SyncResponse {
    /// The last committed block.
    Status {
        /// Height.
        height: u64,
        /// Hash.
        hash: Hash,
    },
    /// Blocks with certificates, ascending from the asked height.
    Blocks(Vec<(Block, CommitCertificate)>),
    /// The request could not be served.
    Error(String),
}

/// Largest sync request (bytes).
pub const MAX_SYNC_REQUEST_BYTES: usize = 64;

/// Decode a request (frames are already bounded by the network).
pub fn decode_request(bytes: &[u8]) -> Option<SyncRequest> {
    decode(bytes, MAX_SYNC_REQUEST_BYTES).ok()
}

/// Decode a response of at most `limit` bytes.
pub fn decode_response(bytes: &[u8], limit: usize) -> Option<SyncResponse> {
    decode(bytes, limit).ok()
}

/// Answer `request` from `store`, within `max_blocks` blocks and `max_bytes` bytes.
pub fn serve(store: &Store, request: &SyncRequest, max_blocks: u64, max_bytes: usize) -> Vec<u8> {
    let response = match request {
        SyncRequest::Status => match store.tip() {
            Ok(t) => SyncResponse::Status {
                height: t.height,
                hash: t.hash,
            },
            Err(e) => SyncResponse::Error(e.to_string()),
        },
        SyncRequest::Blocks { from, to } => {
            let mut out = Vec::new();
            // Borsh: a u32 count, then the pairs; keep room for the enum tag and count.
            let mut bytes = 8usize;
            let last = (*to).min(from.saturating_add(max_blocks.saturating_sub(1)));
            let mut h = (*from).max(1);
            let mut error = None;
            while h <= last {
                match (store.block(h), store.cert(h)) {
                    (Ok(Some(b)), Ok(Some(c))) => {
                        let size = encode(&b).len() + encode(&c).len();
                        if bytes + size > max_bytes {
                            break;
                        }
                        bytes += size;
                        out.push((b, c));
                    }
                    (Ok(_), Ok(_)) => break,
                    (Err(e), _) | (_, Err(e)) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
                h += 1;
            }
            match error {
                Some(e) if out.is_empty() => SyncResponse::Error(e),
                _ => SyncResponse::Blocks(out),
            }
        }
    };
    encode(&response)
}
