-- KPIs for the whole city over the last year.
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("GET", "/api/v1/cases/kpis?node=" .. env("BENCH_DISTRICT") .. "&from=" ..
    env("BENCH_FROM") .. "&to=" .. env("BENCH_TO"), auth(env("T_ADMIN")))
end
