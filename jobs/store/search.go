package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// searchSample is how many of a job's rows, spread evenly, tell which search
// words are common; a word in at least searchCommonPct percent of them is.
const (
	searchSample    = 500
	searchCommonPct = 1
	// sqliteCommon: past this many matches in the job, SQLite checks the
	// page's rows one by one instead of reading every match.
	sqliteCommon = 2000
	// sqliteMaxTerms: a prefix standing for more terms stays a prefix.
	sqliteMaxTerms = 50
)

// sqliteTerms builds the FTS5 query for text: every chunk a prefix, the
// plain ones (ASCII letters and digits) spelt out as the index's terms
// they begin (row_search_terms), so FTS5 reads their lists as it goes
// instead of merging them whole; prefixes says whether some prefix is left.
// A chunk no term begins matches nothing: match is then "nothing".
func (s *Store) sqliteTerms(ctx context.Context, text string) (match string, prefixes bool, err error) {
	chunks := sqliteChunks(text)
	if len(chunks) == 0 {
		return "", false, nil
	}
	var q []string
	for _, c := range chunks {
		if strings.IndexFunc(c, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue // no token: an empty phrase, which would fail an explicit AND
		}
		if !plainWord(c) {
			q, prefixes = append(q, sqlitePrefix(c)), true
			continue
		}
		lo := strings.ToLower(c)
		hi := lo[:len(lo)-1] + string(lo[len(lo)-1]+1)
		// One term at a time, each the first at or past the last one's end:
		// the vocabulary seeks to a lower bound, where "term > ?" would read
		// every instance of the term before it.
		var terms []string
		for from := lo; len(terms) <= sqliteMaxTerms; {
			var t string
			err := s.db.QueryRowContext(ctx, `SELECT term FROM row_search_terms WHERE term >= ? AND term < ? LIMIT 1`, from, hi).Scan(&t)
			if err == sql.ErrNoRows {
				break
			}
			if err != nil {
				return "", false, fmt.Errorf("read the search terms: %w", err)
			}
			terms = append(terms, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			from = t + "\x01" // no term holds a control character
		}
		switch {
		case len(terms) == 0:
			// No row has the word: an impossible term, so the query stays valid.
			q = append(q, `"`+lo+`"`)
		case len(terms) > sqliteMaxTerms:
			q, prefixes = append(q, sqlitePrefix(c)), true
		default:
			q = append(q, "("+strings.Join(terms, " OR ")+")")
		}
	}
	if len(q) == 0 {
		return "", false, nil
	}
	// Explicit AND: FTS5 reads no implicit AND before a parenthesis.
	return strings.Join(q, " AND "), prefixes, nil
}

// searchCondition returns a condition on m (rows of job jobID whose search
// text has every word of text, each as a prefix) and its arguments; "" when
// text has no word.
func (s *Store) searchCondition(ctx context.Context, jobID int64, text string) (string, []any, error) {
	if s.d.name != "mysql" {
		match, prefixes, err := s.sqliteTerms(ctx, text)
		if err != nil || match == "" {
			return "", nil, err
		}
		// Common: the job has more than sqliteCommon matches, counted
		// without reading more of them than that.
		first := jobID * searchKeyJob
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM row_search WHERE row_search MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?)`,
			match, first, first+searchKeyJob-1, sqliteCommon+1).Scan(&n); err != nil {
			return "", nil, fmt.Errorf("count the search's matches: %w", err)
		}
		// Row by row only with whole terms (see sqliteSearch).
		cond, args := sqliteSearch(jobID, match, n > sqliteCommon && !prefixes)
		return cond, args, nil
	}
	if text = cleanSearchText(text); text == "" {
		return "", nil, nil
	}
	words := searchWords(text)
	common, err := s.commonWords(ctx, jobID, words)
	if err != nil {
		return "", nil, err
	}
	cond, args := mysqlSearch(jobID, words, common)
	return cond, args, nil
}

// commonWords says which of the indexable words are in at least
// searchCommonPct percent of a sample of the job's rows: a handful of
// primary-key reads, where asking the full-text index about a common word
// costs seconds.
func (s *Store) commonWords(ctx context.Context, jobID int64, words []string) (map[string]bool, error) {
	var probe []string
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 {
			probe = append(probe, w)
		}
	}
	if len(probe) == 0 {
		return nil, nil
	}
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(row_num), 0) FROM row_search WHERE job_id = ?`, jobID).Scan(&last); err != nil {
		return nil, fmt.Errorf("sample the search index: %w", err)
	}
	if last == 0 {
		return nil, nil
	}
	n := min(int64(searchSample), last)
	sample := make([]any, 0, n)
	for i := range n {
		sample = append(sample, 1+i*last/n)
	}
	var sums []string
	args := make([]any, 0, len(probe)+1+len(sample))
	for _, w := range probe {
		sums = append(sums, "COALESCE(SUM(body LIKE ?), 0)")
		args = append(args, "%"+w+"%")
	}
	args = append(args, jobID)
	args = append(args, sample...)
	q := `SELECT COUNT(*), ` + strings.Join(sums, ", ") + ` FROM row_search WHERE job_id = ? AND row_num IN ` + inList(len(sample))
	counts := make([]int64, len(probe)+1)
	dest := make([]any, len(counts))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("sample the search index: %w", err)
	}
	common := map[string]bool{}
	for i, w := range probe {
		if counts[0] > 0 && counts[i+1]*100 >= counts[0]*searchCommonPct {
			common[w] = true
		}
	}
	return common, nil
}
