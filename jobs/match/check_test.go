package match

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// apiSearch searches the fake wiki through the real client, as the
// installation's search fallback does.
type apiSearch struct{ c *wikidata.Client }

func (s apiSearch) Search(ctx context.Context, text, lang string, limit int) ([]string, error) {
	hits, err := s.c.SearchEntities(ctx, text, lang, limit)
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	return ids, err
}

func TestCheckEndpoints(t *testing.T) {
	srv := sparqltest.Start(t)
	wiki := wikibasetest.New(t, wikibasetest.Options{})
	client, err := wikidata.NewClient(wikidata.Config{APIURL: wiki.URL(), UserAgent: "partnerhub-test/0 (test)", MaxRetries: 1, Logger: quiet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(MatcherConfig{UserAgent: "partnerhub-test/0 (test)", Limiter: sparql.NewLimiter(sparql.LimiterConfig{InFlight: 2}), Logger: quiet,
		Searcher: func(string) Searcher { return apiSearch{client} }})
	job := &jobs.Job{ID: 1, Template: json.RawMessage(`{"wikibase":{"sparql_endpoint":"` + srv.Endpoint() + `","api_url":"` + wiki.URL() + `"},"columns":{"n":{"role":"label"}}}`)}
	ctx := context.Background()
	before := srv.Requests()
	if err := m.CheckEndpoints(ctx, job); err != nil {
		t.Fatalf("working endpoints: %v", err)
	}
	if n := srv.Requests() - before; n != 1 {
		t.Fatalf("%d queries for the check, want 1", n)
	}
	// A wiki that refuses search: every batch would fail; say so up front.
	wiki.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 10})
	err = m.CheckEndpoints(ctx, job)
	if jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "the wiki at "+wiki.URL()+" refused a test search") ||
		!strings.Contains(jobs.ErrorMessage(err), "HTTP 500") {
		t.Fatalf("refused search: %v", err)
	}
	// A query service that fails.
	srv.InjectFailures(t, 400, "", 10)
	err = m.CheckEndpoints(ctx, job)
	if jobs.ErrorCode(err) != jobs.EINVALID || !strings.Contains(jobs.ErrorMessage(err), "the query service "+srv.Endpoint()+" did not answer a test query") {
		t.Fatalf("failing query service: %v", err)
	}
}
