#!/usr/bin/env bash
# Stock screening through the gateway (docs/api.md, "Selection"): rankings of a topic's subjects
# picked by a concept, an industry or the stock name, a ranking per report date, then a tag
# written on the master and seen by the next selection at once. Any answer that is not 2xx
# stops it with a non-zero exit (except the one bad request it makes on purpose).
#
#   npm start                          # in another terminal: master, 2 slaves, gateway
#   bash examples/selection.sh
#
# KMT_GATEWAY (default http://127.0.0.1:9000), KMT_TOKEN (when the cluster has one). Needs curl
# >= 7.76. The tag it writes is removed again at the end: the data is the same afterwards.
set -euo pipefail

GATEWAY=${KMT_GATEWAY:-http://127.0.0.1:9000}
SELECTION=$GATEWAY/data/kamaitachi/api/selection/v1
API=$GATEWAY/data/kamaitachi/api/data/v1
POOL=stock_a_listing_pool
# AUTH and post.
source "$(dirname "${BASH_SOURCE[0]}")/curl-helpers.sh"

post "concept 人工智能, top 3 by revenue" "$SELECTION/snapshot" \
  '{"selection":{"id":"concept","topic":"'$POOL'","keyword":"人工智能"},"ids":"operating_income,net_profit","limit":3}'
post "industry containing 电 (电子, 电力设备, 家用电器), as of 2022-12-31, smallest net profit first" "$SELECTION/snapshot" \
  '{"selection":{"id":"industry","topic":"'$POOL'","keyword":"电"},"ids":"net_profit,end_date","field":"net_profit","order":"asc","timestamp":1672444800,"limit":3}'
post "every subject with an industry, as known on 2023-04-01 (point in time)" "$SELECTION/snapshot" \
  '{"selection":{"id":"industry","topic":"'$POOL'"},"ids":"operating_income,end_date","known_at":1680307200,"limit":3}'
post "names containing 'Corp 0000', page 2" "$SELECTION/snapshot" \
  '{"selection":{"id":"name","topic":"'$POOL'","keyword":"Corp 0000"},"ids":"operating_income","offset":3,"limit":3}'
post "concepts containing 能 (新能源汽车, 人工智能, 储能, ...): the top 2 at every report date of 2023" "$SELECTION/period" \
  '{"selection":{"id":"concept","topic":"'$POOL'","keyword":"能"},"ids":"operating_income","from":1672531200,"to":1704067199,"limit":2}'

subject=$(curl -sS --fail-with-body "$API/subjects?topic=$POOL&limit=1" | sed -E 's/.*"subjects":\["([^"]+)".*/\1/')
post "tag $subject with the concept 示例概念 (on the master; answered once the slaves have it)" "$API/tags" \
  '{"tags":[{"subject_key":"'"$subject"'","kind":"concept","value":"示例概念"}]}'
post "concept 示例概念: $subject, at once" "$SELECTION/snapshot" \
  '{"selection":{"id":"concept","topic":"'$POOL'","keyword":"示例概念"},"ids":"operating_income"}'
post "remove the tag again" "$API/tags" \
  '{"tags":[{"subject_key":"'"$subject"'","kind":"concept","value":"示例概念","remove":true}]}'
post "concept 示例概念: nobody now" "$SELECTION/snapshot" \
  '{"selection":{"id":"concept","topic":"'$POOL'","keyword":"示例概念"},"ids":"operating_income"}'

printf '\n== a kind no subject has: 400 naming selection.id and the kinds known\n'
curl -sS --max-time 30 -X POST -H 'content-type: application/json' --data \
  '{"selection":{"id":"sector","topic":"'$POOL'"},"ids":"operating_income"}' "$SELECTION/snapshot"
printf '\n\nselection done\n'
