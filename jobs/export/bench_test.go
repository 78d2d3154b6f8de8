package export_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/export"
	"partnerhub/jobs/store/storetest"
)

// BenchmarkEnrichedExport streams the enriched CSV of a job with
// PARTNERHUB_BENCH_ROWS reconciled rows (default 1,000,000) on SQLite, and
// reports rows per second and the peak Go heap while exporting (target:
// flat, well under 200 MB).
//
//	go test ./jobs/export -run '^$' -bench EnrichedExport -benchtime 1x
func BenchmarkEnrichedExport(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	st := storetest.SQLite(b)
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Exporter"})
	j, _ := st.CreateJob(ctx, u.ID, "Big", "")
	ds, _ := st.CreateDataset(ctx, j.ID, "big.csv", "/none", 1)
	ds.Columns = []string{"name", "born", "ulan", "note"}
	_ = st.StartImport(ctx, ds)
	const batch = 5000
	if err := st.StartReconciliation(ctx, j.ID, int64(n), batch); err != nil {
		b.Fatal(err)
	}
	for first, no := 1, int64(1); first <= n; first, no = first+batch, no+1 {
		var rows []jobs.Row
		var ms []jobs.RowMatch
		for i := first; i < first+batch && i <= n; i++ {
			rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprintf("Person %d", i), strconv.Itoa(1700 + i%300), strconv.Itoa(500000000 + i), "=a note"}})
			status := []jobs.MatchStatus{jobs.MatchMatched, jobs.MatchReview, jobs.MatchNone}[i%3]
			ms = append(ms, jobs.RowMatch{Row: int64(i), Status: status, QID: fmt.Sprint("Q", 100+i), Label: fmt.Sprintf("Person %d", i), Score: 0.5})
		}
		if err := st.AppendRows(ctx, ds.ID, rows, int64(min(first+batch-1, n))); err != nil {
			b.Fatal(err)
		}
		if _, err := st.SaveBatchResult(ctx, j.ID, no, ms, 0); err != nil {
			b.Fatal(err)
		}
	}
	ds.RowCount = int64(n)
	if err := st.FinishImport(ctx, ds, nil); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := export.WriteEnriched(ctx, io.Discard, st, j.ID, ds, export.EnrichedOptions{Format: export.FormatCSV}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}
