package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/jobs/store"
	"partnerhub/jobs/watch/watchtest"
	"partnerhub/wikidata"
)

// TestWatchHelp: asking for help is not a failure, and names the flags.
func TestWatchHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"watch", "--help"}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("watch --help: %v", err)
	}
	for _, f := range []string{"-job", "-limit", "-every", "-batch"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("help does not list %s:\n%s", f, stderr.String())
		}
	}
}

// TestWatchChecksBeforeStarting: bad flags and a bad configuration are
// refused before anything is opened (no data directory, no database).
func TestWatchChecksBeforeStarting(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		says string
	}{
		{[]string{"--batch", "51"}, nil, "--batch must be between 1 and 50"},
		{[]string{"--limit", "-1"}, nil, "--limit must be"},
		{[]string{"--job", "x"}, nil, "invalid value"},
		{nil, map[string]string{"PARTNERHUB_USER_AGENT": "curl"}, "User-Agent policy"},
		{nil, map[string]string{"PARTNERHUB_LOG_FORMAT": "xml"}, "PARTNERHUB_LOG_FORMAT"},
	} {
		t.Run(tt.says, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			t.Setenv("PARTNERHUB_DATA_DIR", dir)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := run(context.Background(), append([]string{"watch"}, tt.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("%v %v: %v, want %q", tt.args, tt.env, err, tt.says)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the data directory was created before the check: %v", err)
			}
		})
	}
}

// TestWatchCommand runs the scheduled command against a job whose
// write-back wrote to the fake wiki: it records the run, says what it found,
// leaves the job alone while it was watched recently, and reads nothing
// again that did not change.
func TestWatchCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("PARTNERHUB_DATA_DIR", dir)
	st, err := store.Open(ctx, "", dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wiki, jobID := watchtest.Written(t, st, 3, nil)
	st.Close()
	wiki.ChangeAs("Other", "Q2", func(e *wikidata.Entity) { delete(e.Claims, "P245") })
	var out bytes.Buffer
	if err := run(ctx, []string{"watch"}, &out, io.Discard); err != nil {
		t.Fatalf("watch: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "3 items checked") || !strings.Contains(out.String(), "5 of 6 statements still there; 1 removed") {
		t.Fatalf("watch said:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"watch"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "nothing to watch") {
		t.Fatalf("second watch within --every: %v\n%s", err, out.String())
	}
	out.Reset()
	before := wiki.Requests()
	if err := run(ctx, []string{"watch", "--job", "1", "--batch", "2"}, &out, io.Discard); err != nil {
		t.Fatalf("watch --job: %v\n%s", err, out.String())
	}
	// Revisions only, two items a request: nothing changed, nothing re-read.
	if !strings.Contains(out.String(), "3 items checked, 0 re-read, 2 requests") || wiki.Requests()-before != 2 || jobID != 1 {
		t.Fatalf("watch --job 1 --batch 2 (%d requests):\n%s", wiki.Requests()-before, out.String())
	}
	if err := run(ctx, []string{"watch", "--job", "99"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "job 99") {
		t.Fatalf("an unknown job: %v", err)
	}
}
