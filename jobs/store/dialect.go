package store

import (
	"fmt"
	"regexp"
	"strings"
)

// dialect isolates the few places where SQLite and MariaDB differ. Queries use
// `?` placeholders, which both drivers accept.
type dialect struct {
	name string // "sqlite" or "mysql"
	// schema tokens
	pk, table string
	// insertIgnore starts an INSERT that silently skips rows whose key exists.
	insertIgnore string
	// rowSearch creates the free-text search table; rowSearchKeyed renumbers
	// an existing one by searchKey (SQLite; nothing on MariaDB, whose table
	// has the key as its primary key); rowWords makes MariaDB's index of
	// words (nothing on SQLite, whose FTS5 table is that index).
	rowSearch, rowSearchKeyed, rowWords string
}

var (
	sqliteDialect = dialect{
		name:         "sqlite",
		pk:           "INTEGER PRIMARY KEY AUTOINCREMENT",
		table:        "",
		insertIgnore: "INSERT OR IGNORE INTO",
		rowSearch: "CREATE VIRTUAL TABLE row_search USING fts5(body, job_id UNINDEXED, row_num UNINDEXED, " +
			"tokenize = 'unicode61 remove_diacritics 2')",
		rowSearchKeyed: "CREATE VIRTUAL TABLE row_search_keyed USING fts5(body, job_id UNINDEXED, row_num UNINDEXED, " +
			"tokenize = 'unicode61 remove_diacritics 2');\n" +
			"INSERT OR REPLACE INTO row_search_keyed (rowid, body, job_id, row_num) SELECT job_id * 4294967296 + row_num, body, job_id, row_num FROM row_search;\n" +
			"DROP TABLE row_search;\n" +
			"ALTER TABLE row_search_keyed RENAME TO row_search;\n" +
			// The index's terms, to turn a prefix into the terms it stands for
			// ("instance": the "row" kind counts each term's rows, a million
			// entries read for "person").
			"CREATE VIRTUAL TABLE row_search_terms USING fts5vocab(row_search, 'instance')",
	}
	mysqlDialect = dialect{
		name:         "mysql",
		pk:           "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
		table:        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		insertIgnore: "INSERT IGNORE INTO",
		// A case- and accent-insensitive collation: FULLTEXT on a binary one
		// would be case-sensitive.
		rowSearch: "CREATE TABLE row_search (job_id BIGINT NOT NULL, row_num BIGINT NOT NULL, " +
			"body MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL, PRIMARY KEY (job_id, row_num), FULLTEXT KEY row_search_body (body)) " +
			"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		// Words are FTS5's tokens (searchTokens), compared bytewise: a
		// prefix is a range of the job's part of the key. Re-runnable: the
		// backfill (backfillRowWords) follows and may be interrupted.
		rowWords: "ALTER TABLE row_search DROP INDEX IF EXISTS row_search_body;\n" +
			"ALTER TABLE row_search ADD COLUMN IF NOT EXISTS words MEDIUMBLOB NULL;\n" +
			"CREATE TABLE IF NOT EXISTS row_words (job_id BIGINT NOT NULL, word VARBINARY(200) NOT NULL, row_num BIGINT NOT NULL, " +
			"PRIMARY KEY (job_id, word, row_num)) ENGINE=InnoDB",
	}
)

// onTable is the "{{ON table}}" token of DROP INDEX: MariaDB names the
// table, SQLite must not.
var onTable = regexp.MustCompile(`\{\{ON (\w+)\}\}`)

// schema replaces the dialect tokens of a migration.
func (d dialect) schema(sql string) string {
	sql = strings.NewReplacer("{{PK}}", d.pk, "{{TABLE}}", d.table, "{{ROW_SEARCH}}", d.rowSearch, "{{ROW_SEARCH_KEYED}}", d.rowSearchKeyed, "{{ROW_WORDS}}", d.rowWords).Replace(sql)
	on := ""
	if d.name == "mysql" {
		on = " ON $1"
	}
	return onTable.ReplaceAllString(sql, on)
}

