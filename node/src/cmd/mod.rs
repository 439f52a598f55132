//! Operator commands.

pub mod epcis;
pub mod gs1;
pub mod keys;
