package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

const refreshTemplate = `{"key":"id","columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`

// uploadVersion stores content as the job's next dataset version and imports it.
func uploadVersion(t *testing.T, st *store.Store, jobID int64, name, content string) (*jobs.Dataset, error) {
	t.Helper()
	ctx := context.Background()
	path, size, err := dataset.SaveUpload(strings.NewReader(content), t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, jobID, name, path, size)
	if err != nil {
		t.Fatal(err)
	}
	err = dataset.NewImporter(st, dataset.Limits{}, nil).Import(ctx, ds.ID, dataset.Options{})
	got, _ := st.Dataset(ctx, ds.ID)
	return got, err
}

// reconciledJob imports version 1 (ids a1..a5), reconciles every row to
// Q10n and accepts a1, a2 and a3.
func reconciledJob(t *testing.T, st *store.Store) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
	j, err := st.CreateJob(ctx, u.ID, "Refresh", "")
	if err != nil {
		t.Fatal(err)
	}
	v1 := "id,name,born\n"
	for i := 1; i <= 5; i++ {
		v1 += fmt.Sprintf("a%d,Person %d,18%02d\n", i, i, i)
	}
	if _, err := uploadVersion(t, st, j.ID, "v1.csv", v1); err != nil {
		t.Fatal(err)
	}
	if err := st.SetJobTemplate(ctx, j.ID, []byte(refreshTemplate)); err != nil {
		t.Fatal(err)
	}
	if err := st.StartReconciliation(ctx, j.ID, 5, 2); err != nil {
		t.Fatal(err)
	}
	for b := int64(1); b <= 3; b++ {
		var ms []jobs.RowMatch
		for r := 2*b - 1; r <= min(2*b, 5); r++ {
			ms = append(ms, jobs.RowMatch{Row: r, Status: jobs.MatchMatched, QID: fmt.Sprintf("Q10%d", r), Label: fmt.Sprintf("Person %d", r), Score: 0.95})
		}
		if _, err := st.SaveBatchResult(ctx, j.ID, b, ms, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.FinishReconciliationIfDone(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	for r := int64(1); r <= 3; r++ {
		if _, err := st.Decide(ctx, j.ID, r, jobs.DecisionAccept, fmt.Sprintf("Q10%d", r), u.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	j, _ = st.Job(ctx, j.ID)
	return j
}

// results maps each current row's id cell to its match QID and decision.
func results(t *testing.T, st *store.Store, jobID int64) map[string]string {
	t.Helper()
	ctx := context.Background()
	ds, err := st.DatasetOfJob(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.ExportPage(ctx, jobID, ds.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		v := r.Match.QID
		if r.Decision != nil {
			v += "/" + string(r.Decision.Kind) + ":" + r.Decision.QID
		}
		out[r.Cells[0]] = v
	}
	return out
}

func TestFailedRefreshLosesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		j := reconciledJob(t, st)
		before := results(t, st, j.ID)
		if before["a1"] != "Q101/accept:Q101" || before["a5"] != "Q105" {
			t.Fatalf("setup: %v", before)
		}
		png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
		for _, c := range []struct{ name, content, want string }{
			{"ragged rows", "id,name,born\na1,Person 1,1801\na2,Person 2\n", "row 2"},
			{"unterminated quote", "id,name,born\na1,\"Person 1,1801\na2,Person 2,1802\n", "never closed"},
			{"duplicate headers", "id,name,name\na1,x,y\n", "used twice"},
			{"PNG", png, "PNG image"},
			{"UTF-16", "\xff\xfei\x00d\x00\n\x00", "UTF-16"},
			{"header only", "id,name,born\n", "no data rows"},
			{"key column gone", "ident,name,born\na1,Person 1,1801\n", `key column "id" is not in the file`},
			{"duplicate key", "id,name,born\na1,Person 1,1801\na1,Person 2,1802\n", `the key "a1" is on row 1 too`},
			{"empty key", "id,name,born\na1,Person 1,1801\n,Person 2,1802\n", "key column is empty"},
		} {
			t.Run(c.name, func(t *testing.T) {
				ds, err := uploadVersion(t, st, j.ID, "v2.csv", c.content)
				if !errors.Is(err, dataset.ErrInputRejected) {
					t.Fatalf("import: %v", err)
				}
				if ds.Status != jobs.DatasetFailed || ds.Current || !strings.Contains(ds.Error, c.want) {
					t.Errorf("new version: %s current=%v %q, want %q", ds.Status, ds.Current, ds.Error, c.want)
				}
				cur, _ := st.DatasetOfJob(ctx, j.ID)
				if cur.Version != 1 || cur.Status != jobs.DatasetImported || cur.RowCount != 5 {
					t.Errorf("current dataset: version %d %s %d rows", cur.Version, cur.Status, cur.RowCount)
				}
				if n, _ := st.CountRows(ctx, cur.ID); n != 5 {
					t.Errorf("current rows: %d", n)
				}
				if got, _ := st.Job(ctx, j.ID); got.Status != jobs.JobReconciled {
					t.Errorf("job status %s", got.Status)
				}
				if got := results(t, st, j.ID); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("results changed:\n%v\n%v", got, before)
				}
				if p, _ := st.PendingDataset(ctx, j.ID); p == nil || p.ID != ds.ID {
					t.Errorf("the failed version is not shown: %+v", p)
				}
			})
		}
	})
}

func TestRefreshKeepsUnchangedRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		j := reconciledJob(t, st)
		// a3 removed; a2's birth year changed; a6 new; the rest moved about,
		// and the columns too.
		v2 := "born,id,name\n1804,a4,Person 4\n1900,a2,Person 2\n1801,a1,Person 1\n1806,a6,Person 6\n1805,a5,Person 5\n"
		ds, err := uploadVersion(t, st, j.ID, "v2.csv", v2)
		if err != nil {
			t.Fatal(err)
		}
		if !ds.Current || ds.Version != 2 || ds.KeyColumn != "id" {
			t.Fatalf("version 2: current=%v version=%d key=%q", ds.Current, ds.Version, ds.KeyColumn)
		}
		if want := (jobs.RefreshCounts{Kept: 3, Changed: 1, Added: 1, Removed: 1}); ds.Refresh != want {
			t.Errorf("counts %+v, want %+v", ds.Refresh, want)
		}
		// a1 keeps its match and decision at its new row; a2 loses both.
		want := map[string]string{"1804": "Q104", "1900": "", "1801": "Q101/accept:Q101", "1806": "", "1805": "Q105"}
		if got := results(t, st, j.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("results after refresh:\n got %v\nwant %v", got, want)
		}
		if c, _ := st.DecisionCounts(ctx, j.ID); c[jobs.DecisionAccept] != 1 {
			t.Errorf("decisions: %v (a2's and a3's must be gone)", c)
		}
		// The search box finds kept rows at their new numbers (SQLite keys
		// its search index by row number).
		for text, row := range map[string]int64{"a4": 1, "a1": 3, "a5": 5} {
			page, _, err := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Text: text}, nil, 50)
			if err != nil || len(page) != 1 || page[0].Row != row {
				t.Errorf("search %q after the refresh: %d rows (%v), want row %d", text, len(page), err, row)
			}
		}
		got, _ := st.Job(ctx, j.ID)
		if got.Status != jobs.JobReconciling {
			t.Fatalf("job %s, want reconciling the changed and added rows", got.Status)
		}
		p, _ := st.JobProgress(ctx, j.ID)
		if p.Rows != 5 || p.Done != 3 || p.Percent() != 60 { // the three kept rows have their results
			t.Errorf("progress right after the refresh: %d/%d (%d%%)", p.Done, p.Rows, p.Percent())
		}
		// The batches hold only the rows needing a result.
		var todo []int64
		for b := int64(1); b <= 3; b++ {
			batch, err := st.Batch(ctx, j.ID, b)
			if err != nil {
				t.Fatal(err)
			}
			if batch.Status != jobs.BatchPending {
				continue
			}
			rows, err := st.RowsToReconcile(ctx, j.ID, ds.ID, batch.FirstRow, batch.LastRow)
			if err != nil {
				t.Fatal(err)
			}
			var ms []jobs.RowMatch
			for _, r := range rows {
				todo = append(todo, r.Num)
				ms = append(ms, jobs.RowMatch{Row: r.Num, Status: jobs.MatchReview, QID: "Q20" + fmt.Sprint(r.Num), Score: 0.5})
			}
			// A worker's stale result for a kept row must not replace it.
			ms = append(ms, jobs.RowMatch{Row: batch.FirstRow, Status: jobs.MatchNone})
			if _, err := st.SaveBatchResult(ctx, j.ID, b, ms, 1); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(todo) != "[2 4]" {
			t.Errorf("rows reconciled again: %v, want [2 4] (a2 changed, a6 added)", todo)
		}
		if done, _ := st.FinishReconciliationIfDone(ctx, j.ID); !done {
			t.Error("not finished")
		}
		p, _ = st.JobProgress(ctx, j.ID)
		if p.Rows != 5 || p.Done != 5 || p.Percent() != 100 || p.Matched != 3 || p.Review != 2 {
			t.Errorf("progress at the end: %+v", p)
		}
		want = map[string]string{"1804": "Q104", "1900": "Q202", "1801": "Q101/accept:Q101", "1806": "Q204", "1805": "Q105"}
		if got := results(t, st, j.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("results at the end:\n got %v\nwant %v", got, want)
		}
		vs, _ := st.DatasetVersions(ctx, j.ID)
		if len(vs) != 2 || vs[1].Status != jobs.DatasetReplaced {
			t.Errorf("versions: %d", len(vs))
		}
		// The search finds kept rows at their new numbers, changed and added
		// rows by their new text, removed rows not at all; pages of two.
		for text, want := range map[string]string{"a4": "[1]", "a2": "[2]", "a1": "[3]", "a6": "[4]", "a5": "[5]", "a3": "[]", "Person": "[1 2 3 4 5]"} {
			var rows []int64
			var after *jobs.ReviewCursor
			for range 10 {
				page, next, err := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Text: text}, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					rows = append(rows, r.Row)
				}
				if after = next; next == nil {
					break
				}
			}
			if fmt.Sprint(rows) != want {
				t.Errorf("search %q after the refresh: rows %v, want %v", text, rows, want)
			}
		}
	})
}

