//! Operator commands.

pub mod gs1;
pub mod keys;
