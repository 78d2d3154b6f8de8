package wikidata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/oauth1"
)

// Config describes a Wikibase Action API and how to talk to it.
type Config struct {
	APIURL     string // e.g. https://www.wikidata.org/w/api.php
	UserAgent  string
	Maxlag     int           // seconds; default 5
	MaxRetries int           // for reads; default 5
	MaxWait    time.Duration // longest single wait; default 2 min
	Timeout    time.Duration // per request; default 60 s
	Tags       []string      // change tags for edits (must be registered on the wiki)
	HTTPClient *http.Client  // default: a client of its own
	Logger     *slog.Logger
}

// Credentials are a consumer and a user's access token (OAuth 1.0a).
type Credentials struct {
	ConsumerKey, ConsumerSecret, Token, TokenSecret string
}

// Client calls one Wikibase API, anonymously or as one user.
type Client struct {
	cfg    Config
	http   *http.Client
	signed bool

	mu    sync.Mutex
	token string
}

// NewClient builds a client; creds nil means anonymous (reads only).
func NewClient(cfg Config, creds *Credentials) (*Client, error) {
	u, err := url.Parse(cfg.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q is not an http(s) URL", cfg.APIURL)
	}
	if u.Path == "" {
		// An empty path is signed as "/" by the wiki (RFC 5849 §3.4.1.2).
		cfg.APIURL += "/"
	}
	if cfg.Maxlag <= 0 {
		cfg.Maxlag = 5
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 2 * time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c := &Client{cfg: cfg, http: &http.Client{Transport: base.Transport, Timeout: cfg.Timeout}}
	if creds != nil {
		// The signing transport wraps the base client found in the context.
		ctx := context.WithValue(context.Background(), oauth1.HTTPClient, base)
		c.http = oauth1.NewConfig(creds.ConsumerKey, creds.ConsumerSecret).Client(ctx, oauth1.NewToken(creds.Token, creds.TokenSecret))
		c.http.Timeout = cfg.Timeout
		c.signed = true
	}
	return c, nil
}

// call sends one request and decodes the answer into out. It returns
// *APIError for error answers, and a transport error otherwise.
func (c *Client) call(ctx context.Context, method string, params url.Values, out any) error {
	params.Set("format", "json")
	params.Set("formatversion", "2")
	params.Set("errorformat", "plaintext")
	params.Set("maxlag", strconv.Itoa(c.cfg.Maxlag))
	var req *http.Request
	var err error
	if method == http.MethodPost {
		// The token goes last, as MediaWiki advises, so a cut body fails.
		tok := params.Get("token")
		params.Del("token")
		body := params.Encode()
		if tok != "" {
			body += "&token=" + url.QueryEscape(tok)
		}
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL+"?"+params.Encode(), nil)
	}
	if err != nil {
		return err
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &transportError{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &transportError{err: err}
	}
	if apiErr := parseAPIError(body, resp.Header, resp.StatusCode); apiErr != nil {
		return apiErr
	}
	if resp.StatusCode != http.StatusOK {
		return &httpError{status: resp.StatusCode, retryAfter: retryAfter(resp.Header), body: short(string(body))}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("the API at %s answered something that is not its JSON: %s", c.cfg.APIURL, short(string(body)))
		}
	}
	return nil
}

type transportError struct{ err error }

