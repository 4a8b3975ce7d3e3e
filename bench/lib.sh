# Helpers shared by the benchmark scripts (sourced, not run).

# Starts a server command in the background and reads the port from the first line it prints,
# a bare port or a URL ending in :PORT (SERVER_PID, SERVER_PORT); stop_server ends it.
start_server() {
  local fifo
  fifo=$(mktemp -u) && mkfifo "$fifo"
  "$@" > "$fifo" &
  SERVER_PID=$!
  read -r SERVER_PORT < "$fifo" || SERVER_PORT=""
  SERVER_PORT=${SERVER_PORT##*:}
  rm -f "$fifo"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# A TCP port nothing listens on now, for peers that cannot print the one they got.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CPU time process $1 has used so far (all its threads, user + system), in clock ticks.
cpu_ticks() {
  # the command name (field 2) may hold spaces; utime and stime are fields 14 and 15
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Writes $1/nginx.conf: nginx + its lua module answering "Hello, World!", one process
# (master_process off: the one that serves is the one measured), listening as `listen $2;` says
# (e.g. "127.0.0.1:8080 ssl http2"), with the server-block directives in $3.
write_nginx_hello_conf() {
  cat > "$1/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off;
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1;
  keepalive_requests 100000000;
  server {
    listen $2;
    $3
    location / { content_by_lua_block { ngx.print("Hello, World!") } }
  }
}
NGINX
}

# Waits (up to 5 s) until something accepts connections on 127.0.0.1:$1.
wait_for_port() {
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    sleep 0.1
  done
}
