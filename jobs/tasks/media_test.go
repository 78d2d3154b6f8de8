package tasks_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// TestMediaUploadChecksTheUploader: files are uploaded in the approver's
// name, so a blocked user, or one without stored tokens, can neither
// approve nor resume; nothing changes on the plan then.
func TestMediaUploadChecksTheUploader(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	runner := tasks.NewRunner(st, testQueue(t, r), 0, quiet)
	ctx := context.Background()
	blocked, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "9", Username: "Blocked", Blocked: true})
	ok, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "8", Username: "Fine"})
	j, _ := st.CreateJob(ctx, ok.ID, "M", "")
	p, err := runner.BuildMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "url", CreatedBy: ok.ID})
	if err != nil || p.Status != jobs.MediaPlanBuilding {
		t.Fatalf("build: %+v %v", p, err)
	}
	_ = st.AddMediaFiles(ctx, p.ID, []jobs.MediaFile{{No: 1, Row: 1, QID: "Q1", Source: "https://example.org/a.jpg", Title: "A.jpg"}}, 1)
	_ = st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
	for _, u := range []*jobs.User{blocked, ok} {
		if err := runner.ApproveMediaPlan(ctx, p.ID, u, nil); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
			t.Fatalf("%s approves: %v", u.Username, err)
		}
	}
	if got, _ := st.MediaPlan(ctx, p.ID); got.Status != jobs.MediaPlanReady || got.ApprovedBy != 0 {
		t.Fatalf("a refused approval changed the plan: %+v", got)
	}
	_ = st.SaveToken(ctx, store.SealedToken{UserID: ok.ID, ConsumerKey: "ck", TokenSealed: "v1:x", SecretSealed: "v1:y"})
	if err := runner.ApproveMediaPlan(ctx, p.ID, ok, nil); err != nil {
		t.Fatalf("approve with tokens: %v", err)
	}
	got, _ := st.MediaPlan(ctx, p.ID)
	if got.Status != jobs.MediaPlanUploading || got.UploaderID != ok.ID || got.ApprovedBy != ok.ID || len(got.EditGroupID) != 16 {
		t.Fatalf("plan after approval: %+v", got)
	}
	_ = runner.PauseMediaUpload(ctx, p.ID)
	if err := runner.StartMediaUpload(ctx, p.ID, blocked); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
		t.Fatalf("blocked user resumes: %v", err)
	}
	if err := runner.StartMediaUpload(ctx, p.ID, ok); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.MediaPlan(ctx, p.ID); again.EditGroupID != got.EditGroupID {
		t.Fatalf("resuming changed the batch id: %s → %s", got.EditGroupID, again.EditGroupID)
	}
	if _, err := runner.BuildMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "url", CreatedBy: ok.ID}); jobs.ErrorCode(err) != jobs.ECONFLICT {
		t.Fatalf("a second plan while uploading: %v", err)
	}
}
