-- Full-text search over a community's cases (q on title and description).
dofile("bench/lua/common.lua")
request = function()
  return wrk.format("GET", "/api/v1/cases?limit=20&q=" .. enc(pick(terms)), auth(env("T_COMM")))
end
