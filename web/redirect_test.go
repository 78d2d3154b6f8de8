package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/wikiplan"
	"partnerhub/web"
	"partnerhub/wikidata"
)

// TestTypedRedirectIsFollowed: a reviewer types the QID of an item that was
// merged into another; the decision records the target and says so, and a
// deleted item is refused with that reason. The wiki answers wbgetentities
// in Wikibase 1.39's shapes (a redirect under the id asked for, with the
// target's id and "redirects": {from, to}).
func TestTypedRedirectIsFollowed(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("redirects") != "yes" {
			http.Error(w, "redirects not followed", http.StatusBadRequest)
			return
		}
		switch r.URL.Query().Get("ids") {
		case "Q20000323":
			fmt.Fprint(w, `{"entities":{"Q20000323":{"type":"item","id":"Q20000324","ns":120,"title":"Item:Q20000324","lastrevid":91,"redirects":{"from":"Q20000323","to":"Q20000324"},"labels":{"en":{"language":"en","value":"Hilma af Klint"}}}},"success":1}`)
		case "Q20000296":
			fmt.Fprint(w, `{"entities":{"Q20000296":{"id":"Q20000296","missing":true}},"success":1}`)
		default:
			http.Error(w, "unknown", http.StatusBadRequest)
		}
	}))
	defer api.Close()
	client, err := wikidata.NewClient(wikidata.Config{APIURL: api.URL + "/w/api.php", UserAgent: "Partnerhub-test/1.0 (test@example.org)", MaxRetries: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(ctx context.Context, _ *jobs.Job, qid string) (web.CheckedItem, error) {
		it, err := wikiplan.CheckTypedItem(ctx, client, qid, "https://w.example/wiki/")
		if err != nil {
			return web.CheckedItem{}, err
		}
		return web.CheckedItem{QID: it.ID, RedirectedFrom: it.RedirectedFrom, Label: it.Label("en")}, nil
	}
	f := newFixture(t, 1<<20, pinger{})
	deps := f.deps()
	deps.ItemCheck, deps.Auth = check, headerAuth{users: map[string]*jobs.User{"alice": f.alice}}
	f.serve(t, deps)
	j := f.reconciledJobFor(t, f.alice)
	reviewPath := fmt.Sprintf("/jobs/%d/review", j.ID)
	token := f.csrfToken(t, "alice", reviewPath)
	post := func(row int, qid, accept string) (*http.Response, string) {
		form := url.Values{"action": {"accept"}, "qid": {qid}, "manual": {"1"}, "version": {"0"}, "csrf_token": {token}}
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/jobs/%d/review/row/%d", f.srv.URL, j.ID, row), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Test-User", "alice")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp, readAll(resp)
	}
	ctx := context.Background()

	resp, body := post(2, "q20000323", "application/json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"qid":"Q20000324"`) || !strings.Contains(body, "Q20000323 was merged into Q20000324") {
		t.Fatalf("redirect (script): %d %s", resp.StatusCode, body)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 2); d == nil || d.QID != "Q20000324" {
		t.Fatalf("recorded %+v, want the redirect's target", d)
	}
	// The plain form says it on the page it returns to.
	resp, _ = post(3, "Q20000323", "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("redirect (form): %d", resp.StatusCode)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 3); d == nil || d.QID != "Q20000324" {
		t.Fatalf("recorded %+v, want the redirect's target", d)
	}
	if _, page := f.do(t, "alice", "GET", resp.Header.Get("Location"), nil, ""); !strings.Contains(page, "Q20000323 was merged into Q20000324") {
		t.Fatal("the review page does not say the typed QID was followed to its target")
	}
	// A deleted item is refused, and nothing is recorded.
	resp, body = post(1, "Q20000296", "application/json")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "does not exist") {
		t.Fatalf("deleted: %d %s", resp.StatusCode, body)
	}
	if d, _ := f.st.Decision(ctx, j.ID, 1); d != nil {
		t.Fatalf("a decision was recorded for a deleted item: %+v", d)
	}
}
