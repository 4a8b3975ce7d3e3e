#!/usr/bin/env bash
# Instructions per HTTP hello request under callgrind, tinn vs raw hyper: counted rather than
# timed (a shared machine makes wall-clock figures noisy). Each figure is the difference between
# a run of N and one of 2N keep-alive requests (h2load --h1 over HTTP_CONNECTIONS connections,
# default 32; 1 gives steadier counts), so start-up and exit cancel out.
#
#   [TINN=path/to/tinn] bench/http_profile.sh [N (default 20000)] [tinn|hyper (default both)]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-20000}
servers=${2:-"hyper tinn"}
connections=${HTTP_CONNECTIONS:-32}
tinn=${TINN:-target/release/tinn}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs the server `$@` under callgrind, sends it $1 requests and prints the instructions counted.
instructions() {
  local count=$1
  shift
  start_server valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" 2> "$work/log"
  h2load --h1 -n "$count" -c "$connections" "http://127.0.0.1:$SERVER_PORT/" > /dev/null
  stop_server
  sed -n 's/^==[0-9]*== Collected : //p' "$work/log"
}

for server in $servers; do
  case $server in
    hyper) command=(target/release/hyper-hello) ;;
    tinn) command=("$tinn" bench/http_hello.lua) ;;
  esac
  one=$(instructions "$requests" "${command[@]}")
  two=$(instructions $((requests * 2)) "${command[@]}")
  awk -v a="$one" -v b="$two" -v n="$requests" -v name="$server" \
    'BEGIN { printf "callgrind %-6s %10.1f instructions per request\n", name, (b - a) / n }'
done
