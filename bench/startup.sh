#!/usr/bin/env bash
# Start-up (DESIGN §6: `tinn -e ''` < 10 ms): median wall time of an empty script, next to bare
# LuaJIT's as the floor, both measured by hyperfine in this run (no shell between it and the program).
set -euo pipefail
TINN=${TINN:-target/release/tinn}
if ! command -v hyperfine >/dev/null; then
  echo "hyperfine is not installed: start-up benchmark skipped"
  exit 0
fi
median_ms() {
  local json
  json=$(mktemp)
  hyperfine -N --warmup 10 --runs 200 --export-json "$json" "$@" >/dev/null 2>&1
  python3 -c 'import json, sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$json"
  rm -f "$json"
}
tinn_ms=$(median_ms "$TINN -e ''")
if command -v luajit >/dev/null; then
  luajit_ms=$(median_ms "luajit -e ''")
  awk -v a="$tinn_ms" -v b="$luajit_ms" 'BEGIN { printf "tinn -e %s: median %.2f ms (target < 10 ms)   luajit -e %s: %.2f ms   tinn/luajit %.1fx\n", "\047\047", a, "\047\047", b, a / b }'
else
  echo "tinn -e '': median $tinn_ms ms (target < 10 ms); luajit is not installed: no floor measured"
fi
