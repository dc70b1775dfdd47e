-- Merges the case search index into one segment, once. Migration 0011 (and
-- linli gen before this) filled it in one long transaction, which leaves
-- FTS5 many mid-sized segments part-way through merging them, and every
-- later commit paid for a slice of that merge: on the 1M-case city an
-- intake cost 3.5M instructions instead of 1.7M (docs/PERFORMANCE.md).
-- From here FTS5's own incremental merging keeps it in shape. PostgreSQL's
-- GIN index needs nothing.
INSERT INTO case_search (case_search) VALUES ('optimize');
