-- The case list's filters in the index of the path: a community, a street or
-- the whole city asking for one category, channel, type, urgency, period,
-- state or level reads index entries only, not the row of every case in its
-- subtree (10M cases: a street asking for one category 2-3 s, a community
-- 0.15-0.2 s; docs/PERFORMANCE.md, session 12). The path stays first, so
-- everything that used the index of the path alone still does, under the
-- same name; a case's state and level change in it as in cases_queue.
DROP INDEX cases_path;
CREATE INDEX cases_path ON cases (node_path, state, level, category_id, case_type, urgency,
  channel, created_at);
-- Its statistics went with the old index: sampled again (a full ANALYZE
-- reads 10M entries), for the statements that let SQLite choose.
PRAGMA analysis_limit = 1000;
ANALYZE cases_path;
PRAGMA analysis_limit = 0;
