-- wrk script: cycles through 10 distinct scenario-1 snapshot bodies (docs/design.md, Load scenarios), the
-- hot-set case. Subjects exist in any `kamaitachi gen-data` file (both markets, low codes).
-- Usage: wrk -t1 -c50 -d10s -s bench/wrk/hot-snapshot.lua http://127.0.0.1:8081
local ids = { "operating_income", "parent_holder_net_profit", "total_operating_cost", "net_profit", "operating_profit", "total_profit" }
local subjects = { "33:000001", "33:000002", "33:000003", "33:000004", "33:000005", "17:600000", "17:600001", "17:600002", "17:600003", "17:600004" }
local bodies = {}
for i = 1, 10 do
  local a, b, c = ids[(i % 6) + 1], ids[((i + 2) % 6) + 1], ids[((i + 4) % 6) + 1]
  local s1, s2 = subjects[i], subjects[(i % 10) + 1]
  bodies[i] = string.format('{"ids":"%s,%s,%s","subjects":"%s,%s","field":"report_date","order":-1,"limit":20}', a, b, c, s1, s2)
end
local path = (os.getenv("KMT_PATH") or "") .. "/kamaitachi/api/data/v1/snapshot"
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, bodies[(n % 10) + 1])
end
