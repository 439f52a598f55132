//! PBFT consensus of tracechain: a replica as a pure state machine and its deterministic
//! cluster simulator.
//!
//! The [`Replica`] is a value with one entry point, [`Replica::step`]: it takes an [`Input`]
//! (peer message, timer, proposal ready, proposal validated or refused, synced block, start or
//! restored state) and returns [`Action`]s (persist, send, broadcast, set or cancel timer,
//! request a proposal, validate a proposal, commit, request sync, report evidence, report a
//! rejected input) that the driver performs **in order**; a `Persist` (or `Commit`, which
//! carries the state too) must be durable before any later action of the same step is
//! performed (rule S2 of `docs/spec/pbft.md`). There is no clock, no randomness, no I/O and no
//! async here: time arrives as timer inputs, blocks arrive from the driver.
//!
//! Protocol: single-slot PBFT with view change (one block in flight); rules are numbered in
//! `docs/spec/pbft.md` and cited in code comments, errors and test names.
//!
//! The `sim` feature adds [`sim`], the deterministic simulator used by the tests.

pub mod buffer;
pub mod driver;
pub mod error;
pub mod limits;
pub mod messages;
pub mod replica;
pub mod signer;
#[cfg(feature = "sim")]
pub mod sim;

pub use buffer::{FutureBuffer, MAX_BUFFERED_PER_SENDER, MAX_FUTURE_HEIGHTS, MAX_FUTURE_VIEWS};
pub use driver::{Application, Driver, Halt, Host, ProposalRequest, Timers, Transport, VoteStore};
pub use error::ConsensusError;
pub use limits::{LimitError, Limits};
pub use messages::{
    decode_message, max_new_view_bytes, max_view_change_bytes, max_view_change_msg_bytes, Message,
    NewView, Phase, PrePrepare, PrepareCert, Proposal, ViewChange, ViewChangeBody, ViewChangeMsg,
    Vote, MAX_MESSAGE_BYTES,
};
pub use replica::{
    primary_of, Action, Checkpoint, Config, ConfigError, Evidence, Input, LastCommitted,
    PersistedState, Replica, SetChangeOf, SignedProposal, SignedRecord, TimerId, VoteRecord,
    Weaken,
};
pub use signer::{ConsensusSigner, Ed25519Signer};
