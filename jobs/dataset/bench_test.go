package dataset_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store/storetest"
)

// BenchmarkImport imports a generated CSV of PARTNERHUB_BENCH_ROWS rows
// (default 1,000,000) and 10 columns into SQLite, reporting rows/s and the
// process's peak RSS. Run it with:
//
//	go test ./jobs/dataset -run '^$' -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	rows := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "bench.csv")
	writeBenchCSV(b, src, rows)
	fi, _ := os.Stat(src)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.SQLite(b)
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "bench"})
		j, _ := st.CreateJob(ctx, u.ID, "bench", "")
		// The importer removes its upload when done: give it a copy.
		cp := filepath.Join(dir, fmt.Sprintf("copy%d.csv", i))
		if err := os.Link(src, cp); err != nil {
			b.Fatal(err)
		}
		ds, _ := st.CreateDataset(ctx, j.ID, "bench.csv", cp, fi.Size())
		im := dataset.NewImporter(st, dataset.Limits{MaxRows: int64(rows)}, quietLogger())
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		if err := im.Import(ctx, ds.ID, dataset.Options{}); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if n, _ := st.CountRows(ctx, ds.ID); n != int64(rows) {
			b.Fatalf("imported %d rows, want %d", n, rows)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	}
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
}

func writeBenchCSV(b *testing.B, path string, rows int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id,name,alt_name,born,died,ulan,viaf,country,occupation,note\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "%d,Person %d,\"Surname %d, Given\",%d,%d,%d,%d,Q%d,painter,\"a note, with comma %d\"\n",
			i, i, i, 1700+i%300, 1760+i%300, 500000000+i, 10000000+i, 30+i%50, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// peakRSS reads the process's high-water mark of resident memory (Linux).
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkRefresh imports version 2 of a reconciled PARTNERHUB_BENCH_ROWS-row
// dataset (default 200,000; 10 columns, keyed by id) in which 10% of the rows
// changed, 5% were removed and 5% added, and reports rows/s of the refresh
// (import, comparison and carrying the results over) and peak RSS. Run it with:
//
//	go test ./jobs/dataset -run '^$' -bench Refresh -benchtime 1x
func BenchmarkRefresh(b *testing.B) {
	rows := 200_000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	dir := b.TempDir()
	v1 := filepath.Join(dir, "v1.csv")
	writeBenchCSV(b, v1, rows)
	v2 := filepath.Join(dir, "v2.csv")
	f, _ := os.Create(v2)
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id,name,alt_name,born,died,ulan,viaf,country,occupation,note\n")
	for i := rows/20 + 1; i <= rows+rows/20; i++ {
		born := 1700 + i%300
		if i%10 == 0 {
			born++ // changed
		}
		fmt.Fprintf(w, "%d,Person %d,\"Surname %d, Given\",%d,%d,%d,%d,Q%d,painter,\"a note, with comma %d\"\n",
			i, i, i, born, 1760+i%300, 500000000+i, 10000000+i, 30+i%50, i)
	}
	w.Flush()
	f.Close()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := storetest.SQLite(b)
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{Username: "bench"})
		j, _ := st.CreateJob(ctx, u.ID, "bench", "")
		importCopy := func(src string) *jobs.Dataset {
			cp := filepath.Join(dir, fmt.Sprintf("copy%d-%s", i, filepath.Base(src)))
			if err := os.Link(src, cp); err != nil {
				b.Fatal(err)
			}
			fi, _ := os.Stat(cp)
			ds, _ := st.CreateDataset(ctx, j.ID, filepath.Base(src), cp, fi.Size())
			if err := dataset.NewImporter(st, dataset.Limits{MaxRows: int64(2 * rows)}, quietLogger()).Import(ctx, ds.ID, dataset.Options{}); err != nil {
				b.Fatal(err)
			}
			ds, _ = st.Dataset(ctx, ds.ID)
			return ds
		}
		importCopy(v1)
		_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"key":"id","columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`))
		if err := st.StartReconciliation(ctx, j.ID, int64(rows), 200); err != nil {
			b.Fatal(err)
		}
		for no := int64(1); no <= int64(rows/200); no++ {
			ms := make([]jobs.RowMatch, 0, 200)
			for r := (no-1)*200 + 1; r <= no*200; r++ {
				ms = append(ms, jobs.RowMatch{Row: r, Status: jobs.MatchMatched, QID: fmt.Sprintf("Q%d", r), Score: 0.95})
			}
			if _, err := st.SaveBatchResult(ctx, j.ID, no, ms, 1); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		ds := importCopy(v2)
		elapsed := time.Since(start)
		b.StopTimer()
		if ds.Refresh.Added != int64(rows/20) || ds.Refresh.Removed != int64(rows/20) {
			b.Fatalf("refresh %+v", ds.Refresh)
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(ds.Refresh.Kept), "kept")
	}
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
}
