#!/usr/bin/env bash
# HTTPS hello world, tinn against nginx with its Lua module (one worker, the same certificate, the
# same settings): HTTPS/1.1 keep-alive (h2load --h1, 64 connections), HTTP/2 (h2load, 16
# connections of 32 streams) and a new TLS connection per request (wrk, connection: close: TLS
# handshakes/s). For each: the server's CPU time per request (utime + stime from /proc/PID/stat
# over the run, divided by the requests served) and requests/s, and the tinn/nginx ratios (CPU per
# request: lower is better). Skips, saying so, what it cannot start.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
TINN=${TINN:-target/release/tinn}
SECONDS_EACH=${SECONDS_EACH:-5}
for tool in h2load wrk nginx openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed (bench/install-peers): TLS benchmark skipped"
    exit 0
  fi
done
if [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ]; then
  echo "libnginx-mod-http-lua is not installed: TLS benchmark skipped"
  exit 0
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
ticks_per_second=$(getconf CLK_TCK)

# Drives https://127.0.0.1:$3/ in mode $2 (h1, h2, handshake) while watching process $1; prints
# "requests/s microseconds-of-server-CPU-per-request".
measure() {
  local pid=$1 mode=$2 url="https://127.0.0.1:$3/" before after report requests rps
  before=$(cpu_ticks "$pid")
  case $mode in
    h1) report=$(h2load --h1 -c 64 -D "$SECONDS_EACH" "$url") ;;
    h2) report=$(h2load -c 16 -m 32 -D "$SECONDS_EACH" "$url") ;;
    handshake) report=$(wrk -t2 -c16 -d"${SECONDS_EACH}s" -H "Connection: close" "$url") ;;
  esac
  after=$(cpu_ticks "$pid")
  if [ "$mode" = handshake ]; then
    requests=$(awk '/requests in/ { print $1 }' <<< "$report")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<< "$report")
  else
    requests=$(awk '/^requests:/ { print $8 }' <<< "$report")
    rps=$(awk '/^finished in/ { print $4 }' <<< "$report")
  fi
  awk -v rps="$rps" -v n="$requests" -v t="$((after - before))" -v hz="$ticks_per_second" \
    'BEGIN { printf "%d %.2f\n", rps, (n > 0 ? t * 1e6 / hz / n : 0) }'
}

declare -A RESULT
run_all() { # $1: name, $2: pid, $3: port
  local mode
  for mode in h1 h2 handshake; do RESULT[$1,$mode]=$(measure "$2" "$mode" "$3"); done
}

start_server "$TINN" bench/tls/hello.lua "$dir/cert.pem" "$dir/key.pem"
run_all tinn "$SERVER_PID" "$SERVER_PORT"
stop_server

port=$(free_port)
write_nginx_hello_conf "$dir" "127.0.0.1:$port ssl http2" "ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;"
nginx -p "$dir" -c "$dir/nginx.conf" &
SERVER_PID=$!
wait_for_port "$port"
run_all nginx "$SERVER_PID" "$port"
stop_server

printf "%-28s %10s %10s %12s %12s %16s\n" "" "tinn req/s" "nginx" "tinn us/req" "nginx us/req" "tinn/nginx CPU"
for mode in h1 h2 handshake; do
  case $mode in
    h1) label="HTTPS/1.1 keep-alive" ;;
    h2) label="HTTP/2 (16 conns x 32)" ;;
    handshake) label="new TLS connection each" ;;
  esac
  read -r tinn_rps tinn_us <<< "${RESULT[tinn,$mode]}"
  read -r nginx_rps nginx_us <<< "${RESULT[nginx,$mode]}"
  awk -v l="$label" -v tr="$tinn_rps" -v nr="$nginx_rps" -v tu="$tinn_us" -v nu="$nginx_us" \
    'BEGIN { printf "%-28s %10d %10d %12.1f %12.1f %15.2fx\n", l, tr, nr, tu, nu, (nu > 0 ? tu / nu : 0) }'
done
echo "(the last row's req/s are TLS handshakes/s; CPU per request: lower is better, ratio > 1: tinn costs more)"
