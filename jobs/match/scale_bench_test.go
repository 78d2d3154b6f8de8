package match

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/text/cases"

	"partnerhub/sparql"
)

// BenchmarkScale puts Partnerhub's batched matching and a naive per-row
// script side by side against the same 100,000-item graph, with 0 and
// 100 ms added to every request (SPARQL and search alike), the search
// fallback on.
//
// The two sides take turns within one run, so that both meet the same
// machine: each round runs them slice by slice (a fifth of each side's rows
// at a time, the side that goes first alternating), and the bench reports
// every round and the median of the rounds' figures and ratios. Both sides
// are charged alike: the same transport adds the latency and reads the
// engine's timing, each has a limiter of its own with the same settings, and
// the same search stands in for the wiki's. Each round starts Partnerhub
// with an empty cache (a new engine), as a new job on a new process would.
//
// Endpoint time is what the engine spent on the queries (its Server-Timing
// header: evaluating and serialising each one, wall clock), the figure
// WDQS's budget charges and the headline ratio; engine CPU is the processor
// time the same queries took, which other processes on a loaded machine do
// not stretch; request time is what the client waited for the answers minus
// the added latency, which also counts the time a request queued behind
// others at the test engine (it runs one query at a time).
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./jobs/match/
//
// PARTNERHUB_BENCH_SCALE_ROWS sets Partnerhub's rows (default 3,000; the
// script runs a third as many at 0 ms, a tenth at 100 ms, where one at a
// time it would take many minutes for as many), PARTNERHUB_BENCH_SCALE_ROUNDS
// the rounds (default 5).
func BenchmarkScale(b *testing.B) {
	srv := startBenchServer(b)
	tpl, err := ParseTemplate([]byte(benchTemplate))
	if err != nil {
		b.Fatal(err)
	}
	tpl.Wikibase.SPARQLEndpoint = srv.Endpoint()
	phRows := benchEnvInt("PARTNERHUB_BENCH_SCALE_ROWS", 3000)
	rounds := benchEnvInt("PARTNERHUB_BENCH_SCALE_ROUNDS", 5)
	benchLabels() // the search's index, built before anything is timed
	// A whole round at 0 ms not counted, so that the first counted one does
	// not pay for connections and the engine's first queries (Oxigraph runs
	// as WebAssembly, which Node optimises only after a few dozen queries of
	// a kind).
	runScaleRound(b, srv.Endpoint(), tpl, 0, benchRowsFor("labels", phRows), benchRowsFor("labels", max(phRows/3, 1)), 0, nil, nil)
	for _, latency := range []time.Duration{0, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%dms", latency.Milliseconds()), func(b *testing.B) {
			scriptRows := phRows / 3
			if latency > 0 {
				scriptRows = phRows / 10
			}
			ph, script := benchRowsFor("labels", phRows), benchRowsFor("labels", max(scriptRows, 1))
			for b.Loop() {
				phKinds, scriptKinds := &kindLog{}, &kindLog{}
				var all []scaleRound
				for n := range rounds {
					load := loadAverage()
					r := runScaleRound(b, srv.Endpoint(), tpl, latency, ph, script, n, phKinds, scriptKinds)
					r.load = load
					r.log(b, n+1)
					all = append(all, r)
				}
				phKinds.log(b, "partnerhub", latency)
				scriptKinds.log(b, "script", latency)
				reportScale(b, all)
			}
		})
	}
}

func benchEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// loadAverage is the machine's one-minute load average (-1 where unknown).
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, _, _ := strings.Cut(string(raw), " ")
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return -1
	}
	return v
}

// scaleSlices is how many turns each side takes in a round.
const scaleSlices = 5

// runScaleRound runs both sides in turns, slice by slice; in round n the
// side that goes first alternates from slice to slice, starting with
// Partnerhub in even rounds.
func runScaleRound(b *testing.B, endpoint string, tpl *Template, latency time.Duration, phRows, scriptRows []Row, n int, phKinds, scriptKinds *kindLog) scaleRound {
	ph := newPartnerhubSide(b, endpoint, tpl, latency, phKinds)
	script := newScriptSide(b, endpoint, latency, scriptKinds)
	part := func(rows []Row, k int) []Row { return rows[k*len(rows)/scaleSlices : (k+1)*len(rows)/scaleSlices] }
	for k := range scaleSlices {
		if (n+k)%2 == 0 {
			ph.run(b, part(phRows, k))
			script.run(b, part(scriptRows, k))
		} else {
			script.run(b, part(scriptRows, k))
			ph.run(b, part(phRows, k))
		}
	}
	return scaleRound{ph: ph.result(), script: script.result()}
}

