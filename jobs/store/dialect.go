package store

import (
	"fmt"
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
}

var (
	sqliteDialect = dialect{
		name:         "sqlite",
		pk:           "INTEGER PRIMARY KEY AUTOINCREMENT",
		table:        "",
		insertIgnore: "INSERT OR IGNORE INTO",
	}
	mysqlDialect = dialect{
		name:         "mysql",
		pk:           "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
		table:        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
		insertIgnore: "INSERT IGNORE INTO",
	}
)

// schema replaces the dialect tokens of a migration.
func (d dialect) schema(sql string) string {
	return strings.NewReplacer("{{PK}}", d.pk, "{{TABLE}}", d.table).Replace(sql)
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

// maxParams bounds the placeholders of one multi-row INSERT (SQLite's limit is
// 32766; MariaDB's 65535), leaving room for safety.
const maxParams = 30000
