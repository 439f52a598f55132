//! Completeness report (R-X2) and customs gate (R-X3). (Phase 1 stub.)
