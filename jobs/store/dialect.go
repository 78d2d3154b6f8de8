package store

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// dialect isolates the few places where SQLite and MariaDB differ. Queries use
// `?` placeholders, which both drivers accept.
type dialect struct {
	name string // "sqlite" or "mysql"
	// schema tokens
	pk, table string
	// insertIgnore starts an INSERT that silently skips rows whose key exists.
	insertIgnore string
	// rowSearch creates the free-text search table.
	rowSearch string
}

var (
	sqliteDialect = dialect{
		name:         "sqlite",
		pk:           "INTEGER PRIMARY KEY AUTOINCREMENT",
		table:        "",
		insertIgnore: "INSERT OR IGNORE INTO",
		rowSearch: "CREATE VIRTUAL TABLE row_search USING fts5(body, job_id UNINDEXED, row_num UNINDEXED, " +
			"tokenize = 'unicode61 remove_diacritics 2')",
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
	}
)

// onTable is the "{{ON table}}" token of DROP INDEX: MariaDB names the
// table, SQLite must not.
var onTable = regexp.MustCompile(`\{\{ON (\w+)\}\}`)

// schema replaces the dialect tokens of a migration.
func (d dialect) schema(sql string) string {
	sql = strings.NewReplacer("{{PK}}", d.pk, "{{TABLE}}", d.table, "{{ROW_SEARCH}}", d.rowSearch).Replace(sql)
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

// cleanSearchText keeps valid, printable text only; "" when text has no
// word.
func cleanSearchText(text string) string {
	// A query string may carry any bytes: keep valid, printable text only
	// (a NUL ends an FTS5 string early).
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, " "))
	if strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
		return ""
	}
	return text
}

// sqliteSearch returns a condition on m.row_num (rows of job m.job_id whose
// search text has every word of text, each as a prefix) and its arguments;
// "" when text has no word. Input is quoted so that nothing a reviewer types
// is read as search syntax.
func sqliteSearch(text string) (string, []any) {
	if text = cleanSearchText(text); text == "" {
		return "", nil
	}
	// FTS5: each whitespace-separated chunk becomes a quoted phrase (inner
	// quotes doubled), matched as a prefix; FTS5's own tokenizer splits the
	// chunk, so its idea of a word is the one that counts.
	var q strings.Builder
	for _, chunk := range strings.Fields(text) {
		q.WriteString(`"` + strings.ReplaceAll(chunk, `"`, `""`) + `"* `)
	}
	return "m.row_num IN (SELECT s.row_num FROM row_search s WHERE row_search MATCH ? AND s.job_id = m.job_id)",
		[]any{strings.TrimSpace(q.String())}
}

// searchWords splits text into the words MariaDB's search matches: letters
// and digits only, so no boolean-mode operator survives.
func searchWords(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// mysqlSearch builds the MariaDB condition: every word required, as a
// prefix. InnoDB's FULLTEXT costs time in proportion to how many documents
// hold a word, across every job: "+Person* +777777*" on a million rows that
// all say "Person" takes seconds, while "+777777*" alone takes milliseconds.
// So the index is asked only for the rare words; common ones (common says
// which, from a sample of the job's rows) and those shorter than
// innodb_ft_min_token_size (3), which the index does not hold, are checked
// with LIKE on the rows found. When every word is common the rows are read
// in page order and checked one by one, which finds a page quickly precisely
// because the words are common.
func mysqlSearch(jobID int64, words []string, common map[string]bool) (string, []any) {
	var (
		likes []string
		args  []any
		q     strings.Builder
	)
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 && !common[w] {
			q.WriteString("+" + w + "* ")
		} else {
			likes = append(likes, " AND s.body LIKE ?")
			args = append(args, "%"+w+"%")
		}
	}
	if q.Len() == 0 {
		return "EXISTS (SELECT 1 FROM row_search s WHERE s.job_id = m.job_id AND s.row_num = m.row_num" + strings.Join(likes, "") + ")", args
	}
	// Not correlated: the semi-join starts from the index's few rows.
	return "m.row_num IN (SELECT s.row_num FROM row_search s WHERE s.job_id = ? AND MATCH (s.body) AGAINST (? IN BOOLEAN MODE)" + strings.Join(likes, "") + ")",
		append([]any{jobID, strings.TrimSpace(q.String())}, args...)
}
