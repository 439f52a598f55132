//! Realistic workloads for a running consortium, as plain data: which participant signs which
//! record, in which order.
//!
//! - [`flow`]: the sample export flow `make demo` loads (a Fujian tea producer exporting to
//!   Germany through a cross-border platform, trace mode FULL), from participant registration
//!   to two consumer scans.
//! - [`mix`]: the load generator's record mix, the same per-unit mix as the contracts'
//!   execution benchmark, spread over many independent casts of signers so that no single
//!   signer's sequence limits the rate.
//!
//! Nothing here does I/O: the node's `demo load` and `bench load` commands sign and submit
//! what these functions return. Both workloads are executed through the contracts from a
//! genesis state by this crate's tests, so a record the contracts would refuse is found here,
//! not against a running chain.

pub mod flow;
pub mod mix;

use tracechain_types::records::{Commitment, SALT_LEN};
use tracechain_types::{Hash, Payload};

/// One record to sign: who signs it (a participant's name in `network.json`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The signer's participant name (`producer`, `customs-regulator`, …).
    pub signer: String,
    /// What the step does, for people reading the demo's output.
    pub label: String,
    /// The record.
    pub payload: Payload,
}

/// Steps that may be submitted together: none depends on another of the same stage except
/// through its signer's sequence order. Every step of a stage must be committed before the
/// next stage is submitted (its records read what the earlier stages wrote).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// What the stage is, in the words of the export process.
    pub title: String,
    /// Its records, in submission order.
    pub steps: Vec<Step>,
}

/// A salted commitment to a private value (a person's name, an address, a phone number):
/// the record carries the commitment, the value and salt stay with the party that wrote it
/// (ADR 0046). The salt here is derived from `label` so that a workload is reproducible.
pub fn commitment(label: &str, value: &str) -> Commitment {
    let salt: [u8; SALT_LEN] = Hash::tagged(b"tracechain/workload-salt/v1", &[label.as_bytes()]).0;
    Commitment::compute(&salt, value.as_bytes())
}

/// A GTIN-13 from its 12-digit body, with its check digit.
///
/// # Panics
/// When `body12` is not 12 digits (workloads only pass literals and formatted numbers).
pub fn gtin13(body12: &str) -> String {
    let check = tracechain_gs1::mod10_check_digit(body12)
        .unwrap_or_else(|| panic!("{body12} is not a GTIN-13 body"));
    format!("{body12}{check}")
}

/// A unified social credit code (GB 32100) from its 17-character body, with its check
/// character.
///
/// # Panics
/// When `body17` is not a valid body.
pub fn uscc(body17: &str) -> String {
    let check = tracechain_gs1::uscc_check_character(body17)
        .unwrap_or_else(|| panic!("{body17} is not a USCC body"));
    format!("{body17}{check}")
}

/// `YYYY-MM-DDThh:mm:ssZ` of a Unix millisecond instant.
pub fn rfc3339(ms: u64) -> String {
    let full = tracechain_types::time::format_utc_millis(i64::try_from(ms).unwrap_or(i64::MAX))
        .unwrap_or_else(|| "9999-12-31T23:59:59.000Z".into());
    // drop the milliseconds: the records' times are to the second
    format!("{}Z", &full[..19])
}

/// `YYYY-MM-DD` of a Unix millisecond instant.
pub fn date(ms: u64) -> String {
    rfc3339(ms)[..10].to_string()
}

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// A regulator of the genesis (the `i`-th, for a distinct credit code): an organisation of
/// `agency` named after `name`, in China — as `genesis init`, the fixtures and the tests
/// write them.
pub fn genesis_regulator(
    name: &str,
    agency: tracechain_types::records::Agency,
    i: usize,
    key: tracechain_types::PublicKey,
) -> tracechain_contracts::genesis::GenesisParticipant {
    use tracechain_types::records::{
        Identity, ParticipantCategory, ParticipantRegistration, RegistrationId,
    };
    tracechain_contracts::genesis::GenesisParticipant {
        key,
        registration: ParticipantRegistration {
            category: ParticipantCategory::Regulator(agency),
            node_types: vec![],
            identity: Identity::Organisation {
                legal_name: format!("{name} department"),
                registration_id: RegistrationId::Uscc(uscc(&format!("11100000{:09}", 1000 + i))),
            },
            country: "CN".into(),
            identity_document: Hash::digest(name.as_bytes()),
        },
    }
}
