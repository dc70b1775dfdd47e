-- A street's and a community's case list (诉求查询), newest first, as on
-- SQLite (its 0027): each case under the id of its street (the second node
-- of its path) and of its community (the third), then its id, so a page
-- scans one key backwards and stops at 50 instead of sorting the ids of the
-- whole subtree. The list's filter columns are included, so a filter is
-- checked on the index entry; so is node_path, without which PostgreSQL
-- will not answer from an index on an expression of it alone (a rare filter
-- in a community of 38,848 cases: 62 ms through cases_path, 10 ms with it;
-- the page with no filter 0.16 ms). split_part counts the empty string
-- before the first '/', hence 3 and 4; CaseService::list_sql writes the
-- same expressions.
CREATE INDEX IF NOT EXISTS cases_street_newest ON cases ((split_part(node_path, '/', 3)), id)
  INCLUDE (node_path, state, level, category_id, case_type, urgency, channel, created_at);
CREATE INDEX IF NOT EXISTS cases_community_newest ON cases ((split_part(node_path, '/', 4)), id)
  INCLUDE (node_path, state, level, category_id, case_type, urgency, channel, created_at);
