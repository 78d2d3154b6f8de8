package match

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/sparql"
)

// emptyQuerier answers every query with no rows and keeps the queries.
type emptyQuerier struct {
	mu      sync.Mutex
	queries []string
}

func (q *emptyQuerier) Select(ctx context.Context, query string) (*sparql.Results, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queries = append(q.queries, query)
	return &sparql.Results{}, nil
}

// slowSearcher records how many searches run at once.
type slowSearcher struct {
	inFlight, most atomic.Int32
	err            error
}

func (s *slowSearcher) Search(ctx context.Context, text, language string, limit int) ([]string, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	if s.err != nil {
		return nil, s.err
	}
	return []string{"Q42", "not-an-id", "P31"}, nil
}

func TestSearchFallbackIsBounded(t *testing.T) {
	q := &emptyQuerier{}
	s := &slowSearcher{}
	e := NewEngine(q, s, smallTemplate(t), quiet)
	var rows []Row
	for i := range 20 {
		rows = append(rows, Row{Num: int64(i + 1), Values: map[string]string{"name": "Someone " + strings.Repeat("x", i+1)}})
	}
	got, err := e.MatchBatch(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.most.Load(); m > searchConcurrency || m < 2 {
		t.Errorf("%d searches at once, want 2..%d", m, searchConcurrency)
	}
	// Hits go to the fact query like any candidate; only item ids count.
	if len(got[0].Candidates) != 1 || got[0].Candidates[0].QID != "Q42" || got[0].Status != jobs.MatchReview {
		t.Errorf("row 1: %+v", got[0])
	}
	last := q.queries[len(q.queries)-1]
	if !strings.Contains(last, "<http://www.wikidata.org/entity/Q42>") || strings.Count(last, "SELECT") != 1 {
		t.Errorf("fact query:\n%s", last)
	}
	// Q42 has no label in the languages here: its labels in others are
	// asked for apart.
	if n, s := e.Queries(), e.Searches(); n != 4 || s != int64(len(rows)) {
		t.Errorf("%d queries and %d searches, want labels, the type's subclasses, facts and labels in other languages, and one search a row", n, s)
	}
}

func TestSearchFailureFailsTheBatch(t *testing.T) {
	boom := errors.New("search is down")
	e := NewEngine(&emptyQuerier{}, &slowSearcher{err: boom}, smallTemplate(t), quiet)
	_, err := e.MatchBatch(context.Background(), []Row{{Num: 1, Values: map[string]string{"name": "Someone"}}})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestQueriesAreBatchedAndEscaped(t *testing.T) {
	q := &emptyQuerier{}
	e := NewEngine(q, nil, smallTemplate(t), quiet)
	var rows []Row
	for i := range 200 {
		rows = append(rows, Row{Num: int64(i + 1), Values: map[string]string{
			"name": "Anna \"the\" Berg\\ " + strings.Repeat("y", i%50) + "\n} UNION {", "ulan": "5001" + strings.Repeat("0", i%7) + "\" }"}})
	}
	if _, err := e.MatchBatch(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	// 200 rows: one identifier query and the label queries (no candidates,
	// so no fact query).
	if len(q.queries) > 3 {
		t.Errorf("%d queries for 200 rows", len(q.queries))
	}
	for _, query := range q.queries {
		if !strings.HasPrefix(query, "PREFIX ") || strings.Contains(query, "\n} UNION {\"") || strings.Contains(query, `the" Berg`) {
			t.Errorf("query not escaped or without prefixes:\n%.400s", query)
		}
	}
}
