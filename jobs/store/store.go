// Package store keeps Partnerhub's state in SQL: SQLite for the embedded
// default, MariaDB (ToolsDB) in production. It is the source of truth; Redis
// only carries task ids, so everything here must be enough to resume work.
// One schema serves both engines (migrations/ with a few dialect tokens), and
// the SQL is plain database/sql, one file per table or concern.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers "sqlite"

	"partnerhub/jobs"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store wraps the database handle and the dialect it speaks.
type Store struct {
	db      *sql.DB
	d       dialect
	logger  *slog.Logger
	nowFunc func() time.Time
	// searchCommon: past this many matches of a word in the job, the
	// search box checks the page's rows one by one instead of reading every
	// match (FTS5 on SQLite, row_words on MariaDB).
	searchCommon int
}

// Open connects to MariaDB/MySQL when dsn is set, otherwise to the SQLite file
// partnerhub.db in dataDir (created if missing).
func Open(ctx context.Context, dsn, dataDir string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	var (
		db  *sql.DB
		d   dialect
		err error
	)
	if dsn != "" {
		db, err = openMySQL(dsn)
		d = mysqlDialect
	} else {
		db, err = openSQLite(dataDir)
		d = sqliteDialect
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d.name, err)
	}
	return &Store{db: db, d: d, logger: logger, nowFunc: time.Now, searchCommon: 2000}, nil
}

func openSQLite(dataDir string) (*sql.DB, error) {
	if dataDir == "" {
		dataDir = "data"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dataDir, "partnerhub.db")
	// WAL lets readers go on while one writer writes; an immediate transaction
	// takes the write lock up front, so two writers wait (busy_timeout) instead
	// of failing on a lock upgrade.
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	return db, nil
}

func openMySQL(dsn string) (*sql.DB, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("PARTNERHUB_DB_DSN is not a valid MySQL DSN: %w", err)
	}
	cfg.Collation = "utf8mb4_bin" // implies the utf8mb4 character set
	cfg.ParseTime = false
	cfg.ClientFoundRows = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	connector, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configure MySQL connection: %w", err)
	}
	db := sql.OpenDB(connector)
	// ToolsDB closes idle connections; keep ours shorter-lived than its timeout.
	db.SetConnMaxLifetime(5 * time.Minute)
	db.SetConnMaxIdleTime(time.Minute)
	db.SetMaxOpenConns(10)
	return db, nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Dialect names the engine: "sqlite" or "mysql".
func (s *Store) Dialect() string { return s.d.name }

// DB exposes the handle for tests and for packages that add their own tables
// through Migrate; domain code uses the Store's methods.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) now() int64 { return s.nowFunc().UnixMilli() }

// migrationThen holds the steps that follow a migration's statements in Go
// (filling a new table from existing rows), by version.
var migrationThen = map[int64]func(ctx context.Context, s *Store, db *sql.DB) error{
	25: backfillRowWords,
}

var migrationName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.sql$`)

// migrations turns the embedded SQL files into goose migrations with the
// dialect's tokens replaced, so one schema serves both engines.
func (s *Store) migrations() ([]*goose.Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []*goose.Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNNN_name.sql", e.Name())
		}
		version, _ := strconv.ParseInt(m[1], 10, 64)
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		stmts := splitStatements(s.d.schema(string(body)))
		name := e.Name()
		up := &goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			for _, stmt := range stmts {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w\n%s", name, err, stmt)
				}
			}
			if then := migrationThen[version]; then != nil {
				if err := then(ctx, s, db); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
			}
			return nil
		}}
		out = append(out, goose.NewGoMigration(version, up, nil))
	}
	return out, nil
}

// splitStatements splits a migration on semicolons at line ends, dropping
// comment lines; the schema files contain no semicolons inside literals.
func splitStatements(sqlText string) []string {
	var lines []string
	for _, l := range strings.Split(sqlText, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		lines = append(lines, l)
	}
	var out []string
	for _, part := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";"))
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Migrate applies every migration not yet applied. Safe to call at each start.
func (s *Store) Migrate(ctx context.Context) error {
	return s.MigrateTo(ctx, 0)
}

// MigrateTo applies the migrations not yet applied up to version (every
// one: 0); tests make a database as an older release left it with it.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	ms, err := s.migrations()
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	if s.d.name == "mysql" {
		gd = goose.DialectMySQL
	}
	p, err := goose.NewProvider(gd, s.db, nil,
		goose.WithGoMigrations(ms...),
		goose.WithDisableGlobalRegistry(true),
		// Migrations are independent of each other, and may arrive from
		// branches in any order.
		goose.WithAllowOutofOrder(true),
		goose.WithTableName("partnerhub_schema_version"))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	var results []*goose.MigrationResult
	if version > 0 {
		results, err = p.UpTo(ctx, version)
	} else {
		results, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		s.logger.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// inTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// notFound turns sql.ErrNoRows into the domain's not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Errorf(jobs.ENOTFOUND, "%s was not found.", what)
	}
	return err
}

func msToTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// queryAll runs a query and scans each row with scan; what names the rows
// in errors.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), what, query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// inList is "(?, ?, ...)" with n placeholders, for a SQL IN clause.
// setStatus moves a record (what: "plan") of table from one of the from
// states to status, setting its error column to message unless it has none
// (noMessage); ECONFLICT, with the state current reads, when it is in none
// of them.
func setStatus[S ~string](ctx context.Context, s *Store, what, table string, id int64, status S, message string, noMessage bool,
	from []S, current func(context.Context, int64) (S, error)) error {
	args, set := []any{status, message, s.now(), id}, "status = ?, error = ?"
	if noMessage {
		args, set = []any{status, s.now(), id}, "status = ?"
	}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET `+set+`, updated_at = ? WHERE id = ? AND status IN `+inList(len(from)), args...)
	if err != nil {
		return fmt.Errorf("change %s status: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := current(ctx, id)
		if err != nil {
			return err
		}
		return jobs.Errorf(jobs.ECONFLICT, "The %s is %s, so it cannot become %s.", what, cur, status)
	}
	return nil
}

func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
