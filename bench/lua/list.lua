-- The case list (诉求查询) as staff open it: newest first, a page of 50, no
-- filter, a state, a category (with those under it), a channel or an
-- urgency, for a grid worker, a community worker and the whole city (a
-- command-centre account on the root). The city's page is found
-- among the newest cases, the grid's and the community's through their
-- subtree's indexes (CaseService::list_page).
dofile("bench/lua/common.lua")
local tokens = { "T_GRID", "T_COMM", "T_ADMIN" }
local filters = { "", "&state=open", "&state=in_progress", "&category=1", "&channel=hotline",
  "&urgency=urgent" }
request = function()
  return wrk.format("GET", "/api/v1/cases?limit=50" .. pick(filters), auth(env(pick(tokens))))
end
