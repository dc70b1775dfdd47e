-- A staff day: mostly reading cases and queues, some searching and intake.
dofile("bench/lua/common.lua")
request = function()
  local r = math.random(100)
  if r <= 40 then
    local lo, hi = tonumber(env("CASE_MIN", "1")), tonumber(env("CASE_MAX", "1"))
    return wrk.format("GET", "/api/v1/cases/" .. math.random(lo, hi), auth(env("T_ADMIN")))
  elseif r <= 60 then
    return wrk.format("GET", "/api/v1/cases/queue", auth(env("T_GRID")))
  elseif r <= 75 then
    return wrk.format("GET", "/api/v1/cases?limit=20", auth(env("T_COMM")))
  elseif r <= 85 then
    return wrk.format("GET", "/api/v1/cases?limit=20&q=" .. enc(pick(terms)), auth(env("T_COMM")))
  elseif r <= 97 then
    return wrk.format("POST", "/api/v1/cases", auth(env("T_GRID")), case_body())
  else
    return wrk.format("GET", "/api/v1/cases/kpis?node=" .. env("BENCH_COMMUNITY") .. "&from=" ..
      env("BENCH_FROM") .. "&to=" .. env("BENCH_TO"), auth(env("T_COMM")))
  end
end
