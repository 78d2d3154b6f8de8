package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// waitProgress polls until cond holds for the job's progress.
func waitProgress(t *testing.T, st *store.Store, id int64, what string, cond func(jobs.Progress) bool) jobs.Progress {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		p, err := st.JobProgress(context.Background(), id)
		if err == nil && cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress never showed %s: %+v %v", what, p, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAllBatchesFailedIsFailedNotReconciledAndRetryRecovers(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	q := testQueue(t, r)
	j := importedJob(t, st, 300)
	m := newFakeMatcher()
	for _, first := range []int64{1, 101, 201} {
		m.failAlways[first] = true
	}
	runner := tasks.NewRunner(st, q, 100, quiet)
	ctx := context.Background()
	if err := runner.StartReconciliation(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	startWorkerWith(t, r, st, q, m)
	// Failing batches are retried; while they are, the progress says so
	// with the reason.
	p := waitProgress(t, st, j.ID, "batches being retried", func(p jobs.Progress) bool { return p.Retrying > 0 || p.Failed > 0 })
	if p.Retrying > 0 && !strings.Contains(p.LastError, "malformed JSON") {
		t.Fatalf("retrying without the reason: %+v", p)
	}
	done := waitStatus(t, st, j.ID, jobs.JobFailed)
	if !strings.Contains(done.Error, "failed rows and why are listed") {
		t.Fatalf("job error %q", done.Error)
	}
	failed, err := st.FailedBatches(ctx, j.ID, 10)
	if err != nil || len(failed) != 3 || failed[0].FirstRow != 1 || failed[0].Attempts != 4 || !strings.Contains(failed[0].Error, "rows 1–100: endpoint answered with malformed JSON") {
		t.Fatalf("failed batches %+v %v", failed, err)
	}
	// Retry the failed rows once the endpoint works again.
	m.mu.Lock()
	m.failAlways = map[int64]bool{}
	m.mu.Unlock()
	n, err := runner.RetryFailedRows(ctx, j.ID)
	if err != nil || n != 300 {
		t.Fatalf("retry: %d %v", n, err)
	}
	waitStatus(t, st, j.ID, jobs.JobReconciled)
	p, _ = st.JobProgress(ctx, j.ID)
	if p.Done != 300 || p.Failed != 0 || p.Retrying != 0 {
		t.Fatalf("after retry %+v", p)
	}
	if _, err := runner.RetryFailedRows(ctx, j.ID); jobs.ErrorCode(err) != jobs.EINVALID {
		t.Fatalf("retry with nothing failed: %v", err)
	}
}

func TestRetryFailedRowsKeepsTheOthers(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	q := testQueue(t, r)
	j := importedJob(t, st, 300)
	m := newFakeMatcher()
	m.failAlways[101] = true
	runner := tasks.NewRunner(st, q, 100, quiet)
	ctx := context.Background()
	if err := runner.StartReconciliation(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	startWorkerWith(t, r, st, q, m)
	waitStatus(t, st, j.ID, jobs.JobReconciled) // some rows done: reconciled, with failures shown
	m.mu.Lock()
	m.failAlways = map[int64]bool{}
	m.mu.Unlock()
	if n, err := runner.RetryFailedRows(ctx, j.ID); err != nil || n != 100 {
		t.Fatalf("retry: %d %v", n, err)
	}
	waitStatus(t, st, j.ID, jobs.JobReconciled)
	waitProgress(t, st, j.ID, "all rows done", func(p jobs.Progress) bool { return p.Done == 300 && p.Failed == 0 })
	// Batches that had succeeded were not matched again.
	if c1, c2 := m.callsFor(1), m.callsFor(201); c1 != 1 || c2 != 1 {
		t.Fatalf("good batches matched again: %d, %d", c1, c2)
	}
	if c := m.callsFor(101); c != 5 {
		t.Fatalf("failed batch tried %d times, want 4 + 1", c)
	}
	checkEveryRowOnce(t, st, j.ID, 300)
}

func TestEndpointCheckRefusesToStart(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	q := testQueue(t, r)
	j := importedJob(t, st, 10)
	var asked int
	runner := tasks.NewRunner(st, q, 100, quiet).CheckEndpointsWith(func(_ context.Context, got *jobs.Job) error {
		asked++
		if got.ID != j.ID {
			t.Errorf("checked job %d", got.ID)
		}
		return jobs.Errorf(jobs.EINVALID, "the wiki at https://wiki.example/w/api.php refused a test search (HTTP 403)")
	})
	err := runner.StartReconciliation(context.Background(), j.ID)
	if jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "Nothing was started: the wiki at https://wiki.example/w/api.php refused a test search") {
		t.Fatalf("start with a refusing wiki: %v", err)
	}
	if got, _ := st.Job(context.Background(), j.ID); got.Status == jobs.JobReconciling || asked != 1 {
		t.Fatalf("job %s after a failed check (asked %d)", got.Status, asked)
	}
	if p, _ := st.JobProgress(context.Background(), j.ID); p.Batches != 0 {
		t.Fatalf("batches planned after a failed check: %+v", p)
	}
	// A check that fails for another reason is reported too.
	runner.CheckEndpointsWith(func(context.Context, *jobs.Job) error { return errors.New("dial tcp: connection refused") })
	if err := runner.StartReconciliation(context.Background(), j.ID); jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "connection refused") {
		t.Fatalf("start: %v", err)
	}
}
