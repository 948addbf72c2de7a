#!/usr/bin/env bash
# A slave stopped (SIGTERM) under load with a full cache: do requests in flight fail, and how big
# is its cache snapshot and how long does saving it take? Starts `cluster up` (master, 2 slaves,
# gateway; default 256 MiB cache per slave) on free loopback ports, fills slave 1's cache with
# random queries sent to it directly, then runs hot scenario-1 load through the gateway (wrk,
# 50 connections) and sends SIGTERM to slave 1 in the middle of it. Prints wrk's totals (non-2xx
# and socket errors are the failures) and slave 1's snapshot_saved log line. Everything is
# stopped by PID at the end; wrk and the cluster share the cores.
#
# Usage: bench/shutdown-under-load.sh <gen-data file> [fill seconds=60] [load seconds=20]
set -euo pipefail
DB=${1:?usage: bench/shutdown-under-load.sh <db> [fill seconds] [load seconds]}
FILL=${2:-60}
LOAD=${3:-20}
cd "$(dirname "$0")/.."
[ -f dist/kamaitachi.mjs ] || node build.mjs
DIR=$(mktemp -d /tmp/kmt-shutdown-XXXXXX)
OUT="$DIR/cluster.out"
node dist/kamaitachi.mjs cluster up --db "$DB" --data-dir "$DIR" --master-port 0 --slave-base-port 0 --gateway-port 0 > "$OUT" 2>&1 &
SUP=$!
cleanup() { kill "$SUP" 2>/dev/null || true; wait "$SUP" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 600); do grep -q '^READY ' "$OUT" && break; sleep 0.2; done
READY=$(grep '^READY ' "$OUT" | sed 's/^READY //')
GW=$(node -e 'console.log(JSON.parse(process.argv[1]).gateway)' "$READY")
S1=$(node -e 'console.log(JSON.parse(process.argv[1]).slaves[0])' "$READY")
S1PID=$(grep -E '^  slave1 ' "$OUT" | sed -E 's/.*\(pid ([0-9]+)\).*/\1/')
echo "gateway $GW, slave1 $S1 (pid $S1PID); filling its cache for ${FILL}s"
wrk -t1 -c20 -d"${FILL}s" -s bench/wrk/miss-snapshot.lua "$S1" > /dev/null 2>&1 || true
curl -s "$S1/kamaitachi/api/data/v1/stats" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const c=JSON.parse(s).data.cache;console.log(`slave1 cache: ${c.entries} entries, ${(c.bytes/1048576).toFixed(1)} MiB of ${(c.max_bytes/1048576).toFixed(0)} MiB`)})'
echo "hot load through the gateway for ${LOAD}s; SIGTERM to slave1 after $((LOAD / 3))s"
KMT_PATH=/data wrk -t1 -c50 -d"${LOAD}s" --latency -s bench/wrk/hot-snapshot.lua "$GW" > "$DIR/wrk.out" 2>&1 &
WRK=$!
sleep $((LOAD / 3))
kill -TERM "$S1PID"
wait "$WRK" || true
grep -E "requests in|Non-2xx|Socket errors|Requests/sec|99%" "$DIR/wrk.out" || true
for _ in $(seq 1 300); do kill -0 "$S1PID" 2>/dev/null || break; sleep 0.2; done
grep -h '"snapshot_saved"\|"stopped"\|shutdown took' "$DIR"/logs/slave1*.log | tail -3 || true
