#!/usr/bin/env bash
# `make demo-stop`: stop the nodes `make demo` started (SIGTERM: each finishes its current
# block and closes its store), keeping their data. With --reset, also delete demo-data.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${DEMO_DIR:-$PWD/demo-data}
for pidfile in "$demo"/pids/*.pid; do
  [ -f "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile")
  # Only a tracechain node of this demo (a stale pid file may name another process).
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "node run --config $demo/"; then
    kill -TERM "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name (pid $pid) did not stop within 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "demo: stopped $name"
  fi
  rm -f "$pidfile"
done
if [ "${1:-}" = "--reset" ]; then
  rm -rf "$demo"
  echo "demo: deleted $demo"
else
  echo "demo: the chain is kept in $demo; make demo resumes it"
fi
