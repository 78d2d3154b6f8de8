package wikibase

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

// Config configures a Client. Zero values get the documented defaults.
type Config struct {
	APIURL     string // e.g. https://www.wikidata.org/w/api.php
	UserAgent  string // required by Wikimedia's User-Agent policy
	Maxlag     int    // seconds; default 5
	MaxRetries int    // retries of reads; default 4
	HTTPClient *http.Client
	Logger     *slog.Logger
	Tags       []string // change tags added to every edit
}

// Credentials are a user's OAuth 1.0a consumer and access tokens.
type Credentials struct {
	ConsumerKey, ConsumerSecret, Token, TokenSecret string
}

// Client talks to a Wikibase Action API. Reads retry by themselves; writes do not (see EditEntity).
type Client struct {
	cfg    Config
	http   *http.Client
	log    *slog.Logger
	signed bool

	mu    sync.Mutex
	token string
}

// NewClient builds a client; creds nil gives an anonymous, read-only client.
func NewClient(cfg Config, creds *Credentials) (*Client, error) {
	if cfg.APIURL == "" {
		return nil, errors.New("wikibase client: APIURL is required")
	}
	if _, err := url.Parse(cfg.APIURL); err != nil {
		return nil, fmt.Errorf("wikibase client: APIURL: %w", err)
	}
	if cfg.UserAgent == "" {
		return nil, errors.New("wikibase client: UserAgent is required")
	}
	if cfg.Maxlag == 0 {
		cfg.Maxlag = 5
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 60 * time.Second}
	}
	c := &Client{cfg: cfg, http: base, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if creds != nil {
		ctx := context.WithValue(context.Background(), oauth1.HTTPClient, base)
		signed := oauth1.NewConfig(creds.ConsumerKey, creds.ConsumerSecret).Client(ctx, oauth1.NewToken(creds.Token, creds.TokenSecret))
		signed.Timeout = base.Timeout
		c.http, c.signed = signed, true
	}
	return c, nil
}

func (c *Client) baseParams(p url.Values) url.Values {
	p.Set("format", "json")
	p.Set("formatversion", "2")
	p.Set("errorformat", "plaintext")
	p.Set("maxlag", strconv.Itoa(c.cfg.Maxlag))
	return p
}

// send does one request and classifies the answer; retryable tells whether a read may retry.
func (c *Client) send(ctx context.Context, method string, p url.Values) (body []byte, retryable, sent bool, err error) {
	var req *http.Request
	if method == http.MethodPost {
		// The token goes last so a truncated body cannot carry a valid token.
		tok := p.Get("token")
		p.Del("token")
		enc := p.Encode()
		if tok != "" {
			enc += "&token=" + url.QueryEscape(tok)
		}
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL, strings.NewReader(enc))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL+"?"+p.Encode(), nil)
	}
	if err != nil {
		return nil, false, false, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, ctx.Err() == nil, true, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"))
	if err != nil {
		return nil, ctx.Err() == nil, true, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, true, true, &APIError{Code: "http-" + strconv.Itoa(resp.StatusCode), Info: http.StatusText(resp.StatusCode), RetryAfter: retryAfter, HTTPStatus: resp.StatusCode}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, true, &APIError{Code: "http-" + strconv.Itoa(resp.StatusCode), Info: http.StatusText(resp.StatusCode), HTTPStatus: resp.StatusCode}
	}
	if ae := parseAPIError(body); ae != nil {
		ae.HTTPStatus = resp.StatusCode
		ae.RetryAfter = retryAfter
		return nil, ae.Code == "maxlag", true, ae
	}
	return body, false, true, nil
}

func parseRetryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// read does a GET, retrying maxlag, 429, 5xx and network errors with jittered exponential
// backoff that honours Retry-After, up to MaxRetries times.
func (c *Client) read(ctx context.Context, p url.Values) ([]byte, error) {
	p = c.baseParams(p)
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		body, retryable, _, err := c.send(ctx, http.MethodGet, p)
		if err == nil || !retryable || attempt >= c.cfg.MaxRetries {
			return body, err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if ae := asAPIError(err); ae != nil && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		wait = min(wait, 2*time.Minute)
		c.log.WarnContext(ctx, "wikibase read retry", "action", p.Get("action"), "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting to retry after %v: %w", err, ctx.Err())
		case <-time.After(wait):
		}
		backoff *= 2
	}
}

