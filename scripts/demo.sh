#!/usr/bin/env bash
# `make demo`: a local consortium with sample data, on 127.0.0.1.
#
# Builds the node (release), writes a consortium of 4 validators (customs, tax, forex, market
# regulation) and 1 full node (the cross-border platform's) under demo-data/network the first
# time, starts every node in the background (logs in demo-data/logs, pids in demo-data/pids),
# waits until they are ready, then loads the sample export flow through the API with the
# participants' own keys (`tracechain demo load`). Running it again resumes the same chain:
# nodes still running are left alone, stopped ones are started on their data, and the flow
# loader sends only what is not on the chain yet. `make demo-stop` stops the nodes and keeps
# the data; `make demo-reset` deletes it.
#
# Environment: DEMO_DIR (default ./demo-data), CARGO_TARGET_DIR (the build folder),
# DEMO_API_PORT / DEMO_P2P_PORT (first ports of a new consortium, default 8101 / 27101),
# TRACECHAIN_BIN (use this binary instead of building one; the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=${DEMO_DIR:-$root/demo-data}
net=$demo/network
api_port=${DEMO_API_PORT:-8101}
p2p_port=${DEMO_P2P_PORT:-27101}

say() { printf 'demo: %s\n' "$*"; }

if [ -n "${TRACECHAIN_BIN:-}" ]; then
  bin=$TRACECHAIN_BIN
else
  bin=${CARGO_TARGET_DIR:-$root/target}/release/tracechain
  say "building tracechain (release; the first build compiles RocksDB, 10+ minutes on 2 cores)"
  cargo build --release --locked -q -p tracechain-node
fi
start=$(date +%s)

mkdir -p "$demo/logs" "$demo/pids"
if [ ! -f "$net/network.json" ]; then
  if [ -e "$net" ] && [ -n "$(ls -A "$net" 2>/dev/null)" ]; then
    say "$net exists without network.json (an interrupted set-up?): run make demo-reset, then make demo" >&2
    exit 1
  fi
  say "writing a new consortium in $net"
  "$bin" genesis init --validators 4 --full-nodes 1 --out "$net" \
    --api-port "$api_port" --p2p-port "$p2p_port" >/dev/null
  # The producer's WMS captures EPCIS documents through the platform's node, which signs
  # them with the producer's key (ADR 0081): a bearer token, its SHA-256 in the config.
  (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$net/epcis-token")
  cat >>"$net/platform-node/config.toml" <<TOML

[epcis]
[[epcis.clients]]
name = "producer-wms"
token_sha256 = "$(tr -d '\n' <"$net/epcis-token" | sha256sum | cut -d' ' -f1)"
key_file = "../participants/producer.key"
TOML
else
  say "resuming the consortium in $net"
fi

# A pid file names a live node of this demo only if that process is a tracechain node run on
# this demo's config (a stale pid file after a reboot may name another process).
alive() {
  [ -f "$1" ] || return 1
  local pid; pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "node run --config $net/"
}

started=()
for cfg in "$net"/*/config.toml; do
  name=$(basename "$(dirname "$cfg")")
  pidfile=$demo/pids/$name.pid
  if alive "$pidfile"; then
    say "$name is running already (pid $(cat "$pidfile"))"
    continue
  fi
  nohup "$bin" node run --config "$cfg" >>"$demo/logs/$name.log" 2>&1 &
  echo $! >"$pidfile"
  started+=("$name")
done
if [ ${#started[@]} -gt 0 ]; then
  say "started ${started[*]}"
  sleep 2
  for name in "${started[@]}"; do
    if ! alive "$demo/pids/$name.pid"; then
      say "$name stopped right after starting; the end of demo-data/logs/$name.log:" >&2
      tail -n 20 "$demo/logs/$name.log" >&2
      say "(a port in use by another program? make demo-stop, then look at the log)" >&2
      exit 1
    fi
  done
fi

"$bin" demo load --network "$net/network.json"

cat <<TXT

demo: the consortium is running ($(( $(date +%s) - start )) s after the build).
  logs:       $demo/logs/<node>.log
  stop:       make demo-stop      (keeps the chain; make demo resumes it)
  start over: make demo-reset     (stops the nodes and deletes $demo)
  in a browser: the tin's page (it checks itself against the validators' signatures)
              http://127.0.0.1:$((api_port + 4))/01/06971234004123/21/T0001
              the regulator console (sign in with $net/participants/customs-regulator.key)
              http://127.0.0.1:${api_port}/console
  submit your own records: $bin tx submit --node http://127.0.0.1:$((api_port + 4)) \\
                --key $net/participants/producer.key RECORD.json --wait   (record JSON: docs/api.md)
  capture EPCIS (the producer's WMS, signed by the platform's node):
              curl -X POST http://127.0.0.1:$((api_port + 4))/epcis/capture \\
                -H "authorization: Bearer \$(cat $net/epcis-token)" --data-binary @DOC.jsonld
TXT
