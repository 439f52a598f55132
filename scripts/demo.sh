#!/usr/bin/env bash
# `make demo`: start a local 4-validator consortium with sample data.
#
# The node itself (RocksDB storage, libp2p network, the consensus driver and the HTTP API) is
# built in the next stage of the project. Until it lands this script says so and exits non-zero
# instead of pretending; it then shows what can be tried today.
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<'TXT'
make demo: the local consortium is NOT available yet.

tracechain so far is its pure core: core types, GS1 identifiers, the PBFT replica with its
simulator, the contract modules and the EPCIS library. The node that runs them (storage,
network, consensus driver, HTTP API) is the next piece of work; this command will start a
4-validator consortium with sample data once it lands.

What you can run today:
  make test                                   the whole test suite
  cargo run -q -p tracechain-node -- keys generate --out /tmp/validator.key
  cargo run -q -p tracechain-node -- gs1 check https://id.gs1.org/01/09506000134352/10/ABC123
  cargo run -q -p tracechain-node -- epcis hash ../shared/testdata/epcis/hash-vectors/epcisDocWithSingleEvent.jsonld
TXT
exit 1
