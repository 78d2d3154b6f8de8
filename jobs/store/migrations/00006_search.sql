-- Free-text search over reconciled rows (cells and best label): FTS5 on
-- SQLite, a FULLTEXT index on MariaDB ({{ROW_SEARCH}} is per dialect).
{{ROW_SEARCH}};
