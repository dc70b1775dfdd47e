-- Shared by every scenario: tokens and ids come from the environment
-- (bench/run.sh sets them); done() prints one line run.sh parses.
env = function(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

function auth(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no)
end

function init(args)
  math.randomseed(1000 * (seed or 1) + os.time() % 1000)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("BENCH rps=%.1f p50=%.3f p99=%.3f requests=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))
end

titles = { "楼道堆放杂物影响通行", "小区路灯不亮", "电梯经常停运", "楼上漏水", "垃圾桶满溢未清运",
  "夜间噪音扰民", "电动车在楼道充电", "下水道堵塞返味", "绿化带杂草丛生", "占道经营" }
terms = { "电梯", "垃圾", "漏水", "噪音", "路灯", "停车", "楼道", "绿化", "下水道", "物业" }

function pick(list) return list[math.random(#list)] end

function case_body()
  return string.format(
    '{"title":"%s","description":"%s，请尽快处理（压测）","category_id":%s,"case_type":"practical",' ..
    '"urgency":"normal","channel":"patrol","node_id":%s}',
    pick(titles), pick(titles), env("BENCH_CATEGORY", "2"), env("BENCH_GRID", "4"))
end

-- wrk refuses raw UTF-8 in a request target: percent-encode query values.
function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
