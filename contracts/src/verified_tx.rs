//! Transactions whose signatures were checked, proven by their type: a [`VerifiedTx`] can only
//! be built by verifying the signature ([`VerifiedTx::verify`], [`VerifiedTx::verify_all`]),
//! so the block entry point ([`crate::execute_block`]) cannot be given one that was not. It
//! also carries the transaction id, computed once from the body when the node admits the
//! transaction (the API answers `accepted` with this id; the mempool keys on it), so
//! execution does not hash the body again. Neither the proof nor the id can come from the
//! caller.

use tracechain_types::{ChainId, Hash, SignatureVerifier, Transaction};

/// A transaction whose signature verified for the chain, with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    tx: Transaction,
    id: Hash,
}

/// A transaction whose signature does not verify for the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the signature of transaction {index} does not verify")]
pub struct BadSignature {
    /// Position of the (first) failing transaction; 0 for [`VerifiedTx::verify`].
    pub index: usize,
}

impl VerifiedTx {
    /// Verify one transaction's signature for `chain_id` (the chain's acceptance rule, see
    /// `tracechain_types::crypto`) and compute its id ([`Transaction::id`]).
    pub fn verify(
        tx: Transaction,
        chain_id: &ChainId,
        verifier: &impl SignatureVerifier,
    ) -> Result<VerifiedTx, BadSignature> {
        if !Transaction::verify_all(std::slice::from_ref(&tx), chain_id, verifier) {
            return Err(BadSignature { index: 0 });
        }
        Ok(VerifiedTx::checked(tx))
    }

    /// Verify many transactions at once (batch verification, which agrees exactly with
    /// verifying each); on failure, the first transaction that does not verify.
    pub fn verify_all(
        txs: Vec<Transaction>,
        chain_id: &ChainId,
        verifier: &impl SignatureVerifier,
    ) -> Result<Vec<VerifiedTx>, BadSignature> {
        if !Transaction::verify_all(&txs, chain_id, verifier) {
            let index = txs
                .iter()
                .position(|tx| {
                    !Transaction::verify_all(std::slice::from_ref(tx), chain_id, verifier)
                })
                .unwrap_or(0);
            return Err(BadSignature { index });
        }
        Ok(txs.into_iter().map(VerifiedTx::checked).collect())
    }

    /// Verify each transaction independently, in one batch when all verify (the node's
    /// admission): each result is the verified transaction or, when its own signature does
    /// not verify, the transaction back (boxed).
    pub fn verify_each(
        txs: Vec<Transaction>,
        chain_id: &ChainId,
        verifier: &impl SignatureVerifier,
    ) -> Vec<Result<VerifiedTx, Box<Transaction>>> {
        if Transaction::verify_all(&txs, chain_id, verifier) {
            return txs
                .into_iter()
                .map(|tx| Ok(VerifiedTx::checked(tx)))
                .collect();
        }
        txs.into_iter()
            .map(|tx| {
                if Transaction::verify_all(std::slice::from_ref(&tx), chain_id, verifier) {
                    Ok(VerifiedTx::checked(tx))
                } else {
                    Err(Box::new(tx))
                }
            })
            .collect()
    }

    /// Wrap a transaction whose signature was just checked.
    fn checked(tx: Transaction) -> VerifiedTx {
        let id = tx.id();
        VerifiedTx { tx, id }
    }

    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// Its id (computed at verification).
    pub fn id(&self) -> Hash {
        self.id
    }

    /// Give the transaction back.
    pub fn into_transaction(self) -> Transaction {
        self.tx
    }
}
