package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
	"partnerhub/web/reconapi"
	"partnerhub/wikidata"
)

// TestReconcileServiceIsOutsideSessionsAndCSRF: /reconcile answers
// anonymous POSTs without a CSRF token and sets no cookie, while every
// other POST still needs its token.
func TestReconcileServiceIsOutsideSessionsAndCSRF(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	wiki, err := wikidata.NewClient(wikidata.Config{APIURL: "http://127.0.0.1:1/w/api.php", UserAgent: "PartnerhubTest/1.0 (dev@partnerhub.invalid)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reconapi.New(reconapi.Config{Engines: match.NewMatcher(match.MatcherConfig{}), Wiki: wiki})
	if err != nil {
		t.Fatal(err)
	}
	deps := f.deps()
	deps.Auth, deps.Reconcile = headerAuth{users: map[string]*jobs.User{"alice": f.alice}}, svc
	f.serve(t, deps)
	for _, tt := range []struct {
		body   string
		status int
		key    string
	}{{"", 200, "identifierSpace"}, {"queries=" + url.QueryEscape(`{"q0":{}}`), 400, "message"}} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/reconcile", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://openrefine.example")
		req.Header.Set("X-Test-User", "alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || m[tt.key] == nil {
			t.Errorf("POST /reconcile %q: %d %v %v", tt.body, resp.StatusCode, m, err)
		}
		if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("POST /reconcile set cookies %v", c)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("POST /reconcile without CORS: %v", resp.Header)
		}
	}
	if resp, _ := f.do(t, "alice", "POST", "/jobs", strings.NewReader("name=x"), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /jobs without a CSRF token: %d, want 403", resp.StatusCode)
	}
}

// TestTemplateReconcileAccess: /templates/{id}/reconcile serves a public
// template to anyone; a group template only to its group's members signed
// in, and to everyone else the same 404 as a template that does not exist;
// never a cookie.
func TestTemplateReconcileAccess(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	ctx := context.Background()
	carol, err := f.st.UpsertUser(ctx, &jobs.User{WikiUserID: "3", Username: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.st.CreateGroup(ctx, f.alice.ID, "Museum", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddMember(ctx, g.ID, "Bob", jobs.RoleMember); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type": {"qid": "Q5"}, "columns": {"name": {"role": "label"}, "ulan": {"property": "P245", "kind": "external-id"}}}`)
	save := func(name string, v jobs.Visibility, group int64) int64 {
		tp, err := f.st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: f.alice.ID, Name: name, Visibility: v, GroupID: group}, body)
		if err != nil {
			t.Fatal(err)
		}
		return tp.ID
	}
	public, group, private := save("Painters", jobs.VisibilityPublic, 0), save("Museum people", jobs.VisibilityGroup, g.ID), save("Mine", jobs.VisibilityPrivate, 0)
	wiki, err := wikidata.NewClient(wikidata.Config{APIURL: "http://127.0.0.1:1/w/api.php", UserAgent: "PartnerhubTest/1.0 (dev@partnerhub.invalid)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reconapi.New(reconapi.Config{Engines: match.NewMatcher(match.MatcherConfig{}), Wiki: wiki, Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	deps := f.deps()
	deps.Auth, deps.Reconcile = headerAuth{users: map[string]*jobs.User{"alice": f.alice, "bob": f.bob, "carol": carol}}, svc
	f.serve(t, deps)
	for _, tt := range []struct {
		user   string
		id     int64
		suffix string
		status int
	}{
		{"", public, "", 200}, {"carol", public, "/v1", 200}, {"", public, "/suggest/type?prefix=", 200},
		{"", group, "", 404}, {"carol", group, "", 404}, {"bob", group, "", 200}, {"alice", group, "/v1", 200}, {"", group, "/v1", 404},
		{"bob", private, "", 404}, {"alice", private, "", 200}, {"", private, "/preview?id=Q1", 404},
		{"", 999999, "", 404}, {"alice", 999999, "", 404},
	} {
		path := fmt.Sprintf("/templates/%d/reconcile%s", tt.id, tt.suffix)
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		if tt.user != "" {
			req.Header.Set("X-Test-User", tt.user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status {
			t.Errorf("%s as %q: %d %v %v, want %d", path, tt.user, resp.StatusCode, m, err, tt.status)
			continue
		}
		if tt.status == 404 && m["message"] != "there is no reconciliation service at this address" {
			t.Errorf("%s as %q: 404 says %v", path, tt.user, m)
		}
		if tt.status == 200 && tt.suffix == "" && (m["name"] == nil || fmt.Sprint(m["defaultTypes"]) != "[map[id:Q5 name:Q5]]") {
			t.Errorf("%s as %q: manifest %v", path, tt.user, m)
		}
		if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("%s set cookies %v", path, c)
		}
	}
}

// TestTemplateReconcileWithSessionCookie: with the real sessions, a group
// member's browser (session cookie) reaches the group's template service
// and gets no cookie back; the same request without the cookie is a 404.
func TestTemplateReconcileWithSessionCookie(t *testing.T) {
	st := storetest.SQLite(t)
	login := &fakeLogin{issued: map[string]string{}, account: web.WikiAccount{
		User:        jobs.User{WikiUserID: "77", Username: "Greta", Groups: []string{"user"}},
		ConsumerKey: "ck", AccessToken: "AT", AccessSecret: "AS"}}
	wiki, err := wikidata.NewClient(wikidata.Config{APIURL: "http://127.0.0.1:1/w/api.php", UserAgent: "PartnerhubTest/1.0 (dev@partnerhub.invalid)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reconapi.New(reconapi.Config{Engines: match.NewMatcher(match.MatcherConfig{}), Wiki: wiki, Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, web.Deps{Store: st, Queue: &recordingQueue{}, Runner: &recordingRunner{}, Redis: pinger{}, Auth: web.SessionAuth{Store: st},
		Login: login, Sealer: xorSealer{}, Reconcile: svc, Logger: quietLogger()}, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	f := &fixture{st: st, srv: srv, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	f.logIn(t)
	ctx := context.Background()
	owner, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.CreateGroup(ctx, owner.ID, "Museum", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, g.ID, "Greta", jobs.RoleMember); err != nil {
		t.Fatal(err)
	}
	tp, err := st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: owner.ID, Name: "Museum people", Visibility: jobs.VisibilityGroup, GroupID: g.ID},
		[]byte(`{"type": {"qid": "Q5"}, "columns": {"name": {"role": "label"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/templates/%d/reconcile", tp.ID)
	resp, body := f.do(t, "", "GET", path, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"name":"Partnerhub: Museum people"`) || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("member with a session: %d %v %s", resp.StatusCode, resp.Header.Values("Set-Cookie"), body)
	}
	anon, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	anon.Body.Close()
	if anon.StatusCode != 404 || len(anon.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("without the session: %d %v", anon.StatusCode, anon.Header.Values("Set-Cookie"))
	}
}
