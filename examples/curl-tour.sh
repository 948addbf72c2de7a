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
# Needs curl >= 7.76. Resets the cache counters (not the entries), registers then removes a
# temporary member at the master, and writes then deletes one report dated 2030-01-01.
set -euo pipefail

GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
MASTER=${KMT_MASTER:-http://127.0.0.1:8080}
SLAVE=${KMT_SLAVE:-http://127.0.0.1:8081}
TOPIC=${KMT_TOPIC:-stock_a_listing_pool}
API=/kamaitachi/api/data/v1
CLUSTER=/kamaitachi/api/cluster/v1

# Prints a heading, then the answer. Extra arguments go to curl.
call() {
  local title=$1
  shift
  printf '\n== %s\n' "$title"
  curl -sS --fail-with-body --max-time 30 "$@"
  printf '\n'
}

post() {
  local title=$1 url=$2 body=$3
  call "$title" -X POST -H 'content-type: application/json' --data "$body" "$url"
}

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
call "GET $CLUSTER/members" "$MASTER$CLUSTER/members"
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
printf '\n== GET /metrics (request counters)\n'
curl -sS --fail-with-body "$GATEWAY/metrics" | grep -E '^kamaitachi_gateway_(requests|routed_by_subject|upstream_calls|slaves)'

call "GET /monitor/ui.json (the status page's data; the page itself is GET /ui)" "$GATEWAY/monitor/ui.json"

echo
echo "### writes: through the gateway to the master, replicated before the answer"
# A report for 2030-01-01, which no generated file has, upserted, read back, then deleted again.
post "POST /data$API/reports (upsert; wait: replicated)" "$GATEWAY/data$API/reports" \
  "{\"reports\":[{\"subject_key\":\"$first\",\"report_date\":1893456000,\"end_date\":\"2029-12-31\",\"operating_income\":1.5e9}]}"
call "POST /data$API/snapshot reads it back (x-kamaitachi-seq: the seq the answering slave applied)" -D - -X POST \
  -H 'content-type: application/json' --data "{\"ids\":\"operating_income,end_date\",\"subjects\":\"$first\"}" "$GATEWAY/data$API/snapshot"
post "POST /data$API/reports/delete" "$GATEWAY/data$API/reports/delete" "{\"subject_key\":\"$first\",\"report_date\":1893456000}"
call "GET $CLUSTER/changes?since=0&wait=0 (the change feed slaves follow)" "$MASTER$CLUSTER/changes?since=0&wait=0"
printf '\n== a write sent to a slave (421 naming the master expected)\n'
answer=$(curl -sS -w '\n%{http_code}' -X POST --data "{\"reports\":[{\"subject_key\":\"$first\",\"report_date\":1893456000}]}" "$SLAVE$API/reports")
echo "${answer%$'\n'*}"
status=${answer##*$'\n'}
[[ $status == 421 ]] || { echo "expected 421 from a slave, got $status" >&2; exit 1; }

# Errors are envelopes too: a bad id is a 400 naming the id and what is allowed.
printf '\n== an error: unknown id (400 expected)\n'
answer=$(curl -sS -w '\n%{http_code}' -X POST --data "{\"ids\":\"no_such_id\",\"subjects\":\"$first\"}" "$GATEWAY/data$API/snapshot")
echo "${answer%$'\n'*}"
status=${answer##*$'\n'}
[[ $status == 400 ]] || { echo "expected 400 for an unknown id, got $status" >&2; exit 1; }

printf '\ntour done: every endpoint answered\n'
