package tasks_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/match"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// TestImportAppliesTheStartingTemplate: a job started from a library
// template is mapped by the worker as soon as its file is imported, with
// no page view in between; a file that lacks a template column is left for
// the mapping page to ask about.
func TestImportAppliesTheStartingTemplate(t *testing.T) {
	const tmpl = `{"version":1,"languages":["en"],"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"}}}`
	for _, tc := range []struct {
		name, header string
		applied      bool
	}{
		{"every column there", "name,ulan", true},
		{"a renamed column is recognised", "Name,ULAN", true},
		{"a column missing", "name,born", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.SQLite(t)
			ctx := context.Background()
			r, err := tasks.OpenRedis(ctx, "", 0, quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(r.Close)
			q := testQueue(t, r)
			u, _ := st.UpsertUser(ctx, &jobs.User{Username: "local"})
			tp, err := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: u.ID, Name: "ULAN people", Visibility: jobs.VisibilityPrivate}, []byte(tmpl))
			if err != nil {
				t.Fatal(err)
			}
			j, err := st.CreateJobFromTemplate(ctx, u.ID, 0, "From the library", "", tp.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			path, size, err := dataset.SaveUpload(strings.NewReader(tc.header+"\nHilma af Klint,500115493\n"), t.TempDir(), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := st.CreateDataset(ctx, j.ID, "people.csv", path, size)
			if err != nil {
				t.Fatal(err)
			}
			w := tasks.NewWorker(r.Client, tasks.WorkerConfig{Queue: q.Name(), Concurrency: 1, ShutdownTimeout: 5 * time.Second},
				tasks.Deps{Store: st, Queue: q, Importer: dataset.NewImporter(st, dataset.Limits{}, quiet), TemplateCheck: func(raw []byte, cols []string) ([]byte, error) {
					return plan.CheckTemplate(raw, cols, match.CheckTemplate)
				}}, quiet)
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- w.Run(wctx) }()
			if err := q.EnqueueImport(ctx, ds.ID); err != nil {
				t.Fatal(err)
			}
			waitImported(t, st, ds.ID, 1)
			// The template is applied in the task that marks the import
			// done; a stopped worker has finished its running tasks.
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got, err := st.Job(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.applied {
				if len(got.Template) != 0 {
					t.Fatalf("a template with a column the file lacks was applied: %s", got.Template)
				}
				return
			}
			var doc struct {
				Columns map[string]struct{ Role, Property string } `json:"columns"`
			}
			if err := json.Unmarshal(got.Template, &doc); err != nil {
				t.Fatal(err)
			}
			label, id, _ := strings.Cut(tc.header, ",")
			if doc.Columns[label].Role != "label" || doc.Columns[id].Property != "P245" {
				t.Fatalf("applied template does not map the file's columns %q, %q: %s", label, id, got.Template)
			}
		})
	}
}
