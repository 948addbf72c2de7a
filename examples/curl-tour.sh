#!/usr/bin/env bash
# A curl of every kamaitachi endpoint: a data node, the master's registry and the gateway.
# Any answer that is not 2xx stops the tour with a non-zero exit (curl --fail-with-body, so the
# error envelope is still printed). The API is described in docs/api.md.
#
#   npm start                       # in another terminal: master, 2 slaves, gateway
#   bash examples/curl-tour.sh
#   KMT_GATEWAY=http://127.0.0.1:9100 KMT_MASTER=... KMT_SLAVE=... bash examples/curl-tour.sh
#
# KMT_TOPIC picks the topic of the whole-pool query (default stock_a_listing_pool).
#
# KMT_TOKEN: the cluster's bearer token when it was started with --token (writes and cluster
# endpoints need it then; without a token they are taken from loopback clients only).
#
# Needs curl >= 7.76. Resets the cache counters (not the entries), registers, then removes, a
# temporary member at the master, writes one report dated 2100-01-01 and deletes it again, and
# forces a checkpoint; the data served is the same afterwards.
set -euo pipefail

GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
MASTER=${KMT_MASTER:-http://127.0.0.1:8080}
SLAVE=${KMT_SLAVE:-http://127.0.0.1:8081}
TOPIC=${KMT_TOPIC:-stock_a_listing_pool}
API=/kamaitachi/api/data/v1
CLUSTER=/kamaitachi/api/cluster/v1
# AUTH, call and post.
source "$(dirname "${BASH_SOURCE[0]}")/curl-helpers.sh"

# Two real subjects to ask about, whatever database the cluster serves. Both indicators used
# below exist in every file kamaitachi serves (the original schema and gen-data's).
subjects=$(curl -sS --fail-with-body "$SLAVE$API/subjects?limit=2" | sed -e 's/.*"subjects":\[//' -e 's/\].*//' -e 's/"//g')
first=${subjects%%,*}
[[ -n $first ]] || { echo "no subjects at $SLAVE" >&2; exit 1; }
echo "tour with subjects $subjects, topic $TOPIC"

echo
echo "### data node $SLAVE"
post "POST $API/snapshot (subjects)" "$SLAVE$API/snapshot" \
  "{\"ids\":\"operating_income,parent_holder_net_profit\",\"subjects\":\"$subjects\",\"field\":\"operating_income\",\"order\":-1,\"limit\":10}"
post "POST $API/snapshot (topic, as of 2023-09-30)" "$SLAVE$API/snapshot" \
  "{\"ids\":\"operating_income,end_date\",\"topic\":\"$TOPIC\",\"field\":\"operating_income\",\"limit\":3,\"timestamp\":1696032000}"
post "POST $API/snapshot (topic, as known on 2024-04-01)" "$SLAVE$API/snapshot" \
  "{\"ids\":\"roe,end_date,declare_date\",\"topic\":\"$TOPIC\",\"field\":\"roe\",\"limit\":3,\"known_at\":1711929600}"
post "POST $API/period" "$SLAVE$API/period" \
  "{\"ids\":\"operating_income,parent_holder_net_profit\",\"subjects\":\"$first\",\"from\":1672531200,\"to\":1704067199}"
call "GET $API/stats" "$SLAVE$API/stats"
post "POST $API/cache/reset" "$SLAVE$API/cache/reset" '{}'
call "GET $API/subjects" "$SLAVE$API/subjects?offset=0&limit=5&topic=$TOPIC"
call "GET /health" "$SLAVE/health"
printf '\n== GET /metrics (cache lines)\n'
curl -sS --fail-with-body "$SLAVE/metrics" | grep '^kamaitachi_cache'

echo
echo "### master registry $MASTER"
call "GET $CLUSTER/members" "$MASTER$CLUSTER/members" ${AUTH[@]+"${AUTH[@]}"}
# A member named curl-tour-<pid> at the slave's own address: while it is listed, whatever the
# gateway routes to it reaches a real slave. It is deregistered even when the tour fails.
member="curl-tour-$$"
deregister() { curl -sS -X POST --data "{\"id\":\"$member\"}" "$MASTER$CLUSTER/deregister" >/dev/null || true; }
trap deregister EXIT
post "POST $CLUSTER/register" "$MASTER$CLUSTER/register" "{\"id\":\"$member\",\"addr\":\"$SLAVE\",\"ttl\":5}"
post "POST $CLUSTER/heartbeat" "$MASTER$CLUSTER/heartbeat" "{\"id\":\"$member\"}"
post "POST $CLUSTER/deregister" "$MASTER$CLUSTER/deregister" "{\"id\":\"$member\"}"
version=$(curl -sS --fail-with-body "$MASTER$CLUSTER/members" | grep -o '"version":[0-9]*' | cut -d: -f2)
call "GET $CLUSTER/members?after=$version&wait=300 (held 300 ms: nothing changes)" "$MASTER$CLUSTER/members?after=$version&wait=300"

echo
echo "### writes and replication (master $MASTER, through the gateway)"
# A report far in the future, so no query of the tour sees it; deleted again below.
written=$(curl -sS --fail-with-body -X POST ${AUTH[@]+"${AUTH[@]}"} --data "{\"reports\":[{\"subject_key\":\"$first\",\"report_date\":4102444800,\"operating_income\":1}]}" "$GATEWAY/data$API/reports")
printf '\n== POST /data%s/reports (to the master; answers once the slaves have it)\n%s\n' "$API" "$written"
seq=$(echo "$written" | grep -o '"seq":[0-9]*' | cut -d: -f2)
call "GET $CLUSTER/changes?since=$((seq - 1)) (the record just written)" "$MASTER$CLUSTER/changes?since=$((seq - 1))&wait=0" ${AUTH[@]+"${AUTH[@]}"}
post "POST /data$API/reports/delete" "$GATEWAY/data$API/reports/delete" "{\"subject_key\":\"$first\",\"report_date\":4102444800}"
post "POST $CLUSTER/checkpoint" "$MASTER$CLUSTER/checkpoint" '{}'
printf '\n== GET %s/dump (headers; the file itself is discarded)\n' "$CLUSTER"
curl -sS --fail-with-body --max-time 30 ${AUTH[@]+"${AUTH[@]}"} -D - -o /dev/null "$MASTER$CLUSTER/dump" | grep -i '^x-kamaitachi'
printf '\n== a write sent to a slave (421 naming the master expected)\n'
answer=$(curl -sS -w '\n%{http_code}' -X POST ${AUTH[@]+"${AUTH[@]}"} --data "{\"reports\":[{\"subject_key\":\"$first\",\"report_date\":4102444800}]}" "$SLAVE$API/reports")
echo "${answer%$'\n'*}"
status=${answer##*$'\n'}
[[ $status == 421 ]] || { echo "expected 421 from a slave, got $status" >&2; exit 1; }

echo
echo "### gateway $GATEWAY"
post "POST /data$API/snapshot (routed to the owner of $first)" "$GATEWAY/data$API/snapshot" \
  "{\"ids\":\"operating_income\",\"subjects\":\"$subjects\",\"limit\":5}"
post "POST /data$API/period" "$GATEWAY/data$API/period" \
  "{\"ids\":\"parent_holder_net_profit\",\"subjects\":[\"$first\"],\"from\":1672531200,\"to\":1704067199}"
call "GET /data$API/subjects (any slave)" "$GATEWAY/data$API/subjects?limit=3"
call "GET $API/stats (every slave, summed)" "$GATEWAY$API/stats"
post "POST $API/cache/reset (sent to every slave)" "$GATEWAY$API/cache/reset" '{}'
call "GET /health" "$GATEWAY/health"
call "GET /monitor/status" "$GATEWAY/monitor/status"
call "GET /monitor/circuitbreaker" "$GATEWAY/monitor/circuitbreaker"
printf '\n== GET /monitor/ui.json (the status page data, first 300 bytes)\n'
ui=$(curl -sS --fail-with-body "$GATEWAY/monitor/ui.json")
echo "${ui:0:300}"
printf '\n\n== GET /ui (the status page, its title)\n'
page=$(curl -sS --fail-with-body "$GATEWAY/ui")
grep -m1 -o '<title>[^<]*</title>' <<<"$page"
printf '\n== GET /metrics (request counters)\n'
curl -sS --fail-with-body "$GATEWAY/metrics" | grep -E '^kamaitachi_gateway_(requests|routed_by_subject|upstream_calls|slaves)'

# Errors are envelopes too: a bad id is a 400 naming the id and what is allowed.
printf '\n== an error: unknown id (400 expected)\n'
answer=$(curl -sS -w '\n%{http_code}' -X POST --data "{\"ids\":\"no_such_id\",\"subjects\":\"$first\"}" "$GATEWAY/data$API/snapshot")
echo "${answer%$'\n'*}"
status=${answer##*$'\n'}
[[ $status == 400 ]] || { echo "expected 400 for an unknown id, got $status" >&2; exit 1; }

printf '\ntour done: every endpoint answered\n'
