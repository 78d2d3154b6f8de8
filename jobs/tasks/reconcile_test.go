package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// fakeMatcher answers by row number and can fail or stall on purpose.
type fakeMatcher struct {
	mu         sync.Mutex
	calls      map[int64]int // per first row of a batch
	failOnce   map[int64]bool
	failAlways map[int64]bool
	delay      time.Duration
	// Batches starting after holdAfter (when hold is set) wait for hold to
	// close: a test can stop a job at a known point, whatever the load.
	holdAfter int64
	hold      chan struct{}
}

func newFakeMatcher() *fakeMatcher {
	return &fakeMatcher{calls: map[int64]int{}, failOnce: map[int64]bool{}, failAlways: map[int64]bool{}}
}

func (m *fakeMatcher) MatchRows(ctx context.Context, j *jobs.Job, cols []string, rows []jobs.Row) ([]jobs.RowMatch, int, error) {
	first := rows[0].Num
	m.mu.Lock()
	m.calls[first]++
	n := m.calls[first]
	fail := m.failAlways[first] || (m.failOnce[first] && n == 1)
	hold := m.hold
	m.mu.Unlock()
	if hold != nil && first > m.holdAfter {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if fail {
		return nil, 1, errors.New("endpoint answered with malformed JSON")
	}
	out := make([]jobs.RowMatch, len(rows))
	for i, r := range rows {
		st := []jobs.MatchStatus{jobs.MatchMatched, jobs.MatchReview, jobs.MatchNone}[r.Num%3]
		out[i] = jobs.RowMatch{Row: r.Num, Status: st, QID: fmt.Sprint("Q", r.Num), Label: r.Cells[1], Score: 0.5}
	}
	return out, 2, nil
}

func (m *fakeMatcher) callsFor(first int64) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[first]
}

// importedJob makes a job with an imported dataset of n rows and a template.
func importedJob(t *testing.T, st *store.Store, n int) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
	j, _ := st.CreateJob(ctx, u.ID, "Reconcile", "")
	ds, _ := st.CreateDataset(ctx, j.ID, "r.csv", "/none", 1)
	ds.Columns = []string{"id", "name"}
	_ = st.StartImport(ctx, ds)
	var rows []jobs.Row
	for i := int64(1); i <= int64(n); i++ {
		rows = append(rows, jobs.Row{Num: i, Cells: []string{fmt.Sprint(i), fmt.Sprint("Name ", i)}})
	}
	if err := st.AppendRows(ctx, ds.ID, rows, int64(n)); err != nil {
		t.Fatal(err)
	}
	ds.RowCount = int64(n)
	if err := st.FinishImport(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.SetJobTemplate(ctx, j.ID, []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	return j
}

func waitStatus(t *testing.T, st *store.Store, id int64, want jobs.JobStatus) *jobs.Job {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		j, err := st.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == want {
			return j
		}
		time.Sleep(25 * time.Millisecond)
	}
	p, _ := st.JobProgress(context.Background(), id)
	t.Fatalf("job did not become %s in 3 minutes; progress %+v", want, p)
	return nil
}

