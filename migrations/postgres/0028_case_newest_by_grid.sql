-- A grid's case list (诉求查询), newest first, as on SQLite (its 0028) and
-- as 0027 does for a street and a community: each case under the id of its
-- grid (the fourth node of its path; split_part counts the empty string
-- before the first '/', hence 5), then its id, with node_path and the
-- list's filter columns included.
CREATE INDEX IF NOT EXISTS cases_grid_newest ON cases ((split_part(node_path, '/', 5)), id)
  INCLUDE (node_path, state, level, category_id, case_type, urgency, channel, created_at);
