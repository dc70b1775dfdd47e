-- Full-text search over a community's cases (q on title, description and
-- address, through the bigram index) as its community worker. Common terms
-- (thousands of matches: 电梯 …), rare ones (a handful: the floor makes a
-- generated description rare) and terms with no match: with LIKE the rare and
-- absent terms read the community's whole subtree.
dofile("bench/lua/common.lua")
local search_terms = { "电梯", "垃圾", "漏水", "噪音", "下水道",
  "16楼有住户从窗户拉电线", "18楼楼道感应灯", "独居老人", "火星基地", "量子计算机" }
request = function()
  return wrk.format("GET", "/api/v1/cases?limit=20&q=" .. enc(pick(search_terms)),
    auth(env("T_COMM")))
end
