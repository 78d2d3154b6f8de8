package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// FuzzSearchCondition: whatever a reviewer types, the search query is valid
// full-text syntax (no error from the engine) and finds a row whose text
// contains exactly those words.
func FuzzSearchCondition(f *testing.F) {
	st, err := Open(context.Background(), "", f.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Person 42", `"quoted" AND OR NOT`, "René*", "a-b", "NEAR(x y)", "col:val", "^start", "100%", "'; DROP TABLE x; --", "日本語 テキスト"} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, text string) {
		if _, _, err := st.searchCondition(ctx, 1, text); err != nil {
			t.Fatal(err)
		}
		match := sqliteMatch(text)
		if match == "" {
			return
		}
		// The row's own text is the query: it must be found. Stored text is
		// valid UTF-8 (the importer checks every cell).
		text = strings.ToValidUTF8(text, " ")
		if _, err := st.db.ExecContext(ctx, `DELETE FROM row_search`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.db.ExecContext(ctx, `INSERT INTO row_search (rowid, job_id, row_num, body) VALUES (?, 1, 1, ?)`, searchKeyJob+1, text); err != nil {
			t.Fatal(err)
		}
		// Both ways of asking (reading the job's matches, checking the row),
		// with every chunk a prefix and with prefixes spelt out as terms.
		terms, _, err := st.sqliteTerms(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			match  string
			common bool
		}{{match, false}, {match, true}, {terms, false}, {terms, true}} {
			common := c.common
			if c.match == "" {
				continue
			}
			cond, args := sqliteSearch(1, c.match, common)
			q := fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 AS job_id, 1 AS row_num) m WHERE %s`, cond)
			var n int
			if err := st.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			// Beyond ASCII, Go's and SQLite's Unicode tables (versions) may
			// disagree on what a letter is; the property is checked where they agree.
			if n != 1 && isPrintableASCII(text) {
				t.Fatalf("search %q (common %v) did not find its own text", text, common)
			}
		}
	})
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
