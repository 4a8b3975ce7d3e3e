#!/usr/bin/env bash
# The project's whole test suite: Rust unit tests, and every Lua script under tests/ run through
# the real tinn binary (tests/scripts.rs). Release mode shares the build with `cargo run --release`.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --workspace --release
