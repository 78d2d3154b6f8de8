package store_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func TestFailedBatchesFailTheJobAndAreRetried(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
		j, _ := st.CreateJob(ctx, u.ID, "Failing", "")
		ds, _ := st.CreateDataset(ctx, j.ID, "a.csv", "/none", 1)
		ds.RowCount = 250
		if err := st.FinishImport(ctx, ds, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.StartReconciliation(ctx, j.ID, 250, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RetryFailedBatches(ctx, j.ID); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("retry with nothing failed: %v", err)
		}
		// An attempt that failed but will be tried again shows as retrying.
		if err := st.FailBatchAttempt(ctx, j.ID, 2, "rows 101–200: HTTP 403", 1, false); err != nil {
			t.Fatal(err)
		}
		p, err := st.JobProgress(ctx, j.ID)
		if err != nil || p.Retrying != 1 || p.LastError != "rows 101–200: HTTP 403" || p.Failed != 0 {
			t.Fatalf("retrying: %+v %v", p, err)
		}
		for _, no := range []int64{1, 2, 3} {
			if err := st.FailBatchAttempt(ctx, j.ID, no, "HTTP 403", 1, true); err != nil {
				t.Fatal(err)
			}
		}
		if done, err := st.FinishReconciliationIfDone(ctx, j.ID); !done || err != nil {
			t.Fatalf("finish: %v %v", done, err)
		}
		if got, _ := st.Job(ctx, j.ID); got.Status != jobs.JobFailed {
			t.Fatalf("every batch failed, status %s", got.Status)
		}
		failed, err := st.FailedBatches(ctx, j.ID, 10)
		if err != nil || len(failed) != 3 || failed[1].Attempts != 2 || failed[1].Error != "HTTP 403" {
			t.Fatalf("failed batches %+v %v", failed, err)
		}
		n, err := st.RetryFailedBatches(ctx, j.ID)
		if err != nil || n != 250 {
			t.Fatalf("retry: %d %v", n, err)
		}
		got, _ := st.Job(ctx, j.ID)
		p, _ = st.JobProgress(ctx, j.ID)
		if got.Status != jobs.JobReconciling || p.Failed != 0 || p.Retrying != 0 {
			t.Fatalf("after retry: %s %+v", got.Status, p)
		}
		pending, _ := st.BatchesWithStatus(ctx, j.ID, jobs.BatchPending, 10)
		if len(pending) != 3 || pending[0].Attempts != 0 {
			t.Fatalf("pending after retry %+v", pending)
		}
		// A running job cannot be retried into.
		_ = st.FailBatchAttempt(ctx, j.ID, 1, "again", 1, true)
		if _, err := st.RetryFailedBatches(ctx, j.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("retry while reconciling: %v", err)
		}
	})
}
