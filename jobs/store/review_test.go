package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// reconciledJob makes a job with n rows, each with a result: row i scores
// i/n, rows divisible by 3 are matched, others review, and row 7 has none.
func reconciledJob(t *testing.T, st *store.Store, owner *jobs.User, n int) (*jobs.Job, *jobs.Dataset) {
	t.Helper()
	ctx := context.Background()
	j, _ := st.CreateJob(ctx, owner.ID, "Review", "")
	ds, _ := st.CreateDataset(ctx, j.ID, "r.csv", "/none", 1)
	ds.Columns = []string{"name", "note"}
	_ = st.StartImport(ctx, ds)
	var rows []jobs.Row
	var results []jobs.RowMatch
	for i := 1; i <= n; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprintf("Person %d", i), fmt.Sprintf("note <%d> & more", i)}})
		status := jobs.MatchReview
		if i%3 == 0 {
			status = jobs.MatchMatched
		}
		m := jobs.RowMatch{Row: int64(i), Status: status, QID: fmt.Sprint("Q", 1000+i), Label: fmt.Sprintf("Item %d", i), Score: float64(i) / float64(n)}
		if i == 7 {
			m = jobs.RowMatch{Row: 7, Status: jobs.MatchNone}
		}
		results = append(results, m)
	}
	_ = st.AppendRows(ctx, ds.ID, rows, int64(n))
	ds.RowCount = int64(n)
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, int64(n), n)
	if ok, err := st.SaveBatchResult(ctx, j.ID, 1, results, 1); !ok || err != nil {
		t.Fatalf("save results: %v %v", ok, err)
	}
	return j, ds
}

func TestReviewPagesAndFilters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, ds := reconciledJob(t, st, u, 95)

		// Walk all rows by score, 10 at a time: every row once, scores never rising.
		seen := map[int64]bool{}
		var cur *jobs.ReviewCursor
		last := 2.0
		for pages := 0; ; pages++ {
			page, next, err := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{SortBy: "score"}, cur, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				if seen[r.Row] || r.Match.Score > last {
					t.Fatalf("row %d repeated or out of order (score %v after %v)", r.Row, r.Match.Score, last)
				}
				seen[r.Row], last = true, r.Match.Score
			}
			if next == nil {
				break
			}
			cur = next
		}
		if len(seen) != 95 {
			t.Fatalf("score walk saw %d rows", len(seen))
		}
		page, _, _ := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Status: "matched", MinScore: 0.5, MaxScore: 0.6}, nil, 100)
		for _, r := range page {
			if r.Row%3 != 0 || r.Match.Score < 0.5 || r.Match.Score > 0.6 {
				t.Fatalf("filter let through row %d score %v", r.Row, r.Match.Score)
			}
		}
		// Matched rows (multiples of 3) scoring 0.5..0.6: 48, 51, 54 and 57 (57/95 is exactly 0.6).
		if len(page) != 4 {
			t.Fatalf("matched in [0.5,0.6]: %d rows", len(page))
		}
		// Free text is case-insensitive and finds HTML-ish characters as typed.
		page, _, _ = st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Text: "NOTE <42>"}, nil, 10)
		if len(page) != 1 || page[0].Row != 42 || page[0].Cells[1] != "note <42> & more" {
			t.Fatalf("text search: %+v", page)
		}
		page, _, _ = st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Text: "100%"}, nil, 10)
		if len(page) != 0 {
			t.Fatalf("%% must not act as a wildcard: %d rows", len(page))
		}
		if _, _, err := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Status: "bogus"}, nil, 10); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("bad status: %v", err)
		}
	})
}

func TestDecisionsConflictUndoAndBulk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
		j, ds := reconciledJob(t, st, alice, 30)

		d, err := st.Decide(ctx, j.ID, 5, jobs.DecisionAccept, "Q1005", alice.ID, 0)
		if err != nil || d.Version != 1 || d.UserName != "Alice" {
			t.Fatalf("alice decides: %+v %v", d, err)
		}
		// Bob loaded the page before Alice decided (he saw version 0).
		_, err = st.Decide(ctx, j.ID, 5, jobs.DecisionReject, "", bob.ID, 0)
		if jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(err.Error(), "Alice decided row 5") || !strings.Contains(err.Error(), "accepted Q1005") {
			t.Fatalf("bob's stale decision: %v", err)
		}
		if d, _ := st.Decision(ctx, j.ID, 5); d.Kind != jobs.DecisionAccept || d.UserID != alice.ID {
			t.Fatalf("bob overwrote alice: %+v", d)
		}
		// With the version he now sees, Bob may change it.
		d, err = st.Decide(ctx, j.ID, 5, jobs.DecisionNew, "", bob.ID, 1)
		if err != nil || d.Version != 2 || d.Kind != jobs.DecisionNew || d.QID != "" {
			t.Fatalf("bob decides with version 1: %+v %v", d, err)
		}
		if err := st.Undo(ctx, j.ID, 5, alice.ID, 1); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("stale undo: %v", err)
		}
		if err := st.Undo(ctx, j.ID, 5, alice.ID, 2); err != nil {
			t.Fatal(err)
		}
		if d, _ := st.Decision(ctx, j.ID, 5); d != nil {
			t.Fatalf("undone decision still there: %+v", d)
		}
		if _, err := st.Decide(ctx, j.ID, 6, jobs.DecisionAccept, "42", alice.ID, 0); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("bad qid: %v", err)
		}
		if _, err := st.Decide(ctx, j.ID, 9999, jobs.DecisionReject, "", alice.ID, 0); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("missing row: %v", err)
		}

		_, _ = st.Decide(ctx, j.ID, 3, jobs.DecisionReject, "", alice.ID, 0)
		b, err := st.AcceptInBulk(ctx, j.ID, alice.ID, jobs.BulkMatched, 0)
		if err != nil || b.Rows != 9 { // matched rows 3..30 step 3 = 10, minus row 3 decided
			t.Fatalf("bulk matched: %+v %v", b, err)
		}
		b, err = st.AcceptInBulk(ctx, j.ID, bob.ID, jobs.BulkScore, 0.9) // rows 27..30 (score ≥ .9), 27 and 30 already decided
		if err != nil || b.Rows != 2 {
			t.Fatalf("bulk by score: %+v %v", b, err)
		}
		counts, _ := st.DecisionCounts(ctx, j.ID)
		if counts[jobs.DecisionAccept] != 11 || counts[jobs.DecisionReject] != 1 {
			t.Fatalf("counts %v", counts)
		}
		page, _, _ := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{Status: "undecided"}, nil, 100)
		if len(page) != 30-12 {
			t.Fatalf("undecided rows: %d", len(page))
		}
	})
}
