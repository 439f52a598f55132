//! The auditor of tracechain (ADR 0087): auditors trust no node, so they take a copy of the
//! chain and check everything themselves.
//!
//! * [`export`]: the chain export format (`tracechain-export/1`): what `GET /v1/export`
//!   streams and `tracechain export` saves;
//! * [`replay`]: verify a chain from its genesis — headers, certificates under the validator
//!   set of each height, every transaction signature, execution through the contracts on a
//!   fresh state, the state root of every block — and summarise it;
//! * [`source`]: the blocks of a data directory (opened read-only) or of an export, and the
//!   check of a data directory's stored state against the replay;
//! * [`live_map`]: the authenticated state map at its latest version only, in memory (the
//!   replay's state root).

pub mod export;
pub mod live_map;
pub mod replay;
pub mod source;

pub use export::{ExportEnd, ExportError, ExportHeader, ExportReader, ExportWriter};
pub use live_map::LiveMap;
pub use replay::{replay, Failure, Outcome, Progress, ReplayOptions, SourceItem, Summary};
pub use source::{compare_stored_state, compare_stored_state_paged, DataDirBlocks, ExportBlocks};
