package tasks_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/tasks"
)

// TestStartWritebackRefusesBlockedAndUnauthorized: a blocked user can read
// and review but not start a write-back; nor can one without stored tokens.
func TestStartWritebackRefusesBlockedAndUnauthorized(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	q := testQueue(t, r)
	runner := tasks.NewRunner(st, q, 0, quiet)
	ctx := context.Background()
	blocked, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "9", Username: "Blocked", Blocked: true})
	ok, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "8", Username: "Fine"})
	j, _ := st.CreateJob(ctx, ok.ID, "W", "")
	p, _ := st.CreatePlan(ctx, j.ID, ok.ID)
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = st.ApprovePlan(ctx, p.ID, ok.ID, nil)
	if err := runner.StartWriteback(ctx, p.ID, blocked); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
		t.Fatalf("blocked user: %v", err)
	}
	if err := runner.StartWriteback(ctx, p.ID, ok); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
		t.Fatalf("user without tokens: %v", err)
	}
	_ = st.SaveToken(ctx, store.SealedToken{UserID: ok.ID, ConsumerKey: "ck", TokenSealed: "v1:x", SecretSealed: "v1:y"})
	if err := runner.StartWriteback(ctx, p.ID, ok); err != nil {
		t.Fatalf("user with tokens: %v", err)
	}
	got, _ := st.Plan(ctx, p.ID)
	if got.Status != jobs.PlanWriting || got.WriterID != ok.ID || len(got.EditGroupID) != 16 {
		t.Fatalf("plan after start: %+v", got)
	}
}

// TestRetryFailedItemsChecksTheWriter: a retry writes in the retrying
// user's name, so a blocked user, or one without stored tokens, is refused
// before anything is queued again.
func TestRetryFailedItemsChecksTheWriter(t *testing.T) {
	st := storetest.SQLite(t)
	r := embeddedRedis(t)
	runner := tasks.NewRunner(st, testQueue(t, r), 0, quiet)
	ctx := context.Background()
	blocked, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "9", Username: "Blocked", Blocked: true})
	writer, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "8", Username: "Writer"})
	other, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "7", Username: "Other"})
	_ = st.SaveToken(ctx, store.SealedToken{UserID: writer.ID, ConsumerKey: "ck", TokenSealed: "v1:x", SecretSealed: "v1:y"})
	j, _ := st.CreateJob(ctx, writer.ID, "W", "")
	p, _ := st.CreatePlan(ctx, j.ID, writer.ID)
	_ = st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{{No: 1, QID: "Q1", Approved: true}, {No: 2, QID: "Q2", Approved: true}}, 2)
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = st.ApprovePlan(ctx, p.ID, writer.ID, nil)
	if err := runner.StartWriteback(ctx, p.ID, writer); err != nil {
		t.Fatal(err)
	}
	_, _ = st.MarkItemSending(ctx, p.ID, 1)
	_ = st.SettleItem(ctx, p.ID, 1, jobs.ItemFailed, 0, "", "Not written: protected.")
	_, _ = st.MarkItemSending(ctx, p.ID, 2)
	_ = st.SettleItem(ctx, p.ID, 2, jobs.ItemDone, 5, "", "")
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)
	for _, u := range []*jobs.User{blocked, other} {
		if _, err := runner.RetryFailedItems(ctx, p.ID, u); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
			t.Fatalf("retry by %s: %v", u.Username, err)
		}
	}
	if it, _ := st.PlanItem(ctx, p.ID, 1); it.Status != jobs.ItemFailed {
		t.Fatalf("a refused retry queued the item: %s", it.Status)
	}
	n, err := runner.RetryFailedItems(ctx, p.ID, writer)
	if err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if got, _ := st.Plan(ctx, p.ID); got.Status != jobs.PlanWriting || got.WriterID != writer.ID {
		t.Fatalf("plan after retry: %+v", got)
	}
}