// write does one POST. Answers that prove the edit was not applied (API errors, 429) come
// back as *APIError; anything else that failed after sending wraps ErrOutcomeUnknown.
func (c *Client) write(ctx context.Context, p url.Values) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing sent yet: definitely not applied
	}
	p = c.baseParams(p)
	if c.signed {
		p.Set("assert", "user")
	}
	body, _, sent, err := c.send(ctx, http.MethodPost, p)
	if err == nil {
		return body, nil
	}
	if ae := asAPIError(err); ae != nil {
		if ae.HTTPStatus >= 500 {
			return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
		}
		return nil, err
	}
	if sent {
		return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return nil, err
}

// GetEntities fetches entities in batches of 50 (the API's limit). Ids the wiki does not
// have come back with Missing set.
func (c *Client) GetEntities(ctx context.Context, ids []string) (map[string]*Entity, error) {
	out := make(map[string]*Entity, len(ids))
	for start := 0; start < len(ids); start += 50 {
		batch := ids[start:min(start+50, len(ids))]
		p := url.Values{"action": {"wbgetentities"}, "ids": {strings.Join(batch, "|")}}
		body, err := c.read(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("get entities %s: %w", strings.Join(batch, "|"), err)
		}
		var ans struct {
			Entities map[string]*Entity `json:"entities"`
		}
		if err := json.Unmarshal(body, &ans); err != nil {
			return nil, fmt.Errorf("get entities: decode answer: %w", err)
		}
		for id, e := range ans.Entities {
			out[id] = e
		}
	}
	return out, nil
}

// SearchHit is one item found by wbsearchentities.
type SearchHit struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Match       struct {
		Type     string `json:"type"`
		Language string `json:"language"`
		Text     string `json:"text"`
	} `json:"match"`
}

