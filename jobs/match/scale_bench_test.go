package match

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/cases"

	"partnerhub/sparql"
)

// BenchmarkScale puts Partnerhub's batched matching and a naive per-row
// script side by side in one run, against the same 100,000-item graph, with
// 0 and 100 ms added to every request (SPARQL and search alike), the search
// fallback on. Endpoint time is what the engine spent on the queries (its
// Server-Timing header: evaluating and serialising each one), the figure
// WDQS's budget charges; request time is what the client waited for the
// answers minus the added latency, which also counts the time a request
// queued behind others at the test engine (it runs one query at a time).
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./jobs/match/
func BenchmarkScale(b *testing.B) {
	srv := startBenchServer(b)
	tpl, err := ParseTemplate([]byte(benchTemplate))
	if err != nil {
		b.Fatal(err)
	}
	tpl.Wikibase.SPARQLEndpoint = srv.Endpoint()
	for _, latency := range []time.Duration{0, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%dms", latency.Milliseconds()), func(b *testing.B) {
			// The script runs fewer rows: one at a time, it would take many
			// minutes for as many.
			phRows, scriptRows := 3000, 1000
			if n, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_SCALE_ROWS")); err == nil && n > 0 {
				phRows, scriptRows = n, n/3
			}
			if latency > 0 {
				scriptRows = 300
			}
			for b.Loop() {
				ph := runPartnerhub(b, srv.Endpoint(), tpl, latency, benchRowsFor("labels", phRows))
				sc := runPerRowScript(b, srv.Endpoint(), latency, benchRowsFor("labels", scriptRows))
				ph.report(b, "ph-")
				sc.report(b, "script-")
				b.ReportMetric(ph.endpointPerRow()/sc.endpointPerRow(), "endpoint-time-ratio")
				b.ReportMetric((float64(ph.cpu)/float64(ph.rows))/(float64(sc.cpu)/float64(sc.rows)), "engine-cpu-ratio")
				b.ReportMetric(ph.rowsPerSec()/sc.rowsPerSec(), "rows/s-ratio")
			}
		})
	}
}

// scaleRun is what one side did.
type scaleRun struct {
	rows, matched     int
	queries, searches int64
	endpoint, request time.Duration
	cpu               time.Duration
	wall              time.Duration
}

func (r scaleRun) endpointPerRow() float64 { return float64(r.endpoint) / float64(r.rows) }
func (r scaleRun) rowsPerSec() float64     { return float64(r.rows) / r.wall.Seconds() }

func (r scaleRun) report(b *testing.B, prefix string) {
	per1000 := func(n float64) float64 { return n * 1000 / float64(r.rows) }
	b.ReportMetric(r.rowsPerSec(), prefix+"rows/s")
	b.ReportMetric(per1000(float64(r.queries)), prefix+"queries/1000rows")
	b.ReportMetric(per1000(float64(r.searches)), prefix+"searches/1000rows")
	b.ReportMetric(per1000(float64(r.endpoint.Milliseconds())), prefix+"endpoint-ms/1000rows")
	b.ReportMetric(per1000(float64(r.request.Milliseconds())), prefix+"request-ms/1000rows")
	b.ReportMetric(per1000(float64(r.cpu.Milliseconds())), prefix+"engine-cpu-ms/1000rows")
	b.ReportMetric(float64(r.matched)/float64(r.rows), prefix+"matched/row")
}

// latencyTransport adds latency before each request and measures the
// endpoint's time: its own for the query (Server-Timing), and the
// request's from reaching it to the answer read.
type latencyTransport struct {
	base     http.RoundTripper
	latency  time.Duration
	endpoint atomic.Int64
	cpu      atomic.Int64 // the engine's processor time
	request  atomic.Int64
	requests atomic.Int64
	mu       sync.Mutex
	byKind   map[string]time.Duration // endpoint time by the query's SELECT clause
	count    map[string]int
}

