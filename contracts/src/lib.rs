//! Contract modules of tracechain: the traceability rules (`R-…` of the traceability rules
//! document) enforced deterministically on every validator.
//!
//! A contract is a pure function of (transaction, signer, block context, state view) → write
//! set or [`ContractError`]: no clock (block time comes from [`BlockContext`]), no I/O, no
//! randomness, no hash-map iteration order in outputs (everything is `BTreeMap` / sorted), no
//! floating point in state.
//!
//! **Public API.** Execution: [`VerifiedTx`] (a transaction whose signature was checked — only
//! [`VerifiedTx::verify`] / [`VerifiedTx::verify_all`] make one — with its id),
//! [`execute_block`] (the block entry point: verified transactions in order → [`BlockExecution`]
//! with write sets, combined write set and state root, or [`BlockError`]),
//! [`execute_transaction`] (one transaction of a block being built, with the block's
//! [`BlockCache`]: the proposer's choice, the mempool's admission check); each checks expiry and
//! sequence against state, then the permission table ([`permissions`], R-A2), then the record
//! kind's rules. Context: [`BlockContext`], [`ChainParams`]. State: [`State`], [`StateView`],
//! [`MemoryState`], [`Overlay`], [`WriteSet`]; the state root: [`ParentTree`],
//! [`state_tree_update`], [`authenticate`], [`MemoryLedger`]. Errors: [`ContractError`],
//! [`ErrorCode`], [`FieldProblem`], [`Problem`]. Reads (what the API serves): the public
//! modules below, whose public items are reads and the types they answer with; every write
//! path of a module (each function taking the execution context `TxEnv`) is crate-private,
//! so a record can only be executed through [`execute_block`] / [`execute_transaction`],
//! after the expiry, sequence and permission checks.
//!
//! Layers, each using only those below it:
//!
//! * top: `ledger` ([`MemoryLedger`]: state and map together in memory);
//! * the dispatcher `exec`: [`execute_block`] / [`execute_transaction`], routing each
//!   transaction to its module; `verified_tx` ([`VerifiedTx`]);
//! * the contract modules: [`registry`], [`trace`], [`info_blocks`] (the information blocks,
//!   tables 1–4, not chain blocks), [`completeness`], [`lineage`], [`cbeac`], [`closed_loop`],
//!   [`documents`], [`recall`], [`scan`], [`sensor`], [`feedback`], [`validators`],
//!   [`prefixes`], `custody`, [`epcis_anchor`]; [`permissions`] (R-A2); [`query`] (reads);
//! * the execution context `context`: [`BlockContext`], `TxEnv`, [`BlockCache`],
//!   [`RecordEnvelope`]; the registry entries every transaction reads (`participants`,
//!   re-exported by [`registry`]);
//! * bottom: [`state`] (storage trait, in-memory state, write-buffering overlay),
//!   [`state_keys`] (the state key layout), `state_root` (the root of the authenticated map,
//!   ADR 0050), [`trace_codes`] (normalised trace codes), [`validate`] (field checks),
//!   `rules` ([`Rule`]), `index_tags` ([`IndexTag`]), `error`.
//!
//! See `docs/contracts.md` for every record kind: who writes it, fields, rules, error codes.

pub mod cbeac;
pub mod closed_loop;
pub mod completeness;
pub(crate) mod context;
pub(crate) mod custody;
pub mod documents;
pub mod epcis_anchor;
pub(crate) mod error;
pub(crate) mod exec;
pub mod feedback;
pub mod genesis;
pub(crate) mod index_tags;
pub mod info_blocks;
pub(crate) mod ledger;
pub mod lineage;
pub(crate) mod participants;
pub mod permissions;
pub mod prefixes;
pub mod query;
pub mod recall;
pub mod registry;
pub(crate) mod rules;
pub mod scan;
pub mod sensor;
pub mod state;
pub mod state_keys;
pub(crate) mod state_root;
pub mod trace;
pub mod trace_codes;
pub mod validate;
pub mod validators;
pub(crate) mod verified_tx;

pub use context::{
    carried_item, encode_envelope, BlockCache, BlockContext, ChainParams, ChainParamsError,
    RecordEnvelope, RecordSource, DEFAULT_RECORD_FUTURE_SKEW_MS, MAX_RECORD_FUTURE_SKEW_MS,
};
pub use error::{ContractError, ErrorCode, FieldProblem, Problem};
pub use exec::{
    execute_block, execute_block_writes, execute_transaction, BlockError, BlockExecution,
    BlockWrites,
};
pub use index_tags::{IndexTag, UnknownIndexTag};
pub use ledger::MemoryLedger;
pub use rules::{Rule, UnknownRule};
pub use state::{MemoryState, Overlay, State, StateView, WriteSet};
pub use state_root::{authenticate, state_tree_update, ParentTree};
pub use verified_tx::{BadSignature, VerifiedTx};
