package store_test

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestRetryFailedItemsQueuesExactlyTheFailedOnes: a retry takes only the
// failed items of a finished write-back, keeps everything else as it is,
// sends nothing an earlier attempt may have saved without a look first, and
// is refused while anything else is left to write.
func TestRetryFailedItemsQueuesExactlyTheFailedOnes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
		j, _ := st.CreateJob(ctx, alice.ID, "Retry", "")
		p, _ := st.CreatePlan(ctx, j.ID, alice.ID)
		var items []jobs.PlanItem
		for no := int64(1); no <= 6; no++ {
			items = append(items, jobs.PlanItem{No: no, QID: "Q" + string(rune('0'+no)), Rows: []int64{no}, BaseRevID: 10 * no, Statements: 1, References: 1, Approved: true})
		}
		_ = st.AddPlanItems(ctx, p.ID, items, 6)
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
		_ = st.ApprovePlan(ctx, p.ID, alice.ID, []int64{1, 2, 3, 4, 5})
		if err := st.StartWriting(ctx, p.ID, alice.ID, "beefbeefbeefbeef"); err != nil {
			t.Fatal(err)
		}
		// 1 written, 2 refused (protected), 3 already there, 4 gone when
		// re-read (never sent), 5 still pending, 6 not approved.
		_, _ = st.MarkItemSending(ctx, p.ID, 1)
		_ = st.SettleItem(ctx, p.ID, 1, jobs.ItemDone, 11, "", "")
		_, _ = st.MarkItemSending(ctx, p.ID, 2)
		_ = st.SettleItem(ctx, p.ID, 2, jobs.ItemFailed, 0, "", "Not written: Q2 is protected on the wiki.")
		_ = st.SettlePending(ctx, p.ID, 3, jobs.ItemNothing, "Already on the wiki.")
		_ = st.SettlePending(ctx, p.ID, 4, jobs.ItemFailed, "Not written: Q4 does not exist on the wiki any more (deleted).")

		if _, err := st.RetryFailedItems(ctx, p.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "still running") {
			t.Fatalf("retry while writing: %v", err)
		}
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanPaused, "Paused by a person.", jobs.PlanWriting)
		if _, err := st.RetryFailedItems(ctx, p.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "resume it") {
			t.Fatalf("retry while paused with an item left: %v", err)
		}
		_, _ = st.MarkItemSending(ctx, p.ID, 5)
		_ = st.SettleItem(ctx, p.ID, 5, jobs.ItemDone, 51, "", "")
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanPaused)
		before := map[int64]*jobs.PlanItem{}
		for no := int64(1); no <= 6; no++ {
			before[no], _ = st.PlanItem(ctx, p.ID, no)
		}

		n, err := st.RetryFailedItems(ctx, p.ID, bob.ID)
		if err != nil || n != 2 {
			t.Fatalf("retry: %d %v", n, err)
		}
		plan, _ := st.Plan(ctx, p.ID)
		if plan.Status != jobs.PlanWriting || plan.WriterID != bob.ID || plan.EditGroupID != "beefbeefbeefbeef" || plan.Error != "" {
			t.Fatalf("plan after retry: %+v", plan)
		}
		it2, _ := st.PlanItem(ctx, p.ID, 2)
		if it2.Status != jobs.ItemSending || it2.Attempts != 1 || !it2.SentAt.Equal(before[2].SentAt) || !strings.Contains(it2.Error, "it had failed: Not written: Q2 is protected") {
			t.Fatalf("item sent before: %+v", it2)
		}
		it4, _ := st.PlanItem(ctx, p.ID, 4)
		if it4.Status != jobs.ItemPending || it4.Attempts != 0 || !strings.Contains(it4.Error, "deleted") {
			t.Fatalf("item never sent: %+v", it4)
		}
		for _, no := range []int64{1, 3, 5, 6} {
			it, _ := st.PlanItem(ctx, p.ID, no)
			if it.Status != before[no].Status || it.RevID != before[no].RevID || it.Error != before[no].Error || it.Attempts != before[no].Attempts {
				t.Fatalf("item %d changed by the retry: %+v, was %+v", no, it, before[no])
			}
		}
		// A second retry while the first runs is refused and changes nothing.
		if _, err := st.RetryFailedItems(ctx, p.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second retry: %v", err)
		}
		_ = st.SettleItem(ctx, p.ID, 2, jobs.ItemFailed, 0, "", "Not written: Q2 is protected on the wiki.")
		_, _ = st.MarkItemSending(ctx, p.ID, 4)
		_ = st.SettleItem(ctx, p.ID, 4, jobs.ItemDone, 41, "", "")
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanCancelled, "", jobs.PlanWriting)
		if _, err := st.RetryFailedItems(ctx, p.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "cancelled") {
			t.Fatalf("retry of a cancelled write-back: %v", err)
		}

		// A finished write-back with nothing failed has nothing to retry.
		j2, _ := st.CreateJob(ctx, alice.ID, "Clean", "")
		p2 := startedPlan(t, st, j2.ID, alice.ID, items[:1], "0123012301230123")
		_, _ = st.MarkItemSending(ctx, p2.ID, 1)
		_ = st.SettleItem(ctx, p2.ID, 1, jobs.ItemDone, 12, "", "")
		_ = st.SetPlanStatus(ctx, p2.ID, jobs.PlanDone, "", jobs.PlanWriting)
		if _, err := st.RetryFailedItems(ctx, p2.ID, alice.ID); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Fatalf("retry with nothing failed: %v", err)
		}
		if plan, _ := st.Plan(ctx, p2.ID); plan.Status != jobs.PlanDone {
			t.Fatalf("a refused retry changed the plan: %s", plan.Status)
		}

		// An undo being prepared or run, or one of the whole write-back,
		// stops a retry; after undoing a part, the failed items may be retried.
		j3, _ := st.CreateJob(ctx, alice.ID, "Undone", "")
		p3 := startedPlan(t, st, j3.ID, alice.ID, items[:2], "4567456745674567")
		_, _ = st.MarkItemSending(ctx, p3.ID, 1)
		_ = st.SettleItem(ctx, p3.ID, 1, jobs.ItemDone, 13, "", "")
		_, _ = st.MarkItemSending(ctx, p3.ID, 2)
		_ = st.SettleItem(ctx, p3.ID, 2, jobs.ItemFailed, 0, "", "Not written: protected.")
		_ = st.SetPlanStatus(ctx, p3.ID, jobs.PlanDone, "", jobs.PlanWriting)
		whole, err := st.CreateUndo(ctx, p3.ID, alice.ID, jobs.UndoScope{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RetryFailedItems(ctx, p3.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "undo of this write-back is preparing") {
			t.Fatalf("retry during an undo: %v", err)
		}
		_ = st.SetUndoStatus(ctx, whole.ID, jobs.UndoDone, "", jobs.UndoPreparing)
		if _, err := st.RetryFailedItems(ctx, p3.ID, alice.ID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "undone as a whole") {
			t.Fatalf("retry after undoing everything: %v", err)
		}
		part, err := st.CreateUndo(ctx, p3.ID, alice.ID, jobs.UndoScope{Items: []string{"Q1"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		_ = st.SetUndoStatus(ctx, part.ID, jobs.UndoDone, "", jobs.UndoPreparing)
		if n, err := st.RetryFailedItems(ctx, p3.ID, alice.ID); err != nil || n != 1 {
			t.Fatalf("retry after undoing a part: %d %v", n, err)
		}
	})
}
