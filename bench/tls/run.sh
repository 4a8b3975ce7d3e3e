#!/usr/bin/env bash
# HTTPS hello world, tinn against nginx with its Lua module (one worker, the same certificate, the
# same settings): HTTPS/1.1 keep-alive (h2load --h1, 64 connections), HTTP/2 (h2load, 16
# connections of 32 streams) and a new TLS connection per request (wrk, connection: close: TLS
# handshakes/s). For each: the server's CPU time per request (utime + stime from /proc/PID/stat
# over the run, divided by the requests served) and requests/s, and the tinn/nginx ratios (CPU per
# request: lower is better). Skips, saying so, what it cannot start.
set -euo pipefail
cd "$(dirname "$0")/../.."
TINN=${TINN:-target/release/tinn}
SECONDS_EACH=${SECONDS_EACH:-5}
NGINX_LUA=/usr/lib/nginx/modules/ngx_http_lua_module.so
for tool in h2load wrk nginx openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed (bench/install-peers): TLS benchmark skipped"
    exit 0
  fi
done
if [ ! -f "$NGINX_LUA" ]; then
  echo "libnginx-mod-http-lua is not installed: TLS benchmark skipped"
  exit 0
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
ticks_per_second=$(getconf CLK_TCK)

# CPU time process $1 has used so far, in clock ticks (its name has no spaces: fields 14 and 15)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

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

"$TINN" bench/tls/hello.lua "$dir/cert.pem" "$dir/key.pem" > "$dir/tinn.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/tinn.port" ] && break; sleep 0.1; done
run_all tinn "${pids[0]}" "$(head -1 "$dir/tinn.port")"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module $NGINX_LUA;
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    location / { content_by_lua_block { ngx.print("Hello, World!") } }
  }
}
NGINX
nginx -p "$dir" -c "$dir/nginx.conf" &
pids+=($!)
worker=""
for _ in $(seq 50); do worker=$(pgrep -P "${pids[1]}" || true); [ -n "$worker" ] && break; sleep 0.1; done
sleep 0.3
run_all nginx "$worker" "$port"

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
