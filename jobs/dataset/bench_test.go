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
