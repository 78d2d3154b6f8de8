package tasks

import (
	"context"
	"encoding/json"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
)

// TemplateCheck validates a job template against the dataset's columns as
// the matching engine reads it and returns it normalised, or an error that
// lists every problem in words.
type TemplateCheck func(template []byte, columns []string) ([]byte, error)

// CheckTemplate is the one check every route applies to a template: size,
// the engine's reading (engine nil: JSON syntax only) and the write
// settings. columns nil (the library) leaves what needs a dataset for later.
func CheckTemplate(raw []byte, columns []string, engine TemplateCheck) ([]byte, error) {
	if len(raw) > jobs.MaxTemplateBodySize {
		return nil, jobs.Errorf(jobs.ETOOLARGE, "The template is %d KB; templates can be at most %d KB.", (len(raw)+1023)>>10, jobs.MaxTemplateBodySize>>10)
	}
	checked := raw
	if engine == nil {
		if !json.Valid(raw) {
			return nil, jobs.Errorf(jobs.EINVALID, "the template is not valid JSON")
		}
	} else {
		if unknown := plan.UnknownWriteKeys(raw); len(unknown) > 0 {
			return nil, jobs.Errorf(jobs.EINVALID, "The template has problems: unknown key %s (check its spelling).", strings.Join(unknown, ", unknown key "))
		}
		var err error
		if checked, err = engine(raw, columns); err != nil {
			return nil, err
		}
	}
	if err := plan.CheckWrite(checked, columns); err != nil {
		return nil, err
	}
	return checked, nil
}

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
func ApplyStartingTemplate(ctx context.Context, st *store.Store, engine TemplateCheck, j *jobs.Job, ds *jobs.Dataset) (bool, error) {
	if ds == nil || ds.Status != jobs.DatasetImported || len(j.Template) > 0 || j.Status == jobs.JobReconciling {
		return false, nil
	}
	start, err := StartingTemplateOf(ctx, st, j, ds)
	if err != nil || start == nil || start.Body == nil || len(start.Missing) > 0 {
		return false, err
	}
	checked, err := CheckTemplate(start.Body, ds.Columns, engine)
	if err != nil {
		return false, nil // the mapping page shows why
	}
	if err := st.SetJobTemplate(ctx, j.ID, checked); err != nil {
		return false, err
	}
	j.Template = checked
	return true, nil
}
