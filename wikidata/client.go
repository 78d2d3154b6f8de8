package wikidata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/oauth1"

	"partnerhub/sparql"
)

// Config describes a Wikibase Action API and how to talk to it.
type Config struct {
	APIURL     string // e.g. https://www.wikidata.org/w/api.php
	UserAgent  string
	Maxlag     int           // seconds; default 5
	MaxRetries int           // for reads; default 5
	MaxWait    time.Duration // longest single wait; default 2 min
	Timeout    time.Duration // per request; default 60 s
	Tag        string        // change tag added to every edit (must be registered on the wiki); "" for none
	HTTPClient *http.Client  // its transport is used, never changed; default: a clone of the default transport
	Logger     *slog.Logger
}

// Credentials are a consumer and a user's access token (OAuth 1.0a).
type Credentials struct {
	ConsumerKey, ConsumerSecret, Token, TokenSecret string
}

// Client calls one Wikibase API, anonymously or as one user. It is safe for
// concurrent use.
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
	if cfg.UserAgent == "" {
		// Wikimedia refuses requests without a descriptive User-Agent.
		return nil, errors.New("a User-Agent naming the tool and a contact is required (Wikimedia's User-Agent policy)")
	}
	base := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = &http.Client{Transport: cfg.HTTPClient.Transport}
	}
	c := &Client{cfg: cfg, http: &http.Client{Transport: base.Transport, Timeout: cfg.Timeout}}
	if creds != nil {
		if creds.ConsumerKey == "" || creds.Token == "" {
			return nil, errors.New("OAuth credentials need a consumer key and an access token")
		}
		// The signing transport wraps the base client found in the context.
		ctx := context.WithValue(context.Background(), oauth1.HTTPClient, base)
		c.http = oauth1.NewConfig(creds.ConsumerKey, creds.ConsumerSecret).Client(ctx, oauth1.NewToken(creds.Token, creds.TokenSecret))
		c.http.Timeout = cfg.Timeout
		c.signed = true
	}
	return c, nil
}

// FilePart is a file sent with a write as multipart/form-data (the file
// or chunk of action=upload).
type FilePart struct {
	Field string // "file" or "chunk"
	Name  string // the file name the part carries
	Body  []byte
}

// call sends one request and decodes the answer into out. It returns
// *APIError for error answers, and a transport error otherwise. A POST with
// a file goes as multipart/form-data, which OAuth 1.0a leaves out of the
// signature (only a form-urlencoded body is signed).
func (c *Client) call(ctx context.Context, method string, params url.Values, file *FilePart, out any) error {
	params.Set("format", "json")
	params.Set("formatversion", "2")
	params.Set("errorformat", "plaintext")
	params.Set("maxlag", strconv.Itoa(c.cfg.Maxlag))
	var req *http.Request
	var err error
	switch {
	case method == http.MethodPost && file != nil:
		var body bytes.Buffer
		ctype, merr := multipartBody(&body, params, file)
		if merr != nil {
			return merr
		}
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL, &body)
		if err == nil {
			req.Header.Set("Content-Type", ctype)
		}
	case method == http.MethodPost:
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
	default:
		req, err = http.NewRequestWithContext(ctx, method, c.cfg.APIURL+"?"+params.Encode(), nil)
	}
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return &transportError{err: err, notSent: notSent(err)}
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

type transportError struct {
	err     error
	notSent bool // the connection was never made: a write cannot have been applied
}

