-- wrk script: scenario-1 shaped snapshot requests (docs/design.md, Load scenarios) with random subjects and
-- ids on every request, the all-miss case. Subject codes are drawn from the layout of a
-- `kamaitachi gen-data --stocks 5000` file (Shenzhen 000001.., Shanghai 600000..).
-- Usage: wrk -t1 -c50 -d10s -s bench/wrk/miss-snapshot.lua http://127.0.0.1:8081
local ids = { "operating_income", "parent_holder_net_profit", "total_operating_cost", "net_profit", "operating_profit", "total_profit" }
local path = (os.getenv("KMT_PATH") or "") .. "/kamaitachi/api/data/v1/snapshot"
math.randomseed(42)
local function subject()
  if math.random() < 0.5 then return string.format("33:%06d", math.random(1, 1250)) end
  return string.format("17:%06d", 600000 + math.random(0, 1249))
end
request = function()
  local a = math.random(1, 6)
  local b = (a % 6) + 1
  local c = (b % 6) + 1
  local body = string.format('{"ids":"%s,%s,%s","subjects":"%s,%s","field":"report_date","order":-1,"limit":20,"offset":%d}',
    ids[a], ids[b], ids[c], subject(), subject(), math.random(0, 1))
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, body)
end
