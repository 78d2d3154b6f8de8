package tasks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// fakeUndoer moves undos along as jobs/undo does, counting the calls.
type fakeUndoer struct {
	st             *store.Store
	mu             sync.Mutex
	prepares, runs int
}

func (f *fakeUndoer) Prepare(ctx context.Context, id int64) error {
	f.mu.Lock()
	f.prepares++
	f.mu.Unlock()
	return f.st.UndoPrepared(ctx, id, nil)
}

func (f *fakeUndoer) Run(ctx context.Context, id int64) error {
	f.mu.Lock()
	f.runs++
	f.mu.Unlock()
	u, _ := f.st.UndoByID(ctx, id)
	return f.st.FinishUndo(ctx, id, u.ConfirmedBy, "")
}

func waitUndo(t *testing.T, st *store.Store, id int64, want jobs.UndoStatus) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a safety net only
	for {
		u, err := st.UndoByID(context.Background(), id)
		if err == nil && u.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("undo %d is %v, want %s (%v)", id, u, want, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUndoRunsInTheWorker: an undo's preview and its run are background
// tasks; a lost queue loses neither (the sweep queues them again from the
// database), and only an unblocked user with stored tokens can confirm.
func TestUndoRunsInTheWorker(t *testing.T) {
	redisServers(t, func(t *testing.T, r *tasks.Redis) {
		st := storetest.SQLite(t)
		q := testQueue(t, r)
		runner := tasks.NewRunner(st, q, 0, quiet)
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "8", Username: "Writer"})
		blocked, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "9", Username: "Blocked", Blocked: true})
		j, _ := st.CreateJob(ctx, u.ID, "Undo", "")
		p, _ := st.CreatePlan(ctx, j.ID, u.ID)
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanBuilding)
		undo, err := runner.StartUndo(ctx, p.ID, u, jobs.UndoScope{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if loseQueue(t, r, q.Name()) <= 0 {
			t.Fatal("the preview was not queued")
		}
		f := &fakeUndoer{st: st}
		w := tasks.NewWorker(r.Client, tasks.WorkerConfig{Queue: q.Name(), Concurrency: 2, ShutdownTimeout: 5 * time.Second, RetryBase: 50 * time.Millisecond},
			tasks.Deps{Store: st, Queue: q, Importer: dataset.NewImporter(st, dataset.Limits{}, quiet), Undoer: f}, quiet)
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(wctx) }()
		defer func() { cancel(); <-done }()
		waitUndo(t, st, undo.ID, jobs.UndoReady)
		if err := runner.ConfirmUndo(ctx, undo.ID, blocked); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
			t.Fatalf("blocked user confirms: %v", err)
		}
		if err := runner.ConfirmUndo(ctx, undo.ID, u); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
			t.Fatalf("user without tokens confirms: %v", err)
		}
		_ = st.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: "ck", TokenSealed: "v1:x", SecretSealed: "v1:y"})
		if err := runner.ConfirmUndo(ctx, undo.ID, u); err != nil {
			t.Fatal(err)
		}
		waitUndo(t, st, undo.ID, jobs.UndoDone)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.prepares != 1 || f.runs != 1 {
			t.Fatalf("%d prepares, %d runs", f.prepares, f.runs)
		}
		if got, _ := st.UndoByID(ctx, undo.ID); got.ConfirmedBy != u.ID || len(got.EditGroupID) != 16 {
			t.Fatalf("undo %+v", got)
		}
	})
}