// notSent says whether err happened before any byte of the request left.
func notSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return (errors.As(err, &op) && op.Op == "dial") || errors.As(err, &dns)
}

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
		err := c.call(ctx, http.MethodGet, cloneValues(params), nil, out)
		if err == nil {
			return nil
		}
		last = err
		wait, retry := c.retryWait(err, attempt)
		if !retry || attempt == c.cfg.MaxRetries || ctx.Err() != nil {
			break
		}
		c.cfg.Logger.Warn("wiki read will be retried", "api", c.cfg.APIURL, "wait", wait, "err", err)
		if err := sparql.Sleep(ctx, wait); err != nil {
			// Say what the wiki answered, not only that time ran out.
			return fmt.Errorf("%w while waiting to retry; the wiki's last answer: %v", err, last)
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

// GetEntities reads entities (info, labels, descriptions, aliases, claims:
// what DiffItem needs) in requests of at most 50 ids, the API's limit. Ids
// the wiki does not know come back with Missing set, not as an error; a
// redirected id comes back under the id asked for, holding the target.
func (c *Client) GetEntities(ctx context.Context, ids []string) (map[string]*Entity, error) {
	return c.getEntities(ctx, ids, "items", true, url.Values{"props": {"info|labels|descriptions|aliases|claims"}})
}

// getEntities reads entities with wbgetentities and the extra params, in
// requests of at most 50 ids; what ("items") names them in an error.
// Missing ones are kept (with Missing set) only if keepMissing.
func (c *Client) getEntities(ctx context.Context, ids []string, what string, keepMissing bool, extra url.Values) (map[string]*Entity, error) {
	out := map[string]*Entity{}
	for len(ids) > 0 {
		n := min(len(ids), 50)
		batch := ids[:n]
		ids = ids[n:]
		var r struct {
			Entities map[string]*Entity `json:"entities"`
		}
		params := url.Values{"action": {"wbgetentities"}, "ids": {strings.Join(batch, "|")}}
		for k, v := range extra {
			params[k] = v
		}
		if err := c.read(ctx, params, &r); err != nil {
			return nil, fmt.Errorf("read %s %s…: %w", what, batch[0], err)
		}
		for id, e := range r.Entities {
			if e == nil || (e.Missing && !keepMissing) {
				continue
			}
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
	ConceptURI  string `json:"concepturi"`
	// Match is the label or alias that matched, which may be in another
	// language than the one asked for.
	Match struct {
		Type     string `json:"type"` // label, alias, entityId
		Language string `json:"language"`
		Text     string `json:"text"`
	} `json:"match"`
}

// SearchEntities searches items by label or alias, as the wiki's search box
// does (prefix match, folding case and diacritics), in language with
// fallback to other languages (strictlanguage=false). limit is 1 to 50;
// 0 means the wiki's default of 7.
func (c *Client) SearchEntities(ctx context.Context, search, language string, limit int) ([]SearchHit, error) {
	var r struct {
		Search []SearchHit `json:"search"`
	}
	if err := c.searchType(ctx, "item", search, language, limit, &r); err != nil {
		return nil, fmt.Errorf("search items for %q: %w", search, err)
	}
	return r.Search, nil
}

// PropertyHit is one property found by SearchProperties: a search hit
// with the property's datatype (e.g. "external-id", "time",
// "wikibase-item"), which wbsearchentities adds for properties.
type PropertyHit struct {
	SearchHit
	Datatype string `json:"datatype"`
}

// SearchProperties searches properties by label or alias ("date of birth"
// finds P569), as the wiki's property selector does; a property id
// ("P569") finds that property. limit is 1 to 50; 0 means 7.
func (c *Client) SearchProperties(ctx context.Context, search, language string, limit int) ([]PropertyHit, error) {
	var r struct {
		Search []PropertyHit `json:"search"`
	}
	if err := c.searchType(ctx, "property", search, language, limit, &r); err != nil {
		return nil, fmt.Errorf("search properties for %q: %w", search, err)
	}
	return r.Search, nil
}

func (c *Client) searchType(ctx context.Context, typ, search, language string, limit int, out any) error {
	if limit <= 0 {
		limit = 7
	}
	limit = min(limit, 50)
	// strictlanguage is left out: the API takes a boolean parameter as
	// true whenever it is present, whatever its value ("false" included).
	params := url.Values{"action": {"wbsearchentities"}, "search": {search}, "language": {language},
		"type": {typ}, "limit": {strconv.Itoa(limit)}}
	return c.read(ctx, params, out)
}

// GetProperties reads the labels, descriptions and datatypes of properties
// (at most 50 per request), in the given languages.
func (c *Client) GetProperties(ctx context.Context, ids, languages []string) (map[string]*Entity, error) {
	extra := url.Values{"props": {"labels|descriptions|datatype"}}
	if len(languages) > 0 {
		extra.Set("languages", strings.Join(languages, "|"))
		extra.Set("languagefallback", "1")
	}
	return c.getEntities(ctx, ids, "properties", false, extra)
}

// UserInfo is who the credentials belong to, and what the wiki lets them do.
type UserInfo struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Anon        bool     `json:"anon"`
	Blocked     bool     `json:"-"`
	BlockID     int64    `json:"blockid"`
	BlockedBy   string   `json:"blockedby"`
	BlockReason string   `json:"blockreason"`
	BlockExpiry string   `json:"blockexpiry"`
	Groups      []string `json:"groups"`
	Rights      []string `json:"rights"`
	// RateLimits is the user's limits per action and class, e.g.
	// RateLimits["edit"]["user"] = {Hits: 90, Seconds: 60}.
	RateLimits map[string]map[string]RateLimit `json:"ratelimits"`
}

// RateLimit is a number of hits allowed per period.
type RateLimit struct {
	Hits    int `json:"hits"`
	Seconds int `json:"seconds"`
}

// HasRight says whether the user holds a right (e.g. "edit", "createpage").
func (u *UserInfo) HasRight(right string) bool {
	for _, r := range u.Rights {
		if r == right {
			return true
		}
	}
	return false
}

// UserInfo asks who the credentials belong to, whether they are blocked and
// their rate limits; it is how to check that a user's token still works.
func (c *Client) UserInfo(ctx context.Context) (*UserInfo, error) {
	var r struct {
		Query struct {
			UserInfo UserInfo `json:"userinfo"`
		} `json:"query"`
	}
	params := url.Values{"action": {"query"}, "meta": {"userinfo"}, "uiprop": {"blockinfo|groups|rights|ratelimits"}}
	if err := c.read(ctx, params, &r); err != nil {
		return nil, fmt.Errorf("ask the wiki who the user is: %w", err)
	}
	u := r.Query.UserInfo
	u.Blocked = u.BlockID != 0
	return &u, nil
}

// CSRFToken returns the token writes need, fetched on first use and cached
// until the wiki calls it bad.
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
		// "+\\" is the token of anonymous users: the wiki did not take the
		// request as the user's.
		return "", &APIError{Code: "assertuserfailed", Info: "the wiki gave an anonymous edit token: the authorization is not valid"}
	}
	c.mu.Lock()
	c.token = r.Query.Tokens.CSRF
	c.mu.Unlock()
	return r.Query.Tokens.CSRF, nil
}

