//! GS1 EPCIS 2.0 (filled by the EPCIS work).
