// Package oauthfake is a stand-in for MediaWiki's Special:OAuth in tests and
// in the end-to-end browser test: initiate, authorize (a small page that
// approves as a chosen user and redirects to the consumer's registered
// callback, as MediaWiki does), token and identify (a JWT signed like
// MediaWiki's). It verifies every request's HMAC-SHA1 signature itself,
// refuses stale timestamps, replayed nonces and reused request tokens, and
// has knobs to misbehave the ways a real provider or an attacker might.
package oauthfake

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is an account on the fake wiki.
type User struct {
	ID        int64
	Name      string
	Groups    []string
	Rights    []string
	EditCount int64
	Blocked   bool
}

// Options configure the fake.
type Options struct {
	ConsumerKey, ConsumerSecret string
	CallbackURL                 string // the callback registered with the consumer
	CanonicalServer             string // the JWT's iss; default "http://" + the request's Host
	Users                       []User // the first is the default on the authorize page
	SubAsString                 bool   // send "sub" as a JSON string (MediaWiki may)
	// AccessToken, if set, gives the access token and secret issued to a
	// user (so another fake, such as the Wikibase API, can know them);
	// default random ones.
	AccessToken func(u User) (token, secret string)
	Now         func() time.Time
}

// Fake is the provider. Its exported fields are knobs tests may set.
type Fake struct {
	opts Options

	mu       sync.Mutex
	requests map[string]*pending // request token -> state
	access   map[string]access   // access token -> state
	verifier *Verifier

	// Misbehaviours for tests.
	Deny            bool          // authorize redirects without a verifier
	TamperJWT       bool          // flip a byte of the JWT payload
	WrongAudience   bool          // aud is another consumer
	WrongNonce      bool          // nonce is not the request's
	IssuedAgo       time.Duration // iat this long ago (and exp after it)
	WrongSigningKey bool          // sign the JWT with another key
}

type pending struct {
	secret   string
	verifier string
	user     *User
	used     bool
}

type access struct {
	secret string
	user   User
}

// New builds the fake.
func New(opts Options) *Fake {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fake{opts: opts, requests: map[string]*pending{}, access: map[string]access{},
		verifier: &Verifier{ConsumerKey: opts.ConsumerKey, ConsumerSecret: opts.ConsumerSecret, Now: opts.Now}}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP answers /w/index.php?title=Special:OAuth/... like MediaWiki.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	title := r.URL.Query().Get("title")
	switch title {
	case "Special:OAuth/initiate":
		f.initiate(w, r)
	case "Special:OAuth/authorize":
		f.authorize(w, r)
	case "Special:OAuth/token":
		f.token(w, r)
	case "Special:OAuth/identify":
		f.identify(w, r)
	default:
		http.NotFound(w, r)
	}
}

// mwError answers like MediaWiki's OAuth endpoints on failure.
func mwError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q,"message":%q}`, code, msg)
}

// check verifies a request for this consumer.
func (f *Fake) check(r *http.Request, lookup func(token string) (secret string, ok bool)) (map[string]string, bool, string) {
	p, err := f.verifier.Verify(r, lookup)
	if err != nil {
		return nil, false, err.Error()
	}
	return p, true, ""
}

func (f *Fake) initiate(w http.ResponseWriter, r *http.Request) {
	p, ok, why := f.check(r, func(string) (string, bool) { return "", false })
	if !ok {
		mwError(w, http.StatusUnauthorized, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+why)
		return
	}
	if p["oauth_callback"] != "oob" {
		mwError(w, http.StatusBadRequest, "mwoauth-callback-not-oob", "Callback URL not set to oob")
		return
	}
	tok, sec := randomHex(16), randomHex(16)
	f.mu.Lock()
	f.requests[tok] = &pending{secret: sec}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "oauth_token=%s&oauth_token_secret=%s&oauth_callback_confirmed=true", tok, sec)
}

var authorizePage = template.Must(template.New("a").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize Partnerhub · Fake wiki</title></head>
<body><h1>Allow Partnerhub to act on your behalf?</h1>
<form method="get" action="">
<input type="hidden" name="title" value="Special:OAuth/authorize">
<input type="hidden" name="oauth_token" value="{{.Token}}">
<input type="hidden" name="oauth_consumer_key" value="{{.Consumer}}">
<label for="user">Log in as</label>
<select id="user" name="user">{{range .Users}}<option>{{.Name}}</option>{{end}}</select>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
</form></body></html>`))

