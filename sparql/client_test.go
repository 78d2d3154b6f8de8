package sparql_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const data = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q1 rdfs:label "Hilma af Klint"@sv, "Hilma af Klint"@en ; wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P31 wd:Q5 .
wd:Q2 rdfs:label "Carl Larsson"@sv ; wdt:P31 wd:Q5 .
`

func newClient(t *testing.T, endpoint string, cfg sparql.Config) *sparql.Client {
	t.Helper()
	cfg.Endpoint, cfg.Logger = endpoint, quiet
	c, err := sparql.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSelectAgainstRealEngine(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, data)
	c := newClient(t, srv.Endpoint(), sparql.Config{})
	lit, _ := sparql.LangLiteral("Hilma af Klint", "sv")
	q := sparql.Prefixes(map[string]string{"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "wdt": "http://www.wikidata.org/prop/direct/"}) +
		`SELECT ?item ?born WHERE { ?item rdfs:label ` + lit + ` . OPTIONAL { ?item wdt:P569 ?born } }`
	res, err := c.Select(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0]["item"].Value != "http://www.wikidata.org/entity/Q1" || res.Rows[0]["item"].Type != "uri" {
		t.Fatalf("rows %+v", res.Rows)
	}
	if b := res.Rows[0]["born"]; b.Datatype != "http://www.w3.org/2001/XMLSchema#dateTime" || !strings.HasPrefix(b.Value, "1862-10-26") {
		t.Fatalf("born %+v", b)
	}
	born, err := sparql.TypedLiteral("1862-10-26T00:00:00Z", "http://www.w3.org/2001/XMLSchema#dateTime")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.Ask(context.Background(), `ASK { <http://www.wikidata.org/entity/Q1> <http://www.wikidata.org/prop/direct/P569> `+born+` }`)
	if err != nil || !ok {
		t.Fatalf("ask typed literal: %v %v", ok, err)
	}
	ok, err = c.Ask(context.Background(), `ASK { <http://www.wikidata.org/entity/Q2> ?p ?o }`)
	if err != nil || !ok {
		t.Fatalf("ask: %v %v", ok, err)
	}
	if c.Requests() != 3 || srv.Requests() != 3 {
		t.Fatalf("requests counted %d, server saw %d", c.Requests(), srv.Requests())
	}
	// A syntax error is the query's fault: reported, not retried.
	_, err = c.Select(context.Background(), "SELEC ?x")
	var he *sparql.HTTPError
	if !errors.As(err, &he) || he.Status != 400 || c.Requests() != 4 {
		t.Fatalf("syntax error: %v (requests %d)", err, c.Requests())
	}
	// The engine's own message reaches the caller, so a user can fix the query.
	if he.Body == "" || !strings.Contains(err.Error(), he.Body) || len(he.Body) > 500+len("…") {
		t.Fatalf("syntax error message %q in %v", he.Body, err)
	}
}

func TestStatusesRetriedOrNot(t *testing.T) {
	for _, tc := range []struct {
		status  int
		retried bool
	}{
		{429, true}, {502, true}, {503, true}, {504, true},
		{400, false}, {403, false}, {404, false}, {500, false},
	} {
		var n atomic.Int32
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, strings.Repeat("é", 400)) // 800 bytes, cut on a rune boundary
				return
			}
			_, _ = io.WriteString(w, `{"head":{"vars":[]},"results":{"bindings":[]}}`)
		}))
		c := newClient(t, ts.URL, sparql.Config{})
		_, err := c.Select(context.Background(), "SELECT * {}")
		ts.Close()
		if tc.retried {
			if err != nil || c.Requests() != 2 {
				t.Errorf("%d: %v after %d requests, want success on the retry", tc.status, err, c.Requests())
			}
			continue
		}
		var he *sparql.HTTPError
		if !errors.As(err, &he) || he.Status != tc.status || c.Requests() != 1 {
			t.Errorf("%d: %v after %d requests, want the error at once", tc.status, err, c.Requests())
			continue
		}
		if !utf8.ValidString(he.Body) || len(he.Body) > 503 || !strings.HasPrefix(he.Body, "éé") {
			t.Errorf("%d: body snippet %q", tc.status, he.Body)
		}
	}
}

