//! Operator commands.

pub mod bench;
pub mod chain_audit;
pub mod client;
pub mod demo;
pub mod epcis;
pub mod fixture;
pub mod genesis;
pub mod gs1;
pub mod keys;
pub mod node;
pub mod read;
pub mod tx;
