# The two commands of the README: `make demo` (a local consortium with sample data) and
# `make test` (the whole test suite, as CI runs it). Both install what they need first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test demo prereqs fmt lint unit bench

prereqs:
	@scripts/prereqs.sh

## The whole test suite: formatting, lints (warnings are errors), every test of the workspace.
## Doctests run before nextest so that the output ends with nextest's summary line.
test: prereqs
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --doc --locked
	$(CARGO) nextest run --workspace --locked --profile ci

## A local consortium with sample data. Not available yet: see the README.
demo: prereqs
	@scripts/demo.sh

## Benchmarks (release build; results belong in docs/benchmarks.md).
bench:
	$(CARGO) bench --workspace --locked
