#!/usr/bin/env bash
# Point-in-time reads across writes (docs/api.md, "Versions: known_at after writes"): a report is
# written, restated twice and deleted through the gateway, then read with `known_at` at a moment
# after each step. Each read answers what was known then: the restated numbers only from their
# restatement on, the deleted report until its delete. Exits non-zero when an answer differs.
#
#   npm start                          # in another terminal: master, 2 slaves, gateway
#   bash examples/point-in-time.sh
#   KMT_GATEWAY=http://127.0.0.1:9100 bash examples/point-in-time.sh
#
# KMT_TOKEN: the cluster's bearer token when it was started with --token. Needs curl and node.
# The report it writes (dated 2099-12-31) is deleted again: reads without known_at answer as
# before; the versions stay for known_at reads of those moments.
set -euo pipefail

GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
API=/kamaitachi/api/data/v1
AUTH=()
[[ -n ${KMT_TOKEN:-} ]] && AUTH=(-H "authorization: Bearer $KMT_TOKEN")
DATE=4102358400 # 2099-12-31, after every real report: the subject's newest

post() {
  curl -sS --fail-with-body --max-time 30 -X POST -H 'content-type: application/json' ${AUTH[@]+"${AUTH[@]}"} --data "$2" "$GATEWAY/data$API/$1"
}

# Prints a JavaScript expression over the JSON on stdin (`d` is the parsed answer).
pick() {
  node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => console.log(String(new Function("d", "return " + process.argv[1])(JSON.parse(s)))))' "$1"
}

# The moment after the last answer: waits for the clock's next second, so the next write is later.
moment() {
  local s
  s=$(date +%s)
  while [[ $(date +%s) -le $s ]]; do sleep 0.02; done
  date +%s
}

subject=$(curl -sS --fail-with-body --max-time 30 "$GATEWAY/data$API/subjects?limit=1" | pick 'd.data.subjects[0]')
echo "subject $subject, report dated 2099-12-31 (report_date $DATE)"

write() {
  printf '%-34s' "$1"
  post reports "{\"reports\":[{\"subject_key\":\"$subject\",\"report_date\":$DATE,\"declare_date\":\"2025-01-01\",\"net_profit\":$2}]}" | pick '`seq ${d.data.seq}, inserted ${d.data.inserted}, updated ${d.data.updated}`'
}

write 'write net_profit 100:' 100
k1=$(moment)
write 'restate it to 150:' 150
k2=$(moment)
write 'restate it to 175:' 175
k3=$(moment)
printf '%-34s' 'delete it:'
post reports/delete "{\"subject_key\":\"$subject\",\"report_date\":$DATE}" | pick '`seq ${d.data.seq}, deleted ${d.data.deleted}`'
k4=$(moment)

failed=0
# The newest report known at $1 (snapshot) and the 2099 report in a period read at $1.
check() {
  local k=$1 want=$2 what=$3 snap period
  snap=$(post snapshot "{\"ids\":\"report_date,net_profit\",\"subjects\":\"$subject\",\"known_at\":$k}" |
    pick "(r => !r ? 'none' : r.data.report_date === $DATE ? r.data.net_profit : 'deleted')(d.data[0])")
  period=$(post period "{\"ids\":\"net_profit\",\"subjects\":\"$subject\",\"from\":$DATE,\"to\":$DATE,\"known_at\":$k}" |
    pick "d.data.length === 0 ? 'deleted' : d.data[0].data[0].net_profit")
  echo "known_at $k ($what): snapshot $snap, period $period"
  if [[ $snap != "$want" || $period != "$want" ]]; then
    echo "  expected $want" >&2
    failed=1
  fi
}

echo
check "$k1" 100 'after the first write'
check "$k2" 150 'after the first restatement'
check "$k3" 175 'after the second restatement'
check "$k4" deleted 'after the delete'
exit $failed
