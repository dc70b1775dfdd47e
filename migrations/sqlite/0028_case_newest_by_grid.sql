-- A grid's case list (诉求查询), newest first, as 0027 does for a street and
-- a community. A grid's cases are a range of cases_path, ordered by path
-- (its buildings, units and households), so its page sorted every id of the
-- grid for the newest 50: 1.8-2.7 ms a page on the 1M-case city, twice a
-- community's walk, on the page grid workers, the most numerous staff, open
-- first. Each case under the id of its grid (the fourth node of its path),
-- then its id and the list's filter columns, as in 0027.
CREATE INDEX IF NOT EXISTS cases_grid_newest ON cases (
  json_extract('[' || replace(trim(node_path, '/'), '/', ',') || ']', '$[3]'), id, state, level,
  category_id, case_type, urgency, channel, created_at);
