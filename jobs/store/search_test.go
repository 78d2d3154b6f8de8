package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// FuzzSearchCondition: whatever a reviewer types, the search query is valid
// full-text syntax (no error from the engine), its words are the ones FTS5
// makes of the text, and it finds a row whose text is the query.
func FuzzSearchCondition(f *testing.F) {
	st, err := Open(context.Background(), "", f.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Person 42", `"quoted" AND OR NOT`, "René*", "a-b", "NEAR(x y)", "col:val", "^start", "100%", "'; DROP TABLE x; --", "日本語 テキスト",
		"Ångström STRASSE straße", "İstanbul ǅemal", "١٢٣ ٤", "e\u0301e\u0301", "ﬁne Ⅻ ⑦", "😀x", "\x00a\x01b", "a_b%c\\d", strings.Repeat("long", 80)} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, text string) {
		if _, _, err := st.searchCondition(ctx, 1, text); err != nil {
			t.Fatal(err)
		}
		// Stored text is valid UTF-8 (the importer checks every cell).
		text = strings.ToValidUTF8(text, " ")
		words, err := searchTokens(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.db.ExecContext(ctx, `DELETE FROM row_search`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.db.ExecContext(ctx, `INSERT INTO row_search (rowid, job_id, row_num, body) VALUES (?, 1, 1, ?)`, searchKeyJob+1, text); err != nil {
			t.Fatal(err)
		}
		// The words MariaDB's row_words holds are FTS5's tokens.
		var fts []string
		rows, err := st.db.QueryContext(ctx, `SELECT term FROM row_search_terms WHERE doc = ? ORDER BY offset`, searchKeyJob+1)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var w string
			if err := rows.Scan(&w); err != nil {
				t.Fatal(err)
			}
			if w = cutWord(w); !slices.Contains(fts, w) {
				fts = append(fts, w)
			}
		}
		rows.Close()
		if !slices.Equal(words, fts) {
			t.Fatalf("words of %q: %q, FTS5 made %q", text, words, fts)
		}
		if len(words) == 0 || slices.ContainsFunc(words, func(w string) bool { return len(w) == searchWordMax }) {
			return // a cut word is a prefix of FTS5's, not one of its terms
		}
		// Both ways of asking (reading the job's matches, checking the row),
		// with every word a prefix and with prefixes spelt out as terms.
		var prefixes []string
		for _, w := range words {
			prefixes = append(prefixes, ftsQuote(w)+"*")
		}
		terms, _, err := st.sqliteTerms(ctx, words)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			match  string
			common bool
		}{{strings.Join(prefixes, " AND "), false}, {strings.Join(prefixes, " AND "), true}, {terms, false}, {terms, true}} {
			cond, args := sqliteSearch(1, c.match, c.common)
			q := fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 AS job_id, 1 AS row_num) m WHERE %s`, cond)
			var n int
			if err := st.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			if n != 1 {
				t.Fatalf("search %q (%s, common %v) did not find its own text", text, c.match, c.common)
			}
		}
	})
}
