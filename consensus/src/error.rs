//! Why a peer message, synced block or restored state was refused. Each variant names the rule
//! of `docs/spec/pbft.md` it enforces.

use tracechain_types::block::CertificateError;
use tracechain_types::{Hash, PublicKey};

/// A refused input. Refusals are reported as [`crate::Action::Rejected`]; they never panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    /// The sender is not a validator of the message's height.
    #[error("M1: {0} is not a validator at this height")]
    NotAValidator(PublicKey),
    /// The signer named in the message is not the authenticated sender.
    #[error("M2: message signed by {signer} but sent by {sender}")]
    SenderMismatch {
        /// Claimed signer.
        signer: PublicKey,
        /// Authenticated sender.
        sender: PublicKey,
    },
    /// A signature does not verify.
    #[error("M3: bad {what} signature from {signer}")]
    BadSignature {
        /// Which signature.
        what: &'static str,
        /// Claimed signer.
        signer: PublicKey,
    },
    /// A proposal from a validator that is not the primary of its view.
    #[error("P1: proposal for view {view} from {got}, but the primary is {expected}")]
    NotPrimary {
        /// View.
        view: u64,
        /// Sender.
        got: PublicKey,
        /// Expected primary.
        expected: PublicKey,
    },
    /// The proposed block fails a structural check.
    #[error("P2: proposal {hash} refused: {reason}")]
    BadProposal {
        /// Block hash.
        hash: Hash,
        /// Which check failed.
        reason: &'static str,
    },
    /// A pre-prepare for a view above 0 (those travel inside new-view messages).
    #[error("P1: pre-prepare for view {0}; proposals of later views travel in new-view messages")]
    PrePrepareOutsideViewZero(u64),
    /// A prepare certificate is malformed or short.
    #[error("VC1: invalid prepare certificate: {0}")]
    BadPrepareCert(&'static str),
    /// A view change is malformed.
    #[error("VC1: invalid view change: {0}")]
    BadViewChange(&'static str),
    /// A new-view is malformed, short, or proposes something other than what its view changes
    /// force.
    #[error("VC3: invalid new-view: {0}")]
    BadNewView(&'static str),
    /// A certificate does not verify against the validator set of its height.
    #[error("SY2: invalid commit certificate: {0}")]
    BadCertificate(#[from] CertificateError),
    /// A synced block does not link to the last committed block or does not match its
    /// certificate.
    #[error("SY2: synced block at height {height} refused: {reason}")]
    BadSyncedBlock {
        /// Height.
        height: u64,
        /// Which check failed.
        reason: &'static str,
    },
    /// A block or certificate conflicts with the trusted checkpoint (a long-range fork).
    #[error("SY5: block {got} at height {height} conflicts with the trusted checkpoint (expected {expected}); certified by {} keys", signers.len())]
    CheckpointConflict {
        /// Height of the conflicting block.
        height: u64,
        /// The hash the checkpoint chain has there (when known).
        expected: Hash,
        /// The conflicting block's hash.
        got: Hash,
        /// Evidence: the keys that certified the conflicting block.
        signers: Vec<PublicKey>,
    },
    /// The restored state is inconsistent.
    #[error("R1: restored state refused: {0}")]
    BadRestore(&'static str),
}
