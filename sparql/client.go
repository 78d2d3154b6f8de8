// Package sparql talks to a SPARQL 1.1 endpoint such as the Wikidata Query
// Service: query building (escaping, VALUES batches, PREFIXes), an HTTP
// client that behaves as WDQS asks (User-Agent, bounded concurrency, backoff
// honouring Retry-After) and result decoding. It knows SPARQL, not jobs.
//
// SELECT asks for TSV results (ParseTSV), which engines write for less than
// JSON; JSON answers are parsed with github.com/knakk/sparql. The HTTP is
// done here, because that library's client mutates Go's default client for
// timeouts, sends no User-Agent and drops the status and Retry-After.
package sparql

import (
	"bytes"
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
	"sync/atomic"
	"time"
	"unicode/utf8"

	knakk "github.com/knakk/sparql"
)

// Config tunes a Client; zero values take the defaults in NewClient.
type Config struct {
	Endpoint      string // e.g. https://query.wikidata.org/sparql
	UserAgent     string // per the Wikimedia User-Agent policy: tool/version (contact URL)
	MaxConcurrent int    // parallel queries when the client builds its own Limiter; default 3
	// Limiter paces this client together with every other one built with
	// the same Limiter (one per process, built in cmd/partnerhub); nil
	// builds a limiter for this client alone.
	Limiter    *Limiter
	Timeout    time.Duration // per request; default 60 s
	MaxRetries int           // for 429/502/503/504 and network errors; default 4, negative for none
	MaxBackoff time.Duration // longest single wait; default 2 min
	HTTPClient *http.Client  // default: a client of its own (never http.DefaultClient)
	Logger     *slog.Logger
}

// Client queries one endpoint.
type Client struct {
	cfg      Config
	limiter  *Limiter
	requests atomic.Int64
	spent    atomic.Int64 // endpoint time in nanoseconds
}

// Term is one RDF term of a result row.
type Term struct {
	Type     string // "uri", "literal" or "bnode"
	Value    string
	Lang     string
	Datatype string
}

// Results are the rows of a SELECT, each a map from variable to term
// (unbound variables are absent).
type Results struct {
	Vars []string
	Rows []map[string]Term
}

// ErrMalformedResponse means the endpoint answered with something that is not
// SPARQL results (TSV or JSON).
var ErrMalformedResponse = errors.New("malformed SPARQL response")

// HTTPError is an answer with a status other than 200.
type HTTPError struct {
	Endpoint   string
	Status     int
	Body       string // the first 500 bytes
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("SPARQL endpoint %s answered %d %s: %s", e.Endpoint, e.Status, http.StatusText(e.Status), e.Body)
}

// DefaultUserAgent identifies the tool when the configuration names none.
const DefaultUserAgent = "Partnerhub/0.1 (https://partnerhub.toolforge.org/; partnerhub tool maintainers) Go-http-client"

// NewClient checks the configuration and builds a client.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("SPARQL endpoint %q is not an http(s) URL", cfg.Endpoint)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 3
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	} else if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 2 * time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := cfg.Limiter
	if l == nil {
		l = NewLimiter(LimiterConfig{InFlight: cfg.MaxConcurrent, Logger: cfg.Logger})
	}
	return &Client{cfg: cfg, limiter: l}, nil
}

// Endpoint is the URL the client queries.
func (c *Client) Endpoint() string { return c.cfg.Endpoint }

// Requests counts the HTTP requests sent so far, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// EndpointTime is the time this client's requests took, from sending to
// the answer read, retries included: what the endpoint's budget is charged.
func (c *Client) EndpointTime() time.Duration { return time.Duration(c.spent.Load()) }

// Limiter is the limiter pacing this client.
func (c *Client) Limiter() *Limiter { return c.limiter }

// selectAccept asks for TSV results first: engines spend about half as
// long writing them as JSON (Oxigraph measurably: 3.6 against 8.3 ms for
// the same 1,200 rows of item facts) and send a third of the bytes. An
// endpoint that only speaks JSON answers in JSON, which is read as before.
const selectAccept = TSVType + ", application/sparql-results+json;q=0.9"

// Select runs a SELECT query.
func (c *Client) Select(ctx context.Context, query string) (*Results, error) {
	body, typ, err := c.do(ctx, query, selectAccept)
	if err != nil {
		return nil, err
	}
	if mediaType(typ) == TSVType {
		res, err := ParseTSV(body)
		if err != nil {
			return nil, c.malformed("not SPARQL TSV results (%v): %q", err, snippet(body))
		}
		return res, nil
	}
	return c.parse(body)
}

