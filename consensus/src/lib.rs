//! PBFT consensus (filled by the consensus work).