func TestFirstVersionKey(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		for _, c := range []struct{ content, want string }{
			{"type,name,inv\nperson,A,1\nperson,B,2\n", "name"},
			{"type,name,inv\nperson,A,1\nperson,,2\n", "inv"},
			{"a,b\nx,\nx,\n", ""},
		} {
			j, _ := st.CreateJob(ctx, u.ID, "Key", "")
			ds, err := uploadVersion(t, st, j.ID, "f.csv", c.content)
			if err != nil {
				t.Fatal(err)
			}
			if ds.KeyColumn != c.want {
				t.Errorf("%q: key %q, want %q", c.content, ds.KeyColumn, c.want)
			}
		}
	})
}

// TestRefreshByPosition pins the documented behaviour of a first version
// with no unique, non-empty leading column and no template key: its rows are
// identified by their position, so row n of a new version is compared with
// row n of the current one (on the mapped cells). Unchanged rows keep their
// results, a changed one is reconciled again, extra rows are added, missing
// ones removed; and a row taken out at the top shifts every row after it,
// so they all count as changed.
func TestRefreshByPosition(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		j, err := st.CreateJob(ctx, u.ID, "By position", "")
		if err != nil {
			t.Fatal(err)
		}
		// type and name repeat, born has an empty cell: no key.
		v1 := "type,name,born\nperson,Anna,1801\nperson,Anna,1801\nperson,Berit,\nperson,Carl,1803\n"
		ds, err := uploadVersion(t, st, j.ID, "v1.csv", v1)
		if err != nil {
			t.Fatal(err)
		}
		if ds.KeyColumn != "" {
			t.Fatalf("version 1 key %q, want none (by position)", ds.KeyColumn)
		}
		if err := st.SetJobTemplate(ctx, j.ID, []byte(`{"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`)); err != nil {
			t.Fatal(err)
		}
		// finishBatches gives every row still without a result the match
		// Q<prefix><row>, and finishes the reconciliation.
		finishBatches := func(ds *jobs.Dataset, prefix string) {
			t.Helper()
			for b := int64(1); ; b++ {
				batch, err := st.Batch(ctx, j.ID, b)
				if jobs.ErrorCode(err) == jobs.ENOTFOUND {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if batch.Status != jobs.BatchPending {
					continue
				}
				rows, err := st.RowsToReconcile(ctx, j.ID, ds.ID, batch.FirstRow, batch.LastRow)
				if err != nil {
					t.Fatal(err)
				}
				var ms []jobs.RowMatch
				for _, r := range rows {
					ms = append(ms, jobs.RowMatch{Row: r.Num, Status: jobs.MatchMatched, QID: fmt.Sprintf("Q%s%d", prefix, r.Num), Score: 0.95})
				}
				if _, err := st.SaveBatchResult(ctx, j.ID, b, ms, 1); err != nil {
					t.Fatal(err)
				}
			}
			if done, err := st.FinishReconciliationIfDone(ctx, j.ID); !done || err != nil {
				t.Fatalf("reconciliation not finished: %v", err)
			}
		}
		// byRow is each current row's "name born: match/decision".
		byRow := func() []string {
			t.Helper()
			cur, err := st.DatasetOfJob(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := st.ExportPage(ctx, j.ID, cur.ID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows {
				v := fmt.Sprintf("%s %s: %s", r.Cells[1], r.Cells[2], r.Match.QID)
				if r.Decision != nil {
					v += "/" + string(r.Decision.Kind) + ":" + r.Decision.QID
				}
				out = append(out, v)
			}
			return out
		}
		if err := st.StartReconciliation(ctx, j.ID, 4, 2); err != nil {
			t.Fatal(err)
		}
		finishBatches(ds, "10")
		for r := int64(1); r <= 2; r++ {
			if _, err := st.Decide(ctx, j.ID, r, jobs.DecisionAccept, fmt.Sprintf("Q10%d", r), u.ID, 0); err != nil {
				t.Fatal(err)
			}
		}

		// Version 2: row 2's year changed, a fifth row added.
		v2 := "type,name,born\nperson,Anna,1801\nperson,Anna,1850\nperson,Berit,\nperson,Carl,1803\nperson,Dora,1805\n"
		ds, err = uploadVersion(t, st, j.ID, "v2.csv", v2)
		if err != nil {
			t.Fatal(err)
		}
		if ds.KeyColumn != "" || !ds.Current {
			t.Fatalf("version 2: key %q current %v, want by position and current", ds.KeyColumn, ds.Current)
		}
		if want := (jobs.RefreshCounts{Kept: 3, Changed: 1, Added: 1}); ds.Refresh != want {
			t.Errorf("version 2 counts %+v, want %+v", ds.Refresh, want)
		}
		want := []string{"Anna 1801: Q101/accept:Q101", "Anna 1850: ", "Berit : Q103", "Carl 1803: Q104", "Dora 1805: "}
		if got := byRow(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after version 2:\n got %q\nwant %q", got, want)
		}
		finishBatches(ds, "20")
		want = []string{"Anna 1801: Q101/accept:Q101", "Anna 1850: Q202", "Berit : Q103", "Carl 1803: Q104", "Dora 1805: Q205"}
		if got := byRow(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("version 2 reconciled:\n got %q\nwant %q", got, want)
		}

		// Version 3: the first row taken out. By position every later row
		// now faces another row: all changed, one removed, nothing kept,
		// and the accepted row 1's decision does not follow Anna 1850.
		v3 := "type,name,born\nperson,Anna,1850\nperson,Berit,\nperson,Carl,1803\nperson,Dora,1805\n"
		ds, err = uploadVersion(t, st, j.ID, "v3.csv", v3)
		if err != nil {
			t.Fatal(err)
		}
		if want := (jobs.RefreshCounts{Changed: 4, Removed: 1}); ds.Refresh != want {
			t.Errorf("version 3 counts %+v, want %+v", ds.Refresh, want)
		}
		want = []string{"Anna 1850: ", "Berit : ", "Carl 1803: ", "Dora 1805: "}
		if got := byRow(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after version 3:\n got %q\nwant %q", got, want)
		}
		if c, _ := st.DecisionCounts(ctx, j.ID); c[jobs.DecisionAccept] != 0 {
			t.Errorf("decisions after version 3: %v, want none left on current rows", c)
		}
	})
}
