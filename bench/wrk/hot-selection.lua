-- wrk script: cycles through 10 distinct selection snapshot bodies (concept and industry keywords
-- of any `kamaitachi gen-data` file over the main pool), the hot-set case for selections.
-- Usage: wrk -t1 -c50 -d10s -s bench/wrk/hot-selection.lua http://127.0.0.1:8081
local selections = {
  '{"id":"concept","topic":"stock_a_listing_pool","keyword":"人工智能"}',
  '{"id":"concept","topic":"stock_a_listing_pool","keyword":"新能源汽车"}',
  '{"id":"concept","topic":"stock_a_listing_pool","keyword":"芯片"}',
  '{"id":"concept","topic":"stock_a_listing_pool","keyword":"互联网金融"}',
  '{"id":"concept","topic":"stock_a_listing_pool","keyword":"光伏"}',
  '{"id":"industry","topic":"stock_a_listing_pool","keyword":"银行"}',
  '{"id":"industry","topic":"stock_a_listing_pool","keyword":"白酒"}',
  '{"id":"industry","topic":"stock_a_listing_pool","keyword":"半导体"}',
  '{"id":"industry","topic":"stock_a_listing_pool"}',
  '{"id":"concept","topic":"stock_a_gem","keyword":"锂电池"}',
}
local bodies = {}
for i = 1, 10 do
  bodies[i] = string.format('{"selection":%s,"ids":"operating_income,net_profit,roe","field":"operating_income","order":-1,"limit":20}', selections[i])
end
local path = (os.getenv("KMT_PATH") or "") .. "/kamaitachi/api/selection/v1/snapshot"
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, bodies[(n % 10) + 1])
end
