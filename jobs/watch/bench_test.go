package watch_test

import (
	"context"
	"testing"
	"time"

	"partnerhub/jobs/store/storetest"
)

// BenchmarkWatch watches a job of 1,000 written items on the fake wiki
// (SQLite): a first run, which reads every item with its statements, and a
// rerun, which asks only for revisions. It reports requests and the time of
// each per 1,000 items.
//
//	go test -run '^$' -bench Watch -benchtime 1x ./jobs/watch/
func BenchmarkWatch(b *testing.B) {
	const n = 1000
	st := storetest.SQLite(b)
	e := &env{st: st}
	e.wiki, e.jobID = writtenB(b, st, n)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		e.reads.Store(0)
		start := time.Now()
		w := e.watcherB(b)
		res, err := w.Job(ctx, e.jobID, 0)
		if err != nil || res.Checked != n {
			b.Fatalf("run: %v %+v", err, res)
		}
		first, firstReq := time.Since(start), e.reads.Load()
		e.reads.Store(0)
		start = time.Now()
		res, err = w.Job(ctx, e.jobID, 0)
		if err != nil || res.Read != 0 {
			b.Fatalf("rerun: %v %+v", err, res)
		}
		b.ReportMetric(float64(first.Milliseconds()), "first-ms/1000items")
		b.ReportMetric(float64(firstReq), "first-requests/1000items")
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "rerun-ms/1000items")
		b.ReportMetric(float64(e.reads.Load()), "rerun-requests/1000items")
	}
}
