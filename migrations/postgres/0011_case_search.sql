-- The case search index (issue #5, src/search/case_index.hpp): title,
-- description and address split into overlapping CJK bigrams and lowercase
-- words by C++ (search/bigrams.hpp), stored as a tsvector literal with
-- positions (a gap between fields) so phrase queries (<->) work and
-- PostgreSQL's parser never splits Chinese text. Existing cases are indexed
-- by the migration's C++ step (store/migrate.cpp).
CREATE TABLE case_search (
  case_id BIGINT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  terms tsvector NOT NULL
);
CREATE INDEX case_search_terms ON case_search USING gin (terms);