func (e *transportError) Error() string { return "request to the wiki failed: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

type httpError struct {
	status     int
	retryAfter time.Duration
	body       string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("the wiki answered HTTP %d: %s", e.status, e.body)
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// read sends a read request, waiting out maxlag and retrying 429, 5xx and
// network errors with jittered exponential backoff (honouring Retry-After).
func (c *Client) read(ctx context.Context, params url.Values, out any) error {
	var last error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		err := c.call(ctx, http.MethodGet, cloneValues(params), out)
		if err == nil {
			return nil
		}
		last = err
		wait, retry := c.retryWait(err, attempt)
		if !retry || attempt == c.cfg.MaxRetries || ctx.Err() != nil {
			break
		}
		c.cfg.Logger.Warn("wiki read will be retried", "api", c.cfg.APIURL, "wait", wait, "err", err)
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
	}
	return last
}

// retryWait says whether a failed read may be retried, and after how long.
func (c *Client) retryWait(err error, attempt int) (time.Duration, bool) {
	backoff := func(hint time.Duration) time.Duration {
		if hint > 0 {
			return min(hint, c.cfg.MaxWait)
		}
		base := time.Second << attempt
		return min(base/2+rand.N(base/2+1), c.cfg.MaxWait)
	}
	var (
		ae *APIError
		he *httpError
		te *transportError
	)
	switch {
	case errors.As(err, &ae) && (ae.Code == "maxlag" || IsRateLimited(err)):
		if ae.RetryAfter == 0 {
			ae.RetryAfter = 5 * time.Second
		}
		return backoff(ae.RetryAfter), true
	case errors.As(err, &he) && (he.status == http.StatusTooManyRequests || he.status >= 500):
		return backoff(he.retryAfter), true
	case errors.As(err, &te):
		return backoff(0), true
	}
	return 0, false
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// GetEntities reads entities in batches of 50 ids. Ids the wiki does not
// know come back with Missing set.
func (c *Client) GetEntities(ctx context.Context, ids []string) (map[string]*Entity, error) {
	out := map[string]*Entity{}
	for len(ids) > 0 {
		n := min(len(ids), 50)
		batch := ids[:n]
		ids = ids[n:]
		var r struct {
			Entities map[string]*Entity `json:"entities"`
		}
		err := c.read(ctx, url.Values{"action": {"wbgetentities"}, "ids": {strings.Join(batch, "|")}, "props": {"info|labels|descriptions|claims"}}, &r)
		if err != nil {
			return nil, fmt.Errorf("read items %s…: %w", batch[0], err)
		}
		for id, e := range r.Entities {
			if e.ID == "" {
				e.ID = id
			}
			out[id] = e
		}
	}
	return out, nil
}

// SearchHit is one result of wbsearchentities.
type SearchHit struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// SearchEntities searches items by label or alias (folding case and
// diacritics, as the wiki's search does).
func (c *Client) SearchEntities(ctx context.Context, search, language string, limit int) ([]SearchHit, error) {
	var r struct {
		Search []SearchHit `json:"search"`
	}
	err := c.read(ctx, url.Values{"action": {"wbsearchentities"}, "search": {search}, "language": {language}, "strictlanguage": {"false"},
		"type": {"item"}, "limit": {strconv.Itoa(limit)}}, &r)
	return r.Search, err
}

// UserInfo is who the credentials belong to.
type UserInfo struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Anon    bool     `json:"anon"`
	Blocked bool     `json:"-"`
	BlockID int64    `json:"blockid"`
	Groups  []string `json:"groups"`
	Rights  []string `json:"rights"`
}

// UserInfo asks who the credentials belong to and whether they are blocked.
func (c *Client) UserInfo(ctx context.Context) (*UserInfo, error) {
	var r struct {
		Query struct {
			UserInfo UserInfo `json:"userinfo"`
		} `json:"query"`
	}
	if err := c.read(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "uiprop": {"blockinfo|groups|rights"}}, &r); err != nil {
		return nil, err
	}
	u := r.Query.UserInfo
	u.Blocked = u.BlockID != 0
	return &u, nil
}

// CSRFToken fetches (once, then cached) the token writes need.
func (c *Client) CSRFToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	var r struct {
		Query struct {
			Tokens struct {
				CSRF string `json:"csrftoken"`
			} `json:"tokens"`
		} `json:"query"`
	}
	if err := c.read(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"csrf"}}, &r); err != nil {
		return "", fmt.Errorf("get an edit token: %w", err)
	}
	if r.Query.Tokens.CSRF == "" || r.Query.Tokens.CSRF == "+\\" {
		return "", &APIError{Code: "assertuserfailed", Info: "the wiki gave an anonymous edit token: the authorization is not valid"}
	}
	c.mu.Lock()
	c.token = r.Query.Tokens.CSRF
	c.mu.Unlock()
	return r.Query.Tokens.CSRF, nil
}

// EditRequest is one wbeditentity call.
type EditRequest struct {
	ID        string // the item to edit, or "" with New
	New       string // "item" to create one
	Data      json.RawMessage
	BaseRevID int64
	Summary   string
}

// EditResult is what an edit made.
type EditResult struct {
	ID        string
	LastRevID int64
}

