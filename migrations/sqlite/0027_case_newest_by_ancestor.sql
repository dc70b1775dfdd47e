-- A street's and a community's case list (诉求查询), newest first. Their
-- cases are a range of cases_path, ordered by path: a page of the newest 50
-- sorted the ids of the whole subtree (a community of 1M cases: 42,650 ids,
-- 5-10 ms a page; a street on 10M cases: 264k entries, 44-89 ms with a
-- filter). These indexes hold each case under the id of its street (the
-- second node of its path) and of its community (the third), then its id:
-- a page walks one key's entries newest first and stops at 50. The list's
-- filter columns follow the id, as in cases_path, so a filter is checked on
-- the index entry, not the row. The expression is the one the KPI triggers
-- use to read a path's ids (0023); CaseService::list_sql writes it the same
-- way, which is how SQLite recognises the index.
CREATE INDEX IF NOT EXISTS cases_street_newest ON cases (
  json_extract('[' || replace(trim(node_path, '/'), '/', ',') || ']', '$[1]'), id, state, level,
  category_id, case_type, urgency, channel, created_at);
CREATE INDEX IF NOT EXISTS cases_community_newest ON cases (
  json_extract('[' || replace(trim(node_path, '/'), '/', ',') || ']', '$[2]'), id, state, level,
  category_id, case_type, urgency, channel, created_at);
