package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// The kill tests start the binary, kill it (SIGKILL: no shutdown code runs)
// once its work is under way, start it again on the same state and check
// that the work was finished exactly once. These are their shared steps.

// waitUntil polls cond every poll until it holds, and fails the test with
// what it waited for and who's log when it has not within that time. cond
// may fail the test itself, on a state that can never lead to it.
func waitUntil(t *testing.T, who *instance, what string, within, poll time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s:\n%s", what, within, who.log.String())
		}
		time.Sleep(poll)
	}
}

// kill ends the process abruptly, as a crash or an OOM kill would.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	_ = in.cmd.Wait()
}

// killEnv configures a process that writes to the fakes with the OAuth
// consumer ck/cs, the embedded store and queue and short crash-safety
// windows; extra settings come last and win.
func killEnv(extra ...string) []string {
	return append([]string{"PARTNERHUB_OAUTH_CONSUMER_KEY=ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET=cs",
		"PARTNERHUB_USER_AGENT=Partnerhub-test/1.0 (https://partnerhub.example/)", "PARTNERHUB_REDIS_ADDR=", "PARTNERHUB_DB_DSN=",
		"PARTNERHUB_EDIT_LATE_SAVE=1s", "PARTNERHUB_REPLICA_LAG=500ms"}, extra...)
}

// writeEnv is killEnv for writing to the fake wiki at wikiURL
// (PARTNERHUB_OAUTH_WIKI) as fast as it takes, each edit bounded to 2 s.
func writeEnv(wikiURL string, extra ...string) []string {
	return killEnv(append([]string{"PARTNERHUB_OAUTH_WIKI=" + wikiURL, "PARTNERHUB_EDITS_PER_MINUTE=100000", "PARTNERHUB_EDIT_TIMEOUT=2s"}, extra...)...)
}

// uploadEnv is killEnv for uploading to the fake Commons at commonsURL as
// fast as it takes, each request bounded to 2 s.
func uploadEnv(commonsURL string, extra ...string) []string {
	return killEnv(append([]string{"PARTNERHUB_COMMONS_API=" + commonsURL, "PARTNERHUB_UPLOADS_PER_MINUTE=100000", "PARTNERHUB_UPLOAD_TIMEOUT=2s"}, extra...)...)
}

// writerWiki is a fake wiki holding items Q1…Qn with an English label each,
// where the account Writer may edit, each edit taking delay (so that a
// kill lands mid-batch).
func writerWiki(t *testing.T, items int, delay time.Duration) *wikibasetest.Server {
	var seed []*wikidata.Entity
	for i := 1; i <= items; i++ {
		seed = append(seed, &wikidata.Entity{ID: fmt.Sprint("Q", i), Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: fmt.Sprint("Person ", i)}}})
	}
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Writer", Token: "writer-token", Secret: "writer-secret"}}, Entities: seed})
	if delay > 0 {
		wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.Slow, Delay: delay, Count: 10 * items})
	}
	return wiki
}

// waitPlanDone waits until the plan is written, and fails the test when it
// stops being written otherwise.
func waitPlanDone(t *testing.T, st *store.Store, p *jobs.EditPlan, who *instance, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	waitUntil(t, who, "the write-back", within, 20*time.Millisecond, func() bool {
		cur, err := st.Plan(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != jobs.PlanDone && cur.Status != jobs.PlanWriting {
			c, _ := st.PlanCounts(ctx, p.ID)
			t.Fatalf("plan %s (%s), counts %+v, after the kill:\n%s", cur.Status, cur.Error, c, who.log.String())
		}
		return cur.Status == jobs.PlanDone
	})
}

// waitReconciled waits until the job is reconciled.
func waitReconciled(t *testing.T, st *store.Store, jobID int64, who *instance, within time.Duration) {
	t.Helper()
	waitUntil(t, who, "reconciled after restart", within, 50*time.Millisecond, func() bool {
		j, _ := st.Job(context.Background(), jobID)
		return j.Status == jobs.JobReconciled
	})
}

// killAfterBatches waits until at least n of the job's batches are done,
// and kills who then, mid-reconciliation; it returns the progress after the
// kill.
func killAfterBatches(t *testing.T, st *store.Store, jobID int64, who *instance, n int64, within time.Duration) jobs.Progress {
	t.Helper()
	ctx := context.Background()
	waitUntil(t, who, "batches done", within, 2*time.Millisecond, func() bool {
		p, _ := st.JobProgress(ctx, jobID)
		return p.BatchesDone >= n
	})
	who.kill()
	mid, _ := st.JobProgress(ctx, jobID)
	if mid.BatchesDone == mid.Batches {
		t.Fatal("reconciliation finished before the kill")
	}
	return mid
}

// embeddedKillTest begins a kill test on the embedded store (skipped with
// -short): the binary, its data folder, and the store and key the process
// will find there.
func embeddedKillTest(t *testing.T) (bin, dataDir string, st *store.Store, key []byte) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, dataDir = buildBinary(t), t.TempDir()
	st, key = embeddedStore(t, dataDir)
	return bin, dataDir, st, key
}

// embeddedStore opens the embedded store in dataDir and the tool's key
// there, as the process will find them.
func embeddedStore(t *testing.T, dataDir string) (*store.Store, []byte) {
	t.Helper()
	key, err := loadKey(config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "", dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return st, key
}

// localStore opens the store the binary will use (dsn "" for the embedded
// one in dataDir), migrated, with the user "local" it runs as in local mode
// (PARTNERHUB_LOCAL_USER, or the local default); closed when the test ends.
func localStore(t *testing.T, dsn, dataDir string) (*store.Store, *jobs.User) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := st.UpsertUser(ctx, &jobs.User{Username: "local"})
	if err != nil {
		t.Fatal(err)
	}
	return st, u
}
