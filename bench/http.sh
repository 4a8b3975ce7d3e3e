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

# wrk against port $1 while watching process $2: prints "req/s µs-of-server-CPU-per-request".
measure() {
  local before after report
  before=$(cpu_ticks "$2")
  report=$(wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$1/")
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
wrk_rps() {
  wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ { print int($2) }'
}
multicore() {
  start_server "$TINN" examples/workers/http-multicore.lua 0 "$1"; wrk_rps "$SERVER_PORT"; stop_server
}
one_rps=$(multicore 1)
all_rps=$(multicore "$cores")
awk -v one="$one_rps" -v all="$all_rps" -v n="$cores" 'BEGIN {
  printf "%-26s %10d\n%-26s %10d\n%d workers / 1 worker = %.2fx (wrk runs on the same %d cores)\n",
    "tinn, 1 worker", one, "tinn, " n " workers", all, n, all / one, n }'
