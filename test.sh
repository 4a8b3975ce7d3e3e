#!/usr/bin/env bash
# The project's whole test suite: the linters (clippy with every warning an error; luacheck over
# the Lua, configured by .luacheckrc), then the Rust unit tests and every Lua script under tests/
# run through the real tinn binary (tests/scripts.rs). Release mode shares the build with
# `cargo run --release`. .ci/run installs luacheck (Debian's lua-check).
set -euo pipefail
cd "$(dirname "$0")"
cargo clippy --workspace --all-targets --release -- -D warnings
luacheck --no-color --quiet .
cargo test --workspace --release
