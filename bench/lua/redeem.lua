-- Points: residents order from the points shop (balance and stock move at once).
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("POST", "/api/v1/points/items/" .. env("BENCH_ITEM") .. "/order",
    auth(env("T_RESIDENT")), "{}")
end