// serverTiming reads the engine's "<name>;dur=<ms>" Server-Timing entry
// ("query": its time for the query, "cpu": the processor time it took).
func serverTiming(h http.Header, entry string) (time.Duration, bool) {
	for _, part := range strings.Split(h.Get("Server-Timing"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if name != entry {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "dur="); ok {
			if ms, err := strconv.ParseFloat(v, 64); err == nil {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	return 0, false
}

func (t *latencyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := sleepCtx(req.Context(), t.latency); err != nil {
		return nil, err
	}
	kind := "?"
	if body, err := req.GetBody(); err == nil {
		raw, _ := io.ReadAll(body)
		if form, err := url.ParseQuery(string(raw)); err == nil {
			q := form.Get("query")
			if i := strings.Index(q, "SELECT"); i >= 0 {
				kind, _, _ = strings.Cut(q[i:], " WHERE")
			}
		}
	}
	t.requests.Add(1)
	start := time.Now()
	var engine time.Duration
	record := func() {
		d := time.Since(start)
		t.request.Add(int64(d))
		if engine == 0 {
			engine = d // an engine that does not say: its request time
		}
		t.endpoint.Add(int64(engine))
		t.mu.Lock()
		if t.byKind == nil {
			t.byKind, t.count = map[string]time.Duration{}, map[string]int{}
		}
		t.byKind[kind] += engine
		t.count[kind]++
		t.mu.Unlock()
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		record()
		return nil, err
	}
	engine, _ = serverTiming(resp.Header, "query")
	cpu, _ := serverTiming(resp.Header, "cpu")
	t.cpu.Add(int64(cpu))
	resp.Body = &timedBody{ReadCloser: resp.Body, done: record}
	return resp, nil
}

// logKinds logs the endpoint time by kind of query.
func (t *latencyTransport) logKinds(b *testing.B, who string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	kinds := make([]string, 0, len(t.byKind))
	for k := range t.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		b.Logf("%s, latency %s: %d × %s took %s", who, t.latency, t.count[k], k, t.byKind[k].Round(time.Millisecond))
	}
}

type timedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.done)
	}
	return n, err
}

