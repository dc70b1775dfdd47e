-- The case search index (issue #5, src/search/case_index.hpp): title,
-- description and address split into overlapping CJK bigrams and lowercase
-- words by C++ (search/bigrams.hpp), stored as a tsvector literal with
-- positions (a gap between fields) so phrase queries (<->) work and
-- PostgreSQL's parser never splits Chinese text. Existing cases are indexed
-- by the migration's C++ step (store/migrate.cpp).
-- node_path (the case's, which never changes) lets a staff member's search
-- AND the GIN bitmap with the subtree's range on this table alone, so the
-- planner never walks the subtree's cases probing each one's terms.
CREATE TABLE case_search (
  case_id BIGINT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  node_path TEXT COLLATE "C" NOT NULL,
  terms tsvector NOT NULL
);
CREATE INDEX case_search_terms ON case_search USING gin (terms);
CREATE INDEX case_search_path ON case_search (node_path);