func (c *Client) dropToken(bad string) {
	c.mu.Lock()
	if c.token == bad {
		c.token = ""
	}
	c.mu.Unlock()
}

// EditRequest is one wbeditentity call: ID to edit an entity, or New
// ("item") to create one.
type EditRequest struct {
	ID        string
	New       string
	Data      json.RawMessage // from EditPayload or NewItemPayload
	BaseRevID int64           // the revision the edit was computed from; 0 for none
	Summary   string
	Tags      []string // added to Config.Tag
	Bot       bool     // mark as a bot edit (needs the bot right); Partnerhub's edits are the user's, so false
}

// EditResult is what an edit made: the entity after the edit, and its new
// revision id.
type EditResult struct {
	ID        string
	LastRevID int64
	NoChange  bool    // the wiki saw nothing to change; LastRevID is the current one
	Entity    *Entity // as the wiki answers it (claims with their new ids)
	// Warnings the wiki gave with its success, e.g.
	// wikibase-conflict-patched: the item had changed since BaseRevID and
	// Wikibase applied the edit onto the latest revision anyway.
	Warnings []Warning
}

// Patched says Wikibase patched the edit onto a newer revision than the
// base revision (warning wikibase-conflict-patched): the saved item may hold
// what someone else added meanwhile next to what this edit added.
func (r *EditResult) Patched() bool {
	for _, w := range r.Warnings {
		if w.Code == "wikibase-conflict-patched" {
			return true
		}
	}
	return false
}