// SearchEntities finds items by label or alias.
func (c *Client) SearchEntities(ctx context.Context, search, language string, limit int) ([]SearchHit, error) {
	p := url.Values{"action": {"wbsearchentities"}, "search": {search}, "language": {language},
		"uselang": {language}, "type": {"item"}, "limit": {strconv.Itoa(limit)}}
	body, err := c.read(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", search, err)
	}
	var ans struct {
		Search []SearchHit `json:"search"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("search %q: decode answer: %w", search, err)
	}
	return ans.Search, nil
}

// CSRFToken returns the cached edit token, fetching it on first use.
func (c *Client) CSRFToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	body, err := c.read(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"csrf"}})
	if err != nil {
		return "", fmt.Errorf("fetch csrf token: %w", err)
	}
	var ans struct {
		Query struct {
			Tokens struct {
				CSRFToken string `json:"csrftoken"`
			} `json:"tokens"`
		} `json:"query"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Query.Tokens.CSRFToken == "" {
		return "", fmt.Errorf("fetch csrf token: no token in answer")
	}
	// "+\" is the anonymous token: it would only lead to a confusing failure at save time.
	if ans.Query.Tokens.CSRFToken == `+\` {
		return "", &APIError{Code: "assertuserfailed", Info: "not logged in: got the anonymous token"}
	}
	c.mu.Lock()
	c.token = ans.Query.Tokens.CSRFToken
	c.mu.Unlock()
	return ans.Query.Tokens.CSRFToken, nil
}

// EditRequest is one wbeditentity call: ID for an existing entity or New ("item").
type EditRequest struct {
	ID        string
	New       string
	Data      json.RawMessage
	BaseRevID int64
	Summary   string
}

// EditResult is the saved entity.
type EditResult struct {
	ID        string
	LastRevID int64
	Entity    *Entity
}

// EditEntity saves an edit. It never resends on its own: maxlag, ratelimited and HTTP 429
// answers (the edit was not applied) come back as *APIError with RetryAfter for the caller's
// pacer; timeouts, 5xx and broken connections wrap ErrOutcomeUnknown because the edit may
// have been saved. Only badtoken is retried, once, with a fresh token: it is refused before
// any change.
func (c *Client) EditEntity(ctx context.Context, req EditRequest) (*EditResult, error) {
	what := req.ID
	if what == "" {
		what = "new " + req.New
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.CSRFToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("edit %s: %w", what, err)
		}
		p := url.Values{"action": {"wbeditentity"}, "data": {string(req.Data)}, "token": {tok}}
		if req.ID != "" {
			p.Set("id", req.ID)
		}
		if req.New != "" {
			p.Set("new", req.New)
		}
		if req.BaseRevID > 0 {
			p.Set("baserevid", strconv.FormatInt(req.BaseRevID, 10))
		}
		if req.Summary != "" {
			p.Set("summary", req.Summary)
		}
		if len(c.cfg.Tags) > 0 {
			p.Set("tags", strings.Join(c.cfg.Tags, "|"))
		}
		body, err := c.write(ctx, p)
		if ae := asAPIError(err); ae != nil && ae.Code == "badtoken" && attempt == 0 {
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("edit %s: %w", what, err)
		}
		var ans struct {
			Entity *Entity `json:"entity"`
		}
		if err := json.Unmarshal(body, &ans); err != nil || ans.Entity == nil {
			return nil, fmt.Errorf("edit %s: %w: unreadable answer", what, ErrOutcomeUnknown)
		}
		return &EditResult{ID: ans.Entity.ID, LastRevID: ans.Entity.LastRevID, Entity: ans.Entity}, nil
	}
}

// UserInfo is the logged-in user as the wiki sees them.
type UserInfo struct {
	Name    string
	Blocked bool
	Groups  []string
	Rights  []string
}

// UserInfo fetches the user's name, groups, rights and block.
func (c *Client) UserInfo(ctx context.Context) (*UserInfo, error) {
	body, err := c.read(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "uiprop": {"blockinfo|groups|rights"}})
	if err != nil {
		return nil, fmt.Errorf("user info: %w", err)
	}
	var ans struct {
		Query struct {
			UserInfo struct {
				Name    string   `json:"name"`
				BlockID int64    `json:"blockid"`
				Groups  []string `json:"groups"`
				Rights  []string `json:"rights"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("user info: decode answer: %w", err)
	}
	u := ans.Query.UserInfo
	return &UserInfo{Name: u.Name, Blocked: u.BlockID != 0, Groups: u.Groups, Rights: u.Rights}, nil
}

// Revision is one saved revision of an entity page.
type Revision struct {
	RevID     int64     `json:"revid"`
	ParentID  int64     `json:"parentid"`
	User      string    `json:"user"`
	Timestamp time.Time `json:"timestamp"`
	Comment   string    `json:"comment"`
}

// Revisions lists an item's latest revisions, newest first, optionally only by user; used
// after an unknown outcome to find whether our edit was saved.
func (c *Client) Revisions(ctx context.Context, qid, user string, limit int) ([]Revision, error) {
	p := url.Values{"action": {"query"}, "prop": {"revisions"}, "titles": {qid},
		"rvprop": {"ids|comment|user|timestamp"}, "rvlimit": {strconv.Itoa(limit)}, "rvdir": {"older"}}
	if user != "" {
		p.Set("rvuser", user)
	}
	body, err := c.read(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("revisions of %s: %w", qid, err)
	}
	var ans struct {
		Query struct {
			Pages []struct {
				Missing   bool       `json:"missing"`
				Revisions []Revision `json:"revisions"`
			} `json:"pages"`
		} `json:"query"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("revisions of %s: decode answer: %w", qid, err)
	}
	if len(ans.Query.Pages) == 0 {
		return nil, nil
	}
	return ans.Query.Pages[0].Revisions, nil
}
