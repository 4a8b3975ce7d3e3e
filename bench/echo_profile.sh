#!/usr/bin/env bash
# Work per TCP echo round trip, tinn vs raw tokio, counted rather than timed (a shared machine
# makes wall-clock figures noisy): instructions under callgrind and syscalls under strace, each
# the difference between a run of N and one of 2N round trips, so start-up and exit cancel out.
#
#   [TINN=path/to/tinn] bench/echo_profile.sh [N (default 20000)] [callgrind|strace (default both)]
#
# Needs target/release/{tinn,tokio-echo,echo-load} (cargo build --release --workspace).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
trips=${1:-20000}
tinn=${TINN:-target/release/tinn}
tools=${2:-"callgrind strace"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs `$@` (a server) under a tool, drives $1 round trips at it over 32 connections, stops it
# with SIGTERM and prints the total the tool counted.
counted() {
  local tool=$1 count=$2
  shift 2
  case $tool in
    callgrind) start_server valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" 2> "$work/log" ;;
    strace) start_server strace -f -c -o "$work/log" "$@" ;;
  esac
  target/release/echo-load "$SERVER_PORT" 32 --round-trips "$count" > /dev/null
  # SIGTERM ends tinn and tokio-echo alike: strace's child, or valgrind itself (the same process)
  pkill -TERM -P "$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  case $tool in
    callgrind) sed -n 's/^==[0-9]*== Collected : //p' "$work/log" ;;
    strace) awk '$NF == "total" { print $(NF-2) }' "$work/log" ;;
  esac
}

per_trip() {
  local tool=$1 name=$2 one two
  shift 2
  one=$(counted "$tool" "$trips" "$@")
  two=$(counted "$tool" $((trips * 2)) "$@")
  awk -v a="$one" -v b="$two" -v n="$trips" -v name="$name" -v tool="$tool" \
    'BEGIN { printf "%-9s %-6s %10.1f per round trip\n", tool, name, (b - a) / n }'
}

for tool in $tools; do
  per_trip "$tool" tokio target/release/tokio-echo
  per_trip "$tool" tinn "$tinn" bench/echo_server.lua
done
