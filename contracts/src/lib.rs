//! Contract modules (filled by the contracts work).
