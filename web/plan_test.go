package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/wikidata"
)

type recordingPlans struct {
	mu      sync.Mutex
	actions []string
	st      interface {
		ApprovePlan(ctx context.Context, planID, userID int64, itemNos []int64) error
	}
}

func (r *recordingPlans) rec(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, s)
}
func (r *recordingPlans) BuildPlan(_ context.Context, jobID, userID int64) (*jobs.EditPlan, error) {
	r.rec(fmt.Sprintf("build %d", jobID))
	return &jobs.EditPlan{}, nil
}
func (r *recordingPlans) ApprovePlan(ctx context.Context, planID, userID int64, items []int64) error {
	r.rec(fmt.Sprintf("approve %d %v", planID, items))
	return r.st.ApprovePlan(ctx, planID, userID, items)
}
func (r *recordingPlans) StartWriteback(_ context.Context, planID int64, u *jobs.User) error {
	r.rec(fmt.Sprintf("start %d %s", planID, u.Username))
	return nil
}
func (r *recordingPlans) PauseWriteback(_ context.Context, planID int64) error {
	r.rec(fmt.Sprintf("pause %d", planID))
	return nil
}
func (r *recordingPlans) CancelWriteback(_ context.Context, planID int64) error {
	r.rec(fmt.Sprintf("cancel %d", planID))
	return nil
}
func (r *recordingPlans) RetryFailedItems(_ context.Context, planID int64, _ *jobs.User) (int64, error) {
	r.rec(fmt.Sprintf("retry %d", planID))
	return 0, nil
}

func TestPlanPageShowsDiffsAndApproves(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	plans := &recordingPlans{st: f.st}
	deps := f.deps()
	deps.Plans = plans
	f.serve(t, deps)
	j := f.reconciledJobFor(t, f.alice)
	ctx := context.Background()
	p, _ := f.st.CreatePlan(ctx, j.ID, f.alice.ID)
	ch := plan.Change{Add: []plan.Line{{Property: "P569", Value: "1862-10-26"}}, Conflicts: []plan.Line{{Property: "P570", Value: "1944", Existing: []string{"1945"}}},
		Present: []plan.Line{{Property: "P245", Value: "500115493"}}, Reference: "stated in Q1000", Labels: map[string]string{"sv": "Hilma af Klint"},
		Notes:   []string{`column "country": "Sweden" is Q34`},
		Planned: []plan.PlannedValue{{Property: "P569", Kind: "time", Value: "1862-10-26/11"}}}
	ch.Data, _ = wikidata.EditPayload(wikidata.ItemDiff{Labels: ch.Labels, Add: []wikidata.Statement{
		wikidata.NewTimeStatement("P569", wikidata.Time{Time: "+1862-10-26T00:00:00Z", Precision: 11}).WithReferences(wikidata.NewReference(wikidata.StatedIn("Q1000")))}})
	diff, _ := json.Marshal(ch)
	_ = f.st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{
		{No: 1, QID: "Q231092", Rows: []int64{1}, BaseRevID: 5, Diff: diff, Statements: 1, References: 1, Conflicts: 1, Labels: 1, Approved: true},
		{No: 2, QID: "Q200", Rows: []int64{2}, BaseRevID: 6, Diff: diff, Statements: 1, References: 1, Approved: true},
	}, 3)
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	path := fmt.Sprintf("/jobs/%d/plan", j.ID)
	resp, body := f.do(t, "alice", "GET", path, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("plan page %d", resp.StatusCode)
	}
	for _, want := range []string{"+ P569: 1862-10-26", "[stated in Q1000]", "≠ P570: row says 1944, item has 1945", "= P245: 500115493 (already there)", "+ label (sv): Hilma af Klint", `note: column "country": "Sweden" is Q34`, "Approve the whole plan", `href="https://www.wikidata.org/wiki/Q231092"`} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	// QuickStatements export.
	resp, body = f.do(t, "alice", "GET", path+".qs.txt", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Q231092\tLsv\t\"Hilma af Klint\"") ||
		!strings.Contains(body, "Q200\tP569\t+1862-10-26T00:00:00Z/11\tS248\tQ1000\n") {
		t.Fatalf("qs: %d %q", resp.StatusCode, body)
	}
	token := f.csrfToken(t, "alice", path)
	post := func(user, p string, form url.Values) *http.Response {
		form.Set("csrf_token", token)
		resp, _ := f.do(t, user, "POST", p, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		return resp
	}
	// A stale form (another plan id) is refused.
	if resp := post("alice", path+"/approve", url.Values{"plan": {"999"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stale approve: %d", resp.StatusCode)
	}
	if resp := post("bob", path+"/approve", url.Values{"plan": {fmt.Sprint(p.ID)}}); resp.StatusCode != 404 {
		t.Fatalf("bob approves: %d", resp.StatusCode)
	}
	if resp := post("alice", path+"/approve", url.Values{"plan": {fmt.Sprint(p.ID)}, "scope": {"selected"}, "item": {"2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if it, _ := f.st.PlanItem(ctx, p.ID, 1); it.Status != jobs.ItemSkipped {
		t.Fatalf("unselected item: %s", it.Status)
	}
	// The export says only what the write-back will send: not the item left out.
	if _, body := f.do(t, "alice", "GET", path+".qs.txt", nil, ""); strings.Contains(body, "Q231092") || !strings.Contains(body, "Q200\t") {
		t.Fatalf("qs after approving item 2 only: %q", body)
	}
	if resp := post("alice", path+"/write/start", url.Values{"plan": {fmt.Sprint(p.ID)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	want := fmt.Sprintf("approve %d [2],start %d Alice", p.ID, p.ID)
	if got := strings.Join(plans.actions, ","); got != want {
		t.Fatalf("actions %q, want %q", got, want)
	}
}
