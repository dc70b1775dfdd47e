-- wrk script for scripts/soak.sh: a mixed workload at a steady rate (each
-- connection pauses SOAK_DELAY_MS between requests). Counts answers by class.
local staff = os.getenv("SOAK_STAFF_TOKEN")
-- New residents spread over many households, so no one household's page grows without bound.
local households = {}
for h in string.gmatch(os.getenv("SOAK_HOUSEHOLDS"), "%d+") do table.insert(households, h) end
local household = households[1]
local category = os.getenv("SOAK_CATEGORY")
local resident = os.getenv("SOAK_RESIDENT")
local day = os.getenv("SOAK_DAY")
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "40")
-- A command centre opens cases from anywhere in the history, so reads reach the
-- whole file, as a city's staff do, and SQLite's caches fill to their budget.
local city = { ["Authorization"] = "Bearer " .. os.getenv("SOAK_CITY_TOKEN") }
local case_max = tonumber(os.getenv("SOAK_CASE_MAX"))
local threads = {}
local n = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  ok, bad, counter = 0, 0, 0
  math.randomseed(id * 7919)
  tid = id
end

function delay()
  return pause
end

local json = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. staff }
local auth = { ["Authorization"] = "Bearer " .. staff }

function request()
  counter = counter + 1
  local k = counter % 20
  local tag = tid .. "-" .. counter
  if k == 0 then
    local home = households[math.floor(counter / 20) % #households + 1]
    return wrk.format("POST", "/api/v1/residents", json,
      '{"household_id":' .. home .. ',"name":"浸泡' .. tag .. '","gender":"女","phone":"13800' .. string.format("%06d", counter % 1000000) .. '"}')
  elseif k == 5 then
    return wrk.format("POST", "/api/v1/cases", json,
      '{"title":"浸泡测试' .. tag .. '","description":"楼道堆放杂物，影响通行","category_id":' .. category ..
      ',"household_id":' .. household .. ',"channel":"hotline"}')
  elseif k == 10 then
    return wrk.format("POST", "/api/v1/points/deeds", json,
      '{"resident_id":' .. resident .. ',"rule_code":"soak","deed_date":"' .. day .. '","note":"浸泡' .. tag .. '"}')
  elseif k == 15 then
    return wrk.format("GET", "/api/v1/points/ledger/check", auth)
  elseif k % 4 == 1 then
    return wrk.format("GET", "/api/v1/residents?limit=50&q=%E7%8E%8B", auth)
  elseif k % 4 == 2 then
    return wrk.format("GET", "/api/v1/cases?limit=20", auth)
  elseif k % 4 == 3 then
    return wrk.format("GET", "/api/v1/households/" .. household, auth)
  elseif k % 8 == 0 then
    return wrk.format("GET", "/api/v1/auth/me", auth)
  else
    return wrk.format("GET", "/api/v1/cases/" .. math.random(1, case_max), city)
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
  if status >= 300 and bad <= 5 then io.stderr:write("non-2xx " .. status .. ": " .. body .. "\n") end
end

function done(summary, latency, requests)
  local t_ok, t_bad = 0, 0
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok")
    t_bad = t_bad + t:get("bad")
  end
  io.write(string.format("SOAK ok=%d non2xx=%d socket_errors=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    t_ok, t_bad, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