func TestRetriesGiveUp(t *testing.T) {
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(503) // no Retry-After: jittered backoff, capped by MaxBackoff
	}))
	defer ts.Close()
	c := newClient(t, ts.URL, sparql.Config{MaxRetries: 40, MaxBackoff: 2 * time.Millisecond})
	var he *sparql.HTTPError
	if _, err := c.Select(context.Background(), "SELECT * {}"); !errors.As(err, &he) || he.Status != 503 {
		t.Fatalf("after retries: %v", err)
	}
	if n.Load() != 41 {
		t.Fatalf("%d requests, want 1 + 40 retries", n.Load())
	}
	c = newClient(t, ts.URL, sparql.Config{MaxRetries: -1})
	if _, err := c.Select(context.Background(), "SELECT * {}"); err == nil || c.Requests() != 1 {
		t.Fatalf("retries disabled: %v after %d requests", err, c.Requests())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, data)
	c := newClient(t, srv.Endpoint(), sparql.Config{})
	srv.InjectFailures(t, 429, "1", 2)
	start := time.Now()
	res, err := c.Select(context.Background(), `SELECT ?s WHERE { ?s ?p ?o } LIMIT 1`)
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("after 429s: %v %v", res, err)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("waited %s for two 429s with Retry-After: 1", waited)
	}
	if c.Requests() != 3 {
		t.Fatalf("requests %d, want 3", c.Requests())
	}
	srv.InjectFailures(t, 503, "", 1)
	if _, err := c.Select(context.Background(), `SELECT ?s WHERE { ?s ?p ?o } LIMIT 1`); err != nil {
		t.Fatalf("after a 503: %v", err)
	}
}

func TestMalformedAnswerIsAClearError(t *testing.T) {
	srv := sparqltest.Start(t)
	c := newClient(t, srv.Endpoint(), sparql.Config{})
	srv.InjectMalformed(t, 1)
	_, err := c.Select(context.Background(), `SELECT ?s WHERE { ?s ?p ?o }`)
	if !errors.Is(err, sparql.ErrMalformedResponse) || !strings.Contains(err.Error(), srv.Endpoint()) || !strings.Contains(err.Error(), "200") {
		t.Fatalf("malformed: %v", err)
	}
	if c.Requests() != 1 {
		t.Fatalf("a malformed answer was retried: %d requests", c.Requests())
	}
	for _, body := range []string{`<html>oops</html>`, `{}`, `{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"weird","value":"v"}}]}}`} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
		c := newClient(t, ts.URL, sparql.Config{})
		if _, err := c.Select(context.Background(), "SELECT * {}"); !errors.Is(err, sparql.ErrMalformedResponse) {
			t.Errorf("body %q: %v", body, err)
		}
		ts.Close()
	}
}

func TestHeadersConcurrencyAndCancellation(t *testing.T) {
	var (
		inFlight, peak atomic.Int32
		mu             sync.Mutex
		agents         = map[string]bool{}
		accepts        = map[string]bool{}
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		mu.Lock()
		agents[r.UserAgent()], accepts[r.Header.Get("Accept")] = true, true
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		_, _ = io.WriteString(w, `{"head":{"vars":[]},"results":{"bindings":[]}}`)
	}))
	defer ts.Close()
	c := newClient(t, ts.URL, sparql.Config{MaxConcurrent: 2, UserAgent: "Partnerhub-test/1.0 (https://example.org/contact)"})
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = c.Select(context.Background(), "SELECT * {}") }()
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Fatalf("%d queries ran at once, limit 2", peak.Load())
	}
	if !agents["Partnerhub-test/1.0 (https://example.org/contact)"] || len(agents) != 1 || !accepts["text/tab-separated-values, application/sparql-results+json;q=0.9"] {
		t.Fatalf("headers: %v %v", agents, accepts)
	}

	// Cancelling during a long Retry-After wait returns at once.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	}))
	defer slow.Close()
	c2 := newClient(t, slow.URL, sparql.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	if _, err := c2.Select(ctx, "SELECT * {}"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("cancellation did not interrupt the wait")
	}
	// A deadline shorter than Retry-After fails fast with the reason.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	start = time.Now()
	if _, err := c2.Select(ctx2, "SELECT * {}"); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "longer than the time left") {
		t.Fatalf("deadline: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("a wait the deadline cannot allow took %s to fail", time.Since(start))
	}
}

