# syntax=docker/dockerfile:1
#
# The tracechain node image: the `tracechain` binary alone on Debian bookworm, run as the
# unprivileged user `tracechain` (uid 10001). docker-compose.yml builds it as tracechain:local
# and runs the local consortium with it; docs/operations.md describes both.
#
#   docker build -t tracechain:local .
#   docker run --rm tracechain:local --help

# ---- builder -----------------------------------------------------------------------------
# The workspace's rust-version (Cargo.toml) is 1.89.
FROM rust:1.89-bookworm AS builder

# RocksDB's bindings are generated at build time by bindgen, which needs libclang.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang libclang-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Cargo's download cache and the target directory are build caches, kept between builds so
# that a rebuild does not compile RocksDB's C++ again; the binary is copied out of the cache
# in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p tracechain-node \
 && install -D -m 0755 target/release/tracechain /out/tracechain

# ---- runtime -----------------------------------------------------------------------------
# Nothing is downloaded at run time: the binary needs only the C and C++ runtime libraries
# that the base image already has.
FROM debian:bookworm-slim

RUN groupadd --gid 10001 tracechain \
 && useradd --uid 10001 --gid tracechain --no-create-home \
        --home-dir /consortium --shell /usr/sbin/nologin tracechain \
 && mkdir -p /consortium \
 && chown tracechain:tracechain /consortium

COPY --from=builder /out/tracechain /usr/local/bin/tracechain

USER tracechain
WORKDIR /consortium
# The consortium's files: genesis, node keys, configs and RocksDB data directories. A new
# named volume mounted here starts with this directory's owner (tracechain).
VOLUME /consortium

ENTRYPOINT ["/usr/local/bin/tracechain"]
CMD ["--help"]
