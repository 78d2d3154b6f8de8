// Package storetest opens fresh stores for tests: an SQLite file in a temp
// directory always, and a throwaway MariaDB database when
// PARTNERHUB_TEST_MYSQL_DSN points at a server (CI sets it; there a missing
// server fails the test instead of skipping it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"partnerhub/jobs/store"
)

// Engines runs fn once per available database engine, each with a fresh,
// migrated store.
func Engines(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
}

// SQLite opens a migrated store in a temp directory.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "", t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// MySQLDSN returns a DSN for a new, empty database on the test server, and
// drops it when the test ends. It skips outside CI when no server is set.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PARTNERHUB_TEST_MYSQL_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PARTNERHUB_TEST_MYSQL_DSN is not set; CI must test against MariaDB")
		}
		t.Skip("PARTNERHUB_TEST_MYSQL_DSN not set: skipping MariaDB")
	}
	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatalf("PARTNERHUB_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "partnerhub_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database on %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", base); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name)
			db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// MySQL opens a migrated store on a fresh MariaDB database.
func MySQL(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), MySQLDSN(t), "", quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{}

func (testWriter) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

// SQLiteAt opens an SQLite store migrated up to version only, as a database
// made before the later migrations; Migrate brings it up to date.
func SQLiteAt(t testing.TB, version int64) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "", t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return st
}
