package main

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"partnerhub/web/wikilogin/oauthfake"
)

// TestOAuthLoginThroughRouter runs the whole login through the real router,
// against the fake Special:OAuth that checks every signature (including
// MediaWiki's title parameter) and signs its identify JWT like MediaWiki.
func TestOAuthLoginThroughRouter(t *testing.T) {
	var handler http.Handler
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer app.Close()
	fake := oauthfake.New(oauthfake.Options{ConsumerKey: "ck", ConsumerSecret: "cs", CallbackURL: app.URL + "/oauth/callback",
		Users: []oauthfake.User{{ID: 7, Name: "Carl Larsson", Groups: []string{"user"}, EditCount: 3}}})
	wiki := httptest.NewServer(fake)
	defer wiki.Close()

	dir := t.TempDir()
	for k, v := range map[string]string{
		"PARTNERHUB_DATA_DIR": dir, "PARTNERHUB_ADDR": "0.0.0.0:0", "PORT": "",
		"PARTNERHUB_OAUTH_CONSUMER_KEY": "ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET": "cs", "PARTNERHUB_OAUTH_WIKI": wiki.URL,
		"PARTNERHUB_DB_DSN": "", "PARTNERHUB_REDIS_ADDR": "", "PARTNERHUB_SECRET_KEY": "",
	} {
		t.Setenv(k, v)
	}
	a, handler := webApp(t)
	ctx := context.Background()

	jar, _ := cookiejar.New(nil)
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	_, page := get(app.URL + "/login")
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no login form")
	}
	resp, err := noFollow.PostForm(app.URL+"/login", url.Values{"csrf_token": {html.UnescapeString(m[1])}, "next": {"/jobs"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authURL := resp.Header.Get("Location")
	if !strings.HasPrefix(authURL, wiki.URL) {
		t.Fatalf("login went to %q", authURL)
	}
	// The user allows on the wiki, which sends them back to the callback.
	resp, _ = get(authURL + "&user=Carl+Larsson&decision=allow")
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, app.URL+"/oauth/callback?") {
		t.Fatalf("wiki redirected to %q", callback)
	}
	resp, body := get(callback)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs" {
		t.Fatalf("callback: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = get(app.URL + "/me")
	if resp.StatusCode != 200 || !strings.Contains(body, "Carl Larsson") || strings.Contains(body, "Local mode") {
		t.Fatalf("/me after login: %d", resp.StatusCode)
	}
	// Tokens are stored sealed: nothing in the database equals what the wiki issued.
	u, err := a.store.UserByName(ctx, "Carl Larsson")
	if err != nil || u.WikiUserID != "7" {
		t.Fatalf("user %+v %v", u, err)
	}
	tok, err := a.store.Token(ctx, u.ID)
	if err != nil || !strings.HasPrefix(tok.TokenSealed, "v1:") || tok.ConsumerKey != "ck" {
		t.Fatalf("stored token %+v %v", tok, err)
	}
}

// TestOwnerOnlyConsumer: with the owner's access token in the environment
// the tool runs as that account, on loopback only.
func TestOwnerOnlyConsumer(t *testing.T) {
	fake := oauthfake.New(oauthfake.Options{ConsumerKey: "ck", ConsumerSecret: "cs"})
	fake.AddOwnerToken("owner-at", "owner-as", oauthfake.User{ID: 11, Name: "Owner Account", Groups: []string{"user"}})
	wiki := httptest.NewServer(fake)
	defer wiki.Close()
	for k, v := range map[string]string{
		"PARTNERHUB_DATA_DIR": t.TempDir(), "PARTNERHUB_ADDR": "127.0.0.1:0", "PORT": "",
		"PARTNERHUB_OAUTH_CONSUMER_KEY": "ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET": "cs", "PARTNERHUB_OAUTH_WIKI": wiki.URL,
		"PARTNERHUB_OAUTH_ACCESS_TOKEN": "owner-at", "PARTNERHUB_OAUTH_ACCESS_SECRET": "owner-as",
		"PARTNERHUB_DB_DSN": "", "PARTNERHUB_REDIS_ADDR": "", "PARTNERHUB_SECRET_KEY": "",
	} {
		t.Setenv(k, v)
	}
	a, h := webApp(t)
	ctx := context.Background()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/jobs", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Single-user mode") || !strings.Contains(rec.Body.String(), "Owner Account") {
		t.Fatalf("/jobs in single-user mode: %d", rec.Code)
	}
	u, _ := a.store.UserByName(ctx, "Owner Account")
	if tok, err := a.store.Token(ctx, u.ID); err != nil || strings.Contains(tok.TokenSealed, "owner-at") {
		t.Fatalf("owner token stored %+v %v", tok, err)
	}
	// The same on a public address is refused.
	a.cfg.Addr = "0.0.0.0:8000"
	if _, err := a.webHandler(ctx); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("owner-only on a public address: %v", err)
	}
}

// webApp configures the tool from the environment (as serve does), opens
// it for the test, and returns it and its web handler.
func webApp(t *testing.T) (*app, http.Handler) {
	t.Helper()
	ctx := context.Background()
	cfg, err := configure(true, true)
	if err != nil {
		t.Fatal(err)
	}
	a, err := open(ctx, cfg, io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	h, err := a.webHandler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a, h
}
