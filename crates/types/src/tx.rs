//! Signed transactions.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::chain::ChainId;
use crate::crypto::{CryptoError, PublicKey, SecretKey, Signature, SignatureVerifier};
use crate::encoding::encode;
use crate::hash::Hash;
use crate::payload::Payload;

/// Domain tag of transaction signatures.
pub const TX_DOMAIN: &[u8] = b"tracechain/tx/v1";
/// Domain tag of transaction ids.
pub const TX_ID_DOMAIN: &[u8] = b"tracechain/txid/v1";
/// Default size limit for one encoded transaction (the node's `limits.max_tx_bytes`).
pub const DEFAULT_MAX_TX_BYTES: usize = 256 * 1024;

/// What the signer signs, apart from the domain tag and the chain id.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct TxBody {
    /// The signer's key id: its Ed25519 public key (registered by the registry contract).
    pub signer: PublicKey,
    /// Per-signer sequence number: the committed next sequence of the signer, exactly.
    pub sequence: u64,
    /// Last block height at which the transaction may be included.
    pub expiry_height: u64,
    /// The record.
    pub payload: Payload,
}

/// A signed transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Transaction {
    /// The signed body.
    pub body: TxBody,
    /// Ed25519 signature over `TX_DOMAIN ‖ encode(chain_id) ‖ encode(body)`.
    pub signature: Signature,
}

impl TxBody {
    /// The exact bytes that are signed.
    pub fn signing_bytes(&self, chain_id: &ChainId) -> Vec<u8> {
        let mut out = Vec::with_capacity(TX_DOMAIN.len() + 64 + 256);
        out.extend_from_slice(TX_DOMAIN);
        out.extend_from_slice(&encode(chain_id));
        out.extend_from_slice(&encode(self));
        out
    }

    /// Sign for a chain.
    pub fn sign(self, chain_id: &ChainId, key: &SecretKey) -> Transaction {
        let signature = key.sign(&self.signing_bytes(chain_id));
        Transaction {
            body: self,
            signature,
        }
    }
}

impl Transaction {
    /// The transaction id: a hash of the body only. Ids do not cover the signature, so a
    /// re-encoding of a signature that the acceptance rule tolerates cannot mint a second id for
    /// the same record; the (signer, sequence) pair in the body makes ids unique on a chain.
    pub fn id(&self) -> Hash {
        Hash::tagged(TX_ID_DOMAIN, &[&encode(&self.body)])
    }

    /// Verify the signature for a chain (chain rule, see [`crate::crypto`]).
    pub fn verify(&self, chain_id: &ChainId) -> Result<(), CryptoError> {
        self.body
            .signer
            .verify(&self.body.signing_bytes(chain_id), &self.signature)
    }

    /// Verify many transactions at once; agrees exactly with calling [`Transaction::verify`]
    /// on each.
    pub fn verify_all(
        txs: &[Transaction],
        chain_id: &ChainId,
        verifier: &impl SignatureVerifier,
    ) -> bool {
        let msgs: Vec<Vec<u8>> = txs.iter().map(|t| t.body.signing_bytes(chain_id)).collect();
        let items: Vec<(PublicKey, &[u8], Signature)> = txs
            .iter()
            .zip(&msgs)
            .map(|(t, m)| (t.body.signer, m.as_slice(), t.signature))
            .collect();
        verifier.verify_batch(&items)
    }
}
