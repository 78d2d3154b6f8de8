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
	"partnerhub/web"
)

func TestItemNamesPageAndDecisions(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	check := func(_ context.Context, _ *jobs.Job, qid string) (web.CheckedItem, error) {
		switch qid {
		case "Q971":
			return web.CheckedItem{QID: "Q971"}, nil
		case "Q9710":
			return web.CheckedItem{QID: "Q971", RedirectedFrom: "Q9710"}, nil
		}
		return web.CheckedItem{}, jobs.Errorf(jobs.EINVALID, "%s does not exist on https://www.wikidata.org/wiki/.", qid)
	}
	deps := f.deps()
	deps.ItemCheck = check
	f.serve(t, deps)
	j := f.reconciledJobFor(t, f.alice)
	ctx := context.Background()
	if err := f.st.SaveValueResolutions(ctx, j.ID, []jobs.ValueResolution{
		{Column: "country", Value: "Sweden", Status: jobs.ValueMatched, QID: "Q34", Rows: 38, Evidence: "the only one of the items of the expected type (Q6256) labelled \"Sweden\""},
		{Column: "country", Value: "Congo", Status: jobs.ValueAmbiguous, Rows: 2, Evidence: "2 items of the expected type are labelled \"Congo\"",
			Candidates: []jobs.ValueCandidate{{QID: "Q971", Label: "Congo", Description: "country in Central Africa", Typed: true}, {QID: "Q974", Label: "Congo", Typed: true}}},
		{Column: "country", Value: "Sveden", Status: jobs.ValueNone, Rows: 1, Evidence: "no item is labelled \"Sveden\""},
	}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/jobs/%d/plan/names", j.ID)
	resp, body := f.do(t, "alice", "GET", path, nil, "")
	body = html.UnescapeString(body)
	if resp.StatusCode != 200 || !strings.Contains(body, "2</strong> names wait for you") || !strings.Contains(body, "Use Q971 (country in Central Africa)") ||
		strings.Index(body, "<td>Congo") > strings.Index(body, "<td>Sweden") {
		t.Fatalf("names page %d:\n%s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "bob", "GET", path, nil, ""); resp.StatusCode != 404 {
		t.Fatalf("bob sees the names: %d", resp.StatusCode)
	}
	token := f.csrfToken(t, "alice", path)
	post := func(user string, form url.Values) (*http.Response, string) {
		resp, _ := f.do(t, user, "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		_, page := f.do(t, user, "GET", path, nil, "")
		return resp, html.UnescapeString(page)
	}
	if resp, _ := post("alice", url.Values{"column": {"country"}, "value": {"Congo"}, "action": {"accept"}, "qid": {"Q971"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without a CSRF token: %d", resp.StatusCode)
	}
	if resp, _ := post("bob", url.Values{"csrf_token": {token}, "column": {"country"}, "value": {"Congo"}, "action": {"accept"}, "qid": {"Q971"}}); resp.StatusCode != 404 {
		t.Fatalf("bob decides: %d", resp.StatusCode)
	}
	// A typed QID that redirects is recorded as its target, and said so.
	resp, page := post("alice", url.Values{"csrf_token": {token}, "column": {"country"}, "value": {"Congo"}, "action": {"accept"}, "qid": {"q9710"}, "manual": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(page, "Q9710 was merged into Q971") {
		t.Fatalf("typed redirect: %d\n%s", resp.StatusCode, page)
	}
	// A typed QID that does not exist is refused.
	if _, page := post("alice", url.Values{"csrf_token": {token}, "column": {"country"}, "value": {"Sveden"}, "action": {"accept"}, "qid": {"Q404"}, "manual": {"1"}}); !strings.Contains(page, "Q404 does not exist") {
		t.Fatalf("missing item accepted:\n%s", page)
	}
	if _, page := post("alice", url.Values{"csrf_token": {token}, "column": {"country"}, "value": {"Sveden"}, "action": {"reject"}}); !strings.Contains(page, `"Sveden" in column "country" is left out`) {
		t.Fatalf("reject:\n%s", page)
	}
	all, _ := f.st.ValueResolutions(ctx, j.ID)
	if c := all["country"]["Congo"]; c.Status != jobs.ValueAccepted || c.QID != "Q971" || c.DecidedBy != f.alice.ID {
		t.Fatalf("Congo: %+v", c)
	}
	if c := all["country"]["Sveden"]; c.Status != jobs.ValueRejected || c.QID != "" {
		t.Fatalf("Sveden: %+v", c)
	}
	if _, page := f.do(t, "alice", "GET", path, nil, ""); strings.Contains(page, "wait for you") {
		t.Fatal("names still wait after every one was decided")
	}
}
