-- MariaDB's review search through an index of its own: row_words holds
-- (job, word, row) for every word of every row, the words being the ones
-- SQLite's FTS5 makes of the text, so a word's prefix is a bounded range
-- inside the job, and row_search.words holds each row's words to check one
-- row by key. The FULLTEXT index goes: one index over every job's rows,
-- whose cost grows with all of them. Existing rows are indexed by
-- backfillRowWords after these statements. SQLite: nothing to do.
{{ROW_WORDS}};