// scaleSide is one side of the comparison and what it has done so far.
type scaleSide struct {
	tr            *latencyTransport
	search        *benchSearch
	match         func(ctx context.Context, rows []Row) (matched int, err error)
	rows, matched int
	wall          time.Duration
}

// newScaleSide builds the client and search both sides use: the same
// transport (latency, the engine's timing) and a limiter of the same
// settings each.
func newScaleSide(b *testing.B, endpoint string, latency time.Duration, kinds *kindLog) (*scaleSide, *sparql.Client) {
	tr := &latencyTransport{base: http.DefaultTransport.(*http.Transport).Clone(), latency: latency, kinds: kinds}
	limiter := sparql.NewLimiter(sparql.LimiterConfig{Logger: quiet, Budget: time.Minute})
	return &scaleSide{tr: tr, search: &benchSearch{latency: latency}}, benchClient(b, endpoint, tr, limiter)
}

func (s *scaleSide) run(b *testing.B, rows []Row) {
	if len(rows) == 0 {
		return
	}
	start := time.Now()
	matched, err := s.match(context.Background(), rows)
	s.wall += time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	s.rows += len(rows)
	s.matched += matched
}

func (s *scaleSide) result() scaleRun {
	return scaleRun{rows: s.rows, matched: s.matched, queries: s.tr.requests.Load(), searches: s.search.searches.Load(),
		endpoint: time.Duration(s.tr.endpoint.Load()), request: time.Duration(s.tr.request.Load()), cpu: time.Duration(s.tr.cpu.Load()), wall: s.wall}
}

// newPartnerhubSide matches rows the way the workers and the CLI do:
// batches of 200, three batches at once, one limiter and one engine (and
// so one reader and cache) for all of the round's batches, as a Matcher's
// is shared by a worker's batches.
func newPartnerhubSide(b *testing.B, endpoint string, tpl *Template, latency time.Duration, kinds *kindLog) *scaleSide {
	s, client := newScaleSide(b, endpoint, latency, kinds)
	e := NewEngine(client, s.search, tpl, quiet)
	s.match = func(ctx context.Context, rows []Row) (int, error) {
		var matched atomic.Int64
		g, ctx := errgroup.WithContext(ctx)
		g.SetLimit(3)
		for _, chunk := range sparql.Chunk(rows, benchBatch) {
			g.Go(func() error {
				res, err := e.MatchBatch(ctx, chunk)
				for _, r := range res {
					if r.Status == "matched" {
						matched.Add(1)
					}
				}
				return err
			})
		}
		err := g.Wait()
		return int(matched.Load()), err
	}
	return s
}

