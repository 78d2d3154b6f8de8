package tasks

import (
	"context"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// TemplateCheck validates a job template against the dataset's columns and
// returns it normalised, or an error that lists every problem in words
// (plan.CheckTemplate with the engine's reading is the full check).
type TemplateCheck func(template []byte, columns []string) ([]byte, error)

// StartingTemplate is the library template a job was started from, fitted
// to its file's columns.
type StartingTemplate struct {
	Version *jobs.TemplateVersion
	Name    string
	Body    []byte               // fitted to the file's columns (nil: nothing fits)
	Missing []jobs.MissingColumn // template columns the file lacks
}

// StartingTemplateOf returns the template job j was started from, fitted to
// ds's columns; nil when the job has its own mapping already, was not started
// from a template, or the template was deleted from the library since.
func StartingTemplateOf(ctx context.Context, st *store.Store, j *jobs.Job, ds *jobs.Dataset) (*StartingTemplate, error) {
	if len(j.Template) > 0 {
		return nil, nil
	}
	vid, err := st.JobTemplateVersion(ctx, j.ID)
	if err != nil || vid == 0 {
		return nil, err
	}
	v, err := st.TemplateVersion(ctx, vid)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, nil // deleted from the library: map by hand
	}
	if err != nil {
		return nil, err
	}
	body, missing, err := jobs.FitTemplate(v.Body, ds.Columns)
	if err != nil {
		return nil, err
	}
	out := &StartingTemplate{Version: v, Body: body, Missing: missing}
	if t, err := st.Template(ctx, v.TemplateID); err == nil {
		out.Name = t.Name
	}
	return out, nil
}

// ApplyStartingTemplate saves the template job j was started from as its
// mapping once its file is imported, when every template column is in the
// file (by name or a recognised rename) and the result passes the check: the
// user comes back to a mapped job. Otherwise the mapping page shows the
// fitted template and asks about the missing columns. It reports whether it
// saved.
func ApplyStartingTemplate(ctx context.Context, st *store.Store, check TemplateCheck, j *jobs.Job, ds *jobs.Dataset) (bool, error) {
	if ds == nil || ds.Status != jobs.DatasetImported || len(j.Template) > 0 || j.Status == jobs.JobReconciling {
		return false, nil
	}
	start, err := StartingTemplateOf(ctx, st, j, ds)
	if err != nil || start == nil || start.Body == nil || len(start.Missing) > 0 {
		return false, err
	}
	if check == nil {
		return false, nil // nothing to check it with: the mapping page applies it
	}
	checked, err := check(start.Body, ds.Columns)
	if err != nil {
		return false, nil // the mapping page shows why
	}
	if err := st.SetJobTemplate(ctx, j.ID, checked); err != nil {
		return false, err
	}
	j.Template = checked
	return true, nil
}
