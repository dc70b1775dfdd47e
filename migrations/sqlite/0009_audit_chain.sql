-- Tamper-evident audit trail: each entry carries the hash of the previous
-- one (prev_hash) and its own hash over a canonical encoding of its fields
-- plus prev_hash (src/auth/audit_chain.cpp). seq is the entry's place in the
-- chain; audit_chain holds the head (last seq and hash) so appends are
-- strictly ordered. Existing rows get their place here; hash NULL in the head
-- means "seal the existing rows first", which the application does (hashing
-- needs SHA-256, which SQLite lacks) on start-up or at the first append.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
UPDATE audit_log SET seq = r.n
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) AS r
  WHERE r.id = audit_log.id;
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
CREATE TABLE audit_chain (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT
) STRICT;
INSERT INTO audit_chain (id, seq, hash) SELECT 1, COUNT(*), NULL FROM audit_log;