// newScriptSide is how this is often written: for each row one query for
// its candidates and their facts by exact label, and, when that finds
// nothing, a search and one query for the hits' facts. It takes a single
// candidate born in the row's year.
func newScriptSide(b *testing.B, endpoint string, latency time.Duration, kinds *kindLog) *scaleSide {
	s, client := newScaleSide(b, endpoint, latency, kinds)
	s.match = func(ctx context.Context, rows []Row) (int, error) {
		matched := 0
		for _, r := range rows {
			res, err := client.Select(ctx, baselineQuery(r))
			if err != nil {
				return matched, err
			}
			if len(res.Rows) == 0 {
				ids, err := s.search.Search(ctx, r.Values["name"], "en", searchLimit)
				if err != nil {
					return matched, err
				}
				if len(ids) > 0 {
					if res, err = client.Select(ctx, scriptFactsQuery(ids)); err != nil {
						return matched, err
					}
				}
			}
			items, agree := map[string]bool{}, map[string]bool{}
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
		return matched, nil
	}
	return s
}

// scaleRun is what one side did in a round.
type scaleRun struct {
	rows, matched     int
	queries, searches int64
	endpoint, request time.Duration
	cpu               time.Duration
	wall              time.Duration
}

func (r scaleRun) per1000(v float64) float64 { return v * 1000 / float64(r.rows) }
func (r scaleRun) rowsPerSec() float64       { return float64(r.rows) / r.wall.Seconds() }
func ms(d time.Duration) float64             { return float64(d) / float64(time.Millisecond) }

// figures are a run's reported figures, by metric name.
func (r scaleRun) figures() map[string]float64 {
	return map[string]float64{
		"rows/s":                 r.rowsPerSec(),
		"queries/1000rows":       r.per1000(float64(r.queries)),
		"searches/1000rows":      r.per1000(float64(r.searches)),
		"endpoint-ms/1000rows":   r.per1000(ms(r.endpoint)),
		"engine-cpu-ms/1000rows": r.per1000(ms(r.cpu)),
		"request-ms/1000rows":    r.per1000(ms(r.request)),
		"matched/row":            float64(r.matched) / float64(r.rows),
	}
}

// scaleRound is one round of both sides, and the load average when it
// started.
type scaleRound struct {
	ph, script scaleRun
	load       float64
}

// ratios are Partnerhub's figures over the script's: per row for endpoint
// time and engine CPU (lower is better), rows/s (higher is better).
func (r scaleRound) ratios() map[string]float64 {
	p, s := r.ph.figures(), r.script.figures()
	return map[string]float64{
		"endpoint-time-ratio": p["endpoint-ms/1000rows"] / s["endpoint-ms/1000rows"],
		"engine-cpu-ratio":    p["engine-cpu-ms/1000rows"] / s["engine-cpu-ms/1000rows"],
		"rows/s-ratio":        p["rows/s"] / s["rows/s"],
	}
}

func (r scaleRound) log(b *testing.B, n int) {
	side := func(who string, run scaleRun) string {
		f := run.figures()
		// endpoint over CPU: how much the machine stretched the engine's
		// wall time.
		return fmt.Sprintf("%s %d rows %.1f rows/s, per 1,000 rows %.1f queries %.0f searches, endpoint %.0f ms, engine CPU %.0f ms (wall %.1f× CPU), request %.0f ms, matched %.2f/row",
			who, run.rows, f["rows/s"], f["queries/1000rows"], f["searches/1000rows"], f["endpoint-ms/1000rows"], f["engine-cpu-ms/1000rows"],
			f["endpoint-ms/1000rows"]/f["engine-cpu-ms/1000rows"], f["request-ms/1000rows"], f["matched/row"])
	}
	q := r.ratios()
	b.Logf("round %d (load %.1f): %s; %s; ratios: endpoint time %.2f×, engine CPU %.2f×, rows/s %.0f×", n, r.load,
		side("partnerhub", r.ph), side("script", r.script), q["endpoint-time-ratio"], q["engine-cpu-ratio"], q["rows/s-ratio"])
}

// reportScale reports the medians over the rounds of each side's figures
// and of the rounds' ratios, the lowest and highest endpoint-time ratio, and
// the median load average.
func reportScale(b *testing.B, rounds []scaleRound) {
	series := map[string][]float64{}
	for _, r := range rounds {
		for name, v := range r.ph.figures() {
			series["ph-"+name] = append(series["ph-"+name], v)
		}
		for name, v := range r.script.figures() {
			series["script-"+name] = append(series["script-"+name], v)
		}
		for name, v := range r.ratios() {
			series[name] = append(series[name], v)
		}
		series["loadavg"] = append(series["loadavg"], r.load)
	}
	for name, vs := range series {
		b.ReportMetric(median(vs), name)
	}
	ratios := series["endpoint-time-ratio"]
	b.ReportMetric(slices.Min(ratios), "endpoint-time-ratio-min")
	b.ReportMetric(slices.Max(ratios), "endpoint-time-ratio-max")
}

func median(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
	kinds    *kindLog // nil: not kept
}

// kindLog adds up endpoint time by the query's SELECT clause.
type kindLog struct {
	mu    sync.Mutex
	time  map[string]time.Duration
	count map[string]int
}

func (k *kindLog) add(kind string, d time.Duration) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.time == nil {
		k.time, k.count = map[string]time.Duration{}, map[string]int{}
	}
	k.time[kind] += d
	k.count[kind]++
}

// log logs the endpoint time by kind of query.
func (k *kindLog) log(b *testing.B, who string, latency time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kinds := slices.Sorted(maps.Keys(k.time))
	for _, kind := range kinds {
		b.Logf("%s, latency %s, all rounds: %d × %s took %s", who, latency, k.count[kind], kind, k.time[kind].Round(time.Millisecond))
	}
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
		t.kinds.add(kind, engine)
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
