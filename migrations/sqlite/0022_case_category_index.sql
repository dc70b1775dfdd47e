-- The whole city's cases of one category in a state and a period, from the
-- index entries alone. Open311's public list asks for exactly that (a
-- service, status=closed meaning closed, rejected and merged, the last 90
-- days): the period's index (cases_created) read the row of each of the
-- city's 1.25M cases of those 90 days to check its state and category, 1.3-
-- 1.8 s a request on 10M cases; this range holds only the cases asked for
-- (docs/PERFORMANCE.md, session 14). The path is in the entry so the
-- caller's scope is checked there too. It replaces cases_category, whose
-- column leads it. IF NOT EXISTS: tests apply the migrations after 0016
-- again.
DROP INDEX IF EXISTS cases_category;
CREATE INDEX IF NOT EXISTS cases_category_state ON cases (category_id, state, created_at,
  node_path);
PRAGMA analysis_limit = 1000;
ANALYZE cases_category_state;
PRAGMA analysis_limit = 0;
