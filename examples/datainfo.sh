#!/usr/bin/env bash
# The DataInfo time-series API (docs/api.md, "DataInfo time series") with curl, through the
# gateway and directly on a slave: save, get, search, merge, replace, delete. Any answer that is
# not 2xx stops it with a non-zero exit (curl --fail-with-body prints the error envelope), except
# the two errors it shows on purpose.
#
#   npm start                       # in another terminal: master, 2 slaves, gateway
#   bash examples/datainfo.sh
#   KMT_GATEWAY=http://127.0.0.1:9100 KMT_SLAVE=http://127.0.0.1:8181 bash examples/datainfo.sh
#
# KMT_TOKEN: the cluster's bearer token when it was started with --token (saves and deletes need
# it then; without a token they are taken from loopback clients only).
#
# Needs curl >= 7.76. Uses entity ids starting with "example:" in tables 1 and 3 and deletes them
# at the end.
set -euo pipefail

GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
SLAVE=${KMT_SLAVE:-http://127.0.0.1:8081}
DI=/data/v1
# AUTH, call and post.
source "$(dirname "${BASH_SOURCE[0]}")/curl-helpers.sh"

# Writes go to the master through the gateway; ?wait=replicated (the default) answers once every
# slave has them, so the reads below, on any node, see them.
post "POST /data$DI/save?id=1 (table 1 stock_data, 4 values a point)" "$GATEWAY/data$DI/save?id=1" \
  '{"id":"example:000001","data":{"1703980800":[10.5,11.2,10.1,11.0],"1704067200":[11.0,11.8,10.9,11.6]}}'
post "POST /data$DI/save?id=1 (a second entity)" "$GATEWAY/data$DI/save?id=1&wait=replicated" \
  '{"id":"example:000002","data":{"1703980800":[20.1,20.5,19.8,20.0]}}'
call "GET /data$DI/get/example:000001?tableId=1 (through the gateway)" "$GATEWAY/data$DI/get/example:000001?tableId=1"
call "GET $DI/get/example:000001?tableId=1 (directly on a slave)" -i "$SLAVE$DI/get/example:000001?tableId=1"

# Points merge by timestamp: 1704067200 is replaced, 1704153600 added.
post "POST /data$DI/save?id=1 (merge)" "$GATEWAY/data$DI/save?id=1" \
  '{"id":"example:000001","data":{"1704067200":[11.0,12.0,10.9,11.9],"1704153600":[11.9,12.4,11.7,12.2]}}'
call "GET /data$DI/get/example:000001?tableId=1 (three points)" "$GATEWAY/data$DI/get/example:000001?tableId=1"

# example:000002 has no point from 2024-01-01 on: it is not matched (count 1).
post "POST /data$DI/search (both entities, from 2024-01-01, first page of 1)" "$GATEWAY/data$DI/search" \
  '{"tableId":1,"subjectIds":["example:000001","example:000002"],"startTime":1704067200,"endTime":0,"limit":1,"offset":0}'

# Table 3 (indicator_data) holds 8 values a point; "replace": true drops the points not sent.
post "POST /data$DI/save?id=3 (table 3, 8 values)" "$GATEWAY/data$DI/save?id=3" \
  '{"id":"example:000001","data":{"1703980800":[1,2,3,4,5,6,7,8],"1704067200":[2,3,4,5,6,7,8,9]}}'
post "POST /data$DI/save?id=3 (replace)" "$GATEWAY/data$DI/save?id=3" \
  '{"id":"example:000001","data":{"1704153600":[9,8,7,6,5,4,3,2]},"replace":true}'
call "GET /data$DI/get/example:000001?tableId=3 (one point left)" "$GATEWAY/data$DI/get/example:000001?tableId=3"

# Errors are envelopes too: a point with the wrong number of values is a 400 naming it.
printf '\n== an error: 3 values in table 1 (400 expected)\n'
answer=$(curl -sS -w '\n%{http_code}' -X POST ${AUTH[@]+"${AUTH[@]}"} --data '{"id":"example:000001","data":{"1704153600":[1,2,3]}}' "$GATEWAY/data$DI/save?id=1")
echo "${answer%$'\n'*}"
[[ ${answer##*$'\n'} == 400 ]] || { echo "expected 400, got ${answer##*$'\n'}" >&2; exit 1; }

for t in 1 3; do
  call "DELETE /data$DI/delete/example:000001?tableId=$t" -X DELETE ${AUTH[@]+"${AUTH[@]}"} "$GATEWAY/data$DI/delete/example:000001?tableId=$t"
done
call "DELETE /data$DI/delete/example:000002?tableId=1" -X DELETE ${AUTH[@]+"${AUTH[@]}"} "$GATEWAY/data$DI/delete/example:000002?tableId=1"

printf '\n== an error: get after delete (404 expected)\n'
answer=$(curl -sS -w '\n%{http_code}' "$GATEWAY/data$DI/get/example:000001?tableId=1")
echo "${answer%$'\n'*}"
[[ ${answer##*$'\n'} == 404 ]] || { echo "expected 404, got ${answer##*$'\n'}" >&2; exit 1; }

printf '\ndatainfo done: every endpoint answered\n'
