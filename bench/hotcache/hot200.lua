-- wrk script: cycles through 200 distinct scenario-1 snapshot bodies (docs/design.md, Load
-- scenarios), the hot set of the gateway hot cache yardstick (bench/hotcache/compare.mjs).
-- Subjects are low codes of both markets, present in any `kamaitachi gen-data` file of 200+ stocks.
-- Usage: KMT_PATH=/data wrk -t1 -c50 -d8s -s bench/hotcache/hot200.lua http://127.0.0.1:9000
local ids = { "operating_income", "parent_holder_net_profit", "total_operating_cost", "net_profit", "operating_profit", "total_profit" }
local bodies = {}
for i = 1, 200 do
  local a, b, c = ids[(i % 6) + 1], ids[((i + 2) % 6) + 1], ids[((i + 4) % 6) + 1]
  local s1 = string.format("33:%06d", (i % 100) + 1)
  local s2 = string.format("17:%06d", 600000 + ((i * 7) % 100))
  bodies[i] = string.format('{"ids":"%s,%s,%s","subjects":"%s,%s","field":"report_date","order":-1,"limit":20}', a, b, c, s1, s2)
end
local path = (os.getenv("KMT_PATH") or "") .. "/kamaitachi/api/data/v1/snapshot"
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, bodies[(n % 200) + 1])
end
