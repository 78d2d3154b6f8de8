package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// BenchmarkReviewSearch times the review page's search box on a job of
// PARTNERHUB_BENCH_ROWS rows (default 1,000,000) on SQLite and on MariaDB
// (a database of its own, dropped afterwards; PARTNERHUB_TEST_MYSQL_DSN),
// for several shapes of query, each iteration asking for a different row
// (rare words) or page (common ones), so that no answer is simply cached.
// It reports the median and 95th percentile of a page of 50 rows; run at
// least 100 iterations for a p95 worth the name:
//
//	PARTNERHUB_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test' go test -run '^$' -bench ReviewSearch -benchtime 100x -timeout 30m ./jobs/store/
func BenchmarkReviewSearch(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range []string{"sqlite", "mysql"} {
		b.Run(engine, func(b *testing.B) {
			var st *store.Store
			if engine == "sqlite" {
				st = storetest.SQLite(b)
			} else {
				st = storetest.MySQL(b)
			}
			start := time.Now()
			j, ds := seedSearchJob(b, st, n)
			b.Logf("%s: %d rows seeded in %s", engine, n, time.Since(start).Round(time.Millisecond))
			// target(i): a row that one number names, e.g. 777777 of a
			// million and its neighbours; page(i): a page somewhere in the job.
			target := func(i int) int { return n*7/9 + i%1000 }
			page := func(i int) *jobs.ReviewCursor {
				return &jobs.ReviewCursor{Row: int64(100 + (i*7919)%(n-200)), Score: 0.5}
			}
			for _, tc := range []struct {
				name   string
				filter func(i int) jobs.ReviewFilter
				after  func(i int) *jobs.ReviewCursor
				want   int
			}{
				{"common+rare", func(i int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: fmt.Sprintf("Person %d", target(i))} }, nil, 1},
				{"rare", func(i int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: strconv.Itoa(target(i))} }, nil, 1},
				// 7777, 77770–77779, 777700–777799 of a million: a prefix of 111 rows.
				{"rare-prefix", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: strconv.Itoa(target(0) / 100)} }, nil, 50},
				{"common", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "Person"} }, nil, 50},
				{"common-later-page", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "Person"} }, page, 50},
				{"common-prefix", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "pers"} }, page, 50},
				// A year, in one row of 300 ("born 1777"): common, yet a page
				// of it is spread over 15,000 rows.
				{"sparse-common", func(i int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: fmt.Sprintf("born %d", 1700+i%300)} },
					func(i int) *jobs.ReviewCursor { return &jobs.ReviewCursor{Row: int64(100 + (i*7919)%(n/2))} }, 50},
				{"two-common", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "Person Uppsala"} }, page, 50},
				{"common-status-by-score", func(int) jobs.ReviewFilter {
					return jobs.ReviewFilter{Text: "Person", Status: "review", SortBy: "score"}
				}, page, 50},
				// No search, the same filter and order: the keyset alone.
				{"no-text-status-by-score", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Status: "review", SortBy: "score"} }, page, 50},
				{"absent", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "Nobody"} }, nil, 0},
				{"common-absent", func(int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: "Person Nobody"} }, nil, 0},
				{"short-word", func(i int) jobs.ReviewFilter { return jobs.ReviewFilter{Text: fmt.Sprintf("Person %d x", target(i))} }, nil, 0},
			} {
				b.Run(tc.name, func(b *testing.B) {
					ctx := context.Background()
					var times []time.Duration
					for i := 0; b.Loop(); i++ {
						var after *jobs.ReviewCursor
						if tc.after != nil {
							after = tc.after(i)
						}
						t0 := time.Now()
						page, _, err := st.ReviewPage(ctx, j.ID, ds.ID, tc.filter(i), after, 50)
						times = append(times, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						if len(page) != tc.want {
							b.Fatalf("search %+v found %d rows, want %d", tc.filter(i), len(page), tc.want)
						}
					}
					slices.Sort(times)
					b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
					b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
				})
			}
		})
	}
}

// seedSearchJob builds a reconciled job of n rows through the store's own
// writes (so the search index is the one the workers fill).
func seedSearchJob(b *testing.B, st *store.Store, n int) (*jobs.Job, *jobs.Dataset) {
	b.Helper()
	ctx := context.Background()
	u, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	j, err := st.CreateJob(ctx, u.ID, "Search bench", "")
	if err != nil {
		b.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, j.ID, "bench.csv", "/none", 1)
	if err != nil {
		b.Fatal(err)
	}
	ds.Columns = []string{"name", "note"}
	if err := st.StartImport(ctx, ds); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for first := 1; first <= n; first += batch {
		var rows []jobs.Row
		for i := first; i < first+batch && i <= n; i++ {
			rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprintf("Person %d", i), fmt.Sprintf("born %d in Uppsala", 1700+i%300)}})
		}
		if err := st.AppendRows(ctx, ds.ID, rows, int64(first+len(rows)-1)); err != nil {
			b.Fatal(err)
		}
	}
	ds.RowCount = int64(n)
	if err := st.FinishImport(ctx, ds, nil); err != nil {
		b.Fatal(err)
	}
	if err := st.StartReconciliation(ctx, j.ID, int64(n), batch); err != nil {
		b.Fatal(err)
	}
	for no, first := int64(1), 1; first <= n; no, first = no+1, first+batch {
		var ms []jobs.RowMatch
		for i := first; i < first+batch && i <= n; i++ {
			ms = append(ms, jobs.RowMatch{Row: int64(i), Status: jobs.MatchReview, QID: fmt.Sprint("Q", 1000+i), Label: fmt.Sprintf("Item %d", i), Score: 0.5})
		}
		if ok, err := st.SaveBatchResult(ctx, j.ID, no, ms, 1); !ok || err != nil {
			b.Fatalf("save batch %d: %v %v", no, ok, err)
		}
	}
	return j, ds
}
