package store_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan/plantest"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestUndoLifecycle: an undo is prepared, confirmed and run with the same
// exactly-once marks as a write-back; when it finishes, the items the
// write-back created are unlinked from their rows, and the undone rows'
// decisions go back to undecided unless someone decided them since.
func TestUndoLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := plantest.Seed(t, st, true) // row 4 is marked new; rows 2 and 3 accepted
		if err := st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{
			{No: 1, QID: "", Rows: []int64{4}, Statements: 2, References: 2, Labels: 1, Approved: true},
			{No: 2, QID: "Q231092", Rows: []int64{1, 3}, Statements: 1, References: 1, Approved: true},
			{No: 3, QID: "Q187310", Rows: []int64{2}, Statements: 1, References: 1, Approved: true},
		}, 120); err != nil {
			t.Fatal(err)
		}
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
		_ = st.ApprovePlan(ctx, p.ID, p.CreatedBy, nil)
		if _, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, true); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("undo of a write-back not started: %v", err)
		}
		_ = st.StartWriting(ctx, p.ID, p.CreatedBy, "cafe0123")
		for no, qid := range map[int64]string{1: "Q900", 2: "", 3: ""} {
			_, _ = st.MarkItemSending(ctx, p.ID, no)
			_ = st.SettleItem(ctx, p.ID, no, jobs.ItemDone, 100+no, qid, "")
		}
		if _, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, true); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("undo while the write-back is still writing: %v", err)
		}
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)
		if s, err := st.UndoStateForPlan(ctx, p.ID); s != nil || err != nil {
			t.Fatalf("undo state before any undo: %+v %v", s, err)
		}
		first, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{Properties: []string{"P569"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, true); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second undo while one is prepared: %v", err)
		}
		if err := st.UndoPrepared(ctx, first.ID, nil); err != nil {
			t.Fatal(err)
		}
		// A new undo replaces one waiting for confirmation.
		u, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, true)
		if err != nil {
			t.Fatal(err)
		}
		if old, _ := st.UndoByID(ctx, first.ID); old.Status != jobs.UndoCancelled {
			t.Fatalf("the replaced undo is %s", old.Status)
		}
		items := []jobs.UndoItem{
			{No: 1, PlanItemNo: 1, Kind: jobs.UndoCreated, QID: "Q900", Rows: []int64{4}, Status: jobs.UndoItemListed, DeletionRequest: "Please delete Q900", MergeTarget: "Q77"},
			{No: 2, PlanItemNo: 2, Kind: jobs.UndoEdit, QID: "Q231092", Rows: []int64{1, 3}, BaseRevID: 102, Data: []byte(`{"claims":[{"id":"Q231092$X","remove":""}]}`),
				Lines: []jobs.UndoLine{{What: "statement", Property: "P569", GUID: "Q231092$X", Remove: true}}, Remove: 1},
			{No: 3, PlanItemNo: 3, Kind: jobs.UndoEdit, QID: "Q187310", Rows: []int64{2}, BaseRevID: 103, Data: []byte(`{"claims":[{"id":"Q187310$Y","remove":""}]}`),
				Lines: []jobs.UndoLine{{What: "statement", Property: "P245", GUID: "Q187310$Y", Remove: true}}, Remove: 1},
		}
		if err := st.UndoPrepared(ctx, u.ID, items); err != nil {
			t.Fatal(err)
		}
		if err := st.UndoPrepared(ctx, u.ID, items); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("prepared twice: %v", err)
		}
		got, _ := st.UndoItem(ctx, u.ID, 1)
		if got.DeletionRequest != "Please delete Q900" || got.MergeTarget != "Q77" || got.Status != jobs.UndoItemListed {
			t.Fatalf("created item: %+v", got)
		}
		if err := st.ConfirmUndo(ctx, u.ID, p.CreatedBy, "beef"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := st.MarkUndoSending(ctx, u.ID, 2); !ok {
			t.Fatal("item 2 not claimed")
		}
		if ok, _ := st.MarkUndoSending(ctx, u.ID, 2); ok {
			t.Fatal("item 2 claimed twice")
		}
		if ok, _ := st.SettleUndoSent(ctx, u.ID, 2, 2, jobs.UndoItemDone, 555, ""); ok {
			t.Fatal("settled by an attempt that is not the one in flight")
		}
		if ok, _ := st.SettleUndoSent(ctx, u.ID, 2, 1, jobs.UndoItemDone, 555, ""); !ok {
			t.Fatal("not settled")
		}
		// Item 3: everything stays after a re-read.
		_, _ = st.MarkUndoSending(ctx, u.ID, 3)
		fresh := items[2]
		fresh.UndoID, fresh.Remove, fresh.Stay = u.ID, 0, 1
		fresh.Lines[0].Remove = false
		if ok, err := st.ReplanUndoItem(ctx, &fresh, jobs.UndoItemSending, 1, "someone edited it"); !ok || err != nil {
			t.Fatalf("replan: %v %v", ok, err)
		}
		c, _ := st.UndoCounts(ctx, u.ID)
		if c.Items != 3 || c.Created != 1 || c.Done != 1 || c.Nothing != 1 || c.Remove != 1 || c.Stay != 1 {
			t.Fatalf("counts %+v", c)
		}
		// Row 2 decided again by someone after the write-back: kept.
		d2, _ := st.Decision(ctx, p.JobID, 2)
		if _, err := st.Decide(ctx, p.JobID, 2, jobs.DecisionAccept, "Q187310", p.CreatedBy, d2.Version); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishUndo(ctx, u.ID, p.CreatedBy, ""); err != nil {
			t.Fatal(err)
		}
		done, _ := st.UndoByID(ctx, u.ID)
		// Row 4 (created item) and row 3 (statement removed) reset; row 1 had
		// no decision (auto-matched); row 2 is not undone (nothing removed).
		if done.Status != jobs.UndoDone || done.DecisionsReset != 2 || done.DecisionsKept != 0 {
			t.Fatalf("finished undo: %+v", done)
		}
		for _, row := range []int64{3, 4} {
			if d, _ := st.Decision(ctx, p.JobID, row); d != nil {
				t.Fatalf("row %d still decided: %+v", row, d)
			}
		}
		if d, _ := st.Decision(ctx, p.JobID, 2); d == nil || d.Version != 2 {
			t.Fatalf("row 2's newer decision: %+v", d)
		}
		s, err := st.UndoStateForPlan(ctx, p.ID)
		if err != nil || s == nil || s.UndoID != u.ID || s.Status != jobs.UndoDone || !s.Whole {
			t.Fatalf("undo state: %+v %v", s, err)
		}
	})
}

