package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func TestMediaPlanLifecycleAndExactlyOnceMarks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Media", "")
		p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image",
			Settings: json.RawMessage(`{"title":"{Title}.jpg"}`), CreatedBy: u.ID, ProposeP18: true})
		if err != nil || p.Status != jobs.MediaPlanBuilding || !p.ProposeP18 || p.SourceColumn != "Image" || string(p.Settings) != `{"title":"{Title}.jpg"}` {
			t.Fatalf("create: %+v %v", p, err)
		}
		if _, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, CreatedBy: u.ID}); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second media plan while building: %v", err)
		}
		long := ""
		for len(long) < 300 {
			long += "é"
		}
		files := []jobs.MediaFile{
			{No: 1, Row: 1, QID: "Q1", Source: "https://example.org/a.jpg", Title: "A (1).jpg", Wikitext: "{{Information}}", Statements: json.RawMessage(`{"claims":[]}`),
				SHA1: "0123456789abcdef0123456789abcdef01234567", Size: 1000, ContentType: "image/jpeg", Width: 10, Height: 20},
			{No: 2, Row: 2, Source: "https://example.org/b.jpg", Title: "B.jpg", Size: 500, Problems: []jobs.MediaProblem{{Code: jobs.ProblemNoItem, Message: "no item", Blocking: true}}},
			{No: 3, Row: 3, QID: "Q3", Source: "c.png", Title: "C.png", Size: 300, Problems: []jobs.MediaProblem{{Code: jobs.ProblemOnCommons, Message: "there"}}},
			{No: 4, Row: 4, QID: "Q4", Source: "d.png", Title: long, Size: 1},
		}
		if err := st.AddMediaFiles(ctx, p.ID, files, 4); err != nil {
			t.Fatal(err)
		}
		if err := st.AddMediaFiles(ctx, p.ID, files[:1], 4); err != nil { // replayed batch
			t.Fatal(err)
		}
		c, err := st.MediaCounts(ctx, p.ID)
		if err != nil || c.Files != 4 || c.Pending != 3 || c.Blocked != 1 || c.Problems != 2 || c.Bytes != 1301 {
			t.Fatalf("counts %+v %v", c, err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 4); len(f.Title) > 255 || f.Title[:2] != "é" {
			t.Fatalf("over-long title not cut on a rune boundary: %q", f.Title)
		}
		if err := st.ApproveMediaPlan(ctx, p.ID, u.ID, nil); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("approve while building: %v", err)
		}
		if err := st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding); err != nil {
			t.Fatal(err)
		}
		if err := st.ApproveMediaPlan(ctx, p.ID, u.ID, []int64{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 4); f.Status != jobs.MediaSkipped || f.Approved {
			t.Fatalf("unapproved file: %+v", f)
		}
		if f, _ := st.MediaFile(ctx, p.ID, 2); f.Status != jobs.MediaBlocked || !f.Blocked() || f.Problems[0].Code != jobs.ProblemNoItem {
			t.Fatalf("approving a blocked file unblocked it: %+v", f)
		}
		if err := st.StartUploading(ctx, p.ID, u.ID, "abc"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := st.MarkMediaSending(ctx, p.ID, 2); ok {
			t.Fatal("a blocked file was claimed for upload")
		}
		ok, err := st.MarkMediaSending(ctx, p.ID, 1)
		if !ok || err != nil {
			t.Fatalf("intent: %v %v", ok, err)
		}
		if ok, _ := st.MarkMediaSending(ctx, p.ID, 1); ok {
			t.Fatal("the same file was claimed twice")
		}
		if ok, _ := st.SettleMediaFile(ctx, p.ID, 1, 1, jobs.MediaOutcome{Status: jobs.MediaUploaded, PageID: 77, FileTitle: "File:A (1).jpg",
			URL: "https://commons.wikimedia.org/wiki/File:A_(1).jpg"}); !ok {
			t.Fatal("upload not settled")
		}
		// the structured-data step keeps what the upload recorded
		if ok, _ := st.SettleMediaFile(ctx, p.ID, 1, 1, jobs.MediaOutcome{Status: jobs.MediaDone, SDCRevID: 900}); !ok {
			t.Fatal("structured data not settled")
		}
		if ok, _ := st.SettleMediaFile(ctx, p.ID, 1, 0, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: "late"}); ok {
			t.Fatal("a late outcome changed a settled file")
		}
		f, _ := st.MediaFile(ctx, p.ID, 1)
		if f.Status != jobs.MediaDone || f.PageID != 77 || f.SDCRevID != 900 || f.FileTitle != "File:A (1).jpg" || f.Attempts != 1 {
			t.Fatalf("settled file: %+v", f)
		}
		_, _ = st.MarkMediaSending(ctx, p.ID, 3)
		_ = st.ReleaseMediaFile(ctx, p.ID, 3, "maxlag")
		if f, _ := st.MediaFile(ctx, p.ID, 3); f.Status != jobs.MediaPending || f.Error != "maxlag" {
			t.Fatalf("released: %+v", f)
		}
		_, _ = st.MarkMediaSending(ctx, p.ID, 3)
		_, _ = st.SettleMediaFile(ctx, p.ID, 3, 2, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: "blocked"})
		if n, _ := st.RetryFailedMedia(ctx, p.ID); n != 1 {
			t.Fatalf("retry failed: %d", n)
		}
		_, _ = st.MarkMediaSending(ctx, p.ID, 3)
		_, _ = st.SettleMediaFile(ctx, p.ID, 3, 3, jobs.MediaOutcome{Status: jobs.MediaLinked, PageID: 5, FileTitle: "File:Old C.png", URL: "https://commons.wikimedia.org/wiki/File:Old_C.png"})

		if byHash, _ := st.MediaFilesBySHA1(ctx, files[0].SHA1); len(byHash) != 1 || byHash[0].No != 1 {
			t.Fatalf("by SHA-1: %+v", byHash)
		}
		rm, err := st.RowMedia(ctx, j.ID)
		if err != nil || len(rm) != 2 || rm[0].Row != 1 || rm[0].FileTitle != "File:A (1).jpg" || rm[1].Row != 3 || rm[1].QID != "Q3" {
			t.Fatalf("row media: %+v %v", rm, err)
		}
		tot, err := st.JobMediaTotals(ctx, j.ID)
		if err != nil || tot.Uploaded != 1 || tot.Linked != 1 || tot.Items != 2 {
			t.Fatalf("totals %+v %v", tot, err)
		}

		// a second plan: titles the first holds are reported
		if err := st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanDone, "", jobs.MediaPlanUploading); err != nil {
			t.Fatal(err)
		}
		p2, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromZip, SourceColumn: "File", ArchivePath: "media/1.zip", CreatedBy: u.ID})
		if err != nil || p2.ArchivePath != "media/1.zip" {
			t.Fatalf("second plan: %+v %v", p2, err)
		}
		held, err := st.MediaTitlesPlanned(ctx, p2.ID, []string{"A (1).jpg", "B.jpg", "C.png", "New.jpg"})
		if err != nil || !held["A (1).jpg"] || held["B.jpg"] || !held["C.png"] || held["New.jpg"] {
			t.Fatalf("planned titles: %v %v", held, err)
		}
		if latest, _ := st.LatestMediaPlan(ctx, j.ID); latest.ID != p2.ID {
			t.Fatalf("latest: %+v", latest)
		}
		// the newer plan's file of row 1 wins in exports
		_ = st.AddMediaFiles(ctx, p2.ID, []jobs.MediaFile{{No: 1, Row: 1, QID: "Q1", Source: "a2.jpg", Title: "A2.jpg"}}, 1)
		_ = st.SetMediaPlanStatus(ctx, p2.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
		_ = st.ApproveMediaPlan(ctx, p2.ID, u.ID, nil)
		_ = st.StartUploading(ctx, p2.ID, u.ID, "def")
		_, _ = st.MarkMediaSending(ctx, p2.ID, 1)
		_, _ = st.SettleMediaFile(ctx, p2.ID, 1, 1, jobs.MediaOutcome{Status: jobs.MediaDone, PageID: 80, FileTitle: "File:A2.jpg", URL: "u2"})
		if rm, _ := st.RowMedia(ctx, j.ID); rm[0].FileTitle != "File:A2.jpg" {
			t.Fatalf("newest file of a row: %+v", rm)
		}
		if tot, _ := st.JobMediaTotals(ctx, j.ID); tot.Uploaded != 2 || tot.Items != 2 {
			t.Fatalf("totals after second plan %+v", tot)
		}
		stats, err := st.JobStatistics(ctx, j.ID)
		if err != nil || stats.FilesUploaded != 2 || stats.FilesLinked != 1 || stats.ItemsIllustrated != 2 {
			t.Fatalf("job statistics %+v %v", stats, err)
		}
		if tool, _ := st.ToolStatistics(ctx); tool.FilesUploaded != 2 || tool.ItemsIllustrated != 2 {
			t.Fatalf("tool statistics %+v", tool)
		}
		if ps, _ := st.MediaPlansWithStatus(ctx, jobs.MediaPlanUploading); len(ps) != 1 || ps[0].ID != p2.ID {
			t.Fatalf("uploading plans: %+v", ps)
		}
	})
}
