-- linli: foreign keys off, check residents
-- The ID number's uniqueness moves from a column constraint (an automatic
-- index SQLite keeps for the table's life) to a named unique index. A large
-- import can then set it aside with the table's other indexes and build it
-- once by sorting, instead of inserting a million random keys into it (on
-- 1M residents the random inserts were most of the import's write). Nothing
-- else changes: same columns, same checks, same rows and ids.
--
-- SQLite cannot drop a column constraint, so the table is rebuilt (its
-- documented procedure: new table, copy, drop, rename) with foreign-key
-- enforcement off, which the marker on the first line asks for; the rows'
-- own foreign keys are checked before the rebuild commits. The tables that
-- point at residents need no check: every id stays as it was.
CREATE TABLE residents_new (
  id INTEGER PRIMARY KEY,
  household_id INTEGER NOT NULL REFERENCES households(id),
  node_path TEXT NOT NULL,
  name TEXT NOT NULL,
  gender TEXT NOT NULL CHECK (gender IN ('M','F')),
  birth_date TEXT,
  relation TEXT NOT NULL DEFAULT '',
  phone_enc TEXT,
  phone_mask TEXT,
  phone_hash TEXT,
  id_enc TEXT,
  id_mask TEXT,
  id_hash TEXT,
  tags TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','moved_out','deceased')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO residents_new (id, household_id, node_path, name, gender, birth_date, relation,
    phone_enc, phone_mask, phone_hash, id_enc, id_mask, id_hash, tags, status, created_at,
    updated_at)
  SELECT id, household_id, node_path, name, gender, birth_date, relation, phone_enc, phone_mask,
    phone_hash, id_enc, id_mask, id_hash, tags, status, created_at, updated_at
  FROM residents ORDER BY id;
DROP TABLE residents;
ALTER TABLE residents_new RENAME TO residents;
CREATE UNIQUE INDEX residents_id_hash ON residents(id_hash);
CREATE INDEX residents_path ON residents(node_path);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_name ON residents(name);
CREATE INDEX residents_phone_hash ON residents(phone_hash);
