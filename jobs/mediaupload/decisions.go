package mediaupload

import (
	"context"
	"encoding/json"

	"partnerhub/jobs"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
)

// What a person chose for a file Commons warned about (store.DecideMediaFile)
// is carried out here, inside the same intent/outcome records as any upload:
// a rename is simply a pending file with a new title; a link and an upload
// despite warnings need the steps below.

// linkChosen links the file a person chose after a duplicate warning: it
// must hold the same bytes (SHA-1), and is never uploaded to; it then goes
// on to its structured data, of which only what it lacks is added.
func (r *run) linkChosen(ctx context.Context, f *jobs.MediaFile) (bool, error) {
	title := f.ResolutionDetail.Title
	pages, err := r.c.Pages(ctx, []string{title})
	if err != nil {
		return false, r.readError(ctx, err)
	}
	if ok, err := r.e.store.MarkMediaSending(ctx, r.plan.ID, f.No); err != nil || !ok {
		return false, err
	}
	attempt := f.Attempts + 1
	o := jobs.MediaOutcome{Status: jobs.MediaFailed}
	switch p := pages[title]; {
	case p == nil || p.Missing || p.File == nil:
		o.Message = title + ", chosen to be linked, is not on Commons (any more); choose again after retrying."
	case f.SHA1 != "" && p.File.SHA1 != f.SHA1:
		o.Message = title + " does not hold the same bytes as this file (its SHA-1 differs), so it is not linked."
	default:
		o = jobs.MediaOutcome{Status: jobs.MediaUploaded, PageID: p.PageID, FileTitle: p.Title, URL: p.File.DescriptionURL}
	}
	_, err = r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, attempt, o)
	r.log.Info("file linked by a person's choice", "file_no", f.No, "title", title, "status", o.Status)
	return true, err
}

// commitConfirmed commits a stashed upload despite its warnings when they
// are exactly those a person confirmed for this file (was-deleted or
// duplicate-archive naming the same titles): ignorewarnings on this one
// commit only. Any other answer is returned as it is, for a person to see.
func (r *run) commitConfirmed(ctx context.Context, f *jobs.MediaFile, attempt int, res *commons.Result) (*commons.Result, error) {
	if f.Resolution != jobs.ResolveIgnore || res.FileKey == "" {
		return res, nil
	}
	raw, _ := json.Marshal(warningsJSON(res.Warnings))
	if !jobs.ParseMediaWarnings(raw).ConfirmedBy(f.ResolutionDetail.Warnings) {
		return res, nil
	}
	r.log.Info("uploading despite the warnings a person confirmed", "file_no", f.No, "warnings", res.Warnings.String())
	// Through commit, which records the intent of a chunked upload's
	// commit first: a lost answer is then looked up, never re-committed.
	req := r.uploadRequest(f)
	req.IgnoreWarnings = true
	return r.commit(ctx, f, attempt, res.FileKey, req)
}

// settledStatus is what a file becomes once its structured data is on: a
// file a person chose to link stays "linked" (it is not our upload).
func settledStatus(f *jobs.MediaFile) jobs.MediaFileStatus {
	if f.Resolution == jobs.ResolveLink {
		return jobs.MediaLinked
	}
	return jobs.MediaDone
}

// addableTo keeps, for a linked file (someone else's), only the statements
// that contradict nothing on it: a property it has no statement for yet, or
// depicts (P180), of which a file has several. Its own licence, copyright
// status or creator are never added to.
func addableTo(f *jobs.MediaFile, mi *commons.MediaInfo, missing []wikidata.Statement) []wikidata.Statement {
	if f.Resolution != jobs.ResolveLink {
		return missing
	}
	var out []wikidata.Statement
	for _, st := range missing {
		if p := st.MainSnak.Property; p == "P180" || len(mi.Statements[p]) == 0 {
			out = append(out, st)
		}
	}
	return out
}
