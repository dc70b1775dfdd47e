-- Case detail (timeline, whistles, allowed actions) of a random case in the city.
dofile("bench/lua/common.lua")
request = function()
  local lo, hi = tonumber(env("CASE_MIN", "1")), tonumber(env("CASE_MAX", "1"))
  return wrk.format("GET", "/api/v1/cases/" .. math.random(lo, hi), auth(env("T_ADMIN")))
end
