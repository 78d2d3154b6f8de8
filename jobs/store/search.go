package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

const (
	// sqliteMaxTerms: a prefix standing for more terms stays a prefix.
	sqliteMaxTerms = 50
)

// sqliteTerms builds the FTS5 query for words (searchTokens): every word a
// prefix, spelt out as the index's terms it begins (row_search_terms), so
// FTS5 reads their lists as it goes instead of merging them whole; prefixes
// says whether some prefix is left. A word no term begins matches nothing:
// it stays as a term no row has, so the query is still valid.
func (s *Store) sqliteTerms(ctx context.Context, words []string) (match string, prefixes bool, err error) {
	var q []string
	for _, w := range words {
		// One term at a time, each the first at or past the last one's end:
		// the vocabulary seeks to a lower bound, where "term > ?" would read
		// every instance of the term before it.
		var terms []string
		for from := w; len(terms) <= sqliteMaxTerms; {
			var t string
			err := s.db.QueryRowContext(ctx, `SELECT term FROM row_search_terms WHERE term >= ? AND term < ? LIMIT 1`, from, prefixEnd(w)).Scan(&t)
			if err == sql.ErrNoRows {
				break
			}
			if err != nil {
				return "", false, fmt.Errorf("read the search terms: %w", err)
			}
			terms = append(terms, ftsQuote(t))
			from = t + "\x01" // no term holds a control character
		}
		switch {
		case len(terms) == 0:
			q = append(q, ftsQuote(w))
		case len(terms) > sqliteMaxTerms:
			q, prefixes = append(q, ftsQuote(w)+"*"), true
		default:
			q = append(q, "("+strings.Join(terms, " OR ")+")")
		}
	}
	// Explicit AND: FTS5 reads no implicit AND before a parenthesis.
	return strings.Join(q, " AND "), prefixes, nil
}

// searchCondition returns a condition on m (rows of job jobID whose search
// text has every word of text, each as a prefix) and its arguments; "" when
// text has no word. The words are FTS5's tokens on both engines.
func (s *Store) searchCondition(ctx context.Context, jobID int64, text string) (string, []any, error) {
	words, err := searchTokens(ctx, text)
	if err != nil || len(words) == 0 {
		return "", nil, err
	}
	if s.d.name == "mysql" {
		return s.mysqlCondition(ctx, jobID, words)
	}
	match, prefixes, err := s.sqliteTerms(ctx, words)
	if err != nil {
		return "", nil, err
	}
	// Common: the job has more than s.searchCommon matches, counted without
	// reading more of them than that.
	first := jobID * searchKeyJob
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM row_search WHERE row_search MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?)`,
		match, first, first+searchKeyJob-1, s.searchCommon+1).Scan(&n); err != nil {
		return "", nil, fmt.Errorf("count the search's matches: %w", err)
	}
	// Row by row only with whole terms (see sqliteSearch).
	cond, args := sqliteSearch(jobID, match, n > s.searchCommon && !prefixes)
	return cond, args, nil
}

// mysqlCondition: each word's matches in the job are a range of row_words;
// a word with at most s.searchCommon of them (read, never more) gives the
// rows, which the other rare words narrow; common words are checked on the
// rows found, or, when every word is common, on the page's rows in page
// order, which fills a page quickly precisely because they are common.
// Every step reads a bounded part of one job's index, whatever the other
// jobs hold, and asks the optimizer nothing it could get wrong.
func (s *Store) mysqlCondition(ctx context.Context, jobID int64, words []string) (string, []any, error) {
	var (
		found  []int64
		narrow bool
		common []string
	)
	for _, w := range words {
		rows, err := queryInt64s(ctx, s.db, `SELECT row_num FROM row_words WHERE job_id = ? AND word >= ? AND word < ? LIMIT ?`,
			jobID, []byte(w), []byte(prefixEnd(w)), s.searchCommon+1)
		if err != nil {
			return "", nil, fmt.Errorf("read the search index: %w", err)
		}
		if len(rows) > s.searchCommon {
			common = append(common, w)
			continue
		}
		slices.Sort(rows)
		rows = slices.Compact(rows) // a row may hold several words of the prefix
		if narrow {
			rows = sortedIntersection(found, rows)
		}
		found, narrow = rows, true
		if len(found) == 0 {
			return "1 = 0", nil, nil
		}
	}
	cond, args := mysqlSearch(found, narrow, common)
	return cond, args, nil
}

// sortedIntersection returns the numbers in both sorted lists.
func sortedIntersection(a, b []int64) []int64 {
	var out []int64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// searchDoc is one row's search text.
type searchDoc struct {
	row  int64
	body string
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// writeSearchDocs indexes rows of a job for the search box: on SQLite the
// FTS5 table (its rowid the row's key, searchKeyJob), on MariaDB the text
// with its words and the words' row_words entries. On MariaDB a row already
// there gets its words (the backfill of migration 00025).
func (s *Store) writeSearchDocs(ctx context.Context, ex execer, jobID int64, docs []searchDoc) error {
	for len(docs) > 0 {
		chunk := docs[:min(len(docs), 500)]
		docs = docs[len(chunk):]
		type entry struct {
			word string
			row  int64
		}
		var (
			b       strings.Builder
			args    = make([]any, 0, len(chunk)*4)
			entries []entry
		)
		if s.d.name != "mysql" {
			b.WriteString(`INSERT INTO row_search (rowid, job_id, row_num, body) VALUES `)
		} else {
			b.WriteString(`INSERT INTO row_search (job_id, row_num, body, words) VALUES `)
		}
		for i, d := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			if s.d.name != "mysql" {
				b.WriteString("(?, ?, ?, ?)")
				args = append(args, jobID*searchKeyJob+d.row, jobID, d.row, d.body)
				continue
			}
			ws, err := searchTokens(ctx, d.body)
			if err != nil {
				return err
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, jobID, d.row, d.body, []byte(wordsText(ws)))
			for _, w := range ws {
				entries = append(entries, entry{w, d.row})
			}
		}
		if s.d.name == "mysql" {
			b.WriteString(` ON DUPLICATE KEY UPDATE words = VALUES(words)`)
		}
		if _, err := ex.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("index rows for search: %w", err)
		}
		// In key order: each statement then fills the index's pages in turn.
		slices.SortFunc(entries, func(a, b entry) int {
			return cmp.Or(strings.Compare(a.word, b.word), cmp.Compare(a.row, b.row))
		})
		words := make([]any, 0, 3*len(entries))
		for _, e := range entries {
			words = append(words, jobID, []byte(e.word), e.row)
		}
		for len(words) > 0 {
			part := words[:min(len(words), maxParams/3*3)]
			words = words[len(part):]
			q := s.d.insertIgnore + ` row_words (job_id, word, row_num) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(part)/3), ", ")
			if _, err := ex.ExecContext(ctx, q, part...); err != nil {
				return fmt.Errorf("index words for search: %w", err)
			}
		}
	}
	return nil
}

