//! mapping (later)
