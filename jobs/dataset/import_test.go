package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// newUpload stores content as an uploaded file and records a dataset for a fresh job.
func newUpload(t *testing.T, st *store.Store, name, content string) *jobs.Dataset {
	t.Helper()
	ctx := context.Background()
	u, err := st.UpsertUser(ctx, &jobs.User{Username: "local"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(ctx, u.ID, "Import test", "")
	if err != nil {
		t.Fatal(err)
	}
	path, size, err := dataset.SaveUpload(strings.NewReader(content), t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, j.ID, name, path, size)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestImportStoresRowsAndStats(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var b strings.Builder
		b.WriteString("name;born;ulan\n")
		for i := 1; i <= 12345; i++ {
			ulan := ""
			if i%2 == 0 {
				ulan = fmt.Sprint(500000000 + i)
			}
			fmt.Fprintf(&b, "Person %d;%d;%s\n", i, 1800+i%100, ulan)
		}
		ds := newUpload(t, st, "people.csv", b.String())
		im := dataset.NewImporter(st, dataset.Limits{}, nil)
		if err := im.Import(ctx, ds.ID, dataset.Options{}); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Dataset(ctx, ds.ID)
		if got.Status != jobs.DatasetImported || got.RowCount != 12345 || got.Delimiter != ';' {
			t.Fatalf("dataset after import: %+v", got)
		}
		if n, _ := st.CountRows(ctx, ds.ID); n != 12345 {
			t.Fatalf("stored %d rows", n)
		}
		byName := map[string]jobs.ColumnStats{}
		for _, s := range got.ColumnStats {
			byName[s.Name] = s
		}
		if s := byName["ulan"]; s.Filled != 6172 || s.Distinct != 6172 || len(s.Samples) != 5 {
			t.Fatalf("ulan stats %+v", s)
		}
		if s := byName["born"]; s.Distinct != 100 || s.Filled != 12345 {
			t.Fatalf("born stats %+v", s)
		}
		if s := byName["name"]; s.Distinct != jobs.DistinctCap || !s.Capped {
			t.Fatalf("name stats should be capped: %+v", s)
		}
		j, _ := st.Job(ctx, ds.JobID)
		if j.Status != jobs.JobReady {
			t.Fatalf("job status %q, want ready", j.Status)
		}
		if _, err := os.Stat(ds.StoredPath); !os.IsNotExist(err) {
			t.Fatalf("uploaded file should be removed after import, stat: %v", err)
		}
		// A replayed task changes nothing.
		if err := im.Import(ctx, ds.ID, dataset.Options{}); err != nil {
			t.Fatalf("replayed import: %v", err)
		}
	})
}

func TestImportRejectsBadFilesAndKeepsNothing(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"ragged", "a,b\n1,2\n3,4\n5\n", "row 3, line 4: has 1 cell but the header has 2"},
		{"duplicate header", "a,a\n1,2\n", "used twice"},
		{"no rows", "a,b\n", "no data rows"},
		{"too many rows", "a,b\n1,2\n3,4\n5,6\n", "more than 2 rows"},
	}
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := context.Background()
				ds := newUpload(t, st, "bad.csv", c.content)
				im := dataset.NewImporter(st, dataset.Limits{MaxRows: 2}, nil)
				err := im.Import(ctx, ds.ID, dataset.Options{})
				if !errors.Is(err, dataset.ErrInputRejected) {
					t.Fatalf("want ErrInputRejected, got %v", err)
				}
				got, _ := st.Dataset(ctx, ds.ID)
				if got.Status != jobs.DatasetFailed || !strings.Contains(got.Error, c.want) {
					t.Fatalf("dataset %q error %q, want failed with %q", got.Status, got.Error, c.want)
				}
				if n, _ := st.CountRows(ctx, ds.ID); n != 0 {
					t.Fatalf("failed import left %d rows", n)
				}
			})
		}
	})
}

// TestImportResumesAfterInterruption cancels an import half way (as a
// shutdown or crash would), then runs it again: it continues from the stored
// row count and ends with every row exactly once.
func TestImportResumesAfterInterruption(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		var b strings.Builder
		b.WriteString("id,name\n")
		for i := 1; i <= 30000; i++ {
			fmt.Fprintf(&b, "%d,Name %d\n", i, i)
		}
		im := dataset.NewImporter(st, dataset.Limits{}, nil)
		// Cancel once the first batches are committed. The import does not
		// wait for the watcher, so on a loaded machine it may win the race:
		// then try again with a new upload (never a skip: CI runs everything).
		var ds *jobs.Dataset
		var err error
		for attempt := 1; ; attempt++ {
			ds = newUpload(t, st, "big.csv", b.String())
			ctx, cancel := context.WithCancel(context.Background())
			go func(id int64) {
				defer cancel()
				for ctx.Err() == nil {
					d, err := st.Dataset(context.Background(), id)
					if err == nil && d.RowCount >= 10000 {
						return
					}
				}
			}(ds.ID)
			err = im.Import(ctx, ds.ID, dataset.Options{})
			cancel()
			if err != nil {
				break
			}
			if attempt == 10 {
				t.Fatal("the import finished before it could be interrupted, ten times")
			}
		}
		mid, _ := st.Dataset(context.Background(), ds.ID)
		if mid.Status != jobs.DatasetImporting || mid.RowCount == 0 || mid.RowCount >= 30000 {
			t.Fatalf("interrupted import: %+v (err %v)", mid, err)
		}
		if err := im.Import(context.Background(), ds.ID, dataset.Options{}); err != nil {
			t.Fatal(err)
		}
		done, _ := st.Dataset(context.Background(), ds.ID)
		n, _ := st.CountRows(context.Background(), ds.ID)
		if done.Status != jobs.DatasetImported || done.RowCount != 30000 || n != 30000 {
			t.Fatalf("after resume: %+v, %d rows stored", done, n)
		}
		rows, _ := st.Rows(context.Background(), ds.ID, 29999, 5)
		if len(rows) != 1 || rows[0].Cells[1] != "Name 30000" {
			t.Fatalf("last row %+v", rows)
		}
	})
}

func TestSaveUploadEnforcesLimit(t *testing.T) {
	dir := t.TempDir()
	_, _, err := dataset.SaveUpload(strings.NewReader(strings.Repeat("x", 1025)), dir, 1024)
	if jobs.ErrorCode(err) != jobs.ETOOLARGE || !strings.Contains(err.Error(), "1 KB") {
		t.Fatalf("want too large naming the limit, got %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Fatalf("refused upload left %v", files)
	}
	path, size, err := dataset.SaveUpload(strings.NewReader(strings.Repeat("x", 1024)), dir, 1024)
	if err != nil || size != 1024 {
		t.Fatalf("upload at the limit: %v, %d", err, size)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("upload mode %v, want 0600", fi.Mode().Perm())
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