// authorize shows a consent page; its answer redirects to the consumer's
// registered callback with oauth_verifier and oauth_token.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tok := q.Get("oauth_token")
	if q.Get("oauth_consumer_key") != f.opts.ConsumerKey {
		mwError(w, http.StatusBadRequest, "mwoauth-invalid-consumer", "oauth_consumer_key missing or wrong")
		return
	}
	f.mu.Lock()
	pr, ok := f.requests[tok]
	f.mu.Unlock()
	if !ok || pr.used {
		mwError(w, http.StatusBadRequest, "mwoauth-invalid-authorization-invalid-token", "Unknown request token")
		return
	}
	decision := q.Get("decision")
	if decision == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = authorizePage.Execute(w, map[string]any{"Token": tok, "Consumer": f.opts.ConsumerKey, "Users": f.opts.Users})
		return
	}
	cb, _ := url.Parse(f.opts.CallbackURL)
	v := cb.Query()
	v.Set("oauth_token", tok)
	if decision == "allow" && !f.Deny {
		var user *User
		for i := range f.opts.Users {
			if f.opts.Users[i].Name == q.Get("user") || (q.Get("user") == "" && i == 0) {
				user = &f.opts.Users[i]
				break
			}
		}
		if user == nil {
			mwError(w, http.StatusBadRequest, "mwoauth-no-such-user", "no such user")
			return
		}
		f.mu.Lock()
		pr.verifier, pr.user = randomHex(16), user
		f.mu.Unlock()
		v.Set("oauth_verifier", pr.verifier)
	}
	cb.RawQuery = v.Encode()
	http.Redirect(w, r, cb.String(), http.StatusFound)
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	var pr *pending
	var tok string
	p, ok, why := f.check(r, func(t string) (string, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		pr, tok = f.requests[t], t
		if pr == nil {
			return "", false
		}
		return pr.secret, true
	})
	if !ok {
		mwError(w, http.StatusUnauthorized, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+why)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if pr.used || pr.user == nil || pr.verifier == "" || !hmac.Equal([]byte(p["oauth_verifier"]), []byte(pr.verifier)) {
		mwError(w, http.StatusUnauthorized, "mwoauth-invalid-authorization-invalid-token", "The request token is used, not authorized, or the verifier is wrong")
		return
	}
	pr.used = true
	delete(f.requests, tok)
	at, as := randomHex(16), randomHex(16)
	if f.opts.AccessToken != nil {
		at, as = f.opts.AccessToken(*pr.user)
	}
	f.access[at] = access{secret: as, user: *pr.user}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "oauth_token=%s&oauth_token_secret=%s", at, as)
}

func (f *Fake) identify(w http.ResponseWriter, r *http.Request) {
	var acc access
	p, ok, why := f.check(r, func(t string) (string, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		a, ok := f.access[t]
		acc = a
		return a.secret, ok
	})
	if !ok {
		mwError(w, http.StatusUnauthorized, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+why)
		return
	}
	now := f.opts.Now().Add(-f.IssuedAgo)
	iss := f.opts.CanonicalServer
	if iss == "" {
		iss = "http://" + r.Host
	}
	aud, nonce := f.opts.ConsumerKey, p["oauth_nonce"]
	if f.WrongAudience {
		aud = "another-consumer"
	}
	if f.WrongNonce {
		nonce = "not-the-request-nonce"
	}
	var sub any = acc.user.ID
	if f.opts.SubAsString {
		sub = strconv.FormatInt(acc.user.ID, 10)
	}
	claims := jwt.MapClaims{
		"iss": iss, "sub": sub, "aud": aud, "exp": now.Add(100 * time.Second).Unix(), "iat": now.Unix(), "nonce": nonce,
		"username": acc.user.Name, "editcount": acc.user.EditCount, "confirmed_email": true, "blocked": acc.user.Blocked,
		"registered": "20120101000000", "groups": acc.user.Groups, "rights": acc.user.Rights,
		"grants": []string{"basic", "editpage", "createeditmovepage", "highvolume"},
	}
	key := []byte(f.opts.ConsumerSecret)
	if f.WrongSigningKey {
		key = []byte("not-the-consumer-secret")
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		mwError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	if f.TamperJWT {
		parts := strings.Split(signed, ".")
		payload := []byte(parts[1])
		payload[len(payload)/2] ^= 1
		parts[1] = string(payload)
		signed = strings.Join(parts, ".")
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(signed))
}

// AddOwnerToken registers an access token as MediaWiki does for an
// owner-only consumer, whose owner gets the token without the dance.
func (f *Fake) AddOwnerToken(token, secret string, u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.access[token] = access{secret: secret, user: u}
}
