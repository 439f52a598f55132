#!/usr/bin/env bash
# The throughput benchmark of docs/benchmarks.md: a fresh consortium of VALIDATORS validators
# (default 4, no full node) on 127.0.0.1, all on this machine, loaded by `tracechain bench
# load` with the arguments given (e.g. --rate 10000 --duration 60), then stopped. The nodes'
# per-client API rate limit is raised (one generator is one client address).
#
#   scripts/bench-load.sh --rate 10000 --duration 60
#   VALIDATORS=1 scripts/bench-load.sh --rate 10000 --duration 60     # one validator alone
#
# Environment: VALIDATORS, BENCH_DIR (default: a new temporary folder, deleted afterwards
# unless KEEP=1), BENCH_API_PORT / BENCH_P2P_PORT (default 18101 / 37101), CARGO_TARGET_DIR,
# TRACECHAIN_BIN (use this binary instead of building one), PERF=1 (record a CPU profile of
# the whole machine during the run with `perf record -a -g`, written to BENCH_DIR/perf.data).
set -euo pipefail
cd "$(dirname "$0")/.."
validators=${VALIDATORS:-4}
if [ -n "${TRACECHAIN_BIN:-}" ]; then
  bin=$TRACECHAIN_BIN
else
  cargo build --release --locked -q -p tracechain-node
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/tracechain
fi
dir=${BENCH_DIR:-$(mktemp -d /tmp/tracechain-bench.XXXXXX)}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${BENCH_DIR:-}" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$dir"; fi
}
trap cleanup EXIT
"$bin" genesis init --validators "$validators" --full-nodes 0 --out "$dir/net" \
  --api-port "${BENCH_API_PORT:-18101}" --p2p-port "${BENCH_P2P_PORT:-37101}" >/dev/null
for cfg in "$dir"/net/*/config.toml; do
  name=$(basename "$(dirname "$cfg")")
  # The generator is one client address sending the whole load: the per-client rate limit
  # (which a batch pays per transaction) is raised so that it measures the chain, not the limit.
  sed -i 's/^\[api\]$/[api]\nrate_per_client = 1000000\nburst_per_client = 1000000/' "$cfg"
  "$bin" node run --config "$cfg" >"$dir/$name.log" 2>&1 &
  pids+=($!)
done
echo "bench: $validators validators on 127.0.0.1 (logs in $dir)"
if [ "${PERF:-0}" = 1 ]; then
  perf record -a -g -o "$dir/perf.data" -- "$bin" bench load --network "$dir/net/network.json" "$@"
else
  "$bin" bench load --network "$dir/net/network.json" "$@"
fi
