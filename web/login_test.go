package web_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// fakeLogin plays the wiki's side of the OAuth dance in memory.
type fakeLogin struct {
	mu      sync.Mutex
	issued  map[string]string // request token -> secret
	account web.WikiAccount
}

func (f *fakeLogin) Begin(context.Context) (string, string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := fmt.Sprintf("rt%d", len(f.issued)+1)
	f.issued[rt] = "secret-" + rt
	return rt, f.issued[rt], "https://meta.example/wiki/Special:OAuth/authorize?oauth_token=" + rt + "&oauth_consumer_key=ck", nil
}

func (f *fakeLogin) Finish(_ context.Context, rt, rs, verifier string) (*web.WikiAccount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.issued[rt] != rs || verifier != "good-verifier" {
		return nil, errors.New("bad signature")
	}
	delete(f.issued, rt)
	a := f.account
	return &a, nil
}

// xorSealer is a stand-in sealer for web tests (the real one is AES-GCM, tested in its package).
type xorSealer struct{}

func (xorSealer) Seal(p, aad []byte) (string, error) {
	out := make([]byte, len(p))
	for i := range p {
		out[i] = p[i] ^ 0x5a
	}
	return "x:" + base64.StdEncoding.EncodeToString(out) + ":" + string(aad), nil
}
func (xorSealer) Open(s string, aad []byte) ([]byte, error) { return nil, errors.New("unused") }

func TestOAuthLoginFlow(t *testing.T) {
	st := storetest.SQLite(t)
	login := &fakeLogin{issued: map[string]string{}, account: web.WikiAccount{
		User:        jobs.User{WikiUserID: "4242", Username: "Hilma", Groups: []string{"user", "autoconfirmed"}, EditCount: 1234},
		ConsumerKey: "ck", AccessToken: "ACCESS-TOKEN-PLAINTEXT", AccessSecret: "ACCESS-SECRET-PLAINTEXT"}}
	h := newHandler(t, web.Deps{Store: st, Queue: &recordingQueue{}, Runner: &recordingRunner{}, Redis: pinger{}, Auth: web.SessionAuth{Store: st},
		Login: login, Sealer: xorSealer{}, Logger: quietLogger()}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f := &fixture{st: st, srv: srv, client: client}

	// Anonymous visitors are sent to log in.
	resp, _ := f.do(t, "", "GET", "/jobs", nil, "")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous /jobs: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	begin := func() string {
		form := url.Values{"csrf_token": {f.csrfToken(t, "", "/login")}, "next": {"/jobs/new"}}
		resp, body := f.do(t, "", "POST", "/login", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://meta.example/") {
			t.Fatalf("begin login: %d %q %s", resp.StatusCode, loc, body)
		}
		if strings.Contains(loc, "secret-") {
			t.Fatal("the request-token secret leaked into a URL")
		}
		u, _ := url.Parse(loc)
		return u.Query().Get("oauth_token")
	}

	// A callback for a token this browser did not start is refused.
	rt := begin()
	resp, body := f.do(t, "", "GET", "/oauth/callback?oauth_token=forged&oauth_verifier=good-verifier", nil, "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "could not be matched") {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
	// ... and that burned the session's request token too.
	resp, _ = f.do(t, "", "GET", "/oauth/callback?oauth_token="+rt+"&oauth_verifier=good-verifier", nil, "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback after a refused one: %d", resp.StatusCode)
	}
	// Denied on the wiki: no verifier.
	rt = begin()
	resp, body = f.do(t, "", "GET", "/oauth/callback?oauth_token="+rt, nil, "")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "did not allow") {
		t.Fatalf("denied: %d", resp.StatusCode)
	}
	// A bad verifier (the wiki's answer does not verify).
	rt = begin()
	resp, _ = f.do(t, "", "GET", "/oauth/callback?oauth_token="+rt+"&oauth_verifier=tampered", nil, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad verifier: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "", "GET", "/me", nil, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a refused login left a session: %d", resp.StatusCode)
	}

	// The real thing.
	rt = begin()
	resp, _ = f.do(t, "", "GET", "/oauth/callback?oauth_token="+rt+"&oauth_verifier=good-verifier", nil, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/jobs/new" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "partnerhub_session" && c.MaxAge > 0 && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie flags: %+v", c)
		}
	}
	resp, body = f.do(t, "", "GET", "/me", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Hilma") || !strings.Contains(body, "autoconfirmed") || !strings.Contains(body, "stored encrypted") {
		t.Fatalf("/me: %d", resp.StatusCode)
	}
	if strings.Contains(body, "PLAINTEXT") {
		t.Fatal("a token appears on the page")
	}
	u, _ := st.UserByName(context.Background(), "Hilma")
	tok, err := st.Token(context.Background(), u.ID)
	if err != nil || strings.Contains(tok.TokenSealed+tok.SecretSealed, "PLAINTEXT") || !strings.Contains(tok.TokenSealed, "user "+fmt.Sprint(u.ID)) {
		t.Fatalf("stored token %+v %v", tok, err)
	}
	// Replaying the used callback logs nobody in again.
	jar2, _ := cookiejar.New(nil)
	other := &fixture{st: st, srv: srv, client: &http.Client{Jar: jar2, CheckRedirect: client.CheckRedirect}}
	if resp, _ := other.do(t, "", "GET", "/oauth/callback?oauth_token="+rt+"&oauth_verifier=good-verifier", nil, ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback in another browser: %d", resp.StatusCode)
	}

	// Revoke: token gone, logged out.
	form := url.Values{"csrf_token": {f.csrfToken(t, "", "/me")}}
	resp, _ = f.do(t, "", "POST", "/me/revoke", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if _, err := st.Token(context.Background(), u.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
		t.Fatalf("token after revoke: %v", err)
	}
	if resp, _ := f.do(t, "", "GET", "/me", nil, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("still logged in after revoke: %d", resp.StatusCode)
	}
}