// checkEveryRowOnce asserts each row has exactly one result.
func checkEveryRowOnce(t *testing.T, st *store.Store, jobID int64, n int) {
	t.Helper()
	ms, err := st.RowMatches(context.Background(), jobID, 0, n+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != n {
		t.Fatalf("%d results for %d rows", len(ms), n)
	}
	for i, m := range ms {
		if m.Row != int64(i+1) {
			t.Fatalf("result %d is for row %d", i, m.Row)
		}
	}
}

func TestReconciliationRunsEveryBatchOnce(t *testing.T) {
	redisServers(t, func(t *testing.T, r *tasks.Redis) {
		st := storetest.SQLite(t)
		q := testQueue(t, r)
		j := importedJob(t, st, 1000)
		m := newFakeMatcher()
		m.failOnce[201] = true // the batch of rows 201-300 fails once, then succeeds
		runner := tasks.NewRunner(st, q, 100, quiet)
		if err := runner.StartReconciliation(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		if err := runner.StartReconciliation(context.Background(), j.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second start: %v", err)
		}
		startWorkerWith(t, r, st, q, m)
		waitStatus(t, st, j.ID, jobs.JobReconciled)
		checkEveryRowOnce(t, st, j.ID, 1000)
		p, _ := st.JobProgress(context.Background(), j.ID)
		if p.Done != 1000 || p.Matched+p.Review+p.None != 1000 || p.Matched != 333 || p.Requests != 2*10+1 {
			t.Fatalf("progress %+v", p)
		}
		if c := m.callsFor(201); c != 2 {
			t.Fatalf("failing batch tried %d times, want 2", c)
		}
	})
}

func TestReconciliationGivesUpOnABrokenBatchAndFinishes(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t) // after the worker's cleanup: asynq must stop before its Redis
	q := testQueue(t, r)
	j := importedJob(t, st, 300)
	m := newFakeMatcher()
	m.failAlways[101] = true
	if err := tasks.NewRunner(st, q, 100, quiet).StartReconciliation(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	startWorkerWith(t, r, st, q, m)
	done := waitStatus(t, st, j.ID, jobs.JobReconciled)
	if done.Error == "" || !strings.Contains(done.Error, "rows 101–200") || !strings.Contains(done.Error, "malformed JSON") {
		t.Fatalf("job error %q should name the rows and the cause", done.Error)
	}
	p, _ := st.JobProgress(context.Background(), j.ID)
	if p.Done != 200 || p.Failed != 100 {
		t.Fatalf("progress %+v", p)
	}
	if c := m.callsFor(101); c != 4 {
		t.Fatalf("broken batch tried %d times, want 4", c)
	}
}

// TestReconciliationSurvivesPauseFlushAndWorkerRestart pauses a running job,
// stops its worker, loses Redis's data, resumes with a new worker, and ends
// with every row reconciled exactly once.
func TestReconciliationSurvivesPauseFlushAndWorkerRestart(t *testing.T) {
	redisServers(t, func(t *testing.T, r *tasks.Redis) {
		st := storetest.SQLite(t)
		q := testQueue(t, r)
		j := importedJob(t, st, 2000)
		m := newFakeMatcher()
		m.delay = 20 * time.Millisecond
		m.holdAfter, m.hold = 300, make(chan struct{}) // rows 1-300 run, the rest wait until the first worker is gone
		runner := tasks.NewRunner(st, q, 100, quiet)
		if err := runner.StartReconciliation(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		// First worker: runs a while, then is stopped (as at a deploy).
		ctx, cancel := context.WithCancel(context.Background())
		w := tasks.NewWorker(r.Client, tasks.WorkerConfig{Queue: q.Name(), Concurrency: 2, ShutdownTimeout: time.Second, RetryBase: 50 * time.Millisecond},
			tasks.Deps{Store: st, Queue: q, Matcher: m}, quiet)
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
			p, _ := st.JobProgress(context.Background(), j.ID)
			if p.Done >= 300 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the first 300 rows were not reconciled in 30s: %+v", p)
			}
		}
		if err := runner.PauseReconciliation(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		close(m.hold) // the held batches were abandoned with the first worker
		paused, _ := st.JobProgress(context.Background(), j.ID)
		if paused.Done != 300 {
			t.Fatalf("paused after %d rows, want the 300 the matcher let through", paused.Done)
		}
		// Redis loses everything it carried.
		if loseQueue(t, r, q.Name()) < 0 {
			t.FailNow()
		}
		time.Sleep(100 * time.Millisecond)
		still, _ := st.JobProgress(context.Background(), j.ID)
		if still.Done != paused.Done {
			t.Fatalf("paused job progressed from %d to %d", paused.Done, still.Done)
		}
		if err := runner.ResumeReconciliation(context.Background(), j.ID); err != nil {
			t.Fatal(err)
		}
		loseQueue(t, r, q.Name())       // and once more: the dispatch task is lost too
		startWorkerWith(t, r, st, q, m) // its start-up sweep finds the job
		waitStatus(t, st, j.ID, jobs.JobReconciled)
		checkEveryRowOnce(t, st, j.ID, 2000)
	})
}
