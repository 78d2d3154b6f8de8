// Package wikilogin logs people in with their Wikimedia account: OAuth 1.0a
// against MediaWiki's Extension:OAuth (Special:OAuth on meta.wikimedia.org by
// default), then Special:OAuth/identify, whose JWT it verifies. It handles
// MediaWiki's quirks: the endpoints are index.php?title=Special:OAuth/...
// and that title is part of what is signed; the callback is "oob" (the wiki
// redirects to the callback registered with the consumer); the authorize
// URL needs the consumer key as well as the request token.
package wikilogin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dghubble/oauth1"
	"github.com/golang-jwt/jwt/v5"
)

// Config describes the wiki and the consumer registered on it.
type Config struct {
	WikiURL         string // e.g. https://meta.wikimedia.org
	IndexURL        string // default WikiURL + "/w/index.php"
	ConsumerKey     string
	ConsumerSecret  string
	CanonicalServer string        // the JWT's expected issuer; default the wiki URL's scheme and host
	UserAgent       string        // sent on every request
	HTTPClient      *http.Client  // default: a client of its own with a 30 s timeout
	Leeway          time.Duration // clock skew allowed on iat/exp; default 60 s
	Now             func() time.Time
}

// Client runs the login dance with one wiki.
type Client struct {
	cfg Config
}

// Identity is who the wiki says the user is.
type Identity struct {
	CentralID      string // "sub": the central user id (a number or a string in the JWT)
	Username       string
	Groups         []string
	Rights         []string
	Grants         []string
	EditCount      int64
	Blocked        bool
	ConfirmedEmail bool
	Registered     string
}

// Errors with sentences users may be shown.
var (
	ErrDenied       = errors.New("you did not allow Partnerhub to use your account")
	ErrBadSignature = errors.New("the wiki's answer could not be verified")
	ErrInvalidToken = errors.New("the wiki refused the token (it may have expired or been used already)")
)

// New checks the configuration.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.WikiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("wiki URL %q is not an http(s) URL", cfg.WikiURL)
	}
	if cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" {
		return nil, errors.New("an OAuth consumer key and secret are required")
	}
	if cfg.IndexURL == "" {
		cfg.IndexURL = strings.TrimSuffix(cfg.WikiURL, "/") + "/w/index.php"
	}
	if cfg.CanonicalServer == "" {
		cfg.CanonicalServer = u.Scheme + "://" + u.Host
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

func (c *Client) special(page string) string {
	return c.cfg.IndexURL + "?title=" + url.QueryEscape("Special:OAuth/"+page)
}

// oauthConfig is a dghubble/oauth1 configuration for this wiki. The client
// it uses carries our User-Agent and timeout; nothing global is touched.
func (c *Client) oauthConfig(ctx context.Context, noncer oauth1.Noncer) *oauth1.Config {
	cfg := oauth1.NewConfig(c.cfg.ConsumerKey, c.cfg.ConsumerSecret)
	cfg.CallbackURL = "oob"
	cfg.Endpoint = oauth1.Endpoint{
		RequestTokenURL: c.special("initiate"),
		AuthorizeURL:    c.special("authorize"),
		AccessTokenURL:  c.special("token"),
	}
	cfg.HTTPClient = &http.Client{Timeout: c.cfg.HTTPClient.Timeout, Transport: uaTransport{ctx: ctx, ua: c.cfg.UserAgent, next: transportOf(c.cfg.HTTPClient)}}
	if noncer != nil {
		cfg.Noncer = noncer
	}
	return cfg
}

func transportOf(h *http.Client) http.RoundTripper {
	if h.Transport != nil {
		return h.Transport
	}
	return http.DefaultTransport
}

// uaTransport adds the User-Agent and the caller's context (the oauth1
// library's token calls take none).
type uaTransport struct {
	ctx  context.Context
	ua   string
	next http.RoundTripper
}

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(t.ctx)
	if t.ua != "" {
		r.Header.Set("User-Agent", t.ua)
	}
	return t.next.RoundTrip(r)
}

