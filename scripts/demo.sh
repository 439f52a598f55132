#!/usr/bin/env bash
# `make demo`: start a local 4-validator consortium with sample data.
#
# The node runs (storage, network, consensus, transaction API); the one-command consortium with
# its sample export flow is the next piece of work. Until it lands this script says so and exits
# non-zero instead of pretending; it shows how to start a consortium by hand today.
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<'TXT'
make demo: the one-command consortium with sample data is NOT available yet.

The node itself runs. A consortium by hand (each node in its own terminal):
  cargo build --release -p tracechain-node
  target/release/tracechain genesis init --validators 4 --full-nodes 1 --out /tmp/tc
  target/release/tracechain node run --config /tmp/tc/customs/config.toml      # and tax, forex,
  #   market-regulation, platform-node
  curl http://127.0.0.1:8101/v1/status
Or a one-validator chain for trying the API alone:
  target/release/tracechain node run --dev
  target/release/tracechain tx submit --node http://127.0.0.1:8101 \
      --key tracechain-dev/participants/producer.key RECORD.json --wait   # records: docs/api.md
TXT
exit 1
