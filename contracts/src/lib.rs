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
//! * [`execute`] / [`execute_block`]: entry points.
//! * [`state_root`]: the state root, the root of the authenticated map over the state (ADR
//!   0050); [`MemoryLedger`] keeps state and map together in memory.
//! * [`state`]: the storage trait, the in-memory implementation, the write-buffering overlay.
//! * [`keys`]: the key layout.
//! * [`registry`], [`trace`], [`blocks`], [`completeness`]: participants, trace units, the information blocks and their completeness.
//! * [`lineage`], [`cbeac`], [`closed_loop`], [`documents`], [`recall`], [`scan`], [`sensor`],
//!   [`feedback`], [`validators`]: lineage, alliance-chain business, closed loop, documents, recall, scans, sensors, feedback, validator-set changes.
//!
//! See `docs/contracts.md` for every record kind: who writes it, fields, rules, error codes.

pub mod blocks;
pub mod cbeac;
pub mod closed_loop;
pub mod codes;
pub mod completeness;
pub mod context;
pub mod custody;
pub mod documents;
pub mod epcis_anchor;
pub mod error;
pub mod exec;
pub mod feedback;
pub mod keys;
pub mod lineage;
pub mod permissions;
pub mod prefixes;
pub mod query;
pub mod recall;
pub mod registry;
pub mod scan;
pub mod sensor;
pub mod state;
pub mod state_root;
pub mod trace;
pub mod validate;
pub mod validators;

pub use context::{BlockContext, ChainParams, ChainParamsError};
pub use error::{ContractError, ErrorCode, FieldProblem, Problem};
pub use exec::{
    encode_envelope, execute, execute_block, execute_block_prepared, execute_cached,
    execute_prepared, BlockCache, BlockError, BlockExecution, PreparedTx, RecordEnvelope, TxEnv,
};
pub use state::{MemoryState, Overlay, State, StateView, WriteSet};
pub use state_root::{authenticate, state_tree_update, MemoryLedger, ParentTree};