func TestNewClientRejectsBadEndpoints(t *testing.T) {
	for _, e := range []string{"", "ftp://x/sparql", "query.wikidata.org/sparql", "http://"} {
		if _, err := sparql.NewClient(sparql.Config{Endpoint: e}); err == nil {
			t.Errorf("endpoint %q accepted", e)
		}
	}
}

// A Retry-After on one answer holds the other requests to that endpoint
// too, not only the retry of the query that got it.
func TestRetryAfterHoldsEveryRequestToTheEndpoint(t *testing.T) {
	var (
		mu       sync.Mutex
		limitAt  time.Time
		arrivals []time.Time
		n        int
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		if first {
			limitAt = time.Now()
		} else {
			arrivals = append(arrivals, time.Now())
		}
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, `{"head":{"vars":[]},"results":{"bindings":[]}}`)
	}))
	defer ts.Close()
	c := newClient(t, ts.URL, sparql.Config{})
	got429 := make(chan struct{})
	go func() {
		for {
			mu.Lock()
			seen := n > 0
			mu.Unlock()
			if seen {
				close(got429)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = c.Select(context.Background(), "SELECT * {}") }()
	<-got429
	// Wait until the client has read the 429 and paused the endpoint (not
	// a guess at how long that takes on a loaded machine).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		pace, err := c.Limiter().Pace(context.Background(), c.Endpoint())
		mu.Lock()
		over := time.Since(limitAt) > time.Second // the pause, had there been one, is over
		mu.Unlock()
		if err == nil && (!pace.PausedUntil.IsZero() || over) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client never paused the endpoint after the 429: %+v %v", pace, err)
		}
	}
	go func() { defer wg.Done(); _, _ = c.Select(context.Background(), "SELECT * {}") }()
	wg.Wait()
	if len(arrivals) != 2 {
		t.Fatalf("%d requests after the 429, want 2", len(arrivals))
	}
	for _, at := range arrivals {
		if at.Sub(limitAt) < 900*time.Millisecond {
			t.Fatalf("a request arrived %s after Retry-After: 1", at.Sub(limitAt))
		}
	}
	if c.Limiter() == nil || c.EndpointTime() <= 0 {
		t.Fatalf("endpoint time not counted: %s", c.EndpointTime())
	}
}

// A meter on the context counts every request made under it, and an outer
// meter sees what inner ones see.
func TestMeterCountsRequestsUnderAContext(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		_, _ = io.WriteString(w, `{"head":{"vars":[]},"results":{"bindings":[]}}`)
	}))
	defer ts.Close()
	c := newClient(t, ts.URL, sparql.Config{})
	outer, inner := &sparql.Meter{}, &sparql.Meter{}
	octx := sparql.WithMeter(context.Background(), outer)
	ictx := sparql.WithMeter(octx, inner)
	for _, ctx := range []context.Context{octx, ictx, ictx, context.Background()} {
		if _, err := c.Select(ctx, "SELECT * {}"); err != nil {
			t.Fatal(err)
		}
	}
	if outer.Requests() != 3 || inner.Requests() != 2 || c.Requests() != 4 {
		t.Fatalf("outer %d, inner %d, client %d requests; want 3, 2, 4", outer.Requests(), inner.Requests(), c.Requests())
	}
	if inner.EndpointTime() < 10*time.Millisecond || outer.EndpointTime() < inner.EndpointTime() {
		t.Fatalf("endpoint time: outer %s, inner %s", outer.EndpointTime(), inner.EndpointTime())
	}
}
