package plan_test

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/plan/plantest"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// uploadedFiles records a media plan whose files of the given rows are on
// Commons.
func uploadedFiles(t *testing.T, st *store.Store, jobID, userID int64, p18 bool, files map[int64]string) {
	t.Helper()
	ctx := context.Background()
	mp, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: jobID, SourceKind: jobs.MediaFromURL, SourceColumn: "name", CreatedBy: userID, ProposeP18: p18})
	if err != nil {
		t.Fatal(err)
	}
	var list []jobs.MediaFile
	var no int64
	for row, name := range files {
		no++
		list = append(list, jobs.MediaFile{No: no, Row: row, QID: "Q1", Source: "https://example.org/" + name, Title: name})
	}
	if err := st.AddMediaFiles(ctx, mp.ID, list, int64(len(list))); err != nil {
		t.Fatal(err)
	}
	_ = st.SetMediaPlanStatus(ctx, mp.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
	_ = st.ApproveMediaPlan(ctx, mp.ID, userID, nil)
	_ = st.StartUploading(ctx, mp.ID, userID, "ab")
	for _, f := range list {
		_, _ = st.MarkMediaSending(ctx, mp.ID, f.No)
		if ok, _ := st.SettleMediaFile(ctx, mp.ID, f.No, 1, jobs.MediaOutcome{Status: jobs.MediaDone, PageID: 10 + f.No, FileTitle: "File:" + f.Title, URL: "u"}); !ok {
			t.Fatal("file not settled")
		}
	}
	_ = st.SetMediaPlanStatus(ctx, mp.ID, jobs.MediaPlanDone, "", jobs.MediaPlanUploading)
}

func TestBuildProposesImagesOptIn(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, false)
	ctx := context.Background()
	// rows 1 and 3 are Q231092, row 2 Q187310 (see plantest.Seed)
	uploadedFiles(t, st, p.JobID, p.CreatedBy, true, map[int64]string{1: "Hilma af Klint (NM 1).jpg", 2: "Second (NM 2).jpg"})
	uploadedFiles(t, st, p.JobID, p.CreatedBy, false, map[int64]string{3: "Not proposed.jpg"})
	w := &fakeWiki{existing: map[string]map[string]string{"Q187310": {"P18": "Already there.jpg"}}}
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return w, nil }, nil)
	if err := b.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 1000)
	lines := map[string][]string{}
	for _, it := range items {
		ch, _ := plan.DecodeChange(it.Diff)
		for _, l := range ch.Add {
			if l.Property == "P18" {
				lines[it.QID] = append(lines[it.QID], "add "+l.Value)
			}
		}
		for _, l := range ch.Conflicts {
			if l.Property == "P18" {
				lines[it.QID] = append(lines[it.QID], "conflict "+l.Value)
			}
		}
		for _, pv := range ch.Planned {
			if pv.Property == "P18" && pv.Kind != "commonsMedia" {
				t.Fatalf("P18 planned as %s", pv.Kind)
			}
		}
	}
	if got := lines["Q231092"]; len(got) != 1 || got[0] != "add Hilma af Klint (NM 1).jpg" {
		t.Fatalf("Q231092 P18 lines %v (the file of a plan without P18 must not be proposed)", got)
	}
	if got := lines["Q187310"]; len(got) != 1 || got[0] != "conflict Second (NM 2).jpg" {
		t.Fatalf("Q187310 P18 lines %v: an item's image is never replaced", got)
	}
}

// An item gets one image from a media upload however many of its rows
// brought a file: the first row's, and the plan says why the others are not
// proposed. The line is planned only-if-none, so the real diff never adds a
// second image (jobs/wikiplan's media test).
func TestBuildProposesOneImagePerItem(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, false)
	ctx := context.Background()
	// rows 1 and 3 are both Q231092
	uploadedFiles(t, st, p.JobID, p.CreatedBy, true, map[int64]string{1: "Front (NM 1).jpg", 3: "Back (NM 1b).jpg"})
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return &fakeWiki{}, nil }, nil)
	if err := b.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 1000)
	for _, it := range items {
		if it.QID != "Q231092" {
			continue
		}
		ch, _ := plan.DecodeChange(it.Diff)
		var images []plan.PlannedValue
		for _, pv := range ch.Planned {
			if pv.Property == "P18" {
				images = append(images, pv)
			}
		}
		if len(images) != 1 || images[0].Value != "Front (NM 1).jpg" || images[0].Row != 1 || !images[0].OnlyIfNone {
			t.Fatalf("Q231092's planned images %+v, want row 1's only, only if the item has none", images)
		}
		for _, n := range ch.Notes {
			if strings.Contains(n, `row 3's file "Back (NM 1b).jpg" is not proposed`) {
				return
			}
		}
		t.Fatalf("no note on row 3's file: %q", ch.Notes)
	}
	t.Fatal("no plan item for Q231092")
}
