-- The cases at the departments' level (吹哨 to a 职能部门), for the list's
-- level=department filter. No other index is led by the level: cases_queue
-- holds it after the state and the path, so the filter read every entry of
-- the caller's subtree in every state to find none or a few (the whole city
-- of 1M cases: 0.27 s a page; a community 6.5 ms). Only those cases have an
-- entry here, and the list writes the level as this literal so that SQLite
-- can prove the index applies.
CREATE INDEX IF NOT EXISTS cases_department_level ON cases (node_path, state)
  WHERE level = 'department';
