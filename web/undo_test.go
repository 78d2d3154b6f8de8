package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// recordingUndos records what the pages ask of undos, keeping the state in
// the store as the runner does.
type recordingUndos struct {
	mu      sync.Mutex
	actions []string
	st      *store.Store
}

func (r *recordingUndos) rec(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, s)
}
func (r *recordingUndos) StartUndo(ctx context.Context, planID int64, u *jobs.User, scope jobs.UndoScope, reset bool) (*jobs.Undo, error) {
	r.rec(fmt.Sprintf("start %d %s rows=%v items=%v props=%v lines=%v reset=%v", planID, u.Username, scope.Rows, scope.Items, scope.Properties, scope.PlanItems, reset))
	return r.st.CreateUndo(ctx, planID, u.ID, scope, reset)
}
func (r *recordingUndos) ConfirmUndo(ctx context.Context, id int64, u *jobs.User) error {
	r.rec(fmt.Sprintf("confirm %d %s", id, u.Username))
	return r.st.ConfirmUndo(ctx, id, u.ID, "abcd")
}
func (r *recordingUndos) PauseUndo(_ context.Context, id int64) error {
	r.rec(fmt.Sprintf("pause %d", id))
	return nil
}
func (r *recordingUndos) CancelUndo(_ context.Context, id int64) error {
	r.rec(fmt.Sprintf("cancel %d", id))
	return nil
}

