#!/usr/bin/env bash
# Random-query soak of one slave: does its RSS stay within the cache budget? Starts a slave on
# 127.0.0.1 with a 32 MiB cache and no snapshot, drives it with all-miss scenario-1 requests
# (bench/wrk/miss-snapshot.lua, 20 connections) and prints RSS and the cache's entries, bytes
# and evictions every 10 s; stops the slave by PID at the end. wrk and the slave share the cores.
#
# Usage: bench/soak-rss.sh <gen-data file with 5,000 stocks> [seconds=180] [port=18191] [cache bytes=33554432]
# Goal: RSS at the end <= RSS right after start-up + cache bytes + 48 MiB.
set -euo pipefail
DB=${1:?usage: bench/soak-rss.sh <db> [seconds] [port] [cache bytes]}
SECONDS_TOTAL=${2:-180}
PORT=${3:-18191}
BUDGET=${4:-33554432}
cd "$(dirname "$0")/.."
[ -f dist/kamaitachi.mjs ] || node build.mjs
node dist/kamaitachi.mjs slave --db "$DB" --port "$PORT" --cache-bytes "$BUDGET" --snapshot none --log-level warn &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$PID/status"; }
cache() { curl -s "http://127.0.0.1:$PORT/kamaitachi/api/data/v1/stats" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const c=JSON.parse(s).data.cache;console.log(`entries ${c.entries} bytes ${c.bytes} evictions ${c.evictions}`)})'; }
START=$(rss)
echo "start: rss ${START} MB, budget $((BUDGET / 1048576)) MiB, goal <= $((START + BUDGET / 1048576 + 48)) MB"
wrk -t1 -c20 -d"${SECONDS_TOTAL}s" -s bench/wrk/miss-snapshot.lua "http://127.0.0.1:$PORT" > /tmp/kmt-soak-wrk.$$ 2>&1 &
WRK=$!
for i in $(seq 1 $((SECONDS_TOTAL / 10))); do
  sleep 10
  echo "t=$((i * 10))s rss $(rss) MB $(cache)"
done
wait $WRK || true
grep -E "Requests/sec|requests in" /tmp/kmt-soak-wrk.$$ || true
rm -f /tmp/kmt-soak-wrk.$$
