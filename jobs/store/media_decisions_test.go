package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestDecisionsOnlyForWarnedFiles: a choice is recorded only for a file at
// its warning, once; a new title must be free in the plan and in the other
// plans; the file is then set up for the executor (pending with the choice,
// its attempts so far remembered) or skipped.
func TestDecisionsOnlyForWarnedFiles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Media", "")
		p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image", Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		files := []jobs.MediaFile{{No: 1, Row: 1, Source: "a", Title: "A.jpg"}, {No: 2, Row: 2, Source: "b", Title: "B.jpg"}, {No: 3, Row: 3, Source: "c", Title: "C.jpg"}}
		if err := st.AddMediaFiles(ctx, p.ID, files, 3); err != nil {
			t.Fatal(err)
		}
		warned := json.RawMessage(`{"codes":["exists"],"exists":"A.jpg"}`)
		for _, no := range []int64{1, 2} {
			if ok, err := st.MarkMediaSending(ctx, p.ID, no); err != nil || !ok {
				t.Fatal(ok, err)
			}
			if _, err := st.SettleMediaFile(ctx, p.ID, no, 0, jobs.MediaOutcome{Status: jobs.MediaWarning, Warnings: warned, Message: "warned"}); err != nil {
				t.Fatal(err)
			}
		}
		rename := func(no int64, title string) error {
			return st.DecideMediaFile(ctx, p.ID, no, u.ID, jobs.ResolveRename, jobs.MediaDecisionDetail{Title: title, From: "A.jpg"})
		}
		if err := rename(3, "D.jpg"); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("a pending file took a decision: %v", err)
		}
		if err := rename(1, "C.jpg"); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("renamed to another file's title: %v", err)
		}
		other, _ := st.CreateJob(ctx, u.ID, "Other", "")
		op, _ := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: other.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image", Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
		if err := st.AddMediaFiles(ctx, op.ID, []jobs.MediaFile{{No: 1, Row: 1, Source: "x", Title: "Elsewhere.jpg"}}, 1); err != nil {
			t.Fatal(err)
		}
		if err := rename(1, "Elsewhere.jpg"); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("renamed to another plan's title: %v", err)
		}
		if err := rename(1, "A (2).jpg"); err != nil {
			t.Fatal(err)
		}
		if err := rename(1, "A (3).jpg"); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("decided twice: %v", err)
		}
		f, _ := st.MediaFile(ctx, p.ID, 1)
		if f.Status != jobs.MediaPending || f.Title != "A (2).jpg" || f.Resolution != jobs.ResolveRename || f.ResolvedAttempts != 1 || f.Error != "" {
			t.Fatalf("renamed file %+v", f)
		}
		if err := st.DecideMediaFile(ctx, p.ID, 2, u.ID, jobs.ResolveSkip, jobs.MediaDecisionDetail{}); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 2); f.Status != jobs.MediaSkipped {
			t.Fatalf("skipped file %s", f.Status)
		}
		ds, err := st.MediaDecisions(ctx, p.ID, []int64{1})
		if err != nil || len(ds) != 1 || ds[0].Username != "Alice" || ds[0].Action != jobs.ResolveRename || ds[0].Detail.Title != "A (2).jpg" ||
			ds[0].Detail.From != "A.jpg" || !ds[0].Warnings.Has("exists") || ds[0].CreatedAt.IsZero() {
			t.Fatalf("decisions %+v %v", ds, err)
		}
		if all, _ := st.MediaDecisions(ctx, p.ID, nil); len(all) != 2 {
			t.Fatalf("%d decisions recorded, want 2", len(all))
		}
	})
}
