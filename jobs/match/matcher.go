package match

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/wikidata/wdqs"
)

// MatcherConfig tunes a Matcher.
type MatcherConfig struct {
	UserAgent string // sent to every endpoint (Wikimedia's User-Agent policy)
	// Limiter paces every query to each endpoint (requests in flight,
	// endpoint time per minute, Retry-After), shared with the rest of the
	// process; nil builds one for this Matcher. Unused with Readers.
	Limiter *sparql.Limiter
	// Readers are the process's query-service clients and item readers
	// (one cache per query service), shared with edit plans, exports and
	// the web side; nil builds them from UserAgent and Limiter for this
	// Matcher alone.
	Readers *wdqs.Readers
	// Searcher, if set, builds the search fallback for a wiki's API URL;
	// nil means no fallback.
	Searcher func(apiURL string) Searcher
	// AllowedEndpoints, if set, are the only SPARQL endpoints templates may
	// name: templates are shared, and the worker should not be pointed at
	// hosts inside its own network.
	AllowedEndpoints []string
	Logger           *slog.Logger
}

// Matcher reconciles batches of job rows; it implements the worker's
// jobs/tasks.Matcher. Its engines query through its Readers: one SPARQL
// client per endpoint, so the endpoint's concurrency limit holds across jobs
// and batches, and one reader per query service and Wikibase, so
// candidates' facts and the types' subclasses are read once for every job
// and batch.
type Matcher struct {
	cfg       MatcherConfig
	mu        sync.Mutex
	searchers map[string]Searcher
}

// NewMatcher builds a Matcher.
func NewMatcher(cfg MatcherConfig) *Matcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Readers == nil {
		cfg.Readers = wdqs.NewReaders(wdqs.ReadersConfig{UserAgent: cfg.UserAgent, Limiter: cfg.Limiter, Logger: cfg.Logger, Reader: ReaderConfig()})
	}
	return &Matcher{cfg: cfg, searchers: map[string]Searcher{}}
}

// ReaderConfig is how the engine's item readers chunk and pace their
// queries; a process's shared wdqs.Readers are built with it, so that the
// workers read as the engine was measured.
func ReaderConfig() wdqs.Config {
	return wdqs.Config{ItemsPerQuery: factChunk, QueriesAtOnce: queriesAtOnce}
}

// MatchRows matches one batch of a job's rows with the job's template and
// says how many requests (queries and searches) it cost.
func (m *Matcher) MatchRows(ctx context.Context, job *jobs.Job, columns []string, rows []jobs.Row) ([]jobs.RowMatch, int, error) {
	if len(job.Template) == 0 {
		return nil, 0, jobs.Errorf(jobs.EINVALID, "the job has no template: map the columns first")
	}
	t, err := ParseTemplate(job.Template)
	if err != nil {
		return nil, 0, err
	}
	if err := t.Validate(columns); err != nil {
		return nil, 0, err
	}
	e, err := m.Engine(t, m.cfg.Logger.With("job_id", job.ID))
	if err != nil {
		return nil, 0, err
	}
	in := make([]Row, len(rows))
	for i, r := range rows {
		values := make(map[string]string, len(columns))
		for c, name := range columns {
			if c < len(r.Cells) {
				values[name] = r.Cells[c]
			}
		}
		in[i] = Row{Num: r.Num, Values: values}
	}
	results, err := e.MatchBatch(ctx, in)
	requests := int(e.Requests())
	if err != nil {
		return nil, requests, err
	}
	for i := range results {
		results[i].JobID = job.ID
	}
	return results, requests, nil
}

// Engine builds the engine for a validated template with this Matcher's
// shared query service client and search fallback (the template's
// wikibase.api_url). The workers and the command line both build their
// engines here, so a file reconciles the same way in either; logger nil
// for the Matcher's.
func (m *Matcher) Engine(t *Template, logger *slog.Logger) (*Engine, error) {
	client, searcher, err := m.endpoint(t)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = m.cfg.Logger
	}
	r, err := m.cfg.Readers.Reader(t.Wikibase.SPARQLEndpoint, t.Wikibase.EntityPrefix, t.Wikibase.PropertyPrefix)
	if err != nil {
		return nil, fmt.Errorf("set up the query service client: %w", err)
	}
	return newEngine(client, searcher, t, logger, r), nil
}

func (m *Matcher) endpoint(t *Template) (*sparql.Client, Searcher, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	url := t.Wikibase.SPARQLEndpoint
	if len(m.cfg.AllowedEndpoints) > 0 && !slices.Contains(m.cfg.AllowedEndpoints, url) {
		return nil, nil, jobs.Errorf(jobs.EFORBIDDEN, "the SPARQL endpoint %s is not one this Partnerhub may query", url)
	}
	c, err := m.cfg.Readers.Client(url)
	if err != nil {
		return nil, nil, fmt.Errorf("set up the query service client: %w", err)
	}
	if m.cfg.Searcher == nil {
		return c, nil, nil
	}
	s, ok := m.searchers[t.Wikibase.APIURL]
	if !ok {
		s = m.cfg.Searcher(t.Wikibase.APIURL)
		m.searchers[t.Wikibase.APIURL] = s
	}
	return c, s, nil
}

// checkTimeout bounds the endpoint check, which runs while a user waits.
const checkTimeout = 10 * time.Second

// CheckEndpoints asks the job's query service one cheap query and its wiki
// one search, the two things every batch needs, and says in words which
// one refused and how. It runs before a reconciliation starts, so that an
// endpoint that refuses work is named at once instead of failing every
// batch after minutes of retries.
func (m *Matcher) CheckEndpoints(ctx context.Context, job *jobs.Job) error {
	t, err := ParseTemplate(job.Template)
	if err != nil {
		return err
	}
	client, searcher, err := m.endpoint(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if _, err := client.Select(ctx, `SELECT ?ok WHERE { BIND(1 AS ?ok) }`); err != nil {
		return jobs.Errorf(jobs.EINVALID, "the query service %s did not answer a test query (%v). Check the SPARQL endpoint on the mapping page, or try again later.",
			t.Wikibase.SPARQLEndpoint, err)
	}
	if searcher != nil {
		if _, err := searcher.Search(ctx, "test", t.Languages[0], 1); err != nil {
			return jobs.Errorf(jobs.EINVALID, "the wiki at %s refused a test search (%v). Check the Action API on the mapping page, or try again later.",
				t.Wikibase.APIURL, err)
		}
	}
	return nil
}
