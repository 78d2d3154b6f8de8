package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
)

// retryingPlans queues failed items again in the store, as the runner
// does (without the queue).
type retryingPlans struct {
	*recordingPlans
	retry func(ctx context.Context, planID, writerID int64) (int64, error)
}

func (r retryingPlans) RetryFailedItems(ctx context.Context, planID int64, u *jobs.User) (int64, error) {
	r.rec(fmt.Sprintf("retry %d %s", planID, u.Username))
	return r.retry(ctx, planID, u.ID)
}

// TestRetryFailedItemsAction: the plan page shows each failed item's
// reason and offers the retry once the write-back has finished; the action
// needs the CSRF token and access to the job, is refused while the
// write-back runs, and queues only the failed items.
func TestRetryFailedItemsAction(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	plans := retryingPlans{recordingPlans: &recordingPlans{st: f.st}, retry: f.st.RetryFailedItems}
	deps := f.deps()
	deps.Plans = plans
	f.serve(t, deps)
	j := f.reconciledJobFor(t, f.alice)
	ctx := context.Background()
	p, _ := f.st.CreatePlan(ctx, j.ID, f.alice.ID)
	_ = f.st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{
		{No: 1, QID: "Q1", Rows: []int64{1}, BaseRevID: 5, Statements: 1, References: 1, Approved: true},
		{No: 2, QID: "Q2", Rows: []int64{2}, BaseRevID: 6, Statements: 1, References: 1, Approved: true},
		{No: 3, QID: "Q3", Rows: []int64{3}, BaseRevID: 7, Statements: 1, References: 1, Approved: true},
	}, 3)
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = f.st.ApprovePlan(ctx, p.ID, f.alice.ID, nil)
	_ = f.st.StartWriting(ctx, p.ID, f.alice.ID, "abcdabcdabcdabcd")
	_, _ = f.st.MarkItemSending(ctx, p.ID, 1)
	_ = f.st.SettleItem(ctx, p.ID, 1, jobs.ItemDone, 51, "", "")
	_, _ = f.st.MarkItemSending(ctx, p.ID, 2)
	_ = f.st.SettleItem(ctx, p.ID, 2, jobs.ItemFailed, 0, "", "Not written: Q2 is protected on the wiki: only administrators may edit it.")

	path := fmt.Sprintf("/jobs/%d/plan", j.ID)
	token := f.csrfToken(t, "alice", path)
	post := func(user, tok string) (*http.Response, string) {
		form := url.Values{"plan": {fmt.Sprint(p.ID)}}
		if tok != "" {
			form.Set("csrf_token", tok)
		}
		resp, _ := f.do(t, user, "POST", path+"/write/retry", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		_, page := f.do(t, "alice", "GET", path, nil, "")
		return resp, html.UnescapeString(page)
	}
	// Item 3 is still to write: no retry offered, and a retry is refused.
	_, page := f.do(t, "alice", "GET", path, nil, "")
	if strings.Contains(page, "Retry the 1 failed items") {
		t.Fatal("retry offered while the write-back runs")
	}
	if resp, page := post("alice", token); resp.StatusCode != http.StatusSeeOther || !strings.Contains(page, "The write-back is still running (1 items still to write") {
		t.Fatalf("retry while running: %d\n%s", resp.StatusCode, page)
	}
	_, _ = f.st.MarkItemSending(ctx, p.ID, 3)
	_ = f.st.SettleItem(ctx, p.ID, 3, jobs.ItemDone, 71, "", "")
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)

	_, page = f.do(t, "alice", "GET", path+"?status=failed", nil, "")
	page = html.UnescapeString(page)
	for _, want := range []string{"Retry the 1 failed items", "Q2 is protected on the wiki: only administrators may edit it.", `href="?status=failed#items"`} {
		if !strings.Contains(page, want) {
			t.Errorf("finished plan page lacks %q", want)
		}
	}
	if strings.Contains(page, `href="https://www.wikidata.org/wiki/Q1"`) {
		t.Error("the failed filter lists a written item")
	}
	// Beside the retry, unfiltered: the failed items and why.
	_, page = f.do(t, "alice", "GET", path, nil, "")
	page = html.UnescapeString(page)
	if i := strings.Index(page, "Why items failed"); i < 0 || !strings.Contains(page[i:], `Q2</a>: Not written: Q2 is protected on the wiki`) ||
		strings.Contains(page[i:strings.Index(page, `id="items"`)], "Q1</a>") {
		t.Errorf("the plan page does not name the failed item with its reason next to the retry:\n%s", page)
	}
	// Without the token, or for someone without access to the job, nothing happens.
	if resp, _ := post("alice", ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("retry without CSRF token: %d", resp.StatusCode)
	}
	if resp, _ := post("bob", f.csrfToken(t, "bob", "/jobs")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("retry by someone without access: %d", resp.StatusCode)
	}
	if it, _ := f.st.PlanItem(ctx, p.ID, 2); it.Status != jobs.ItemFailed {
		t.Fatalf("a refused retry changed the item: %s", it.Status)
	}
	resp, page := post("alice", token)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(page, "1 failed items are queued again") {
		t.Fatalf("retry: %d\n%s", resp.StatusCode, page)
	}
	for no, want := range map[int64]jobs.ItemStatus{1: jobs.ItemDone, 2: jobs.ItemSending, 3: jobs.ItemDone} {
		if it, _ := f.st.PlanItem(ctx, p.ID, no); it.Status != want {
			t.Errorf("item %d %s after the retry, want %s", no, it.Status, want)
		}
	}
	if got := strings.Join(plans.actions, ","); got != fmt.Sprintf("retry %d Alice,retry %d Alice", p.ID, p.ID) {
		t.Fatalf("actions %q", got)
	}
}
