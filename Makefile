# The two commands of the README: `make demo` (a local consortium with sample data) and
# `make test` (the whole test suite, as CI runs it). Both install what they need first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test demo demo-stop demo-reset prereqs fmt lint unit bench mutants mutants-screen mutants-tool

prereqs:
	@scripts/prereqs.sh

## The whole test suite: formatting, lints (warnings are errors), every test of the workspace.
## Doctests run before nextest so that the output ends with nextest's summary line.
test: prereqs
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --doc --locked
	$(CARGO) nextest run --workspace --locked --profile ci

## A local consortium with sample data: 4 validators and the platform's full node on
## 127.0.0.1, the sample export flow loaded through the API (scripts/demo.sh). Run again, it
## resumes the same chain.
demo: prereqs
	@scripts/demo.sh

## Stop the demo's nodes, keeping their data.
demo-stop:
	@scripts/demo-stop.sh

## Stop the demo's nodes and delete demo-data/.
demo-reset:
	@scripts/demo-stop.sh --reset

## Benchmarks (release build; results belong in docs/benchmarks.md).
bench:
	$(CARGO) bench --workspace --locked

## Mutation testing of consensus (hours on two cores; not part of CI). Every mutant of
## consensus/src (the simulator excepted) and of the commit signing bytes and certificate check
## in crates/types runs against the whole consensus suite with CI's seed counts. Results in
## mutants.out/; survivors are explained in docs/mutants.md.
MUTANTS_OUT ?= mutants.out
mutants-tool:
	@command -v cargo-mutants >/dev/null || { echo "make mutants needs cargo-mutants: cargo install --locked cargo-mutants" >&2; exit 1; }

mutants: mutants-tool
	mkdir -p $(MUTANTS_OUT)/consensus $(MUTANTS_OUT)/types
	$(CARGO) mutants -p tracechain-consensus -o $(MUTANTS_OUT)/consensus
	$(CARGO) mutants -p tracechain-types -f crates/types/src/block.rs \
		--re 'commit_signing_bytes|CommitCertificate::verify' -o $(MUTANTS_OUT)/types

## A quicker screen: the same mutants against the consensus suite without the long seed sweeps.
## A mutant it catches is caught by `make mutants` too; only its survivors need the full run
## (`cargo mutants --file ... --re ...`).
mutants-screen: mutants-tool
	mkdir -p $(MUTANTS_OUT)/screen
	$(CARGO) mutants -p tracechain-consensus -o $(MUTANTS_OUT)/screen -- \
		-E 'not test(/sweep_|fixtures_keep|padded_view_changes/)'
