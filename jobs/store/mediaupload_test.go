package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// A chunked upload's progress belongs to one attempt at a time, survives a
// new attempt of the same content, is started afresh for other content, and
// a postponed attempt is not counted.
func TestMediaStashProgressAndPostpone(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Media", "")
		p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image", Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		const sha = "0123456789abcdef0123456789abcdef01234567"
		if err := st.AddMediaFiles(ctx, p.ID, []jobs.MediaFile{{No: 1, Row: 1, QID: "Q1", Source: "a", Title: "A.jpg", SHA1: sha, Size: 9000}}, 1); err != nil {
			t.Fatal(err)
		}
		_ = st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
		_ = st.ApproveMediaPlan(ctx, p.ID, u.ID, nil)
		if err := st.StartUploading(ctx, p.ID, u.ID, "abc"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := st.MarkMediaSending(ctx, p.ID, 1); !ok {
			t.Fatal("not claimed")
		}
		if m, err := st.MediaStash(ctx, p.ID, 1); m != nil || err != nil {
			t.Fatalf("progress before any chunk: %+v %v", m, err)
		}
		m, err := st.BeginMediaStash(ctx, p.ID, 1, 1, 9000, sha)
		if err != nil || m.Attempt != 1 || m.FileKey != "" || m.Offset != 0 {
			t.Fatalf("begin: %+v %v", m, err)
		}
		if ok, _ := st.RecordMediaChunk(ctx, p.ID, 1, 2, "k.1.jpg", 3000, false); ok {
			t.Fatal("an attempt that does not own the upload recorded a chunk")
		}
		if ok, err := st.RecordMediaChunk(ctx, p.ID, 1, 1, "k.1.jpg", 3000, false); !ok || err != nil {
			t.Fatalf("chunk not recorded: %v", err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 1); f.StashKey != "k.1.jpg" {
			t.Fatalf("the file's stash key is %q", f.StashKey)
		}
		if err := st.SetMediaCommitSent(ctx, p.ID, 1, 1, true); err != nil {
			t.Fatal(err)
		}
		if m, _ := st.MediaStash(ctx, p.ID, 1); m.CommitSentAt.IsZero() || m.Offset != 3000 {
			t.Fatalf("commit intent not recorded: %+v", m)
		}
		// maxlag: postponed without counting the attempt
		if err := st.PostponeMediaFile(ctx, p.ID, 1, 2, "lag"); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 1); f.Status != jobs.MediaSending {
			t.Fatalf("another attempt postponed the file: %s", f.Status)
		}
		if err := st.PostponeMediaFile(ctx, p.ID, 1, 1, "lag"); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 1); f.Status != jobs.MediaPending || f.Attempts != 0 || f.Error != "lag" {
			t.Fatalf("postponed: %s, %d attempts, %q", f.Status, f.Attempts, f.Error)
		}
		// the next attempt of the same content takes the progress over
		_, _ = st.MarkMediaSending(ctx, p.ID, 1)
		m, _ = st.BeginMediaStash(ctx, p.ID, 1, 1, 9000, sha)
		if m.FileKey != "k.1.jpg" || m.Offset != 3000 || m.Attempt != 1 {
			t.Fatalf("same content: %+v", m)
		}
		// other content starts afresh
		m, _ = st.BeginMediaStash(ctx, p.ID, 1, 1, 9001, sha)
		if m.FileKey != "" || m.Offset != 0 || !m.CommitSentAt.IsZero() {
			t.Fatalf("other content kept the old progress: %+v", m)
		}
		if ok, _ := st.RecordMediaChunk(ctx, p.ID, 1, 1, "k.2.jpg", 9001, true); !ok {
			t.Fatal("assembly not recorded")
		}
		if m, _ := st.MediaStash(ctx, p.ID, 1); !m.Assembled || m.Offset != 9001 {
			t.Fatalf("assembled: %+v", m)
		}
		if err := st.DropMediaStash(ctx, p.ID, 1); err != nil {
			t.Fatal(err)
		}
		if m, _ := st.MediaStash(ctx, p.ID, 1); m != nil {
			t.Fatalf("dropped progress: %+v", m)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 1); f.StashKey != "" {
			t.Fatalf("the file's stash key outlived the upload: %q", f.StashKey)
		}
	})
}
