-- The whole city's cases of one category in a state and a period, from the
-- index entries alone (the id included, as in 0019). Open311's public list
-- asks for exactly that (a service, status=closed meaning closed, rejected
-- and merged, the last 90 days); see the SQLite migration of the same
-- number. It replaces cases_category, whose column leads it. IF NOT EXISTS:
-- tests apply the migrations after 0016 again.
DROP INDEX IF EXISTS cases_category;
CREATE INDEX IF NOT EXISTS cases_category_state ON cases (category_id, state, created_at,
  node_path) INCLUDE (id);
