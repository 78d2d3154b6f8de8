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
	r, err := tasks.OpenRedis(context.Background(), "", 0, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
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
