package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// BenchmarkReviewPage serves review pages of a job with
// PARTNERHUB_BENCH_ROWS reconciled rows (default 1,000,000) on SQLite, and
// reports the median time per page for first, deep and filtered pages.
//
//	go test ./web -run '^$' -bench ReviewPage -benchtime 20x
func BenchmarkReviewPage(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	st := storetest.SQLite(b)
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Reviewer"})
	j, _ := st.CreateJob(ctx, u.ID, "Big", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"version":1,"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}}}`))
	ds, _ := st.CreateDataset(ctx, j.ID, "big.csv", "/none", 1)
	ds.Columns = []string{"name", "born", "ulan", "note"}
	_ = st.StartImport(ctx, ds)
	const batch = 5000
	if err := st.StartReconciliation(ctx, j.ID, int64(n), batch); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for first := 1; first <= n; first += batch {
		var rows []jobs.Row
		var ms []jobs.RowMatch
		for i := first; i < first+batch && i <= n; i++ {
			rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprintf("Person %d", i), strconv.Itoa(1700 + i%300), strconv.Itoa(500000000 + i), "a note"}})
			status := []jobs.MatchStatus{jobs.MatchMatched, jobs.MatchReview, jobs.MatchReview, jobs.MatchNone}[i%4]
			m := jobs.RowMatch{Row: int64(i), Status: status, Score: float64(i%1000) / 1000}
			if status != jobs.MatchNone {
				m.QID, m.Label = fmt.Sprint("Q", i), fmt.Sprintf("Person %d", i)
				for c := 0; c < 3; c++ {
					m.Candidates = append(m.Candidates, jobs.CandidateSummary{QID: fmt.Sprint("Q", i*10+c), Label: fmt.Sprintf("Person %d", i), Description: "painter (1850–1920)",
						Score: m.Score - float64(c)/10, Evidence: []string{"label equals name (en)", "instance of human"}, Facts: map[string][]string{"P569": {"1850-01-01"}, "P245": {strconv.Itoa(500000000 + i)}}})
				}
			}
			ms = append(ms, m)
		}
		if err := st.AppendRows(ctx, ds.ID, rows, int64(first+len(rows)-1)); err != nil {
			b.Fatal(err)
		}
		if _, err := st.SaveBatchResult(ctx, j.ID, int64(first/batch+1), ms, 1); err != nil {
			b.Fatal(err)
		}
	}
	ds.RowCount = int64(n)
	_ = st.FinishImport(ctx, ds, nil)
	b.Logf("seeded %d rows in %s", n, time.Since(start).Round(time.Millisecond))

	h := newHandler(b, web.Deps{Store: st, Queue: &recordingQueue{}, Runner: &recordingRunner{}, Redis: pinger{}, Auth: web.LocalAuth{User: u}, Logger: quietLogger()}, nil)
	base := fmt.Sprintf("/jobs/%d/review", j.ID)
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"deep-by-row", fmt.Sprintf("?after=%d", n*9/10)},
		{"by-score", "?sort=score"},
		{"deep-by-score", "?sort=score&after=500&after_score=0.5"},
		{"review-by-score", "?status=review&sort=score&min=0.2&max=0.8"},
		{"undecided", "?status=undecided"},
		{"text", "?q=Person%20777777"},
		{"compact", "?view=compact"},
		{"bulk-confirm-histogram", "/bulk?mode=score&min_score=0.9"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", base+c.query, nil)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", c.query, rec.Code)
				}
			}
			sort.Slice(times, func(i, k int) bool { return times[i] < times[k] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
		})
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
