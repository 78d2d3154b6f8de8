package store_test

import (
	"context"
	"fmt"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		// storetest migrated once already; a second run must change nothing.
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestUsersUpsertByWikiID(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "12345", Username: "Alice", Groups: []string{"user", "autoconfirmed"}, EditCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		// The same wiki account renamed keeps its row.
		u2, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "12345", Username: "Alice B", EditCount: 11, Blocked: true})
		if err != nil {
			t.Fatal(err)
		}
		if u2.ID != u.ID || u2.Username != "Alice B" || u2.EditCount != 11 || !u2.Blocked {
			t.Fatalf("rename: got %+v, want same id %d with new name, count, blocked", u2, u.ID)
		}
		if _, err := st.UserByName(ctx, "Alice"); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("old name: want not found, got %v", err)
		}
		local, err := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		if err != nil || again.ID != local.ID {
			t.Fatalf("local user upsert twice: %v, ids %d and %d", err, local.ID, again.ID)
		}
	})
}

func TestJobsLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
		if _, err := st.CreateJob(ctx, alice.ID, "", "x"); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("empty title: want invalid, got %v", err)
		}
		j1, err := st.CreateJob(ctx, alice.ID, "Painters", "Museum export")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateJob(ctx, bob.ID, "Bob's", ""); err != nil {
			t.Fatal(err)
		}
		j3, _ := st.CreateJob(ctx, alice.ID, "Sculptors", "")
		list, err := st.JobsOwnedBy(ctx, alice.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != j3.ID || list[1].ID != j1.ID || list[0].OwnerName != "Alice" {
			t.Fatalf("alice's jobs newest first: got %+v", list)
		}
		if j1.Status != jobs.JobDraft {
			t.Fatalf("new job status %q, want draft", j1.Status)
		}
		if err := st.SetJobStatus(ctx, 999999, jobs.JobReady, ""); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("status of missing job: want not found, got %v", err)
		}
		if err := st.SetJobStatus(ctx, j1.ID, jobs.JobDraft, ""); err != nil {
			t.Fatalf("unchanged status must not read as missing: %v", err)
		}
		if err := st.DeleteJob(ctx, j1.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Job(ctx, j1.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("deleted job: want not found, got %v", err)
		}
	})
}

func TestRowsBatchesAreIdempotentAndPaged(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		j, _ := st.CreateJob(ctx, u.ID, "Rows", "")
		ds, err := st.CreateDataset(ctx, j.ID, "a.csv", "/nowhere", 10)
		if err != nil {
			t.Fatal(err)
		}
		var rows []jobs.Row
		for i := int64(1); i <= 2500; i++ {
			rows = append(rows, jobs.Row{Num: i, Cells: []string{fmt.Sprint("name ", i), "Zoë \"quoted\", with comma", ""}})
		}
		if err := st.AppendRows(ctx, ds.ID, rows[:1500], 1500); err != nil {
			t.Fatal(err)
		}
		// A batch replayed after a crash overlaps rows already stored.
		if err := st.AppendRows(ctx, ds.ID, rows[1000:], 2500); err != nil {
			t.Fatalf("replayed batch: %v", err)
		}
		n, _ := st.CountRows(ctx, ds.ID)
		if n != 2500 {
			t.Fatalf("rows stored %d, want 2500", n)
		}
		page, err := st.Rows(ctx, ds.ID, 2400, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 50 || page[0].Num != 2401 || page[0].Cells[1] != "Zoë \"quoted\", with comma" || page[0].Cells[2] != "" {
			t.Fatalf("page after 2400: got %d rows, first %+v", len(page), page[0])
		}
		got, _ := st.Dataset(ctx, ds.ID)
		if got.RowCount != 2500 {
			t.Fatalf("row count %d, want 2500", got.RowCount)
		}
		if err := st.FailImport(ctx, ds.ID, "row 3: bad"); err != nil {
			t.Fatal(err)
		}
		if n, _ := st.CountRows(ctx, ds.ID); n != 0 {
			t.Fatalf("failed import keeps %d rows, want 0", n)
		}
		got, _ = st.Dataset(ctx, ds.ID)
		if got.Status != jobs.DatasetFailed || got.Error != "row 3: bad" {
			t.Fatalf("failed dataset: %+v", got)
		}
	})
}

func TestReconcileBatchesAreSavedOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		j, _ := st.CreateJob(ctx, u.ID, "Reconcile", "")
		ds, _ := st.CreateDataset(ctx, j.ID, "a.csv", "/none", 1)
		ds.RowCount = 250
		if err := st.FinishImport(ctx, ds, nil); err != nil {
			t.Fatal(err)
		}
		p, err := st.JobProgress(ctx, j.ID)
		if err != nil || p.Batches != 0 || p.Rows != 250 {
			t.Fatalf("progress before start: %+v %v", p, err)
		}
		if err := st.StartReconciliation(ctx, j.ID, 250, 100); err != nil {
			t.Fatal(err)
		}
		pending, _ := st.BatchesWithStatus(ctx, j.ID, jobs.BatchPending, 10)
		if len(pending) != 3 || pending[2].FirstRow != 201 || pending[2].LastRow != 250 {
			t.Fatalf("batches: %+v", pending)
		}
		results := func(first, last int64, status jobs.MatchStatus) []jobs.RowMatch {
			var out []jobs.RowMatch
			for r := first; r <= last; r++ {
				out = append(out, jobs.RowMatch{Row: r, Status: status, QID: fmt.Sprint("Q", r), Label: "Item", Score: 0.95,
					Candidates: []jobs.CandidateSummary{{QID: fmt.Sprint("Q", r), Score: 0.95, Evidence: []string{"label equal"}}}})
			}
			return out
		}
		saved, err := st.SaveBatchResult(ctx, j.ID, 1, results(1, 100, jobs.MatchMatched), 2)
		if err != nil || !saved {
			t.Fatalf("first save: %v %v", saved, err)
		}
		// A replayed task must change nothing, even with other results.
		saved, err = st.SaveBatchResult(ctx, j.ID, 1, results(1, 100, jobs.MatchNone), 2)
		if err != nil || saved {
			t.Fatalf("replayed save: %v %v", saved, err)
		}
		if err := st.FailBatchAttempt(ctx, j.ID, 3, "endpoint answered garbage", 1, true); err != nil {
			t.Fatal(err)
		}
		if done, _ := st.FinishReconciliationIfDone(ctx, j.ID); done {
			t.Fatal("finished with a pending batch")
		}
		if saved, _ := st.SaveBatchResult(ctx, j.ID, 2, results(101, 200, jobs.MatchReview), 3); !saved {
			t.Fatal("batch 2 not saved")
		}
		if done, err := st.FinishReconciliationIfDone(ctx, j.ID); !done || err != nil {
			t.Fatalf("finish: %v %v", done, err)
		}
		p, _ = st.JobProgress(ctx, j.ID)
		if p.Done != 200 || p.Failed != 50 || p.Matched != 100 || p.Review != 100 || p.Requests != 6 || p.Percent() != 100 || p.BatchesDone != 2 {
			t.Fatalf("progress: %+v", p)
		}
		ms, _ := st.RowMatches(ctx, j.ID, 0, 1000)
		if len(ms) != 200 || ms[0].Status != jobs.MatchMatched || ms[0].Candidates[0].Evidence[0] != "label equal" {
			t.Fatalf("matches: %d, first %+v", len(ms), ms[0])
		}
		jj, _ := st.Job(ctx, j.ID)
		if jj.Status != jobs.JobReconciled {
			t.Fatalf("job status %s", jj.Status)
		}
		if err := st.TransitionJob(ctx, j.ID, jobs.JobPaused, jobs.JobReconciling); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("pause a finished job: %v", err)
		}
	})
}
