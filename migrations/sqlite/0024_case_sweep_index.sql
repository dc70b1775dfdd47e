-- The deadline sweep (CaseService::sweep, every minute on every node) asks
-- which open cases not yet flagged overdue are past their deadline or due a
-- warning. This index holds exactly those cases, in deadline order, with the
-- columns the question reads: the sweep walks it and reads only the rows it
-- flags. Before, it read the row of every open case with a deadline and
-- sorted the unflagged ones (10M cases: 219,534 rows, a sort of 62,504,
-- ~355M instructions a minute). The states as an OR chain, not an IN list:
-- SQLite would build a temporary B-tree for the list at every write of a
-- case to decide whether the row belongs here (see 0017); the sweep's query
-- names the same chain, so the planner matches it.
CREATE INDEX IF NOT EXISTS cases_sweep_due ON cases (resolve_due, near_due_notified, created_at)
  WHERE (state = 'accepted' OR state = 'assigned' OR state = 'in_progress')
    AND resolve_due IS NOT NULL AND overdue_notified = 0;