// Initiate gets a request token and the URL where the user authorizes it.
func (c *Client) Initiate(ctx context.Context) (requestToken, requestSecret, authorizeURL string, err error) {
	rt, rs, err := c.oauthConfig(ctx, nil).RequestToken()
	if err != nil {
		return "", "", "", fmt.Errorf("initiate OAuth with %s: %w", c.cfg.WikiURL, cleanOAuthError(err))
	}
	u := c.special("authorize") + "&oauth_token=" + url.QueryEscape(rt) + "&oauth_consumer_key=" + url.QueryEscape(c.cfg.ConsumerKey)
	return rt, rs, u, nil
}

// Exchange trades the authorized request token for an access token.
func (c *Client) Exchange(ctx context.Context, requestToken, requestSecret, verifier string) (accessToken, accessSecret string, err error) {
	if verifier == "" {
		return "", "", ErrDenied
	}
	at, as, err := c.oauthConfig(ctx, nil).AccessToken(requestToken, requestSecret, verifier)
	if err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrInvalidToken, cleanOAuthError(err))
	}
	return at, as, nil
}

type fixedNonce string

func (n fixedNonce) Nonce() string { return string(n) }

// Identify asks the wiki who owns the access token and verifies its answer:
// a JWT signed (HS256) with the consumer secret, for this consumer, from this
// wiki, carrying the nonce of this very request, and fresh.
func (c *Client) Identify(ctx context.Context, accessToken, accessSecret string) (*Identity, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	nonce := hex.EncodeToString(b[:])
	// The signing transport wraps the client found in the context: ours.
	ctx = context.WithValue(ctx, oauth1.HTTPClient, c.cfg.HTTPClient)
	httpc := c.oauthConfig(ctx, fixedNonce(nonce)).Client(ctx, oauth1.NewToken(accessToken, accessSecret))
	httpc.Timeout = c.cfg.HTTPClient.Timeout
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.special("identify"), nil)
	if err != nil {
		return nil, err
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("identify with %s: %w", c.cfg.WikiURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK || strings.HasPrefix(text, "{") {
		return nil, fmt.Errorf("%w: identify answered %d: %s", ErrInvalidToken, resp.StatusCode, short(text))
	}
	return c.verify(text, nonce)
}

// verify checks an identify JWT.
func (c *Client) verify(token, nonce string) (*Identity, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return []byte(c.cfg.ConsumerSecret), nil
	},
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithIssuer(c.cfg.CanonicalServer),
		jwt.WithAudience(c.cfg.ConsumerKey),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(c.cfg.Leeway),
		jwt.WithTimeFunc(c.cfg.Now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if got, _ := claims["nonce"].(string); got != nonce {
		return nil, fmt.Errorf("%w: the identity was issued for another request (nonce mismatch)", ErrBadSignature)
	}
	id := &Identity{
		Username:   str(claims["username"]),
		Registered: str(claims["registered"]),
	}
	switch sub := claims["sub"].(type) {
	case string:
		id.CentralID = sub
	case float64:
		id.CentralID = strconv.FormatInt(int64(sub), 10)
	case json.Number:
		id.CentralID = sub.String()
	}
	if id.CentralID == "" || id.CentralID == "0" || id.Username == "" {
		return nil, fmt.Errorf("%w: the identity names no user", ErrBadSignature)
	}
	if n, ok := claims["editcount"].(float64); ok {
		id.EditCount = int64(n)
	}
	id.Blocked, _ = claims["blocked"].(bool)
	id.ConfirmedEmail, _ = claims["confirmed_email"].(bool)
	id.Groups, id.Rights, id.Grants = strs(claims["groups"]), strs(claims["rights"]), strs(claims["grants"])
	return id, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// cleanOAuthError shortens what MediaWiki answers on a refused token call
// (an HTML page or "Error: ..." text) to something a log line can hold.
func cleanOAuthError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "mwoauth-"); i >= 0 {
		end := strings.IndexAny(msg[i:], " \"<,}")
		if end < 0 {
			end = len(msg) - i
		}
		return errors.New(msg[i : i+end])
	}
	return errors.New(short(msg))
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
