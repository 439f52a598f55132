//! Date-time values of EPCIS 2.0: the workspace's one RFC 3339 parser
//! (`tracechain_types::time`), used here for validation and the CBV 2.0 hash normal form.

pub use tracechain_types::time::*;
