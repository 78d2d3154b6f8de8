package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// localFixture is a server in local mode: one local user, no login.
func localFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.SQLite(t)
	u, err := st.UpsertUser(context.Background(), &jobs.User{Username: "local"})
	if err != nil {
		t.Fatal(err)
	}
	f := serve(t, st, web.LocalAuth{User: u}, nil)
	f.alice = u
	return f
}

// TestUnknownAddresses: in local mode (where the banner names the user) and
// with login, an unknown address is a 404 page with the usual header, and
// the icon browsers ask for on every page view is there.
func TestUnknownAddresses(t *testing.T) {
	for name, f := range map[string]*fixture{"local": localFixture(t), "oauth": oauthFixture(t)} {
		t.Run(name, func(t *testing.T) {
			resp, body := f.do(t, "", "GET", "/favicon.ico", nil, "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
				t.Fatalf("/favicon.ico: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			_, page := f.do(t, "", "GET", "/jobs/new", nil, "")
			if name == "local" && !strings.Contains(page, `rel="icon" href="/static/favicon.svg`) {
				t.Error("pages do not link the icon")
			}
			if resp, _ := f.do(t, "", "GET", "/static/favicon.svg?v=test", nil, ""); resp.StatusCode != 200 {
				t.Errorf("/static/favicon.svg: %d", resp.StatusCode)
			}
			for _, path := range []string{"/no/such/page", "/apple-touch-icon.png", "/jobs/1/nothing-here", "/static/nope.css"} {
				resp, body := f.do(t, "", "GET", path, nil, "")
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
					continue
				}
				if path == "/static/nope.css" {
					continue // the file server's own 404
				}
				if !strings.Contains(body, "<h1>Not found</h1>") {
					t.Errorf("GET %s: not the 404 page:\n%s", path, body)
				}
				if name == "local" && !strings.Contains(body, "Signed in as <strong>local</strong>") {
					t.Errorf("GET %s: the 404 page's header does not name the local user", path)
				}
				if name == "oauth" && !strings.Contains(body, `href="/login"`) {
					t.Errorf("GET %s: the 404 page's header does not offer to log in", path)
				}
			}
			// Not a page at all, whatever the method: 404, not a CSRF refusal.
			if resp, _ := f.do(t, "", "POST", "/no/such/page", strings.NewReader("a=b"), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST to an unknown address: %d, want 404", resp.StatusCode)
			}
			if resp, body := f.do(t, "", "PUT", "/login", nil, ""); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(body, "PUT") {
				t.Errorf("PUT /login: %d", resp.StatusCode)
			}
		})
	}
}

// TestLocalModeLogoutTellsTheTruth: there is no logging out of local mode;
// the tool says so instead of "You are logged out." under a header that
// still names the local user, and the account page offers no such button.
func TestLocalModeLogoutTellsTheTruth(t *testing.T) {
	f := localFixture(t)
	_, me := f.do(t, "", "GET", "/me", nil, "")
	if strings.Contains(me, `action="/logout"`) {
		t.Error("the account page offers to log out in local mode")
	}
	if !strings.Contains(me, "no logging out") {
		t.Error("the account page does not explain local mode")
	}
	form := url.Values{"csrf_token": {f.csrfToken(t, "", "/me")}}
	resp, _ := f.do(t, "", "POST", "/logout", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs" {
		t.Fatalf("logout in local mode: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := f.do(t, "", "GET", "/jobs", nil, "")
	m := flashRE.FindStringSubmatch(page)
	if m == nil || strings.Contains(m[2], "logged out") || !strings.Contains(m[2], "no logging out in local mode") {
		t.Fatalf("flash after logout in local mode: %q", m)
	}
	if !strings.Contains(page, "Signed in as <strong>local</strong>") {
		t.Error("the header no longer names the local user")
	}
}
