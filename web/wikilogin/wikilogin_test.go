package wikilogin_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"partnerhub/web/wikilogin"
	"partnerhub/web/wikilogin/oauthfake"
)

type env struct {
	fake   *oauthfake.Fake
	srv    *httptest.Server
	client *wikilogin.Client
}

func newEnv(t *testing.T, secret string, subAsString bool) *env {
	t.Helper()
	fake := oauthfake.New(oauthfake.Options{
		ConsumerKey: "ck123", ConsumerSecret: "cs456", CallbackURL: "https://partnerhub.example/oauth/callback", SubAsString: subAsString,
		Users: []oauthfake.User{{ID: 4242, Name: "Hilma", Groups: []string{"*", "user", "autoconfirmed"}, Rights: []string{"edit"}, EditCount: 77},
			{ID: 99, Name: "Blocked User", Blocked: true}},
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fake.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := wikilogin.New(wikilogin.Config{WikiURL: srv.URL, ConsumerKey: "ck123", ConsumerSecret: secret, UserAgent: "Partnerhub-test/1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, srv: srv, client: c}
}

// authorize plays the user's browser on the wiki's consent page.
func (e *env) authorize(t *testing.T, authURL, user, decision string) url.Values {
	t.Helper()
	u, _ := url.Parse(authURL)
	if u.Query().Get("oauth_consumer_key") != "ck123" || u.Query().Get("title") != "Special:OAuth/authorize" {
		t.Fatalf("authorize URL %s", authURL)
	}
	q := u.Query()
	q.Set("user", user)
	q.Set("decision", decision)
	u.RawQuery = q.Encode()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), "https://partnerhub.example/oauth/callback") {
		t.Fatalf("authorize: %d → %s", resp.StatusCode, loc)
	}
	return loc.Query()
}

func (e *env) login(t *testing.T, user string) (string, string, error) {
	t.Helper()
	ctx := context.Background()
	rt, rs, authURL, err := e.client.Initiate(ctx)
	if err != nil {
		return "", "", err
	}
	cb := e.authorize(t, authURL, user, "allow")
	if cb.Get("oauth_token") != rt {
		t.Fatalf("callback token %q, want %q", cb.Get("oauth_token"), rt)
	}
	return e.client.Exchange(ctx, rt, rs, cb.Get("oauth_verifier"))
}

func TestLoginFlow(t *testing.T) {
	for _, subAsString := range []bool{false, true} {
		e := newEnv(t, "cs456", subAsString)
		at, as, err := e.login(t, "Hilma")
		if err != nil {
			t.Fatal(err)
		}
		id, err := e.client.Identify(context.Background(), at, as)
		if err != nil {
			t.Fatal(err)
		}
		if id.CentralID != "4242" || id.Username != "Hilma" || id.EditCount != 77 || id.Blocked || len(id.Groups) != 3 || len(id.Grants) == 0 {
			t.Fatalf("identity %+v", id)
		}
	}
	e := newEnv(t, "cs456", false)
	at, as, _ := e.login(t, "Blocked User")
	if id, err := e.client.Identify(context.Background(), at, as); err != nil || !id.Blocked {
		t.Fatalf("blocked user: %+v %v", id, err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("bad signature", func(t *testing.T) {
		e := newEnv(t, "wrong-secret", false)
		if _, _, _, err := e.client.Initiate(ctx); err == nil || !strings.Contains(err.Error(), "mwoauth-invalid-authorization") {
			t.Fatalf("initiate with a wrong secret: %v", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		e := newEnv(t, "cs456", false)
		rt, rs, authURL, _ := e.client.Initiate(ctx)
		cb := e.authorize(t, authURL, "Hilma", "cancel")
		if _, _, err := e.client.Exchange(ctx, rt, rs, cb.Get("oauth_verifier")); !errors.Is(err, wikilogin.ErrDenied) {
			t.Fatalf("denied: %v", err)
		}
	})
	t.Run("replayed request token", func(t *testing.T) {
		e := newEnv(t, "cs456", false)
		rt, rs, authURL, _ := e.client.Initiate(ctx)
		cb := e.authorize(t, authURL, "Hilma", "allow")
		if _, _, err := e.client.Exchange(ctx, rt, rs, cb.Get("oauth_verifier")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.client.Exchange(ctx, rt, rs, cb.Get("oauth_verifier")); !errors.Is(err, wikilogin.ErrInvalidToken) {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("unknown request token", func(t *testing.T) {
		e := newEnv(t, "cs456", false)
		if _, _, err := e.client.Exchange(ctx, "nosuchtoken", "x", "verifier"); !errors.Is(err, wikilogin.ErrInvalidToken) {
			t.Fatalf("unknown token: %v", err)
		}
	})
	for name, bend := range map[string]func(*oauthfake.Fake){
		"tampered JWT":  func(f *oauthfake.Fake) { f.TamperJWT = true },
		"wrong aud":     func(f *oauthfake.Fake) { f.WrongAudience = true },
		"wrong nonce":   func(f *oauthfake.Fake) { f.WrongNonce = true },
		"expired iat":   func(f *oauthfake.Fake) { f.IssuedAgo = 10 * time.Minute },
		"wrong JWT key": func(f *oauthfake.Fake) { f.WrongSigningKey = true },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "cs456", false)
			at, as, err := e.login(t, "Hilma")
			if err != nil {
				t.Fatal(err)
			}
			bend(e.fake)
			if id, err := e.client.Identify(ctx, at, as); !errors.Is(err, wikilogin.ErrBadSignature) {
				t.Fatalf("%s accepted: %+v %v", name, id, err)
			}
		})
	}
	t.Run("wrong issuer", func(t *testing.T) {
		e := newEnv(t, "cs456", false)
		c, _ := wikilogin.New(wikilogin.Config{WikiURL: e.srv.URL, ConsumerKey: "ck123", ConsumerSecret: "cs456", CanonicalServer: "https://meta.wikimedia.org"})
		e.client = c
		at, as, _ := e.login(t, "Hilma")
		if _, err := e.client.Identify(ctx, at, as); !errors.Is(err, wikilogin.ErrBadSignature) {
			t.Fatalf("wrong iss: %v", err)
		}
	})
	t.Run("identify with a made-up token", func(t *testing.T) {
		e := newEnv(t, "cs456", false)
		if _, err := e.client.Identify(ctx, "made-up", "secret"); !errors.Is(err, wikilogin.ErrInvalidToken) {
			t.Fatalf("made-up token: %v", err)
		}
	})
}
