//! Contract modules of tracechain: the traceability rules (`R-…` of the traceability rules
//! document) enforced deterministically on every validator.
//!
//! A contract is a pure function of (transaction, signer, block context, state view) → write
//! set or [`ContractError`]: no clock (block time comes from [`BlockContext`]), no I/O, no
//! randomness, no hash-map iteration order in outputs (everything is `BTreeMap` / sorted), no
//! floating point in state. Signature verification is the caller's job (stateless and
//! batchable, `Transaction::verify_all`); [`execute`] checks sequence and expiry against state,
//! then the permission table ([`permissions`], R-A2), then the record kind's rules.
//!
//! Layers, each using only those below it:
//!
//! * top: [`ledger`] ([`MemoryLedger`]: state and map together in memory);
//! * the dispatcher [`exec`]: [`execute`] / [`execute_block`], the entry points, routing each
//!   transaction to its module;
//! * the contract modules: [`registry`], [`trace`], [`info_blocks`] (the information blocks,
//!   tables 1–4, not chain blocks), [`completeness`], [`lineage`], [`cbeac`], [`closed_loop`],
//!   [`documents`], [`recall`], [`scan`], [`sensor`], [`feedback`], [`validators`],
//!   [`prefixes`], [`custody`], [`epcis_anchor`]; [`permissions`] (R-A2); [`query`] (reads);
//! * the execution context [`context`]: [`BlockContext`], [`TxEnv`], [`BlockCache`],
//!   [`RecordEnvelope`]; the registry entries every transaction reads ([`participants`]);
//! * bottom: [`state`] (storage trait, in-memory state, write-buffering overlay),
//!   [`state_keys`] (the state key layout), [`state_root`] (the root of the authenticated map,
//!   ADR 0050), [`trace_codes`] (normalised trace codes), [`validate`] (field checks),
//!   [`error`].
//!
//! See `docs/contracts.md` for every record kind: who writes it, fields, rules, error codes.

pub mod cbeac;
pub mod closed_loop;
pub mod completeness;
pub mod context;
pub mod custody;
pub mod documents;
pub mod epcis_anchor;
pub mod error;
pub mod exec;
pub mod feedback;
pub mod info_blocks;
pub mod ledger;
pub mod lineage;
pub mod participants;
pub mod permissions;
pub mod prefixes;
pub mod query;
pub mod recall;
pub mod registry;
pub mod scan;
pub mod sensor;
pub mod state;
pub mod state_keys;
pub mod state_root;
pub mod trace;
pub mod trace_codes;
pub mod validate;
pub mod validators;

pub use context::{
    encode_envelope, BlockCache, BlockContext, ChainParams, ChainParamsError, RecordEnvelope, TxEnv,
};
pub use error::{ContractError, ErrorCode, FieldProblem, Problem};
pub use exec::{
    execute, execute_block, execute_block_prepared, execute_cached, execute_prepared, BlockError,
    BlockExecution, PreparedTx,
};
pub use ledger::MemoryLedger;
pub use state::{MemoryState, Overlay, State, StateView, WriteSet};
pub use state_root::{authenticate, state_tree_update, ParentTree};
