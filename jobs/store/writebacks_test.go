package store_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// startedPlan makes a job's plan of the given items and starts its
// write-back with writer's account.
func startedPlan(t *testing.T, st *store.Store, jobID, writerID int64, items []jobs.PlanItem, group string) *jobs.EditPlan {
	t.Helper()
	ctx := context.Background()
	p, err := st.CreatePlan(ctx, jobID, writerID)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.AddPlanItems(ctx, p.ID, items, int64(len(items)))
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = st.ApprovePlan(ctx, p.ID, writerID, nil)
	if err := st.StartWriting(ctx, p.ID, writerID, group); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteBacksFor(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
		carol, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "3", Username: "Carol"})
		g, err := st.CreateGroup(ctx, bob.ID, "Museum volunteers", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddMember(ctx, g.ID, "Alice", jobs.RoleMember); err != nil {
			t.Fatal(err)
		}
		own, _ := st.CreateJob(ctx, alice.ID, "Alice's artists", "")
		grouped, _ := st.CreateJob(ctx, bob.ID, "Group photographers", "")
		_ = st.SetJobGroup(ctx, grouped.ID, g.ID)
		private, _ := st.CreateJob(ctx, carol.ID, "Carol's private job", "")
		helped, _ := st.CreateJob(ctx, carol.ID, "Carol's job Alice wrote", "")
		notStarted, _ := st.CreateJob(ctx, alice.ID, "Only planned", "")

		p1 := startedPlan(t, st, own.ID, alice.ID, []jobs.PlanItem{
			{No: 1, QID: "Q1", Statements: 2, References: 2, Approved: true},
			{No: 2, QID: "Q2", Statements: 1, References: 1, Labels: 1, Approved: true},
			{No: 3, QID: "", Statements: 4, References: 4, Labels: 2, Approved: true},
			{No: 4, QID: "Q4", Statements: 5, References: 5, Approved: true},
			{No: 5, QID: "Q5", Statements: 1, References: 1, Approved: true},
			{No: 6, QID: "Q6", Statements: 1, References: 1, Approved: true},
		}, "aaaaaaaaaaaaaaaa")
		for no, rev := range map[int64]int64{1: 11, 2: 12, 3: 13} {
			_, _ = st.MarkItemSending(ctx, p1.ID, no)
			_ = st.SettleItem(ctx, p1.ID, no, jobs.ItemDone, rev, map[int64]string{3: "Q900"}[no], "")
		}
		_, _ = st.MarkItemSending(ctx, p1.ID, 4)
		_ = st.SettleItem(ctx, p1.ID, 4, jobs.ItemFailed, 0, "", "Not written: protected.")
		_ = st.SettlePending(ctx, p1.ID, 5, jobs.ItemNothing, "Already on the wiki.")
		p2 := startedPlan(t, st, grouped.ID, bob.ID, []jobs.PlanItem{{No: 1, QID: "Q7", Statements: 1, References: 1, Approved: true}}, "bbbbbbbbbbbbbbbb")
		startedPlan(t, st, private.ID, carol.ID, []jobs.PlanItem{{No: 1, QID: "Q8", Statements: 1, References: 1, Approved: true}}, "cccccccccccccccc")
		p4 := startedPlan(t, st, helped.ID, alice.ID, []jobs.PlanItem{{No: 1, QID: "Q9", Statements: 1, References: 1, Approved: true}}, "dddddddddddddddd")
		planned, _ := st.CreatePlan(ctx, notStarted.ID, alice.ID)
		_ = st.SetPlanStatus(ctx, planned.ID, jobs.PlanReady, "", jobs.PlanBuilding)

		list, err := st.WriteBacksFor(ctx, alice.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, wb := range list {
			ids = append(ids, wb.Plan.ID)
		}
		if len(ids) != 3 || ids[0] != p4.ID || ids[1] != p2.ID || ids[2] != p1.ID {
			t.Fatalf("Alice sees plans %v, want %d (she wrote it), %d (her group's), %d (hers)", ids, p4.ID, p2.ID, p1.ID)
		}
		wb := list[2]
		if wb.JobTitle != "Alice's artists" || wb.Writer != "Alice" || wb.GroupID != 0 || wb.Plan.EditGroupID != "aaaaaaaaaaaaaaaa" || wb.Plan.Status != jobs.PlanWriting ||
			wb.Edited != 2 || wb.Created != 1 || wb.Failed != 1 || wb.Nothing != 1 || wb.Left != 1 ||
			wb.Statements != 7 || wb.References != 7 || wb.Labels != 3 || wb.Plan.StartedAt.IsZero() {
			t.Fatalf("Alice's write-back: %+v", wb)
		}
		if g := list[1]; g.GroupName != "Museum volunteers" || g.Writer != "Bob" || g.Left != 1 || g.Edited != 0 {
			t.Fatalf("group write-back: %+v", g)
		}
		// Pages: two, then the rest below the last id.
		page1, _ := st.WriteBacksFor(ctx, alice.ID, 0, 2)
		page2, _ := st.WriteBacksFor(ctx, alice.ID, page1[1].Plan.ID, 2)
		if len(page1) != 2 || len(page2) != 1 || page2[0].Plan.ID != p1.ID {
			t.Fatalf("pages: %d then %d", len(page1), len(page2))
		}
		// Bob sees his group's job only; leaving the group takes Alice's view of it.
		if l, _ := st.WriteBacksFor(ctx, bob.ID, 0, 10); len(l) != 1 || l[0].Plan.ID != p2.ID {
			t.Fatalf("Bob sees %d write-backs", len(l))
		}
		if err := st.RemoveMember(ctx, g.ID, alice.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := st.WriteBacksFor(ctx, alice.ID, 0, 10); len(l) != 2 || l[0].JobVisible || !l[1].JobVisible {
			t.Fatalf("after leaving the group Alice sees %d write-backs, want 2 (the job she only wrote to not openable)", len(l))
		}
	})
}
