package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// serve starts a server over st with auth (and login, if any) and a
// browser-like client that keeps cookies and does not follow redirects.
func serve(t *testing.T, st *store.Store, auth web.Authenticator, login web.WikiLogin) *fixture {
	t.Helper()
	deps := web.Deps{Store: st, Queue: &recordingQueue{}, Runner: &recordingRunner{}, Redis: pinger{}, Auth: auth, Logger: quietLogger()}
	if login != nil {
		deps.Login, deps.Sealer = login, xorSealer{}
	}
	srv, client := testServer(t, newHandler(t, deps, nil))
	return &fixture{st: st, srv: srv, client: client}
}

// oauthFixture is a server with wiki login (the in-memory fakeLogin).
func oauthFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.SQLite(t)
	login := &fakeLogin{issued: map[string]string{}, account: web.WikiAccount{
		User:        jobs.User{WikiUserID: "77", Username: "Greta", Groups: []string{"user"}},
		ConsumerKey: "ck", AccessToken: "AT", AccessSecret: "AS"}}
	return serve(t, st, web.SessionAuth{Store: st}, login)
}

// logIn goes through the login as a browser would.
func (f *fixture) logIn(t *testing.T) {
	t.Helper()
	form := url.Values{"csrf_token": {f.csrfToken(t, "", "/login")}, "next": {"/jobs"}}
	resp, body := f.do(t, "", "POST", "/login", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	u, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("begin login: %d %s", resp.StatusCode, body)
	}
	rt := u.Query().Get("oauth_token")
	resp, _ = f.do(t, "", "GET", "/oauth/callback?oauth_token="+rt+"&oauth_verifier=good-verifier", nil, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs" {
		t.Fatalf("callback: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := f.do(t, "", "GET", "/me", nil, ""); resp.StatusCode != 200 {
		t.Fatalf("not signed in after login: %d", resp.StatusCode)
	}
}

func (f *fixture) post(t *testing.T, path, token string) *http.Response {
	t.Helper()
	resp, _ := f.do(t, "", "POST", path, strings.NewReader(url.Values{"csrf_token": {token}}.Encode()), "application/x-www-form-urlencoded")
	return resp
}

// TestStrayCallbackKeepsTheSession: a GET of /oauth/callback that does not
// answer a login started in this browser (a link on another site, an old
// tab) leaves a signed-in user signed in, and says so.
func TestStrayCallbackKeepsTheSession(t *testing.T) {
	f := oauthFixture(t)
	f.logIn(t)
	for _, q := range []string{"", "?oauth_token=forged&oauth_verifier=x", "?oauth_verifier=x"} {
		resp, _ := f.do(t, "", "GET", "/oauth/callback"+q, nil, "")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs" {
			t.Fatalf("stray callback %q: %d %q", q, resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, c := range resp.Cookies() {
			if c.Name == "partnerhub_session" {
				t.Fatalf("stray callback %q touched the session cookie: %+v", q, c)
			}
		}
		resp, body := f.do(t, "", "GET", "/jobs", nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, `href="/me"`) || !strings.Contains(body, "Greta") {
			t.Fatalf("after stray callback %q: %d, signed in: %v", q, resp.StatusCode, strings.Contains(body, "Greta"))
		}
		if !strings.Contains(body, "still signed in") {
			t.Errorf("after stray callback %q the page does not say what happened", q)
		}
	}
}

// TestCSRFTokenRotatesAtLoginAndLogout: a token a page gave out before the
// login is refused after it, and one from before the logout after that.
func TestCSRFTokenRotatesAtLoginAndLogout(t *testing.T) {
	f := oauthFixture(t)
	before := f.csrfToken(t, "", "/login")
	f.logIn(t)
	if resp := f.post(t, "/logout", before); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with the token from before the login: %d, want 403", resp.StatusCode)
	}
	signedIn := f.csrfToken(t, "", "/me")
	if signedIn == before {
		t.Fatal("the page after login shows the token from before it")
	}
	if resp := f.post(t, "/logout", signedIn); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout with a fresh token: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := f.do(t, "", "GET", "/me", nil, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after logout: %d", resp.StatusCode)
	}
	// A form from the signed-in pages no longer works: start a login with it.
	form := url.Values{"csrf_token": {signedIn}, "next": {"/jobs"}}
	if resp, _ := f.do(t, "", "POST", "/login", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a token from before the logout: %d, want 403", resp.StatusCode)
	}
	after := f.csrfToken(t, "", "/login")
	form["csrf_token"] = []string{after}
	if resp, _ := f.do(t, "", "POST", "/login", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a token from after the logout: %d", resp.StatusCode)
	}
}
