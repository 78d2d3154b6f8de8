package store_test

import (
	"context"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func TestPlanLifecycleAndExactlyOnceMarks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Plan", "")
		p, err := st.CreatePlan(ctx, j.ID, u.ID)
		if err != nil || p.Status != jobs.PlanBuilding {
			t.Fatalf("create: %+v %v", p, err)
		}
		if _, err := st.CreatePlan(ctx, j.ID, u.ID); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("second plan while building: %v", err)
		}
		items := []jobs.PlanItem{
			{No: 1, QID: "Q1", Rows: []int64{1, 7}, BaseRevID: 100, Diff: []byte(`{"add":1}`), Statements: 2, References: 2, Approved: true},
			{No: 2, QID: "Q2", Rows: []int64{2}, BaseRevID: 200, Statements: 1, References: 1, Conflicts: 1, Approved: true},
			{No: 3, QID: "", Rows: []int64{3}, Statements: 3, References: 3, Labels: 1, Approved: true},
		}
		if err := st.AddPlanItems(ctx, p.ID, items, 10); err != nil {
			t.Fatal(err)
		}
		if err := st.AddPlanItems(ctx, p.ID, items[:1], 10); err != nil { // replayed batch
			t.Fatal(err)
		}
		c, _ := st.PlanCounts(ctx, p.ID)
		if c.Items != 3 || c.Statements != 6 || c.NewItems != 1 || c.Conflicts != 1 || c.Pending != 3 {
			t.Fatalf("counts %+v", c)
		}
		if err := st.ApprovePlan(ctx, p.ID, u.ID, nil); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("approve while building: %v", err)
		}
		if err := st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding); err != nil {
			t.Fatal(err)
		}
		if err := st.ApprovePlan(ctx, p.ID, u.ID, []int64{1, 3}); err != nil {
			t.Fatal(err)
		}
		if it, _ := st.PlanItem(ctx, p.ID, 2); it.Status != jobs.ItemSkipped || it.Approved {
			t.Fatalf("unapproved item: %+v", it)
		}
		if err := st.StartWriting(ctx, p.ID, u.ID, "abc123"); err != nil {
			t.Fatal(err)
		}
		ok, err := st.MarkItemSending(ctx, p.ID, 1)
		if !ok || err != nil {
			t.Fatalf("intent: %v %v", ok, err)
		}
		if ok, _ := st.MarkItemSending(ctx, p.ID, 1); ok {
			t.Fatal("the same item was claimed twice")
		}
		if err := st.SettleItem(ctx, p.ID, 1, jobs.ItemDone, 101, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := st.SettleItem(ctx, p.ID, 1, jobs.ItemFailed, 0, "", "late"); err != nil {
			t.Fatal(err)
		}
		if it, _ := st.PlanItem(ctx, p.ID, 1); it.Status != jobs.ItemDone || it.RevID != 101 || it.Attempts != 1 || it.Rows[1] != 7 {
			t.Fatalf("settled item changed by a late outcome: %+v", it)
		}
		_, _ = st.MarkItemSending(ctx, p.ID, 3)
		_ = st.ReleaseItem(ctx, p.ID, 3, "maxlag")
		if it, _ := st.PlanItem(ctx, p.ID, 3); it.Status != jobs.ItemPending || it.Error != "maxlag" {
			t.Fatalf("released: %+v", it)
		}
		_, _ = st.MarkItemSending(ctx, p.ID, 3)
		_ = st.SettleItem(ctx, p.ID, 3, jobs.ItemFailed, 0, "", "blocked")
		if err := st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting); err != nil {
			t.Fatal(err)
		}
		if n, err := st.RetryFailedItems(ctx, p.ID, u.ID); n != 1 || err != nil {
			t.Fatalf("retry failed: %d %v", n, err)
		}
		plan, _ := st.Plan(ctx, p.ID)
		if plan.EditGroupID != "abc123" || plan.WriterID != u.ID || plan.Status != jobs.PlanWriting {
			t.Fatalf("plan %+v", plan)
		}
		latest, _ := st.LatestPlan(ctx, j.ID)
		if latest.ID != p.ID {
			t.Fatal("latest plan")
		}
	})
}

func TestWriteStatistics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Stats", "")
		p, _ := st.CreatePlan(ctx, j.ID, u.ID)
		_ = st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{
			{No: 1, QID: "Q1", Statements: 2, References: 3, Approved: true},
			{No: 2, QID: "", Statements: 4, References: 4, Approved: true},
			{No: 3, QID: "Q3", Statements: 1, References: 1, Approved: true},
		}, 3)
		_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
		_ = st.ApprovePlan(ctx, p.ID, u.ID, nil)
		_ = st.StartWriting(ctx, p.ID, u.ID, "cafe0123")
		for _, no := range []int64{1, 2} {
			_, _ = st.MarkItemSending(ctx, p.ID, no)
			_ = st.SettleItem(ctx, p.ID, no, jobs.ItemDone, 100+no, map[int64]string{2: "Q900"}[no], "")
		}
		s, err := st.JobStatistics(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.ItemsEdited != 1 || s.ItemsCreated != 1 || s.StatementsAdded != 6 || s.ReferencesAdded != 7 ||
			len(s.EditsByDay) != 1 || s.EditsByDay[0].Edits != 2 || len(s.EditGroups) != 1 || s.EditGroups[0] != "cafe0123" {
			t.Fatalf("statistics %+v", s)
		}
		if d := s.EditsByDay[0].Day; time.Since(d) > 48*time.Hour || d.Hour() != 0 {
			t.Fatalf("edit day %v", d)
		}
	})
}
