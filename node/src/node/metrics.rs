//! Prometheus metrics (text format 0.0.4), kept in atomics: height, view, view changes,
//! mempool size and bytes, commit latency histogram, transactions committed and rejected by
//! rule, peers.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the commit-latency histogram (seconds).
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The node's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Last committed height.
    pub height: AtomicU64,
    /// Current view.
    pub view: AtomicU64,
    /// View changes seen (views moved past).
    pub view_changes: AtomicU64,
    /// Pending transactions.
    pub mempool_txs: AtomicU64,
    /// Pending bytes.
    pub mempool_bytes: AtomicU64,
    /// Transactions committed.
    pub txs_committed: AtomicU64,
    /// Blocks committed by this node.
    pub blocks_committed: AtomicU64,
    /// Connected peers.
    pub peers: AtomicU64,
    /// Misbehaviour evidence.
    pub evidence: AtomicU64,
    /// Consensus inputs refused.
    pub consensus_rejected: AtomicU64,
    /// Block store commit time, total microseconds.
    pub commit_write_us: AtomicU64,
    rejected: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<([u64; LATENCY_BUCKETS.len()], u64, f64)>,
}

impl Metrics {
    /// Zeroed metrics.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Count a rejection under `rule`.
    pub fn rejected(&self, rule: &str) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(rule.to_string())
            .or_default() += 1;
    }

    /// The pool's size.
    pub fn pool(&self, txs: usize, bytes: usize) {
        self.mempool_txs.store(txs as u64, Ordering::Relaxed);
        self.mempool_bytes.store(bytes as u64, Ordering::Relaxed);
    }

    /// A block committed with `txs` transactions; `admitted` are the admission instants of
    /// those this node admitted (their commit latency is observed).
    pub fn on_commit(&self, txs: usize, admitted: &[Instant], write_started: Instant) {
        self.height.fetch_add(1, Ordering::Relaxed);
        self.blocks_committed.fetch_add(1, Ordering::Relaxed);
        self.txs_committed.fetch_add(txs as u64, Ordering::Relaxed);
        self.commit_write_us.fetch_add(
            write_started.elapsed().as_micros() as u64,
            Ordering::Relaxed,
        );
        let mut h = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        for t in admitted {
            let s = t.elapsed().as_secs_f64();
            for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
                if s <= *b {
                    h.0[i] += 1;
                }
            }
            h.1 += 1;
            h.2 += s;
        }
    }

    /// The text exposition.
    pub fn render(&self, name: &str) -> String {
        let mut out = String::new();
        let g = |out: &mut String, metric: &str, kind: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {metric} {help}");
            let _ = writeln!(out, "# TYPE {metric} {kind}");
            let _ = writeln!(out, "{metric}{{node=\"{name}\"}} {v}");
        };
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        g(
            &mut out,
            "tracechain_height",
            "gauge",
            "Last committed height.",
            r(&self.height),
        );
        g(
            &mut out,
            "tracechain_view",
            "gauge",
            "Current consensus view.",
            r(&self.view),
        );
        g(
            &mut out,
            "tracechain_view_changes_total",
            "counter",
            "Views moved past.",
            r(&self.view_changes),
        );
        g(
            &mut out,
            "tracechain_mempool_txs",
            "gauge",
            "Pending transactions.",
            r(&self.mempool_txs),
        );
        g(
            &mut out,
            "tracechain_mempool_bytes",
            "gauge",
            "Pending transaction bytes.",
            r(&self.mempool_bytes),
        );
        g(
            &mut out,
            "tracechain_txs_committed_total",
            "counter",
            "Transactions committed.",
            r(&self.txs_committed),
        );
        g(
            &mut out,
            "tracechain_blocks_committed_total",
            "counter",
            "Blocks committed.",
            r(&self.blocks_committed),
        );
        g(
            &mut out,
            "tracechain_peers",
            "gauge",
            "Connected peers.",
            r(&self.peers),
        );
        g(
            &mut out,
            "tracechain_evidence_total",
            "counter",
            "Misbehaviour evidence seen.",
            r(&self.evidence),
        );
        g(
            &mut out,
            "tracechain_consensus_rejected_total",
            "counter",
            "Consensus inputs refused.",
            r(&self.consensus_rejected),
        );
        let _ = writeln!(
            out,
            "# HELP tracechain_txs_rejected_total Transactions refused, by rule."
        );
        let _ = writeln!(out, "# TYPE tracechain_txs_rejected_total counter");
        for (rule, n) in self
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "tracechain_txs_rejected_total{{node=\"{name}\",rule=\"{rule}\"}} {n}"
            );
        }
        let h = *self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "# HELP tracechain_commit_latency_seconds From admission to commit, transactions admitted by this node.");
        let _ = writeln!(out, "# TYPE tracechain_commit_latency_seconds histogram");
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "tracechain_commit_latency_seconds_bucket{{node=\"{name}\",le=\"{b}\"}} {}",
                h.0[i]
            );
        }
        let _ = writeln!(
            out,
            "tracechain_commit_latency_seconds_bucket{{node=\"{name}\",le=\"+Inf\"}} {}",
            h.1
        );
        let _ = writeln!(
            out,
            "tracechain_commit_latency_seconds_sum{{node=\"{name}\"}} {}",
            h.2
        );
        let _ = writeln!(
            out,
            "tracechain_commit_latency_seconds_count{{node=\"{name}\"}} {}",
            h.1
        );
        out
    }
}
