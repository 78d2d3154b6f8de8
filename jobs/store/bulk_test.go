package store_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// Bulk acceptance is one act: counted before, recorded, and undone with
// every row back to undecided except those someone decided since, which
// are kept and named.
func TestBulkAcceptAndUndo(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
		j, _ := reconciledJob(t, st, alice, 30) // matched: rows 3, 6, …, 30; row 7 has no candidate

		if _, err := st.Decide(ctx, j.ID, 3, jobs.DecisionReject, "", bob.ID, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := st.CountBulk(ctx, j.ID, jobs.BulkMatched, 0); err != nil || n != 9 {
			t.Fatalf("count matched: %d %v", n, err)
		}
		if _, err := st.CountBulk(ctx, j.ID, jobs.BulkScore, 1.5); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("threshold 1.5: %v", err)
		}
		b, err := st.AcceptInBulk(ctx, j.ID, alice.ID, jobs.BulkMatched, 0)
		if err != nil || b.Rows != 9 || b.UserName != "Alice" || b.Mode != jobs.BulkMatched || !b.UndoneAt.IsZero() {
			t.Fatalf("bulk: %+v %v", b, err)
		}
		// A second click finds nothing left and records nothing.
		if again, err := st.AcceptInBulk(ctx, j.ID, alice.ID, jobs.BulkMatched, 0); err != nil || again != nil {
			t.Fatalf("second bulk: %+v %v", again, err)
		}
		if list, _ := st.BulkDecisions(ctx, j.ID, 10); len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("bulk list: %+v", list)
		}

		// Since then: Bob changes row 6, undoes row 9, and undoes row 12
		// and accepts the same item himself; Alice re-decides row 15 after
		// undoing it. Rows 18..30 are as the bulk left them.
		if _, err := st.Decide(ctx, j.ID, 6, jobs.DecisionReject, "", bob.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := st.Undo(ctx, j.ID, 9, bob.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := st.Undo(ctx, j.ID, 12, bob.ID, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, j.ID, 12, jobs.DecisionAccept, "Q1012", bob.ID, 0); err != nil {
			t.Fatal(err)
		}
		if err := st.Undo(ctx, j.ID, 15, alice.ID, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(ctx, j.ID, 15, jobs.DecisionAccept, "Q1015", alice.ID, 0); err != nil {
			t.Fatal(err)
		}

		u, err := st.UndoBulk(ctx, j.ID, b.ID, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Restored != 5 || u.Withdrawn != 1 || len(u.Kept) != 3 { // 18, 21, 24, 27, 30; 9; 6, 12, 15
			t.Fatalf("undo: restored %d withdrawn %d kept %+v", u.Restored, u.Withdrawn, u.Kept)
		}
		for i, want := range []struct {
			row  int64
			kind jobs.DecisionKind
			user string
		}{{6, jobs.DecisionReject, "Bob"}, {12, jobs.DecisionAccept, "Bob"}, {15, jobs.DecisionAccept, "Alice"}} {
			if k := u.Kept[i]; k.Row != want.row || k.Kind != want.kind || k.UserName != want.user {
				t.Errorf("kept %d: %+v, want row %d %s by %s", i, k, want.row, want.kind, want.user)
			}
		}
		for _, row := range []int64{18, 21, 24, 27, 30, 9} {
			if d, _ := st.Decision(ctx, j.ID, row); d != nil {
				t.Errorf("row %d still decided after the undo: %+v", row, d)
			}
		}
		for row, kind := range map[int64]jobs.DecisionKind{3: jobs.DecisionReject, 6: jobs.DecisionReject, 12: jobs.DecisionAccept, 15: jobs.DecisionAccept} {
			if d, _ := st.Decision(ctx, j.ID, row); d == nil || d.Kind != kind {
				t.Errorf("row %d lost its decision: %+v", row, d)
			}
		}
		if u.Bulk.UndoneBy != "Bob" || u.Bulk.Restored != 5 || u.Bulk.Kept != 3 || u.Bulk.UndoneAt.IsZero() {
			t.Fatalf("recorded undo: %+v", u.Bulk)
		}
		// Undone once: a second undo is refused and changes nothing.
		if _, err := st.UndoBulk(ctx, j.ID, b.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second undo: %v", err)
		}
		if d, _ := st.Decision(ctx, j.ID, 15); d == nil {
			t.Fatal("second undo removed a kept decision")
		}
		// The log has the bulk's accepts under Alice: 9, and row 15 again.
		stats, err := st.JobStatistics(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]int64{}
		for _, r := range stats.Reviewers {
			byName[r.Username] = r.Decisions
		}
		if byName["Alice"] != 10 || byName["Bob"] != 3 {
			t.Errorf("decisions logged by reviewer: %v", byName)
		}
		// Another job's bulk decision is not reachable through this job.
		other, _ := reconciledJob(t, st, alice, 3)
		if _, err := st.UndoBulk(ctx, other.ID, b.ID, alice.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("undo through another job: %v", err)
		}
	})
}

// The histogram counts what bulk acceptance would take: its "at least"
// counts equal CountBulk at each threshold.
func TestScoreHistogramMatchesBulkCounts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := reconciledJob(t, st, alice, 40) // row i scores i/40
		for _, row := range []int64{40, 38, 20} {
			if _, err := st.Decide(ctx, j.ID, row, jobs.DecisionReject, "", alice.ID, 0); err != nil {
				t.Fatal(err)
			}
		}
		h, err := st.ScoreHistogram(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Buckets) != 20 || h.Step != 0.05 {
			t.Fatalf("histogram shape: %+v", h)
		}
		// 40 rows, minus row 7 (no candidate) and 3 decided; matched are
		// rows 3, 6, …, 39, none of them decided.
		if h.Matched != 13 || h.Takes(jobs.BulkMatched, 0) != 13 {
			t.Errorf("matched: %d (Takes %d), want 13", h.Matched, h.Takes(jobs.BulkMatched, 0))
		}
		for _, min := range []float64{0.333, 0.6125, 0.975, 1} { // between the buckets' bounds
			n, _ := st.CountBulk(ctx, j.ID, jobs.BulkScore, min)
			if got := h.Takes(jobs.BulkScore, min); got != n {
				t.Errorf("at least %v: Takes says %d, bulk would take %d", min, got, n)
			}
		}
		var total int64
		for _, n := range h.Buckets {
			total += n
		}
		if total != 36 || h.AtLeast[0] != 36 {
			t.Fatalf("histogram holds %d rows (at least 0: %d), want 36", total, h.AtLeast[0])
		}
		for i := 1; i < 20; i++ {
			min := float64(i*5) / 100
			n, err := st.CountBulk(ctx, j.ID, jobs.BulkScore, min)
			if err != nil {
				t.Fatal(err)
			}
			if h.AtLeast[i] != n {
				t.Errorf("at least %.2f: histogram %d, bulk would take %d", min, h.AtLeast[i], n)
			}
			if got := h.Takes(jobs.BulkScore, min); got != n {
				t.Errorf("at least %.2f: Takes says %d, bulk would take %d", min, got, n)
			}
		}
		// Rows 38..40 score 0.95 to 1; 38 and 40 are decided.
		if h.Buckets[19] != 1 {
			t.Errorf("top bucket: %d, want 1 (row 39)", h.Buckets[19])
		}
	})
}
