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
    /// The original JSON of captured EPCIS events this node lacks (ADR 0081), each by the
    /// SHA-256 its capture put on chain (at most [`MAX_EPCIS_WANTED`]).
    EpcisEvents(Vec<Hash>),
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
    /// The originals the responder holds of those asked: digest and bytes (checked by the
    /// asker against the digest and the anchor before it keeps them).
    EpcisEvents(Vec<(Hash, Vec<u8>)>),
    /// The request could not be served.
    Error(String),
}

/// Most events asked in one [`SyncRequest::EpcisEvents`].
pub const MAX_EPCIS_WANTED: usize = 1024;

/// Largest sync request (bytes): a [`SyncRequest::EpcisEvents`] of [`MAX_EPCIS_WANTED`]
/// digests fits.
pub const MAX_SYNC_REQUEST_BYTES: usize = 40 * 1024;

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
            // Genesis is not served (every node builds it from the genesis file).
            let mut h = (*from).max(1);
            let last = (*to).min(h.saturating_add(max_blocks.saturating_sub(1)));
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
        SyncRequest::EpcisEvents(wanted) if wanted.len() > MAX_EPCIS_WANTED => {
            SyncResponse::Error(format!("at most {MAX_EPCIS_WANTED} events per request"))
        }
        SyncRequest::EpcisEvents(wanted) => {
            match super::epcis::serve_wanted(store, wanted, max_bytes.saturating_sub(16)) {
                Ok(found) => SyncResponse::EpcisEvents(found),
                Err(e) => SyncResponse::Error(e.to_string()),
            }
        }
    };
    encode(&response)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tracechain_consensus::VoteRecord;
    use tracechain_contracts::genesis::{Genesis, GenesisParticipant};
    use tracechain_contracts::{state_tree_update, ParentTree, WriteSet};
    use tracechain_storage::{CommitBatch, StoreOptions};
    use tracechain_types::records::{
        Agency, Identity, ParticipantCategory, ParticipantRegistration, RegistrationId,
    };
    use tracechain_types::{BlockHeader, ChainId, SecretKey, Validator, ValidatorSet};

    /// A store with `n` empty committed blocks after genesis.
    pub(crate) fn store_with_blocks(dir: &std::path::Path, n: u64) -> Store {
        let set = ValidatorSet::new(vec![Validator {
            public_key: SecretKey::from_seed([1; 32]).public(),
            name: "customs".into(),
        }])
        .unwrap();
        let genesis = Genesis {
            chain_id: ChainId::new("sync-test").unwrap(),
            timestamp_ms: 1,
            validators: set.clone(),
            regulators: vec![GenesisParticipant {
                key: SecretKey::from_seed([2; 32]).public(),
                registration: ParticipantRegistration {
                    category: ParticipantCategory::Regulator(Agency::Customs),
                    node_types: vec![],
                    identity: Identity::Organisation {
                        legal_name: "Customs".into(),
                        registration_id: RegistrationId::Uscc("11100000000001000X".into()),
                    },
                    country: "CN".into(),
                    identity_document: Hash::digest(b"x"),
                },
            }],
            params: Default::default(),
        };
        let (store, _) = crate::node::open_store(dir, &genesis, &StoreOptions::default()).unwrap();
        for h in 1..=n {
            let tip = store.tip().unwrap();
            let writes = WriteSet(vec![(format!("k/{h}").into_bytes(), Some(vec![0; 100]))]);
            let tree = state_tree_update(ParentTree::at(&store, tip.height), h, &writes);
            let block = Block {
                header: BlockHeader {
                    chain_id: genesis.chain_id.clone(),
                    height: h,
                    view: 0,
                    parent: tip.hash,
                    timestamp_ms: tip.timestamp_ms + 1,
                    tx_root: Block::compute_tx_root(&[]),
                    state_root: tree.root,
                    proposer: set.validators()[0].public_key,
                    validator_set_hash: set.hash(),
                },
                txs: vec![],
            };
            let cert = CommitCertificate {
                height: h,
                view: 0,
                block_hash: block.hash(),
                votes: vec![],
            };
            let record = VoteRecord {
                height: h + 1,
                view: 0,
                signed: Default::default(),
                prepared: None,
            };
            store
                .commit(CommitBatch {
                    block: &block,
                    cert: &cert,
                    writes: &writes,
                    tree: &tree,
                    sets: &[(h + 1, set.clone())],
                    record: &record,
                })
                .unwrap();
        }
        store
    }

    fn blocks(bytes: Vec<u8>) -> Vec<u64> {
        match decode_response(&bytes, usize::MAX).unwrap() {
            SyncResponse::Blocks(b) => b
                .iter()
                .map(|(b, c)| {
                    assert_eq!(c.block_hash, b.hash());
                    b.header.height
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sync_answer_stays_within_the_responders_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_blocks(dir.path(), 10);
        let all = SyncRequest::Blocks {
            from: 0,
            to: u64::MAX,
        };
        assert_eq!(
            blocks(serve(&store, &all, 64, 1 << 20)),
            (1..=10).collect::<Vec<_>>(),
            "genesis is not served; up to the tip"
        );
        assert_eq!(
            blocks(serve(&store, &all, 3, 1 << 20)),
            vec![1, 2, 3],
            "max blocks"
        );
        let one = encode(&store.block(1).unwrap().unwrap()).len()
            + encode(&store.cert(1).unwrap().unwrap()).len();
        assert_eq!(
            blocks(serve(&store, &all, 64, 8 + 2 * one)).len(),
            2,
            "max bytes"
        );
        let out = serve(&store, &all, 64, 8 + 2 * one);
        assert!(out.len() <= 8 + 2 * one + 8, "{} bytes", out.len());
        let ahead = SyncRequest::Blocks { from: 11, to: 20 };
        assert!(blocks(serve(&store, &ahead, 64, 1 << 20)).is_empty());
        let backwards = SyncRequest::Blocks { from: 5, to: 2 };
        assert!(blocks(serve(&store, &backwards, 64, 1 << 20)).is_empty());
        let status = decode_response(&serve(&store, &SyncRequest::Status, 64, 1 << 20), 1 << 20);
        assert_eq!(
            status,
            Some(SyncResponse::Status {
                height: 10,
                hash: store.tip().unwrap().hash
            })
        );
    }

    #[test]
    fn requests_decode_only_within_their_limit() {
        assert_eq!(
            decode_request(&encode(&SyncRequest::Status)),
            Some(SyncRequest::Status)
        );
        assert_eq!(decode_request(&[9]), None, "unknown variant");
        let full = SyncRequest::EpcisEvents(vec![Hash::digest(b"e"); MAX_EPCIS_WANTED]);
        assert_eq!(decode_request(&encode(&full)), Some(full));
        let mut long = encode(&SyncRequest::Blocks { from: 1, to: 2 });
        long.extend([0u8; MAX_SYNC_REQUEST_BYTES]);
        assert_eq!(
            decode_request(&long),
            None,
            "trailing bytes or over the limit"
        );
    }
}