// TestUndoFlow: choose the scope, see the preview (what is removed, what
// stays and why, created items with their deletion request), confirm; CSRF
// on every form, and nobody outside the job reaches any of it.
func TestUndoFlow(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	undos := &recordingUndos{st: f.st}
	deps := f.deps()
	deps.Plans, deps.Undos = &recordingPlans{st: f.st}, undos
	f.serve(t, deps)
	ctx := context.Background()
	j := f.reconciledJobFor(t, f.alice)
	p, _ := f.st.CreatePlan(ctx, j.ID, f.alice.ID)
	_ = f.st.AddPlanItems(ctx, p.ID, []jobs.PlanItem{{No: 1, QID: "Q231092", Rows: []int64{1}, Statements: 1, Approved: true}}, 3)
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = f.st.ApprovePlan(ctx, p.ID, f.alice.ID, nil)
	_ = f.st.StartWriting(ctx, p.ID, f.alice.ID, "feed")
	_, _ = f.st.MarkItemSending(ctx, p.ID, 1)
	_ = f.st.SettleItem(ctx, p.ID, 1, jobs.ItemDone, 77, "", "")
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)

	scopePath := fmt.Sprintf("/jobs/%d/plan/undo", j.ID)
	if resp, _ := f.do(t, "bob", "GET", scopePath, nil, ""); resp.StatusCode != 404 {
		t.Fatalf("bob sees the undo page: %d", resp.StatusCode)
	}
	if _, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/plan", j.ID), nil, ""); !strings.Contains(body, scopePath) {
		t.Fatal("the plan page does not offer the undo")
	}
	resp, body := f.do(t, "alice", "GET", scopePath, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Show what would be removed") {
		t.Fatalf("scope page %d", resp.StatusCode)
	}
	token := f.csrfToken(t, "alice", scopePath)
	post := func(user, path string, form url.Values) *http.Response {
		resp, _ := f.do(t, user, "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		return resp
	}
	plan := fmt.Sprint(p.ID)
	if resp := post("alice", scopePath, url.Values{"plan": {plan}, "scope": {"all"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without a CSRF token: %d", resp.StatusCode)
	}
	if resp := post("bob", scopePath, url.Values{"plan": {plan}, "scope": {"all"}, "csrf_token": {token}}); resp.StatusCode != 404 {
		t.Fatalf("bob starts an undo: %d", resp.StatusCode)
	}
	// A bad scope is refused with the reason, and nothing is started.
	resp = post("alice", scopePath, url.Values{"plan": {plan}, "scope": {"part"}, "rows": {"2, x"}, "csrf_token": {token}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != scopePath {
		t.Fatalf("bad scope: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := f.do(t, "alice", "GET", scopePath, nil, ""); !strings.Contains(html.UnescapeString(body), `Rows: "x" is not a number`) {
		t.Fatal("the bad scope's reason is not shown")
	}
	resp = post("alice", scopePath, url.Values{"plan": {plan}, "scope": {"part"}, "rows": {"1, 3-4"}, "items": {"q231092"}, "properties": {"P569 Label"},
		"decisions": {"reset"}, "csrf_token": {token}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/undo/") {
		t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	undoPath := resp.Header.Get("Location")
	undosOfPlan, _ := f.st.UndosOfPlan(ctx, p.ID)
	u := undosOfPlan[0]
	// The worker's preview, as Prepare stores it.
	if err := f.st.UndoPrepared(ctx, u.ID, []jobs.UndoItem{
		{No: 1, PlanItemNo: 1, Kind: jobs.UndoEdit, QID: "Q231092", Rows: []int64{1}, BaseRevID: 80, Data: []byte(`{}`), Remove: 1, Stay: 1, Lines: []jobs.UndoLine{
			{What: "statement", Property: "P569", Value: "1862-10-26", GUID: "Q231092$A", Remove: true, Reason: "Removed: still exactly as the write-back left it."},
			{What: "label", Language: "en", Value: "Hilma af Klint", Reason: `Stays: someone changed it since to "Hilma".`}}},
		{No: 2, PlanItemNo: 1, Kind: jobs.UndoCreated, QID: "Q900001", Status: jobs.UndoItemListed, DeletionRequest: "=== [[Q900001]] ===\nPlease delete Q900001 --~~~~"},
	}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.do(t, "bob", "GET", undoPath, nil, ""); resp.StatusCode != 404 {
		t.Fatalf("bob sees the preview: %d", resp.StatusCode)
	}
	resp, body = f.do(t, "alice", "GET", undoPath, nil, "")
	body = html.UnescapeString(body)
	for _, want := range []string{"Removed: still exactly as the write-back left it.", `Stays: someone changed it since to "Hilma".`, "=== [[Q900001]] ===", "Remove what is listed below (1)", "rows 1, 3, 4"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if resp, body := f.do(t, "alice", "GET", undoPath+"/deletions.txt", nil, ""); resp.StatusCode != 200 || !strings.Contains(body, "Please delete Q900001") {
		t.Fatalf("deletion requests: %d %q", resp.StatusCode, body)
	}
	token = f.csrfToken(t, "alice", undoPath)
	if resp := post("alice", undoPath+"/confirm", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("confirm without a CSRF token: %d", resp.StatusCode)
	}
	if resp := post("bob", undoPath+"/confirm", url.Values{"csrf_token": {token}}); resp.StatusCode != 404 {
		t.Fatalf("bob confirms: %d", resp.StatusCode)
	}
	// An undo is reached only under its own job.
	other := f.reconciledJobFor(t, f.alice)
	if resp, _ := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/undo/%d", other.ID, u.ID), nil, ""); resp.StatusCode != 404 {
		t.Fatalf("undo under another job: %d", resp.StatusCode)
	}
	if resp := post("alice", undoPath+"/confirm", url.Values{"csrf_token": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	want := fmt.Sprintf("start %d Alice rows=[1 3 4] items=[Q231092] props=[P569 label] lines=[] reset=true,confirm %d Alice", p.ID, u.ID)
	if got := strings.Join(undos.actions, ","); got != want {
		t.Fatalf("actions %q, want %q", got, want)
	}
	if cur, _ := f.st.UndoByID(ctx, u.ID); cur.Status != jobs.UndoRunning || cur.ConfirmedBy != f.alice.ID {
		t.Fatalf("after confirming: %+v", cur)
	}
}
