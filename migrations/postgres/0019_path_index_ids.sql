-- PostgreSQL's indexes hold a row's place in the table, not its id (SQLite's
-- hold the rowid, which is the id). A list page takes the ids of a subtree's
-- cases, residents, households or party members from the index of their path and sorts
-- them; without the id in the index every one of those rows was read from
-- the table: on 1M cases a community's first page of cases took 131-141 ms
-- (a bitmap heap scan of 13,000 pages), 18-22 ms with the id included (an
-- index-only scan; docs/PERFORMANCE.md, session 13). Same keys, same names:
-- only the id is added, as a payload that does not change the order.
DROP INDEX cases_path;
CREATE INDEX cases_path ON cases (node_path, state, level, category_id, case_type, urgency,
  channel, created_at) INCLUDE (id);
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (state, node_path, level, resolve_due, handler_org_id)
  INCLUDE (id);
DROP INDEX residents_path;
CREATE INDEX residents_path ON residents (node_path) INCLUDE (id);
DROP INDEX households_path;
CREATE INDEX households_path ON households (node_path) INCLUDE (id);
DROP INDEX party_members_path;
CREATE INDEX party_members_path ON party_members (node_path) INCLUDE (id);