// TestUndoKeepsLinksWhenDecisionsStay: without resetting decisions, a
// created item is still unlinked, and a decision someone made after the
// plan's approval is never reset.
func TestUndoKeepsLinksWhenDecisionsStay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := plantest.Seed(t, st, true)
		_ = st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{{No: 1, QID: "", Rows: []int64{4}, Statements: 1, Labels: 1, Approved: true}}, 120)
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
		_ = st.ApprovePlan(ctx, p.ID, p.CreatedBy, nil)
		_ = st.StartWriting(ctx, p.ID, p.CreatedBy, "cafe")
		_, _ = st.MarkItemSending(ctx, p.ID, 1)
		_ = st.SettleItem(ctx, p.ID, 1, jobs.ItemDone, 101, "Q900", "")
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)
		if d, _ := st.Decision(ctx, p.JobID, 4); d.CreatedQID != "Q900" {
			t.Fatalf("not linked: %+v", d)
		}
		u, _ := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, false)
		_ = st.UndoPrepared(ctx, u.ID, []jobs.UndoItem{{No: 1, PlanItemNo: 1, Kind: jobs.UndoCreated, QID: "Q900", Rows: []int64{4}, Status: jobs.UndoItemListed}})
		_ = st.ConfirmUndo(ctx, u.ID, p.CreatedBy, "beef")
		if err := st.FinishUndo(ctx, u.ID, p.CreatedBy, ""); err != nil {
			t.Fatal(err)
		}
		d, _ := st.Decision(ctx, p.JobID, 4)
		if d == nil || d.Kind != jobs.DecisionNew || d.CreatedQID != "" {
			t.Fatalf("row 4 after the undo: %+v", d)
		}
	})
}
