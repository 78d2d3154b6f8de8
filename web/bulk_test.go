package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
)

// Bulk acceptance goes through a confirmation page (how many rows, which
// threshold, the score histogram) and can be undone, keeping what others
// decided since; all of it with plain forms.
func TestBulkAcceptConfirmAndUndo(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.reconciledJobFor(t, f.alice)
	ctx := context.Background()
	reviewPath := fmt.Sprintf("/jobs/%d/review", j.ID)
	bulkPath := reviewPath + "/bulk"
	token := f.csrfToken(t, "alice", reviewPath)
	post := func(user, path string, form url.Values) *http.Response {
		t.Helper()
		form.Set("csrf_token", token)
		req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Test-User", user)
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	flashAfter := func(resp *http.Response) string {
		t.Helper()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("want a redirect, got %d", resp.StatusCode)
		}
		_, body := f.do(t, "alice", "GET", resp.Header.Get("Location"), nil, "")
		i := strings.Index(body, `class="flash`)
		if i < 0 {
			t.Fatalf("no message after %s", resp.Request.URL)
		}
		return body[i : i+strings.Index(body[i:], "</p>")]
	}

	// The review page's button leads to the confirmation, not to a decision.
	_, body := f.do(t, "alice", "GET", reviewPath+"?view=compact", nil, "")
	if !strings.Contains(body, `<form method="get" action="`+bulkPath+`" class="bulk">`) {
		t.Fatal("the review page's bulk form does not lead to the confirmation page")
	}
	// An old-style unconfirmed POST changes nothing and is sent there too.
	resp := post("alice", bulkPath, url.Values{"mode": {"matched"}, "return": {reviewPath + "?view=compact"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, bulkPath+"?") || !strings.Contains(loc, "mode=matched") {
		t.Fatalf("unconfirmed bulk: %d %q", resp.StatusCode, loc)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 1); d != nil {
		t.Fatalf("an unconfirmed bulk decided row 1: %+v", d)
	}

	// The confirmation page: count, threshold, histogram, table, form.
	resp, body = f.do(t, "alice", "GET", bulkPath+"?mode=score&min_score=0.5&return="+url.QueryEscape(reviewPath+"?view=compact"), nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("bulk page: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`This accepts the best candidate of <strong>2</strong> undecided rows whose best candidate scores at least 0.50.`,
		`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="bulk-hist-title bulk-hist-desc"`,
		`≥ 0.50: 2 rows`,
		`<td>0.95–1.00</td><td>1</td><td>1</td>`, // row 1 scores 0.98
		`<td>0.60–0.65</td><td>1</td><td>2</td>`, // row 2 scores 0.6
		`name="min_score" value="0.5"`,
		`name="confirm" value="1"`,
		`<button type="submit">Accept 2 rows</button>`,
		`href="/jobs/` + fmt.Sprint(j.ID) + `/review/bulk?min_score=0.85&amp;mode=score&amp;return=`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("bulk page lacks %q", want)
		}
	}
	_, body = f.do(t, "alice", "GET", bulkPath+"?mode=matched", nil, "")
	if !strings.Contains(body, `<strong>1</strong> undecided rows that reconciliation matched (its auto-accept threshold: best score at least 0.90 and at least 0.15 ahead`) {
		t.Error("the matched choice does not name the auto-accept threshold")
	}
	if _, body = f.do(t, "alice", "GET", bulkPath+"?mode=score&min_score=2", nil, ""); !strings.Contains(body, "A score bound must be a number from 0 to 1") || strings.Contains(body, `name="confirm"`) {
		t.Error("a bad threshold is not refused clearly")
	}

	// Confirmed: 2 rows accepted, and listed with an undo form.
	msg := flashAfter(post("alice", bulkPath, url.Values{"mode": {"score"}, "min_score": {"0.5"}, "confirm": {"1"}, "return": {reviewPath + "?view=compact"}}))
	if !strings.Contains(msg, "Accepted the best candidate of 2 rows whose best candidate scores at least 0.50") {
		t.Fatalf("after bulk: %q", msg)
	}
	list, _ := f.st.BulkDecisions(ctx, j.ID, 5)
	if len(list) != 1 || list[0].Rows != 2 {
		t.Fatalf("bulk decisions: %+v", list)
	}
	undoPath := fmt.Sprintf("%s/%d/undo", bulkPath, list[0].ID)
	_, body = f.do(t, "alice", "GET", reviewPath, nil, "")
	if !strings.Contains(body, `action="`+undoPath+`"`) || !strings.Contains(body, "2 rows scoring at least 0.50, accepted by Alice") {
		t.Fatal("the review page does not offer to undo the bulk acceptance")
	}

	// Bob sees none of it; a forged undo without the token is refused.
	if resp, _ := f.do(t, "bob", "GET", bulkPath, nil, ""); resp.StatusCode != 404 {
		t.Errorf("bob's bulk page: %d", resp.StatusCode)
	}
	if resp := post("bob", undoPath, url.Values{}); resp.StatusCode != 404 {
		t.Errorf("bob's undo: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", f.srv.URL+undoPath, strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-User", "alice")
	if resp, err := f.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("undo without CSRF token: %v %v", resp.StatusCode, err)
	}

	// Alice changes row 2 meanwhile; the undo keeps it and says so.
	if _, err := f.st.Decide(ctx, j.ID, 2, jobs.DecisionReject, "", f.alice.ID, 1); err != nil {
		t.Fatal(err)
	}
	msg = flashAfter(post("alice", undoPath, url.Values{"return": {reviewPath}}))
	if !strings.Contains(msg, "Undid the bulk acceptance of 2 rows by Alice: 1 row undecided again.") || !strings.Contains(msg, "Kept 1 row decided since then: row 2 (rejected by Alice)") {
		t.Fatalf("after undo: %q", msg)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 1); d != nil {
		t.Errorf("row 1 still decided: %+v", d)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 2); d == nil || d.Kind != jobs.DecisionReject {
		t.Errorf("row 2 lost its decision: %+v", d)
	}
	// Twice is refused with who did it.
	if msg = flashAfter(post("alice", undoPath, url.Values{})); !strings.Contains(msg, "Alice already undid this bulk decision") {
		t.Errorf("second undo: %q", msg)
	}
}
