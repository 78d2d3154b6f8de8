package tasks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testRedisDB is the database the tests use on the real server. It is shared
// with other runs (and other developers): tests touch only the keys of their
// own queue (see testQueue), never the whole database.
const testRedisDB = 15

// redisServers yields the in-process Redis always, and the real server when
// PARTNERHUB_TEST_REDIS_ADDR is set (required in CI).
func redisServers(t *testing.T, fn func(t *testing.T, r *tasks.Redis)) {
	t.Run("embedded", func(t *testing.T) {
		r, err := tasks.OpenRedis(context.Background(), "", 0, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		fn(t, r)
	})
	t.Run("redis", func(t *testing.T) {
		addr := os.Getenv("PARTNERHUB_TEST_REDIS_ADDR")
		if addr == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("PARTNERHUB_TEST_REDIS_ADDR is not set; CI must test against Redis")
			}
			t.Skip("PARTNERHUB_TEST_REDIS_ADDR not set")
		}
		r, err := tasks.OpenRedis(context.Background(), addr, testRedisDB, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		fn(t, r)
	})
}

func uniqueQueue() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "partnerhub-test-" + hex.EncodeToString(b[:])
}

// testQueue is a queue of its own for one test: a random name, so runs at
// once on a shared Redis never see each other's tasks, and its keys deleted
// when the test ends (after the test's workers have stopped).
// embeddedRedis is an in-process Redis for the test, closed when it ends
// (after the cleanups registered later, such as a worker's).
func embeddedRedis(t *testing.T) *tasks.Redis {
	t.Helper()
	r, err := tasks.OpenRedis(context.Background(), "", 0, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func testQueue(t *testing.T, r *tasks.Redis) *tasks.Queue {
	t.Helper()
	q := tasks.NewQueue(r.Client, uniqueQueue())
	t.Cleanup(func() {
		if n := loseQueue(t, r, q.Name()); n < 0 {
			t.Errorf("could not delete the keys of queue %s", q.Name())
		}
	})
	return q
}

// loseQueue makes Redis lose everything it carried for one queue, as a
// restarted in-process Redis, an evicting or a flushed server would, without
// touching other queues on the same server: asynq keeps a queue's tasks,
// sets and counters under "asynq:{name}:" and its name in "asynq:queues".
// SCAN is fine here, against a test server; the product never needs it.
// It returns how many keys went, or -1 on an error (reported).
func loseQueue(t *testing.T, r *tasks.Redis, name string) int {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := r.Client.Scan(ctx, 0, "asynq:{"+name+"}:*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan queue %s: %v", name, err)
		return -1
	}
	for i := 0; i < len(keys); i += 500 {
		if err := r.Client.Del(ctx, keys[i:min(i+500, len(keys))]...).Err(); err != nil {
			t.Errorf("delete keys of queue %s: %v", name, err)
			return -1
		}
	}
	if err := r.Client.SRem(ctx, "asynq:queues", name).Err(); err != nil {
		t.Errorf("forget queue %s: %v", name, err)
		return -1
	}
	return len(keys)
}

func uploadDataset(t *testing.T, st *store.Store, rows int) *jobs.Dataset {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
	j, _ := st.CreateJob(ctx, u.ID, "Queue test", "")
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "%d,Name %d\n", i, i)
	}
	path, size, err := dataset.SaveUpload(strings.NewReader(b.String()), t.TempDir(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, j.ID, "q.csv", path, size)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func startWorker(t *testing.T, r *tasks.Redis, st *store.Store, q *tasks.Queue) {
	t.Helper()
	startWorkerWith(t, r, st, q, nil)
}

func startWorkerWith(t *testing.T, r *tasks.Redis, st *store.Store, q *tasks.Queue, m tasks.Matcher) {
	t.Helper()
	w := tasks.NewWorker(r.Client, tasks.WorkerConfig{Queue: q.Name(), Concurrency: 2, ShutdownTimeout: 5 * time.Second, RetryBase: 50 * time.Millisecond},
		tasks.Deps{Store: st, Queue: q, Importer: dataset.NewImporter(st, dataset.Limits{}, quiet), Matcher: m}, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker stopped with %v", err)
		}
	})
}

func waitImported(t *testing.T, st *store.Store, id int64, rows int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := st.Dataset(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == jobs.DatasetImported {
			if d.RowCount != rows {
				t.Fatalf("imported %d rows, want %d", d.RowCount, rows)
			}
			n, _ := st.CountRows(context.Background(), id)
			if n != rows {
				t.Fatalf("stored %d rows, want %d", n, rows)
			}
			return
		}
		if d.Status == jobs.DatasetFailed {
			t.Fatalf("import failed: %s", d.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("import did not finish in 3 minutes")
}

func TestWorkerImportsQueuedDataset(t *testing.T) {
	redisServers(t, func(t *testing.T, r *tasks.Redis) {
		st := storetest.SQLite(t)
		q := testQueue(t, r)
		ds := uploadDataset(t, st, 7000)
		if err := q.EnqueueImport(context.Background(), ds.ID); err != nil {
			t.Fatal(err)
		}
		// Enqueuing the same work twice is harmless.
		if err := q.EnqueueImport(context.Background(), ds.ID); err != nil {
			t.Fatal(err)
		}
		startWorker(t, r, st, q)
		waitImported(t, st, ds.ID, 7000)
	})
}

// TestLostRedisLosesNoWork: the queue's data vanishes (a restarted in-process
// Redis, a flushed or evicting server) after the upload was recorded; the
// worker's start-up sweep finds the unfinished import in the database.
func TestLostRedisLosesNoWork(t *testing.T) {
	redisServers(t, func(t *testing.T, r *tasks.Redis) {
		st := storetest.SQLite(t)
		q := testQueue(t, r)
		ds := uploadDataset(t, st, 3000)
		if err := q.EnqueueImport(context.Background(), ds.ID); err != nil {
			t.Fatal(err)
		}
		if loseQueue(t, r, q.Name()) <= 0 {
			t.Fatal("the queue had no keys to lose: the import was not enqueued")
		}
		startWorker(t, r, st, q)
		waitImported(t, st, ds.ID, 3000)
	})
}

// TestEmbeddedRedisClosesWhileItsClockTicks: closing the in-process Redis
// while its clock goroutine is due to tick must not crash (it once read the
// server Close had just dropped: a nil pointer panic that killed the tests).
// The race detector sees the data race even when the timing misses it.
func TestEmbeddedRedisClosesWhileItsClockTicks(t *testing.T) {
	for range 3 {
		r, err := tasks.OpenRedis(context.Background(), "", 0, quiet)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // a tick is due now: close right on it
		r.Close()
		r.Close() // and twice is harmless
	}
}
