-- The case search index (issue #5, src/search/case_index.hpp): title,
-- description and address split into overlapping CJK bigrams and lowercase
-- words by C++ (search/bigrams.hpp), fed space-separated to unicode61, which
-- treats CJK characters as token characters. Contentless: rowid = case id;
-- a row is removed with the 'delete' command and the tokens it was given.
-- Existing cases are indexed by the migration's C++ step (store/migrate.cpp).
CREATE VIRTUAL TABLE case_search USING fts5(
  title, description, address,
  content = '',
  tokenize = 'unicode61 remove_diacritics 0'
);
