package main

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

	"github.com/redis/go-redis/v9"

	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// testRedisDB is the Redis database the tests use on a shared server; each
// run keeps to its own queue's keys within it.
const testRedisDB = 15

// TestTwoWorkersRedisFlushedOneKilled runs the write-back of a 150-item plan
// on MariaDB and Redis with two worker processes: the first starts it; this
// run's Redis keys are then deleted (as an eviction or a flush would), so
// the second worker's start-up sweep queues the same write-back again and
// both write the plan at once; then the first is killed (SIGKILL) mid-edit.
// Still: one edit per item, every statement once, every revision recorded.
func TestTwoWorkersRedisFlushedOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	redisAddr := os.Getenv("PARTNERHUB_TEST_REDIS_ADDR")
	if redisAddr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PARTNERHUB_TEST_REDIS_ADDR is not set; CI must test against Redis")
		}
		t.Skip("PARTNERHUB_TEST_REDIS_ADDR not set")
	}
	dsn := storetest.MySQLDSN(t)
	const items = 150
	bin := buildBinary(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Each edit takes a while, so the flush and the kill land mid-batch.
	wiki := writerWiki(t, items, 20*time.Millisecond)

	var kb [32]byte
	_, _ = rand.Read(kb[:])
	secret := hex.EncodeToString(kb[:])
	key, err := loadKey(config{SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, "", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := seedWriteback(t, st, key, wiki, items)

	var qb [4]byte
	_, _ = rand.Read(qb[:])
	queue := "partnerhub-test-" + hex.EncodeToString(qb[:])
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: testRedisDB})
	t.Cleanup(func() { flushQueue(t, rdb, queue); _ = rdb.Close() })

	env := writeEnv(wiki.URL(), "PARTNERHUB_DB_DSN="+dsn, "PARTNERHUB_REDIS_ADDR="+redisAddr, fmt.Sprintf("PARTNERHUB_REDIS_DB=%d", testRedisDB),
		"PARTNERHUB_QUEUE="+queue, "PARTNERHUB_SECRET_KEY="+secret)
	waitEdits := func(n int, who *instance) {
		waitUntil(t, who, fmt.Sprintf("%d edits", n), 3*time.Minute, 5*time.Millisecond, func() bool { return len(wiki.Edits()) >= n })
	}
	// The first worker runs one task at a time, so the write-back queued
	// again after the flush goes to the second.
	first := start(t, bin, t.TempDir(), freeAddr(t), append(env, "PARTNERHUB_WORKER_CONCURRENCY=1")...)
	waitEdits(30, first)
	deleted := flushQueue(t, rdb, queue)
	second := start(t, bin, t.TempDir(), freeAddr(t), env...)
	// Both write now: the second's sweep found the plan unfinished and
	// nothing in Redis to say it was queued.
	waitEdits(len(wiki.Edits())+30, second)
	first.kill()
	killedAt := len(wiki.Edits())
	if killedAt >= items {
		t.Fatalf("the write-back finished (%d edits) before the kill", killedAt)
	}
	waitPlanDone(t, st, p, second, 5*time.Minute)
	checkWrittenOnce(t, st, wiki, p, items, killedAt)
	raced := len(wiki.WriteRequests()) - items
	t.Logf("deleted %d Redis keys; first worker killed after %d of %d edits; %d write requests in all", deleted, killedAt, items, len(wiki.WriteRequests()))
	if !strings.Contains(second.log.String(), "item written") {
		t.Fatalf("the second worker wrote nothing: the two never wrote at once\n%s", second.log.String())
	}
	if !strings.Contains(first.log.String(), "item written") {
		t.Fatalf("the first worker wrote nothing before the kill\n%s", first.log.String())
	}
	_ = raced
}

// flushQueue deletes this run's asynq keys (never the others' on the shared
// server: no FLUSHDB) and returns how many there were.
func flushQueue(t *testing.T, rdb *redis.Client, queue string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	iter := rdb.Scan(ctx, 0, "asynq:{"+queue+"}:*", 200).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan this run's Redis keys: %v", err)
	}
	for _, k := range keys {
		if err := rdb.Del(ctx, k).Err(); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
		n++
	}
	_ = rdb.SRem(ctx, "asynq:queues", queue).Err()
	return n
}