// EditEntity sends one wbeditentity as the user.
//
// Writes are never retried inside the client, except once after badtoken
// (a refused request, nothing applied) with a fresh token. Every other
// failure goes back to the caller, whose pacer and bookkeeping decide:
//
//   - an answer that says nothing was applied (maxlag, ratelimited,
//     failed-save, editconflict, HTTP 429, readonly, blocked...) comes back
//     as *APIError, with RetryAfter when the wiki gave one (HTTP 429 is
//     turned into code "ratelimited"); use IsMaxlag, IsRateLimited,
//     IsEditConflict and IsFatalForUser to tell them apart;
//   - a request that may have been applied (a time-out or dropped
//     connection after sending, HTTP 5xx, an answer that cannot be read)
//     comes back wrapping ErrOutcomeUnknown: re-read the item (its
//     lastrevid and the user's revisions) before sending again.
func (c *Client) EditEntity(ctx context.Context, req EditRequest) (*EditResult, error) {
	if !c.signed {
		return nil, errors.New("edits need the user's credentials")
	}
	if (req.ID == "") == (req.New == "") {
		return nil, errors.New("an edit names either the entity to edit or the type of a new one")
	}
	what := req.ID
	if what == "" {
		what = "a new " + req.New
	}
	params := url.Values{"action": {"wbeditentity"}, "data": {string(req.Data)}}
	if req.Summary != "" {
		params.Set("summary", req.Summary)
	}
	if req.New != "" {
		params.Set("new", req.New)
	} else {
		params.Set("id", req.ID)
		if req.BaseRevID > 0 {
			params.Set("baserevid", strconv.FormatInt(req.BaseRevID, 10))
		}
	}
	if req.Bot {
		params.Set("bot", "1")
	}
	var r struct {
		Entity   *Entity         `json:"entity"`
		Success  int             `json:"success"`
		NoChange json.RawMessage `json:"nochange"` // "" in format version 1, true in 2
		Warnings json.RawMessage `json:"warnings"`
	}
	if err := c.Write(ctx, "edit "+what, params, req.Tags, nil, &r); err != nil {
		return nil, err
	}
	if r.Entity == nil || r.Entity.ID == "" || r.Entity.LastRevID == 0 {
		return nil, fmt.Errorf("edit %s: %w: the answer names no revision", what, ErrOutcomeUnknown)
	}
	res := &EditResult{ID: r.Entity.ID, LastRevID: r.Entity.LastRevID, NoChange: len(r.NoChange) > 0 && string(r.NoChange) != "false", Entity: r.Entity}
	res.Warnings = parseWarnings(r.Warnings)
	return res, nil
}