// EditEntity sends one wbeditentity. Writes are never retried blindly: an
// answer lost after sending returns an error wrapping ErrOutcomeUnknown; an
// API error (maxlag, ratelimited, editconflict...) means nothing was applied
// and comes back as *APIError with RetryAfter, for the caller's pacer to
// decide. Only a stale token (badtoken) is renewed and sent again, once.
func (c *Client) EditEntity(ctx context.Context, req EditRequest) (*EditResult, error) {
	if !c.signed {
		return nil, errors.New("edits need the user's credentials")
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.CSRFToken(ctx)
		if err != nil {
			return nil, err
		}
		params := url.Values{"action": {"wbeditentity"}, "data": {string(req.Data)}, "assert": {"user"}, "summary": {req.Summary}, "token": {tok}}
		if req.New != "" {
			params.Set("new", req.New)
		} else {
			params.Set("id", req.ID)
			if req.BaseRevID > 0 {
				params.Set("baserevid", strconv.FormatInt(req.BaseRevID, 10))
			}
		}
		if len(c.cfg.Tags) > 0 {
			params.Set("tags", strings.Join(c.cfg.Tags, "|"))
		}
		var r struct {
			Entity struct {
				ID        string `json:"id"`
				LastRevID int64  `json:"lastrevid"`
			} `json:"entity"`
			Success int `json:"success"`
		}
		err = c.call(ctx, http.MethodPost, params, &r)
		if codeOf(err) == "badtoken" && attempt == 0 {
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
			continue
		}
		var (
			te *transportError
			he *httpError
		)
		switch {
		case err == nil:
			if r.Entity.ID == "" || r.Entity.LastRevID == 0 {
				return nil, fmt.Errorf("%w: the answer names no revision", ErrOutcomeUnknown)
			}
			return &EditResult{ID: r.Entity.ID, LastRevID: r.Entity.LastRevID}, nil
		case errors.As(err, &te), ctx.Err() != nil:
			return nil, fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
		case errors.As(err, &he):
			if he.status == http.StatusTooManyRequests {
				return nil, &APIError{Code: "ratelimited", Info: "HTTP 429 Too Many Requests", RetryAfter: he.retryAfter, HTTPStatus: 429}
			}
			return nil, fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
		}
		return nil, err
	}
}

// Revision is one revision of a page.
type Revision struct {
	RevID     int64     `json:"revid"`
	User      string    `json:"user"`
	Comment   string    `json:"comment"`
	Timestamp time.Time `json:"timestamp"`
	Title     string    `json:"-"`
}

// Revisions lists a page's latest revisions by user, newest first.
func (c *Client) Revisions(ctx context.Context, title, user string, limit int) ([]Revision, error) {
	var r struct {
		Query struct {
			Pages []struct {
				Revisions []Revision `json:"revisions"`
			} `json:"pages"`
		} `json:"query"`
	}
	err := c.read(ctx, url.Values{"action": {"query"}, "prop": {"revisions"}, "titles": {title}, "rvprop": {"ids|user|comment|timestamp"},
		"rvuser": {user}, "rvlimit": {strconv.Itoa(limit)}}, &r)
	if err != nil {
		return nil, err
	}
	var out []Revision
	for _, p := range r.Query.Pages {
		out = append(out, p.Revisions...)
	}
	return out, nil
}

// Contributions lists a user's latest edits (revision, page title, summary),
// newest first; since, if not zero, bounds how far back.
func (c *Client) Contributions(ctx context.Context, user string, since time.Time, limit int) ([]Revision, error) {
	params := url.Values{"action": {"query"}, "list": {"usercontribs"}, "ucuser": {user}, "ucprop": {"ids|title|comment|timestamp"}, "uclimit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		params.Set("ucend", since.UTC().Format(time.RFC3339))
	}
	var r struct {
		Query struct {
			UserContribs []struct {
				RevID     int64     `json:"revid"`
				Title     string    `json:"title"`
				Comment   string    `json:"comment"`
				Timestamp time.Time `json:"timestamp"`
			} `json:"usercontribs"`
		} `json:"query"`
	}
	if err := c.read(ctx, params, &r); err != nil {
		return nil, err
	}
	var out []Revision
	for _, u := range r.Query.UserContribs {
		out = append(out, Revision{RevID: u.RevID, User: user, Comment: u.Comment, Timestamp: u.Timestamp, Title: u.Title})
	}
	return out, nil
}
