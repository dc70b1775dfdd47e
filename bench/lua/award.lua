-- Points: community staff record a deed (一事一记) for a resident of the community.
dofile("bench/lua/common.lua")
request = function()
  local lo, hi = tonumber(env("RES_MIN", "1")), tonumber(env("RES_MAX", "1"))
  local body = string.format(
    '{"resident_id":%d,"rule_code":"activity","deed_date":"%s","note":"参加社区活动（压测）"}',
    math.random(lo, hi), env("BENCH_TO"))
  return wrk.format("POST", "/api/v1/points/deeds", auth(env("T_COMM")), body)
end