// Write sends one write request (a POST with a CSRF token, assert=user and
// the change tags: Config.Tag and extra) as the user, with file as
// multipart/form-data if not nil, and decodes the answer into out. what
// (e.g. "edit Q42", "upload File:A.jpg") starts every error's text.
//
// Writes are never retried here, except once after badtoken (a refused
// request, nothing applied) with a fresh token. Every other failure goes
// back to the caller:
//
//   - an answer that says nothing was applied comes back as *APIError, with
//     RetryAfter when the wiki gave one (HTTP 429 is turned into code
//     "ratelimited");
//   - a request that cannot have left wraps ErrNotSent;
//   - a request that may have been applied (a time-out or dropped
//     connection after sending, HTTP 5xx, an answer that cannot be read)
//     wraps ErrOutcomeUnknown: look before sending again.
func (c *Client) Write(ctx context.Context, what string, params url.Values, extraTags []string, file *FilePart, out any) error {
	if !c.signed {
		return fmt.Errorf("%s: writes need the user's credentials", what)
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.CSRFToken(ctx)
		if err != nil {
			if apiErrorOf(err) == nil {
				err = fmt.Errorf("%w: %w", ErrNotSent, err)
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w: %w", what, ErrNotSent, err)
		}
		p := cloneValues(params)
		p.Set("assert", "user")
		if tags := c.tags(extraTags); tags != "" {
			p.Set("tags", tags)
		}
		p.Set("token", tok)
		err = c.call(ctx, http.MethodPost, p, file, out)
		if codeOf(err) == "badtoken" && attempt == 0 {
			c.cfg.Logger.Info("edit token refused; fetching a new one", "write", what)
			c.dropToken(tok)
			continue
		}
		var (
			te *transportError
			he *httpError
		)
		switch {
		case err == nil:
			return nil
		case errors.As(err, &te) && te.notSent:
			return fmt.Errorf("%s: %w: %w", what, ErrNotSent, err)
		case errors.As(err, &te), ctx.Err() != nil:
			return fmt.Errorf("%s: %w: %w", what, ErrOutcomeUnknown, err)
		case errors.As(err, &he):
			if he.status == http.StatusTooManyRequests {
				return fmt.Errorf("%s: %w", what, &APIError{Code: "ratelimited", Info: "HTTP 429 Too Many Requests", RetryAfter: he.retryAfter, HTTPStatus: he.status})
			}
			return fmt.Errorf("%s: %w: %w", what, ErrOutcomeUnknown, err)
		case codeOf(err) == "":
			// Not an API error, e.g. an answer that is not JSON.
			return fmt.Errorf("%s: %w: %w", what, ErrOutcomeUnknown, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
}

// Query sends a read request (GET), waiting out maxlag and retrying
// throttles, 5xx and network errors as every read of this client does, and
// decodes the answer into out.
func (c *Client) Query(ctx context.Context, params url.Values, out any) error {
	return c.read(ctx, params, out)
}

func (c *Client) tags(extra []string) string {
	var all []string
	if c.cfg.Tag != "" {
		all = append(all, c.cfg.Tag)
	}
	for _, t := range extra {
		if t != "" && !slices.Contains(all, t) {
			all = append(all, t)
		}
	}
	return strings.Join(all, "|")
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

// parseWarnings reads "warnings": a list with errorformat=plaintext, or the
// legacy {"module": {"warnings": "text"}} object.
func parseWarnings(raw json.RawMessage) []Warning {
	if len(raw) == 0 {
		return nil
	}
	var list []Warning
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var legacy map[string]struct {
		Warnings string `json:"warnings"`
		Text     string `json:"*"`
	}
	if json.Unmarshal(raw, &legacy) != nil {
		return nil
	}
	for module, w := range legacy {
		text := w.Warnings + w.Text
		code := ""
		if strings.Contains(text, "patched") {
			code = "wikibase-conflict-patched"
		}
		list = append(list, Warning{Code: code, Text: text, Module: module})
	}
	return list
}

// ChangeTag is a change tag as list=tags describes it.
type ChangeTag struct {
	Name    string   `json:"name"`
	Defined bool     `json:"defined"`
	Active  bool     `json:"active"`
	Source  []string `json:"source"`
}

// ChangeTags lists the wiki's change tags (list=tags) with whether each is
// defined, active and applicable by hand ("manual" source).
func (c *Client) ChangeTags(ctx context.Context) ([]ChangeTag, error) {
	var out []ChangeTag
	params := url.Values{"action": {"query"}, "list": {"tags"}, "tgprop": {"active|defined|source"}, "tglimit": {"max"}}
	for range 100 {
		var r struct {
			Continue map[string]string `json:"continue"`
			Query    struct {
				Tags []ChangeTag `json:"tags"`
			} `json:"query"`
		}
		if err := c.read(ctx, params, &r); err != nil {
			return nil, fmt.Errorf("list the wiki's change tags: %w", err)
		}
		out = append(out, r.Query.Tags...)
		if r.Continue["tgcontinue"] == "" {
			return out, nil
		}
		params = cloneValues(params)
		for k, v := range r.Continue {
			params.Set(k, v)
		}
	}
	return out, nil
}

// ErrTagNotUsable means the configured change tag cannot go on edits.
var ErrTagNotUsable = errors.New("the configured change tag cannot be applied on this wiki")

// CheckTag confirms the wiki lets edits carry the configured change tag
// (Config.Tag): it must be defined for manual use and active, as
// Special:Tags shows. It says nothing when no tag is configured.
func (c *Client) CheckTag(ctx context.Context) error {
	if c.cfg.Tag == "" {
		return nil
	}
	tags, err := c.ChangeTags(ctx)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.Name != c.cfg.Tag {
			continue
		}
		switch {
		case !t.Defined || !slices.Contains(t.Source, "manual"):
			return fmt.Errorf("%w: the tag %q exists on %s but is not defined for manual use (an administrator defines it at Special:Tags)", ErrTagNotUsable, t.Name, c.cfg.APIURL)
		case !t.Active:
			return fmt.Errorf("%w: the tag %q is deactivated on %s (Special:Tags)", ErrTagNotUsable, t.Name, c.cfg.APIURL)
		}
		return nil
	}
	return fmt.Errorf("%w: the tag %q is not registered on %s; an administrator must define it at Special:Tags, or PARTNERHUB_EDIT_TAG must name a tag that is", ErrTagNotUsable, c.cfg.Tag, c.cfg.APIURL)
}

// RevisionContent is an entity as one of its revisions stored it.
type RevisionContent struct {
	RevID    int64
	ParentID int64   // the revision before it; 0 for the page's first
	Entity   *Entity // nil when the wiki holds no content for it (deleted, hidden)
}

// RevisionContents reads revisions' stored entities and parents
// (prop=revisions by revids, main slot), at most 50 a request. Revision ids
// the wiki does not know are left out of the answer.
func (c *Client) RevisionContents(ctx context.Context, revIDs []int64) (map[int64]RevisionContent, error) {
	out := map[int64]RevisionContent{}
	for len(revIDs) > 0 {
		n := min(len(revIDs), 50)
		batch := revIDs[:n]
		revIDs = revIDs[n:]
		ids := make([]string, len(batch))
		for i, r := range batch {
			ids[i] = strconv.FormatInt(r, 10)
		}
		var r struct {
			Query struct {
				Pages []struct {
					Title     string `json:"title"`
					Revisions []struct {
						RevID    int64 `json:"revid"`
						ParentID int64 `json:"parentid"`
						Slots    struct {
							Main struct {
								Content string `json:"content"`
							} `json:"main"`
						} `json:"slots"`
					} `json:"revisions"`
				} `json:"pages"`
			} `json:"query"`
		}
		params := url.Values{"action": {"query"}, "prop": {"revisions"}, "revids": {strings.Join(ids, "|")}, "rvprop": {"ids|content"}, "rvslots": {"main"}}
		if err := c.read(ctx, params, &r); err != nil {
			return nil, fmt.Errorf("read revisions %s…: %w", ids[0], err)
		}
		for _, p := range r.Query.Pages {
			for _, rev := range p.Revisions {
				rc := RevisionContent{RevID: rev.RevID, ParentID: rev.ParentID}
				if rev.Slots.Main.Content != "" {
					var e Entity
					if err := json.Unmarshal([]byte(rev.Slots.Main.Content), &e); err != nil {
						return nil, fmt.Errorf("revision %d of %s holds no entity: %w", rev.RevID, p.Title, err)
					}
					rc.Entity = &e
				}
				out[rev.RevID] = rc
			}
		}
	}
	return out, nil
}

// WithStatement finds items that have a statement of property with a
// string value (an identifier), through the wiki's search
// (haswbstatement, CirrusSearch's WikibaseCirrusSearch keyword): at most
// limit titles, as the search index has them (it lags behind edits a little).
func (c *Client) WithStatement(ctx context.Context, property, value string, limit int) ([]string, error) {
	term := property + "=" + value
	if strings.ContainsAny(value, " \t\"") {
		term = `"` + strings.ReplaceAll(term, `"`, `\"`) + `"`
	}
	var r struct {
		Query struct {
			Search []struct {
				Title string `json:"title"`
			} `json:"search"`
		} `json:"query"`
	}
	params := url.Values{"action": {"query"}, "list": {"search"}, "srsearch": {"haswbstatement:" + term}, "srnamespace": {"0"},
		"srlimit": {strconv.Itoa(max(1, min(limit, 50)))}, "srprop": {""}}
	if err := c.read(ctx, params, &r); err != nil {
		return nil, fmt.Errorf("search items with %s: %w", term, err)
	}
	var out []string
	for _, s := range r.Query.Search {
		out = append(out, s.Title[strings.LastIndexByte(s.Title, ':')+1:])
	}
	return out, nil
}
