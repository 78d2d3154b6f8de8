package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestReviewSearchSameOnBothEngines runs the same searches on SQLite and
// MariaDB and compares what every page holds, paging three rows at a time in
// row and in score order, with and without status filters: the two engines
// answer the search box differently (full-text index read in row order with
// prefixes spelled out as words on SQLite; rare words through FULLTEXT and
// common ones checked row by row on MariaDB), and must find the same rows.
// A second job holds the same text, so a search that leaked across jobs
// would show.
func TestReviewSearchSameOnBothEngines(t *testing.T) {
	names := []string{"August Strindberg", "René Magritte", "Anders Ångström", "Karl Müller", "Greta Muller", "Selma Lagerlöf", "Strindbergs Salong"}
	searches := []struct {
		text string
		want int // rows of 42 in row order, without a status filter
	}{
		{"Person", 42},
		{"pers", 42},
		{"person", 42},
		{"Strind", 12},
		{"strindberg", 12},
		{"Strindbergs", 6},
		{"August Strindberg", 6},
		{"strindberg august", 6},
		{"Rene", 6},
		{"rené", 6},
		{"RENÉ MAGR", 6},
		{"Ångström", 6},
		{"angstrom", 6},
		{"muller", 12},
		{"Müller Karl", 6},
		{"Lagerlof Person", 6},
		{"Uppsala", 14},
		{"Person Uppsala Strindberg", 4},
		{"Person 12", 1},
		{"Nobody", 0},
		{"Strindberg Nobody", 0},
	}
	got := map[string][]string{}
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var j *jobs.Job
		var ds *jobs.Dataset
		for k := range 2 {
			j, ds = seedSearchTestJob(t, st, names, fmt.Sprint(k))
		}
		for _, sc := range searches {
			for _, sort := range []string{"row", "score"} {
				for _, status := range []string{"", "review", "matched", "decided", "undecided"} {
					f := jobs.ReviewFilter{Text: sc.text, SortBy: sort, Status: status}
					var rows []string
					var after *jobs.ReviewCursor
					for range 100 {
						page, next, err := st.ReviewPage(ctx, j.ID, ds.ID, f, after, 3)
						if err != nil {
							t.Fatalf("%+v: %v", f, err)
						}
						for _, r := range page {
							rows = append(rows, fmt.Sprintf("%d %s %.2f", r.Row, r.Cells[0], r.Match.Score))
						}
						if next == nil {
							break
						}
						after = next
					}
					if sort == "row" && status == "" && len(rows) != sc.want {
						t.Errorf("search %q found %d rows, want %d: %v", sc.text, len(rows), sc.want, rows)
					}
					if sort == "row" && !slices.IsSortedFunc(rows, func(a, b string) int {
						var x, y int
						fmt.Sscan(a, &x)
						fmt.Sscan(b, &y)
						return x - y
					}) {
						t.Errorf("search %q: rows out of order: %v", sc.text, rows)
					}
					key := fmt.Sprintf("%q sort=%s status=%s", sc.text, sort, status)
					got[key+" "+st.Dialect()] = rows
					got[key] = rows
				}
			}
		}
	})
	for _, sc := range searches {
		for _, sort := range []string{"row", "score"} {
			for _, status := range []string{"", "review", "matched", "decided", "undecided"} {
				key := fmt.Sprintf("%q sort=%s status=%s", sc.text, sort, status)
				lite, my := got[key+" sqlite"], got[key+" mysql"]
				if _, ok := got[key+" mysql"]; !ok {
					continue // MariaDB skipped outside CI
				}
				if !slices.Equal(lite, my) {
					t.Errorf("%s: SQLite found %v, MariaDB %v", key, lite, my)
				}
			}
		}
	}
}

// seedSearchTestJob makes a reconciled job of 42 rows: names cycle through
// names, every row says "Person <n>", every third lives in Uppsala; statuses
// alternate, scores repeat (ties for the score cursor), and every fourth row
// is decided.
func seedSearchTestJob(t *testing.T, st *store.Store, names []string, suffix string) (*jobs.Job, *jobs.Dataset) {
	t.Helper()
	ctx := context.Background()
	u, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Searcher"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(ctx, u.ID, "Search "+suffix, "")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, j.ID, "search.csv", "/none", 1)
	if err != nil {
		t.Fatal(err)
	}
	ds.Columns = []string{"name", "note"}
	if err := st.StartImport(ctx, ds); err != nil {
		t.Fatal(err)
	}
	const n = 42
	var rows []jobs.Row
	var ms []jobs.RowMatch
	for i := 1; i <= n; i++ {
		note := fmt.Sprintf("Person %d", i)
		if i%3 == 0 {
			note += " of Uppsala"
		}
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{names[(i-1)%len(names)], note}})
		status := jobs.MatchReview
		if i%2 == 0 {
			status = jobs.MatchMatched
		}
		ms = append(ms, jobs.RowMatch{Row: int64(i), Status: status, QID: fmt.Sprint("Q", 100+i), Label: "Item", Score: float64(i%5) / 4})
	}
	if err := st.AppendRows(ctx, ds.ID, rows, n); err != nil {
		t.Fatal(err)
	}
	ds.RowCount = n
	if err := st.FinishImport(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartReconciliation(ctx, j.ID, n, n); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.SaveBatchResult(ctx, j.ID, 1, ms, 1); !ok || err != nil {
		t.Fatalf("save batch: %v %v", ok, err)
	}
	for i := 4; i <= n; i += 4 {
		if _, err := st.Decide(ctx, j.ID, int64(i), jobs.DecisionReject, "", u.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	return j, ds
}
