-- Case intake through the native API (a grid worker registers a patrol find).
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("POST", "/api/v1/cases", auth(env("T_GRID")), case_body())
end