func (b *timedBody) Close() error {
	b.once.Do(b.done)
	return b.ReadCloser.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// benchSearch stands in for the wiki's wbsearchentities on the benchmark
// graph: case-folded prefix search on labels, best (lowest id) first, with
// the same added latency.
type benchSearch struct {
	latency  time.Duration
	searches atomic.Int64
}

var (
	benchIndexOnce sync.Once
	benchIndex     []benchLabel // sorted by folded label, then item
)

type benchLabel struct {
	folded string
	item   int
}

var benchFold = cases.Fold()

func benchLabels() []benchLabel {
	benchIndexOnce.Do(func() {
		benchIndex = make([]benchLabel, benchItems)
		for n := range benchItems {
			name, _, _ := benchPerson(n)
			benchIndex[n] = benchLabel{benchFold.String(name), 1000 + n}
		}
		sort.Slice(benchIndex, func(a, b int) bool {
			if benchIndex[a].folded != benchIndex[b].folded {
				return benchIndex[a].folded < benchIndex[b].folded
			}
			return benchIndex[a].item < benchIndex[b].item
		})
	})
	return benchIndex
}

func (s *benchSearch) Search(ctx context.Context, text, _ string, limit int) ([]string, error) {
	if err := sleepCtx(ctx, s.latency); err != nil {
		return nil, err
	}
	s.searches.Add(1)
	idx := benchLabels()
	q := benchFold.String(strings.TrimSpace(text))
	i := sort.Search(len(idx), func(i int) bool { return idx[i].folded >= q })
	var out []string
	for ; i < len(idx) && len(out) < limit && strings.HasPrefix(idx[i].folded, q); i++ {
		out = append(out, fmt.Sprintf("Q%d", idx[i].item))
	}
	return out, nil
}

func benchClient(b *testing.B, endpoint string, tr *latencyTransport, limiter *sparql.Limiter) *sparql.Client {
	c, err := sparql.NewClient(sparql.Config{Endpoint: endpoint, Logger: quiet, Timeout: 5 * time.Minute, Limiter: limiter,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// runPartnerhub matches rows the way the workers and the CLI do: batches of
// 200, three batches at once, one limiter and one shared reader.
func runPartnerhub(b *testing.B, endpoint string, tpl *Template, latency time.Duration, rows []Row) scaleRun {
	tr := &latencyTransport{base: http.DefaultTransport.(*http.Transport).Clone(), latency: latency}
	limiter := sparql.NewLimiter(sparql.LimiterConfig{Logger: quiet, Budget: time.Minute})
	client := benchClient(b, endpoint, tr, limiter)
	search := &benchSearch{latency: latency}
	// One engine for every batch: its reader (and cache) is shared by them,
	// as a Matcher's is by a worker's batches.
	e := NewEngine(client, search, tpl, quiet)
	start := time.Now()
	chunks := sparql.Chunk(rows, benchBatch)
	var (
		matched atomic.Int64
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 3)
		errOnce sync.Once
		failure error
	)
	for _, chunk := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := e.MatchBatch(context.Background(), chunk)
			if err != nil {
				errOnce.Do(func() { failure = err })
				return
			}
			for _, r := range res {
				if r.Status == "matched" {
					matched.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failure != nil {
		b.Fatal(failure)
	}
	tr.logKinds(b, "partnerhub")
	return scaleRun{rows: len(rows), matched: int(matched.Load()), queries: tr.requests.Load(), searches: search.searches.Load(),
		endpoint: time.Duration(tr.endpoint.Load()), request: time.Duration(tr.request.Load()), cpu: time.Duration(tr.cpu.Load()), wall: time.Since(start)}
}

// runPerRowScript is how this is often written: for each row one query for
// its candidates and their facts by exact label, and, when that finds
// nothing, a search and one query for the hits' facts.
func runPerRowScript(b *testing.B, endpoint string, latency time.Duration, rows []Row) scaleRun {
	tr := &latencyTransport{base: http.DefaultTransport.(*http.Transport).Clone(), latency: latency}
	client := benchClient(b, endpoint, tr, nil)
	search := &benchSearch{latency: latency}
	ctx := context.Background()
	start := time.Now()
	matched := 0
	for _, r := range rows {
		res, err := client.Select(ctx, baselineQuery(r))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Rows) == 0 {
			ids, err := search.Search(ctx, r.Values["name"], "en", searchLimit)
			if err != nil {
				b.Fatal(err)
			}
			if len(ids) > 0 {
				if res, err = client.Select(ctx, scriptFactsQuery(ids)); err != nil {
					b.Fatal(err)
				}
			}
		}
		// The script takes a single candidate born in the row's year.
		items := map[string]bool{}
		agree := map[string]bool{}
		for _, row := range res.Rows {
			items[row["item"].Value] = true
			if born := row["born"].Value; len(born) >= 4 && born[:4] == r.Values["born"] {
				agree[row["item"].Value] = true
			}
		}
		if len(items) == 1 && len(agree) == 1 {
			matched++
		}
	}
	tr.logKinds(b, "script")
	return scaleRun{rows: len(rows), matched: matched, queries: tr.requests.Load(), searches: search.searches.Load(),
		endpoint: time.Duration(tr.endpoint.Load()), request: time.Duration(tr.request.Load()), cpu: time.Duration(tr.cpu.Load()), wall: time.Since(start)}
}

func scriptFactsQuery(ids []string) string {
	var values []string
	for _, id := range ids {
		values = append(values, "wd:"+id)
	}
	return `PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
SELECT ?item ?label ?description ?born ?type WHERE {
  VALUES ?item { ` + strings.Join(values, " ") + ` }
  OPTIONAL { ?item rdfs:label ?label FILTER(lang(?label) = "en") }
  OPTIONAL { ?item schema:description ?description FILTER(lang(?description) = "en") }
  OPTIONAL { ?item wdt:P569 ?born }
  OPTIONAL { ?item wdt:P31 ?type }
}`
}
