#!/usr/bin/env bash
# Cold start to serving and idle memory of the release server on an existing demo database.
#   cargo build --release && scripts/bench-startup.sh
set -euo pipefail
bin=${JICENG_BIN:-target/release/jiceng}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/demo.db?mode=rwc"
port=${PORT:-18765}

# Seed the demo county once, then stop.
"$bin" demo --database "$db" --password bench-password-1 --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
until curl -sf "127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
sleep 1
echo "demo idle RSS: $(ps -o rss= -p $pid | tr -d ' ') KiB"
kill $pid; wait $pid 2>/dev/null || true

for i in 1 2 3; do
  start=$(date +%s%N)
  "$bin" serve --database "$db" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "127.0.0.1:$port/healthz" >/dev/null; do sleep 0.002; done
  end=$(date +%s%N)
  echo "run $i: cold start to serving $(( (end - start) / 1000000 )) ms"
  kill $pid; wait $pid 2>/dev/null || true
done
