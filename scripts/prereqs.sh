#!/usr/bin/env bash
# Installs what building and testing tracechain needs, or stops naming the exact command to run.
# Called by `make test` and `make demo`; safe to run again (it only acts on what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'prereqs: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Root runs apt-get directly; others through sudo when it works without a password.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@";
  else return 1; fi
}

command -v cargo >/dev/null || die "no Rust toolchain: install rustup (https://rustup.rs), then run: rustup toolchain install stable --component rustfmt,clippy"
for comp in rustfmt clippy; do
  sub=${comp/rustfmt/fmt}
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null; then
      say "installing the $comp component"
      rustup component add "$comp" || die "could not install $comp; run: rustup component add $comp"
    else
      die "cargo $comp is missing; run: rustup component add $comp"
    fi
  fi
done
if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest from crates.io (one time, a few minutes)"
  cargo install cargo-nextest --locked || die "could not install cargo-nextest; run: cargo install cargo-nextest --locked
  (or fetch the prebuilt binary: curl -LsSf https://get.nexte.st/latest/linux | tar zxf - -C \${CARGO_HOME:-~/.cargo}/bin)"
fi

# `make test` builds with --locked: the committed Cargo.lock must match the manifests. Say so
# once, with the fix, instead of letting every step fail. (Other failures here, such as no
# network on a fresh machine, are left to the build, which reports them itself.)
if [ -f Cargo.lock ]; then
  err=$(cargo metadata --locked --format-version 1 2>&1 >/dev/null) || {
    case $err in
      *"lock file"*"--locked"*|*"needs to be updated"*)
        die "Cargo.lock is out of date with Cargo.toml (make test builds with --locked); run: cargo update --workspace   (then commit Cargo.lock)";;
    esac
  }
fi

# Debian packages, needed only once the workspace links the corresponding native crates.
debs=()
if grep -q 'name = "librocksdb-sys"' Cargo.lock 2>/dev/null; then
  command -v clang >/dev/null || debs+=(clang)
  ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || debs+=(libclang-dev)
fi
# The browser tests of the web pages run headless Chromium (driven through chromedriver for
# the console), with CJK fonts for the Chinese pages' screenshots.
command -v chromium >/dev/null || debs+=(chromium)
command -v chromedriver >/dev/null || debs+=(chromium-driver)
# Their accessibility audit runs axe-core, from npm.
command -v npm >/dev/null || debs+=(npm)
ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || debs+=(fonts-noto-cjk)
if [ "${#debs[@]}" -gt 0 ]; then
  say "installing Debian packages: ${debs[*]}"
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}"; }; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo "
    die "missing Debian packages; run: ${sudo}apt-get update && ${sudo}apt-get install -y ${debs[*]}"
  fi
fi

# axe-core for the browser tests' accessibility audit, kept beside the build cache (the same
# place .ci/run uses), else in the user's cache.
AXE_VERSION=4.11.0
axe_home=/var/cache/tracechain/node
if ! { mkdir -p "$axe_home" 2>/dev/null && [ -w "$axe_home" ]; }; then
  axe_home=${XDG_CACHE_HOME:-$HOME/.cache}/tracechain/node
fi
if [ ! -f "$axe_home/node_modules/axe-core/axe.min.js" ]; then
  say "installing axe-core $AXE_VERSION from npm into $axe_home (the accessibility audit)"
  mkdir -p "$axe_home"
  npm install --silent --no-audit --no-fund --prefix "$axe_home" "axe-core@$AXE_VERSION" >/dev/null \
    || die "could not install axe-core; run: npm install --prefix $axe_home axe-core@$AXE_VERSION"
fi
exit 0
