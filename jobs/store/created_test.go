package store_test

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan/plantest"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestCreatedItemLinksItsRows: once the write-back created the item of a row
// marked "not on the wiki", exports carry its QID, statistics count the row
// as linked, and a new plan edits the item instead of creating it again.
func TestCreatedItemLinksItsRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := plantest.Seed(t, st, true) // row 4 is marked new
		ds, err := st.DatasetOfJob(ctx, p.JobID)
		if err != nil {
			t.Fatal(err)
		}
		before, err := st.JobStatistics(ctx, p.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{
			{No: 1, QID: "", Rows: []int64{4}, Statements: 2, References: 2, Labels: 1, Approved: true},
			{No: 2, QID: "Q231092", Rows: []int64{1, 3}, Statements: 1, References: 1, Approved: true},
		}, 120); err != nil {
			t.Fatal(err)
		}
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
		_ = st.ApprovePlan(ctx, p.ID, p.CreatedBy, nil)
		if err := st.StartWriting(ctx, p.ID, p.CreatedBy, "cafe0123"); err != nil {
			t.Fatal(err)
		}
		for no, qid := range map[int64]string{1: "Q900", 2: ""} {
			if ok, _ := st.MarkItemSending(ctx, p.ID, no); !ok {
				t.Fatalf("item %d not claimed", no)
			}
			if err := st.SettleItem(ctx, p.ID, no, jobs.ItemDone, 100+no, qid, ""); err != nil {
				t.Fatal(err)
			}
		}

		page, err := st.ExportPage(ctx, p.JobID, ds.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			switch r.Row {
			case 4:
				if r.FinalQID() != "Q900" || r.Decision == nil || r.Decision.Kind != jobs.DecisionNew {
					t.Fatalf("row 4 in the export: QID %q, decision %+v", r.FinalQID(), r.Decision)
				}
			case 5:
				if r.FinalQID() != "" { // rejected
					t.Fatalf("row 5: %q", r.FinalQID())
				}
			}
		}
		if d, _ := st.Decision(ctx, p.JobID, 4); d == nil || d.CreatedQID != "Q900" || d.Version != 1 {
			t.Fatalf("decision of row 4: %+v (the reviewer's version must not change)", d)
		}
		rows, _, err := st.ReviewPage(ctx, p.JobID, ds.ID, jobs.ReviewFilter{}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Row == 4 && r.FinalQID() != "Q900" {
				t.Fatalf("row 4 on the review page: %q", r.FinalQID())
			}
		}

		after, err := st.JobStatistics(ctx, p.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Linked != before.Linked+1 || after.RowsOnNewItems != 1 || after.ItemsCreated != 1 || after.ItemsEdited != 1 {
			t.Fatalf("statistics before %+v after %+v", before, after)
		}

		// The link cannot be undone (the row could then be marked new and
		// its item created twice); the decision stays as it was.
		if err := st.Undo(ctx, p.JobID, 4, p.CreatedBy, 1); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "created Q900 for row 4") {
			t.Fatalf("undo of a created item's row: %v", err)
		}
		if d, _ := st.Decision(ctx, p.JobID, 4); d == nil || d.CreatedQID != "Q900" {
			t.Fatalf("decision after the refused undo: %+v", d)
		}

		// A later plan sees row 4 on Q900, not as an item to create.
		var row4 *store.PlanRow
		if err := st.EachPlanRow(ctx, p.JobID, ds.ID, func(r store.PlanRow) error {
			if r.Row == 4 {
				row4 = &r
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if row4 == nil || row4.New || row4.QID != "Q900" {
			t.Fatalf("row 4 to plan: %+v", row4)
		}
	})
}