// upsert returns the tail of an INSERT that updates cols when the row's key
// (conflictCols) exists already.
func (d dialect) upsert(conflictCols []string, cols ...string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		if d.name == "mysql" {
			set[i] = fmt.Sprintf("%s = VALUES(%s)", c, c)
		} else {
			set[i] = fmt.Sprintf("%s = excluded.%s", c, c)
		}
	}
	if d.name == "mysql" {
		return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
	}
	return " ON CONFLICT (" + strings.Join(conflictCols, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// upsertAdd returns the tail of an INSERT that adds the new value of col to
// the existing row's when the key exists.
func (d dialect) upsertAdd(conflictCols []string, col string) string {
	if d.name == "mysql" {
		return fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = %s + VALUES(%s)", col, col, col)
	}
	return fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s = %s + excluded.%s", strings.Join(conflictCols, ", "), col, col, col)
}

// upsertMax keeps the larger of the existing and the new value of col.
func (d dialect) upsertMax(conflictCols []string, col string) string {
	if d.name == "mysql" {
		return fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = GREATEST(%s, VALUES(%s))", col, col, col)
	}
	return fmt.Sprintf(" ON CONFLICT (%s) DO UPDATE SET %s = MAX(%s, excluded.%s)", strings.Join(conflictCols, ", "), col, col, col)
}

// concat joins two text expressions (MariaDB's || is a logical or).
func (d dialect) concat(a, b string) string {
	if d.name == "mysql" {
		return "CONCAT(" + a + ", " + b + ")"
	}
	return "(" + a + " || " + b + ")"
}

// dayOf is the UTC day number of a unix-milliseconds column.
func (d dialect) dayOf(col string) string {
	if d.name == "mysql" {
		return "(" + col + " DIV 86400000)"
	}
	return "(" + col + " / 86400000)"
}

// maxParams bounds the placeholders of one multi-row INSERT (SQLite's limit is
// 32766; MariaDB's 65535), leaving room for safety.
const maxParams = 30000

// searchKey is a row's rowid in SQLite's row_search: its job and row
// number in one integer, so that FTS5, which indexes nothing but the text
// and the rowid, can check one row or read one job's matches in order.
const searchKeyJob = 1 << 32

// ftsQuote quotes a word as an FTS5 string, so that nothing a reviewer
// types is read as search syntax.
func ftsQuote(w string) string {
	return `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
}

// sqliteSearch returns a condition on m (rows of job jobID whose search
// text matches the FTS5 query match) and its arguments. FTS5 costs time in
// proportion to the matches it reads: for a rare query the job's few
// matches are read once (by rowid range) and the rows looked up by key;
// for a common one (many matches: "Person") the page's rows are read in
// order and each checked by rowid, which finds a page after a few rows
// precisely because the words are common. That check is a seek only for
// whole terms: a prefix ("person"*) makes FTS5 merge every matching
// term's list first, a million entries for each row checked, so
// searchCondition spells prefixes out as the terms they stand for.
func sqliteSearch(jobID int64, match string, common bool) (string, []any) {
	if common {
		return "EXISTS (SELECT 1 FROM row_search s WHERE row_search MATCH ? AND s.rowid = m.job_id * 4294967296 + m.row_num)", []any{match}
	}
	first := jobID * searchKeyJob
	return "m.row_num IN (SELECT s.rowid - ? FROM row_search s WHERE row_search MATCH ? AND s.rowid BETWEEN ? AND ?)",
		[]any{first, match, first, first + searchKeyJob - 1}
}

// mysqlSearch builds the MariaDB condition from mysqlCondition's findings:
// when narrow, the row must be one of rows (sorted: a range of the primary
// key); and it must hold every common word as a prefix of one of its words,
// checked on its row_search row by key (a scalar subquery, which MariaDB
// runs per row as written, where EXISTS may become a semi-join over every
// match).
func mysqlSearch(rows []int64, narrow bool, common []string) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if narrow {
		conds = append(conds, "m.row_num IN "+inList(len(rows)))
		for _, r := range rows {
			args = append(args, r)
		}
	}
	if len(common) > 0 {
		likes := make([]string, len(common))
		for i, w := range common {
			likes[i] = "s.words LIKE ? ESCAPE '!'"
			args = append(args, []byte("% "+likeEscape(w)+"%"))
		}
		conds = append(conds, "(SELECT 1 FROM row_search s WHERE s.job_id = m.job_id AND s.row_num = m.row_num AND "+strings.Join(likes, " AND ")+") IS NOT NULL")
	}
	return strings.Join(conds, " AND "), args
}
