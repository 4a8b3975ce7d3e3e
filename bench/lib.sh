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
