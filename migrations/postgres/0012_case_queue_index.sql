-- The staff queue (GET /api/v1/cases/queue) picks a page of ids from this
-- index alone: state and subtree to seek, level and handler to filter,
-- resolve_due to sort, without reading a table row. It covers what
-- cases_state_path (state, node_path) served, so it replaces it: one index
-- for intake to maintain, not two.
DROP INDEX cases_state_path;
CREATE INDEX cases_queue ON cases (state, node_path, level, resolve_due, handler_org_id);

-- Who hears of a new case: the grid and community workers assigned on the
-- place's ancestors, looked up by node (intake read every such assignment).
CREATE INDEX role_assignments_node ON role_assignments (node_id, role);
