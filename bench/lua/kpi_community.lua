-- KPIs for one community over the last year.
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("GET", "/api/v1/cases/kpis?node=" .. env("BENCH_COMMUNITY") .. "&from=" ..
    env("BENCH_FROM") .. "&to=" .. env("BENCH_TO"), auth(env("T_COMM")))
end
