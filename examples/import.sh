#!/usr/bin/env bash
# Imports sample reports into the cluster of `npm start`, then reads one subject back through the
# gateway. KMT_GATEWAY (default http://127.0.0.1:9000) and KMT_TOKEN (when the cluster has one).
set -euo pipefail
KMT=${KMT:-node dist/kamaitachi.mjs}
GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# 50 companies, 2024 only, as CSV, NDJSON and a SQL dump: the same rows each time.
for f in csv ndjson sql; do
  $KMT gen-data --stocks 50 --start-year 2024 --end-year 2024 --seed 9 --format "$f" --out "$dir/reports.$f"
done
head -2 "$dir/reports.csv"

# Online, through the gateway: each batch acknowledged once every slave has it.
$KMT import --from "$dir/reports.csv" --to "$GATEWAY" --wait replicated --batch 100
# Again, from the dump: upserts to the values the rows already have.
$KMT import --from "$dir/reports.sql" --to "$GATEWAY" --wait replicated

curl -s -XPOST "$GATEWAY/data/kamaitachi/api/data/v1/period" \
  -d '{"ids":"operating_income,roe","subjects":"33:000001","from":1704067200,"to":1735689599}'
echo

# Offline, into a new file a node can then serve.
$KMT import --from "$dir/reports.ndjson" --db "$dir/imported.db"
