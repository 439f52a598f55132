//! Record data types carried by [`crate::Payload`] variants.
//!
//! These are plain data: the contract modules (`tracechain-contracts`) decide who may write
//! them and check every field (R-X1). Basic items of the spec's Tables 1–4 are `Option`s so
//! that a submission missing one can be decoded and answered with an error naming *every*
//! missing item, instead of failing to decode. Personal data (consignee, contact, payee,
//! addresses of persons) is carried only as a salted [`Commitment`].
//!
//! No floating point anywhere: amounts are integers in minor units with an ISO 4217 code,
//! coordinates are degrees × 10⁷, temperatures centi-degrees Celsius, humidity in basis points
//! of relative humidity (1 % = 100).

pub mod blocks;
pub mod business;
pub mod common;
pub mod epcis;
pub mod participant;
pub mod trace;

pub use blocks::*;
pub use business::*;
pub use common::*;
pub use participant::*;
pub use trace::*;