// mediaType is a Content-Type without its parameters, lower case.
func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// Ask runs an ASK query.
func (c *Client) Ask(ctx context.Context, query string) (bool, error) {
	body, _, err := c.do(ctx, query, "application/sparql-results+json")
	if err != nil {
		return false, err
	}
	var r struct {
		Boolean *bool `json:"boolean"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Boolean == nil {
		return false, c.malformed("no boolean in the answer to an ASK query: %q", snippet(body))
	}
	return *r.Boolean, nil
}

func (c *Client) parse(body []byte) (*Results, error) {
	// One decode. knakk's parser accepts any JSON object; a SELECT answer
	// has head.vars and results.bindings (both arrays, so non-nil once
	// decoded, where a missing or null one stays nil).
	kr, err := knakk.ParseJSON(bytes.NewReader(body))
	if err != nil || kr.Head.Vars == nil || kr.Results.Bindings == nil {
		return nil, c.malformed("not SPARQL JSON results: %q", snippet(body))
	}
	out := &Results{Vars: kr.Head.Vars, Rows: make([]map[string]Term, 0, len(kr.Results.Bindings))}
	for _, b := range kr.Results.Bindings {
		row := make(map[string]Term, len(b))
		for name, t := range b {
			typ := t.Type
			if typ == "typed-literal" {
				typ = "literal"
			}
			if typ != "uri" && typ != "literal" && typ != "bnode" {
				return nil, c.malformed("unknown term type %q", t.Type)
			}
			row[name] = Term{Type: typ, Value: t.Value, Lang: t.Lang, Datatype: t.DataType}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// malformed describes a 200 answer that is not what a SPARQL endpoint sends.
func (c *Client) malformed(format string, args ...any) error {
	return fmt.Errorf("%w from %s (status 200): %s", ErrMalformedResponse, c.cfg.Endpoint, fmt.Sprintf(format, args...))
}

// do sends the query asking for the accept media types, retrying what may
// succeed later; it returns the answer and its Content-Type.
func (c *Client) do(ctx context.Context, query, accept string) ([]byte, string, error) {
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		// retryAfter is what the endpoint asked for, negative if nothing.
		body, typ, retryAfter, err := c.once(ctx, query, accept)
		if err == nil {
			return body, typ, nil
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		var le limitError
		if errors.As(err, &le) {
			return nil, "", le.err // the limiter already waited as long as it could
		}
		lastErr = err
		if !retryable(err) || attempt == c.cfg.MaxRetries {
			break
		}
		wait := retryAfter
		if wait < 0 {
			wait = backoff(attempt, c.cfg.MaxBackoff)
		}
		wait = min(wait, c.cfg.MaxBackoff)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// Sleeping until the deadline would only delay the same failure.
			return nil, "", fmt.Errorf("%w (retry would wait %s, longer than the time left: %w)", err, wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		c.cfg.Logger.Warn("SPARQL query will be retried", "endpoint", c.cfg.Endpoint, "attempt", attempt+1,
			"wait", wait, "err", err, "query", truncate(query, 500))
		if err := Sleep(ctx, wait); err != nil {
			return nil, "", err
		}
	}
	return nil, "", lastErr
}

// backoff is the jittered exponential wait before retry attempt+1, used
// when the endpoint names none: 1 s, 2 s, 4 s ... (each between half and
// the whole), never above max.
func backoff(attempt int, max time.Duration) time.Duration {
	base := max
	if attempt < 30 && time.Second<<attempt < max {
		base = time.Second << attempt
	}
	return base/2 + rand.N(base/2+1)
}

// retryable says whether the same query may succeed later. A 500 is not
// retried: WDQS answers 500 when a query times out, and it would time out
// again.
func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrMalformedResponse) {
		return false
	}
	return true // network errors and per-request timeouts
}

// once sends one request once the limiter admits it, and charges the
// limiter its endpoint time.
func (c *Client) once(ctx context.Context, query, accept string) (_ []byte, contentType string, _ time.Duration, _ error) {
	ticket, err := c.limiter.Acquire(ctx, c.cfg.Endpoint)
	if err != nil {
		return nil, "", -1, limitError{err}
	}
	start := time.Now()
	defer func() {
		d := time.Since(start)
		c.spent.Add(int64(d))
		for _, m := range meters(ctx) {
			m.add(d)
		}
		ticket.Done(ctx)
	}()

	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.cfg.Endpoint, strings.NewReader(url.Values{"query": {query}}.Encode()))
	if err != nil {
		return nil, "", -1, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	// A query is a read: marked idempotent (the nil value is not sent), a
	// POST that met a keep-alive connection the server had just closed is
	// sent again at once on a new one by the transport, instead of failing
	// with "connection reset" (TestQueryOnAConnectionTheServerClosed).
	req.Header["Idempotency-Key"] = nil
	c.requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", -1, ctx.Err()
		}
		return nil, "", -1, fmt.Errorf("query %s: %w", c.cfg.Endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
	if err != nil {
		return nil, "", -1, fmt.Errorf("read answer of %s: %w", c.cfg.Endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		wait := ra
		if !ok {
			wait = -1
		}
		// A Retry-After holds every request to the endpoint, not only this
		// one's retry; so does a 429 that names no wait.
		switch {
		case ok && ra > 0:
			c.limiter.Pause(ctx, c.cfg.Endpoint, min(ra, c.cfg.MaxBackoff))
		case resp.StatusCode == http.StatusTooManyRequests:
			c.limiter.Pause(ctx, c.cfg.Endpoint, backoff(0, c.cfg.MaxBackoff))
		}
		return nil, "", wait, &HTTPError{Endpoint: c.cfg.Endpoint, Status: resp.StatusCode, Body: snippet(body), RetryAfter: ra}
	}
	return body, resp.Header.Get("Content-Type"), 0, nil
}

// limitError is the limiter's refusal to wait longer: not retried.
type limitError struct{ err error }

func (e limitError) Error() string { return e.err.Error() }

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; ok is
// false when the header is absent or unreadable, so that the client falls
// back to its own backoff.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, 1<<32)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// snippet is the start of an answer body, enough to show an engine's
// message without flooding errors and logs.
func snippet(b []byte) string {
	return strings.TrimSpace(truncate(strings.ToValidUTF8(string(b), "\uFFFD"), 500))
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
