-- SQLite's search table keyed by row: rowid = job_id * 2^32 + row_num, so
-- FTS5 can check one row, or read one job's matches, without reading every
-- match of the query (a common word took 14 s at a million rows). MariaDB's
-- table is keyed by (job_id, row_num) already: nothing to do there.
{{ROW_SEARCH_KEYED}};
