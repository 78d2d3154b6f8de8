package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// searchSample is how many of a job's rows, spread evenly, tell which search
// words are common; a word in at least searchCommonPct percent of them is.
const (
	searchSample    = 500
	searchCommonPct = 1
)

// searchCondition returns a condition on m (rows of job jobID whose search
// text has every word of text, each as a prefix) and its arguments; "" when
// text has no word.
func (s *Store) searchCondition(ctx context.Context, jobID int64, text string) (string, []any, error) {
	if s.d.name != "mysql" {
		cond, args := sqliteSearch(text)
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
