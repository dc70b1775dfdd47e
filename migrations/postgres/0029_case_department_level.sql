-- The cases at the departments' level, for the list's level=department
-- filter, as on SQLite (its 0029): only those cases, by path and state, with
-- the id for an index-only seek. The list writes the level as this literal,
-- so that a prepared plan can use the index too.
CREATE INDEX IF NOT EXISTS cases_department_level ON cases (node_path, state, id)
  WHERE level = 'department';
