-- CHECK constraints' IN lists become equality chains in the stored table
-- definitions (store/sqlite/check_lists.hpp says why): done by the
-- migration's C++ step (store/migrate.cpp), which edits sqlite_schema by the
-- procedure SQLite documents for changing constraints. Nothing else changes.
SELECT 1;
