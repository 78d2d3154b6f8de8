package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// The search box's words are the tokens of SQLite's FTS5 "unicode61
// remove_diacritics 2" tokenizer on both engines: SQLite's row_search
// indexes them, and MariaDB's row_words (one entry per job, word and row)
// holds the same tokens, made here. So that the two engines find the same
// rows, this file does not reimplement the tokenizer's Unicode tables (Go's
// and SQLite's differ in version and in which marks they drop): each
// character beyond ASCII is asked, once per process, of the FTS5 tokenizer
// itself, in an in-memory database of the embedded SQLite. unicode61 treats
// every character on its own (a token character, folded, maybe to nothing;
// or a separator), so a table of characters is the whole tokenizer.

// searchWordMax bounds a word's bytes (MariaDB's key); a longer word is cut
// at a character boundary, and so is a query word.
const searchWordMax = 200

// runeFold is what the tokenizer makes of one character: sep for a
// separator, otherwise its folded text (maybe empty: a dropped mark).
type runeFold struct {
	sep  bool
	text string
}

// ftsFolds is the process's table of non-ASCII characters, filled on demand.
var ftsFolds = struct {
	mu    sync.RWMutex
	known map[rune]runeFold
	db    *sql.DB
}{known: map[rune]runeFold{}}

// searchTokens returns the distinct words of text, folded, in order of
// first appearance.
func searchTokens(ctx context.Context, text string) ([]string, error) {
	if err := learnRunes(ctx, text); err != nil {
		return nil, err
	}
	ftsFolds.mu.RLock()
	defer ftsFolds.mu.RUnlock()
	var (
		out  []string
		seen = map[string]bool{}
		b    strings.Builder
	)
	flush := func() {
		if b.Len() > 0 {
			w := cutWord(b.String())
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
			b.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
				b.WriteRune(r)
			case 'A' <= r && r <= 'Z':
				b.WriteRune(r + 'a' - 'A')
			default:
				flush()
			}
		default:
			f := ftsFolds.known[r]
			if f.sep {
				flush()
			} else {
				b.WriteString(f.text)
			}
		}
	}
	flush()
	return out, nil
}

// cutWord shortens w to searchWordMax bytes at a character boundary.
func cutWord(w string) string {
	if len(w) <= searchWordMax {
		return w
	}
	n := searchWordMax
	for n > 0 && !utf8.RuneStart(w[n]) {
		n--
	}
	return w[:n]
}

// learnRunes asks SQLite's tokenizer about the characters of text it has
// not seen yet: each goes into a document "q<c>z", whose tokens say what
// the tokenizer makes of c ("q", "z" for a separator, "q<fold>z" else).
func learnRunes(ctx context.Context, text string) error {
	var todo []rune
	ftsFolds.mu.RLock()
	for _, r := range text {
		if r >= utf8.RuneSelf && !slices.Contains(todo, r) {
			if _, ok := ftsFolds.known[r]; !ok {
				todo = append(todo, r)
			}
		}
	}
	ftsFolds.mu.RUnlock()
	if len(todo) == 0 {
		return nil
	}
	ftsFolds.mu.Lock()
	defer ftsFolds.mu.Unlock()
	if ftsFolds.db == nil {
		db, err := sql.Open("sqlite", "file:partnerhub-tokenizer?mode=memory&cache=private")
		if err != nil {
			return fmt.Errorf("open the search tokenizer: %w", err)
		}
		// One connection for good: the in-memory database is its own.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		ftsFolds.db = db
	}
	conn, err := ftsFolds.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open the search tokenizer: %w", err)
	}
	defer conn.Close()
	for _, q := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS fold USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE IF NOT EXISTS fold_terms USING fts5vocab(fold, 'instance')`,
		`DELETE FROM fold`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prepare the search tokenizer: %w", err)
		}
	}
	for len(todo) > 0 {
		chunk := todo[:min(len(todo), 500)]
		todo = todo[len(chunk):]
		var b strings.Builder
		args := make([]any, 0, 2*len(chunk))
		b.WriteString(`INSERT INTO fold (rowid, body) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?)")
			args = append(args, int64(r), "q"+string(r)+"z")
		}
		if _, err := conn.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("ask the search tokenizer: %w", err)
		}
		rows, err := conn.QueryContext(ctx, `SELECT doc, term FROM fold_terms ORDER BY doc, offset`)
		if err != nil {
			return fmt.Errorf("ask the search tokenizer: %w", err)
		}
		terms := map[rune][]string{}
		for rows.Next() {
			var (
				doc  int64
				term string
			)
			if err := rows.Scan(&doc, &term); err != nil {
				rows.Close()
				return err
			}
			terms[rune(doc)] = append(terms[rune(doc)], term)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range chunk {
			t := terms[r]
			switch {
			case len(t) == 2 && t[0] == "q" && t[1] == "z":
				ftsFolds.known[r] = runeFold{sep: true}
			case len(t) == 1 && strings.HasPrefix(t[0], "q") && strings.HasSuffix(t[0], "z"):
				ftsFolds.known[r] = runeFold{text: t[0][1 : len(t[0])-1]}
			default:
				return fmt.Errorf("the search tokenizer made %q of %U", t, r)
			}
		}
		if _, err := conn.ExecContext(ctx, `DELETE FROM fold`); err != nil {
			return fmt.Errorf("ask the search tokenizer: %w", err)
		}
	}
	return nil
}

// wordsText is a row's words as MariaDB's row_search.words holds them: each
// preceded by a space, so "has a word beginning with p" is LIKE '% p%'.
func wordsText(words []string) string {
	var b strings.Builder
	for _, w := range words {
		b.WriteString(" ")
		b.WriteString(w)
	}
	return b.String()
}

// prefixEnd is the least string above every string beginning with p
// (bytewise), "" when there is none.
func prefixEnd(p string) string {
	b := []byte(p)
	for len(b) > 0 {
		if b[len(b)-1] < 0xff {
			b[len(b)-1]++
			return string(b)
		}
		b = b[:len(b)-1]
	}
	return ""
}
