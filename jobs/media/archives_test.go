package media

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestArchivesGoWhenNoPlanNeedsThem: finished, cancelled and replaced
// plans' archives go at once; idle ones and files no plan names after the
// retention; a plan being built or uploaded, or with files a person may
// still decide on, keeps its archive; a plan whose archive went is never
// uploaded again.
func TestArchivesGoWhenNoPlanNeedsThem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dataDir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dataDir, ArchiveDir), 0o700); err != nil {
			t.Fatal(err)
		}
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		exists := func(rel string) bool {
			_, err := os.Stat(filepath.Join(dataDir, rel))
			return err == nil
		}
		// plan makes a zip plan of a job of its own, with one file in
		// status fileStatus, and brings it to status.
		plan := func(name string, status jobs.MediaPlanStatus, fileStatus jobs.MediaFileStatus) *jobs.MediaPlan {
			t.Helper()
			j, _ := st.CreateJob(ctx, u.ID, name, "")
			rel := filepath.Join(ArchiveDir, name+".zip")
			if err := os.WriteFile(filepath.Join(dataDir, rel), []byte("PK"), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromZip, SourceColumn: "file", ArchivePath: rel, ArchiveName: name + ".zip",
				Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.AddMediaFiles(ctx, p.ID, []jobs.MediaFile{{No: 1, Row: 1, Source: "1.jpg", Title: name + ".jpg"}}, 1); err != nil {
				t.Fatal(err)
			}
			if status != jobs.MediaPlanBuilding {
				if err := st.SetMediaPlanStatus(ctx, p.ID, status, "", jobs.MediaPlanBuilding); err != nil {
					t.Fatal(err)
				}
			}
			if fileStatus != jobs.MediaPending {
				if ok, err := st.MarkMediaSending(ctx, p.ID, 1); err != nil || !ok {
					t.Fatal(ok, err)
				}
				if _, err := st.SettleMediaFile(ctx, p.ID, 1, 0, jobs.MediaOutcome{Status: fileStatus}); err != nil {
					t.Fatal(err)
				}
			}
			return p
		}
		finished := plan("finished", jobs.MediaPlanDone, jobs.MediaDone)
		cancelled := plan("cancelled", jobs.MediaPlanCancelled, jobs.MediaPending)
		warned := plan("warned", jobs.MediaPlanDone, jobs.MediaWarning)
		idle := plan("idle", jobs.MediaPlanPaused, jobs.MediaPending)
		uploading := plan("uploading", jobs.MediaPlanUploading, jobs.MediaPending)
		building := plan("building", jobs.MediaPlanBuilding, jobs.MediaPending)
		// A newer plan of the same job replaces a ready one.
		replaced := plan("replaced", jobs.MediaPlanReady, jobs.MediaPending)
		if _, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: replaced.JobID, SourceKind: jobs.MediaFromURL, SourceColumn: "url", Settings: json.RawMessage(`{}`), CreatedBy: u.ID}); err != nil {
			t.Fatal(err)
		}
		stray := filepath.Join(ArchiveDir, "upload-cut-off.zip")
		if err := os.WriteFile(filepath.Join(dataDir, stray), []byte("PK"), 0o600); err != nil {
			t.Fatal(err)
		}

		c := &ArchiveCleaner{Store: st, DataDir: dataDir, Retention: 24 * time.Hour}
		n, err := c.Clean(ctx)
		if err != nil || n != 3 {
			t.Fatalf("deleted %d, %v; want the finished, cancelled and replaced plans' archives", n, err)
		}
		for p, gone := range map[*jobs.MediaPlan]bool{finished: true, cancelled: true, replaced: true, warned: false, idle: false, uploading: false, building: false} {
			if exists(p.ArchivePath) == gone {
				t.Errorf("%s: archive there %v", p.ArchiveName, !gone)
			}
			if got, _ := st.MediaPlan(ctx, p.ID); got.ArchiveRemovedAt.IsZero() == gone {
				t.Errorf("%s: removal recorded %v", p.ArchiveName, !got.ArchiveRemovedAt.IsZero())
			}
		}
		if !exists(stray) {
			t.Fatal("a fresh file no plan names was deleted")
		}

		// Two days on, the idle plans' archives and the stray file go; the
		// plans being built or uploaded keep theirs.
		c.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
		before, err := st.UnneededArchives(ctx, c.Now().Add(-c.Retention))
		if err != nil || len(before) != 2 {
			t.Fatalf("idle plans %d, %v", len(before), err)
		}
		// The idle plan is resumed between the listing and the removal:
		// it keeps its archive.
		if err := st.StartUploading(ctx, idle.ID, u.ID, "feed"); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.MarkArchiveRemoved(ctx, idle.ID, c.Now().Add(-c.Retention)); err != nil || ok {
			t.Fatalf("a resumed plan's archive was marked removed: %v %v", ok, err)
		}
		_ = st.SetMediaPlanStatus(ctx, idle.ID, jobs.MediaPlanPaused, "", jobs.MediaPlanUploading)
		old := time.Now().Add(-72 * time.Hour)
		_ = os.Chtimes(filepath.Join(dataDir, stray), old, old)
		_ = os.Chtimes(filepath.Join(dataDir, uploading.ArchivePath), old, old)
		if n, err := c.Clean(ctx); err != nil || n != 3 {
			t.Fatalf("deleted %d, %v; want the warned and idle plans' archives and the stray file", n, err)
		}
		for rel, want := range map[string]bool{warned.ArchivePath: false, idle.ArchivePath: false, stray: false, uploading.ArchivePath: true, building.ArchivePath: true} {
			if exists(rel) != want {
				t.Errorf("%s there: %v, want %v", rel, !want, want)
			}
		}
		err = st.StartUploading(ctx, idle.ID, u.ID, "feed")
		if jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "idle.zip of this plan was deleted") {
			t.Fatalf("a plan without its archive was resumed: %v", err)
		}
	})
}
