-- The two partial indexes of open cases (0013, 0015) named their five states
-- as an IN list. SQLite decides whether a written row belongs in a partial
-- index by evaluating its WHERE, and builds a temporary B-tree (a zeroed page
-- and a page cache) for an IN list of three or more constants each time it
-- does: two per write of a case, at every intake and state change. As an OR
-- chain it is five comparisons (see 0017, 0024). The KPI queries that read
-- these indexes (INDEXED BY, src/cases/kpis.cpp) name the same chain, so the
-- planner matches it. PostgreSQL evaluates its IN lists without that cost and
-- keeps its indexes.
DROP INDEX IF EXISTS cases_open_due;
CREATE INDEX IF NOT EXISTS cases_open_due ON cases (resolve_due, node_path)
  WHERE (state = 'submitted' OR state = 'accepted' OR state = 'assigned'
         OR state = 'in_progress' OR state = 'resolved');
DROP INDEX IF EXISTS cases_open_whistled;
CREATE INDEX IF NOT EXISTS cases_open_whistled ON cases (resolve_due, node_path)
  WHERE (state = 'submitted' OR state = 'accepted' OR state = 'assigned'
         OR state = 'in_progress' OR state = 'resolved') AND whistle_count > 0;
