-- A grid worker's queue page.
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("GET", "/api/v1/cases/queue", auth(env("T_GRID")))
end