// clearSearch drops a job's search index.
func (s *Store) clearSearch(ctx context.Context, ex execer, jobID int64) error {
	qs := []string{`DELETE FROM row_search WHERE job_id = ?`, `DELETE FROM row_words WHERE job_id = ?`}
	args := []any{jobID}
	if s.d.name != "mysql" {
		qs, args = []string{`DELETE FROM row_search WHERE rowid BETWEEN ? AND ?`}, []any{jobID * searchKeyJob, (jobID+1)*searchKeyJob - 1}
	}
	for _, q := range qs {
		if _, err := ex.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("clear the search index of job %d: %w", jobID, err)
		}
	}
	return nil
}

// backfillRowWords (migration 00025, MariaDB) gives the rows indexed before
// it their words, a job at a time in steps of a few thousand rows, each
// step its own transaction; an interrupted run goes on where it stopped.
func backfillRowWords(ctx context.Context, s *Store, db *sql.DB) error {
	if s.d.name != "mysql" {
		return nil
	}
	jobIDs, err := queryInt64s(ctx, db, `SELECT DISTINCT job_id FROM row_search WHERE words IS NULL ORDER BY job_id`)
	if err != nil {
		return fmt.Errorf("find rows to index: %w", err)
	}
	for _, jobID := range jobIDs {
		start, done := time.Now(), 0
		for after := int64(-1 << 62); ; {
			rows, err := db.QueryContext(ctx, `SELECT row_num, body FROM row_search WHERE job_id = ? AND row_num > ? AND words IS NULL ORDER BY row_num LIMIT 2000`, jobID, after)
			if err != nil {
				return fmt.Errorf("read rows to index: %w", err)
			}
			var docs []searchDoc
			for rows.Next() {
				var d searchDoc
				if err := rows.Scan(&d.row, &d.body); err != nil {
					rows.Close()
					return err
				}
				docs = append(docs, d)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(docs) == 0 {
				break
			}
			if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.writeSearchDocs(ctx, tx, jobID, docs) }); err != nil {
				return fmt.Errorf("index the words of job %d: %w", jobID, err)
			}
			after, done = docs[len(docs)-1].row, done+len(docs)
		}
		s.logger.Info("indexed the words of a job for search", "job", jobID, "rows", done, "duration", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
