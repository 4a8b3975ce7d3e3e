#!/usr/bin/env bash
# HTTP hello world against tinn and its peers (DESIGN §6): raw hyper (bench/peers), Node and
# nginx + its lua module with one worker (OpenResty's engine). wrk -t1 -c32 keeps one core for
# the client; each server prints req/s and the CPU it spent per request answered (utime + stime
# from /proc/PID/stat over the run ÷ requests): the figure a client sharing the cores does not
# distort. Then tinn with workers sharing the port, one per core vs one. HTTP_SECONDS sets the
# length of each run (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
TINN=${TINN:-target/release/tinn}
SECONDS_PER_RUN=${HTTP_SECONDS:-5}
if ! command -v wrk >/dev/null; then
  echo "wrk is not installed (apt-get install wrk): HTTP benchmark skipped"
  exit 0
fi
cargo build --release --quiet -p tinn-bench-peers
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# wrk against port $1 while watching process $2 (all its threads), with wrk's -t/-c from $3
# (default -t1 -c32): prints "req/s µs-of-server-CPU-per-request".
measure() {
  local before after report
  before=$(cpu_ticks "$2")
  # shellcheck disable=SC2086 # $3 is two wrk options
  report=$(wrk ${3:--t1 -c32} -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$1/")
  after=$(cpu_ticks "$2")
  awk -v ticks=$((after - before)) -v tick_us="$TICK_US" '
    / requests in / { requests = $1 }
    /Requests\/sec/ { rps = $2 }
    END { printf "%d %.2f\n", rps, (requests > 0 ? ticks * tick_us / requests : 0) }' <<< "$report"
}

echo "== HTTP hello world, keep-alive, wrk -t1 -c32 -d${SECONDS_PER_RUN}s (DESIGN §6) =="
declare -A RESULT
measure_server() {
  local name=$1
  shift
  start_server "$@"
  RESULT[$name]=$(measure "$SERVER_PORT" "$SERVER_PID")
  stop_server
}
measure_server hyper target/release/hyper-hello
measure_server tinn "$TINN" bench/http_hello.lua
if command -v node >/dev/null; then
  measure_server node node bench/node_hello.js
else
  echo "node is not installed: Node peer skipped"
fi
NGINX_LUA=/usr/lib/nginx/modules/ngx_http_lua_module.so
if command -v nginx >/dev/null && [ -f "$NGINX_LUA" ]; then
  prefix=$(mktemp -d)
  port=$(free_port)
  write_nginx_hello_conf "$prefix" "127.0.0.1:$port" ""
  nginx -p "$prefix" -c "$prefix/nginx.conf" &
  nginx_pid=$!
  wait_for_port "$port"
  RESULT[nginx_lua]=$(measure "$port" "$nginx_pid")
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$prefix"
else
  echo "nginx with libnginx-mod-http-lua is not installed: OpenResty-style peer skipped"
fi
read -r tinn_rps tinn_cpu <<< "${RESULT[tinn]}"
printf "%-12s %9s %12s   %s\n" "server" "req/s" "CPU µs/req" "tinn vs it: req/s ratio, CPU/request ratio"
for name in hyper tinn node nginx_lua; do
  [ -n "${RESULT[$name]:-}" ] || continue
  read -r rps cpu <<< "${RESULT[$name]}"
  awk -v n="$name" -v r="$rps" -v c="$cpu" -v tr="$tinn_rps" -v tc="$tinn_cpu" 'BEGIN {
    printf "%-12s %9d %12.2f   %s\n", n, r, c, n == "tinn" ? "" : sprintf("%.2fx, %.2fx", tr / r, tc / c) }'
done
echo "targets: req/s >= 1x nginx-lua (one worker), >= 0.7x hyper, >= 2x node;"
echo "         CPU per request <= 1.0x nginx-lua and <= 1.25x hyper"

cores=$(nproc)
echo
echo "== HTTP hello world, workers sharing the port (reuseport): one per core vs one (DESIGN §6: scales with cores) =="
# With 2 cores shared with wrk, req/s cannot double; server CPU per request staying flat as
# workers are added is what shows the server itself scales.
multicore() {
  start_server "$TINN" examples/workers/http-multicore.lua 0 "$1"
  measure "$SERVER_PORT" "$SERVER_PID" "-t2 -c64"
  stop_server
}
read -r one_rps one_cpu <<< "$(multicore 1)"
read -r all_rps all_cpu <<< "$(multicore "$cores")"
awk -v one="$one_rps" -v all="$all_rps" -v c1="$one_cpu" -v cn="$all_cpu" -v n="$cores" 'BEGIN {
  printf "%-26s %10d req/s %8.2f µs CPU/req\n%-26s %10d req/s %8.2f µs CPU/req\n", "tinn, 1 worker", one, c1, "tinn, " n " workers", all, cn
  printf "%d workers / 1 worker: req/s %.2fx (wrk runs on the same %d cores), CPU per request %.2fx\n", n, all / one, n, cn / c1 }'
