package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
)

// TestUploadedArchivesAreDeletedWithTheirPlan: a replaced plan's archive,
// a cancelled plan's and a deleted job's go from disk; a job whose plan is
// being uploaded cannot be deleted (its archive is being read).
func TestUploadedArchivesAreDeletedWithTheirPlan(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	dataDir := t.TempDir()
	mediaServerWith(t, f, dataDir, uploadingMedia{recordingMedia: &recordingMedia{st: f.st}, st: f.st})
	ctx := context.Background()
	j := f.mediaJobFor(t, f.alice, "zip")
	path := fmt.Sprintf("/jobs/%d/media", j.ID)
	token := f.csrfToken(t, "alice", path)
	onDisk := func() []string {
		entries, _ := os.ReadDir(filepath.Join(dataDir, media.ArchiveDir))
		var out []string
		for _, e := range entries {
			out = append(out, filepath.Join(media.ArchiveDir, e.Name()))
		}
		return out
	}
	// newPlan uploads an archive and leaves its plan ready, as the builder would.
	newPlan := func() *jobs.MediaPlan {
		t.Helper()
		b, ct := archiveForm(t, map[string][]byte{"1.jpg": {0xff, 0xd8, 0xff}}, 0)
		if resp, _ := f.do(t, "alice", "POST", path+"?csrf_token="+url.QueryEscape(token), b, ct); resp.StatusCode != 303 {
			t.Fatalf("post archive: %d", resp.StatusCode)
		}
		p, err := f.st.LatestMediaPlan(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding); err != nil {
			t.Fatal(err)
		}
		return p
	}
	post := func(to string, form url.Values) {
		t.Helper()
		form.Set("csrf_token", token)
		if resp, _ := f.do(t, "alice", "POST", to, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != 303 {
			t.Fatalf("POST %s: %d", to, resp.StatusCode)
		}
	}
	first := newPlan()
	if got := onDisk(); len(got) != 1 || got[0] != first.ArchivePath {
		t.Fatalf("on disk %v, want %s", got, first.ArchivePath)
	}
	second := newPlan()
	if got := onDisk(); len(got) != 1 || got[0] != second.ArchivePath {
		t.Fatalf("after replacing the plan, on disk %v, want only %s", got, second.ArchivePath)
	}
	post(path+"/upload/cancel", url.Values{"plan": {fmt.Sprint(second.ID)}})
	if got := onDisk(); len(got) != 0 {
		t.Fatalf("after cancelling, on disk %v", got)
	}
	third := newPlan()
	if err := f.st.ApproveMediaPlan(ctx, third.ID, f.alice.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.st.StartUploading(ctx, third.ID, f.alice.ID, "feed"); err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(t, "alice", "POST", fmt.Sprintf("/jobs/%d/delete", j.ID), strings.NewReader("csrf_token="+url.QueryEscape(token)), "application/x-www-form-urlencoded")
	if resp.StatusCode != 409 || !strings.Contains(body, "pause or cancel it before deleting the job") {
		t.Fatalf("deleting a job while its media are uploaded: %d", resp.StatusCode)
	}
	if _, err := f.st.Job(ctx, j.ID); err != nil || len(onDisk()) != 1 {
		t.Fatalf("a job was deleted while its media were being uploaded: %v, on disk %v", err, onDisk())
	}
	_ = f.st.SetMediaPlanStatus(ctx, third.ID, jobs.MediaPlanPaused, "", jobs.MediaPlanUploading)
	post(fmt.Sprintf("/jobs/%d/delete", j.ID), url.Values{})
	if _, err := f.st.Job(ctx, j.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
		t.Fatalf("job not deleted: %v", err)
	}
	if got := onDisk(); len(got) != 0 {
		t.Fatalf("after deleting the job, on disk %v", got)
	}
}
