package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/export"
	"partnerhub/jobs/match"
	"partnerhub/jobs/mediaupload"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/undo"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/sparql"
	"partnerhub/web"
	"partnerhub/web/reconapi"
	"partnerhub/wikidata"
	"partnerhub/wikidata/suggest"
	"partnerhub/wikidata/wdqs"
)

// endpoints gives the web side, edit plans and exports the process's query
// service clients and item readers (a.readers, the ones the worker's
// matcher reads through), for the endpoints the installation allows.
type endpoints struct {
	userAgent string
	allowed   []string // empty: any endpoint
	wikiAPIs  []string // Action APIs typed QIDs may be checked on; empty: any
	readers   *wdqs.Readers
}

func (e *endpoints) check(url string) error {
	if len(e.allowed) > 0 && !slices.Contains(e.allowed, url) {
		return jobs.Errorf(jobs.EINVALID, "The SPARQL endpoint %s is not one this installation allows.", url)
	}
	return nil
}

func (e *endpoints) client(url string) (*sparql.Client, error) {
	if err := e.check(url); err != nil {
		return nil, err
	}
	return e.readers.Client(url)
}

// items reads item data from the job's query service.
func (e *endpoints) items(job *jobs.Job) (*wdqs.Reader, *match.Template, error) {
	t, err := match.ParseTemplate(job.Template)
	if err != nil {
		return nil, nil, err
	}
	wb := t.Wikibase
	if err := e.check(wb.SPARQLEndpoint); err != nil {
		return nil, nil, err
	}
	r, err := e.readers.Reader(wb.SPARQLEndpoint, wb.EntityPrefix, wb.PropertyPrefix)
	if err != nil {
		return nil, nil, err
	}
	return r, t, nil
}

// itemCheck confirms a typed QID on the job's wiki through its Action API
// (current data, and a merged item's redirect followed to its target); a
// wiki the installation does not allow is checked on its query service,
// which knows no redirects.
func (e *endpoints) itemCheck(ctx context.Context, job *jobs.Job, qid string) (web.CheckedItem, error) {
	r, t, err := e.items(job)
	if err != nil {
		return web.CheckedItem{}, err
	}
	if len(e.wikiAPIs) == 0 || slices.Contains(e.wikiAPIs, t.Wikibase.APIURL) {
		c, err := wikidata.NewClient(wikidata.Config{APIURL: t.Wikibase.APIURL, UserAgent: e.userAgent, MaxRetries: 2, MaxWait: 5 * time.Second, Timeout: 20 * time.Second}, nil)
		if err != nil {
			return web.CheckedItem{}, err
		}
		item, err := wikiplan.CheckTypedItem(ctx, c, qid, t.Wikibase.SiteURL)
		if err != nil {
			return web.CheckedItem{}, err
		}
		return web.CheckedItem{QID: item.ID, RedirectedFrom: item.RedirectedFrom, Label: item.Label(append(t.Languages, "mul", "en")...)}, nil
	}
	label, ok, err := r.Exists(ctx, qid, t.Languages)
	if err != nil {
		return web.CheckedItem{}, jobs.Errorf(jobs.EINVALID, "Could not check %s on the query service (%v); try again.", qid, err)
	}
	if !ok {
		return web.CheckedItem{}, jobs.Errorf(jobs.EINVALID, "%s does not exist on %s.", qid, t.Wikibase.SiteURL)
	}
	return web.CheckedItem{QID: qid, Label: label}, nil
}

// pace is how much of the job's query-service budget every process is
// spending now (the limiter's account is in the database).
func (e *endpoints) pace(ctx context.Context, job *jobs.Job) (jobs.EndpointPace, error) {
	t, err := match.ParseTemplate(job.Template)
	if err != nil {
		return jobs.EndpointPace{}, err
	}
	p, err := e.readers.Limiter().Pace(ctx, t.Wikibase.SPARQLEndpoint)
	if err != nil {
		return jobs.EndpointPace{}, err
	}
	return jobs.EndpointPace{Endpoint: p.Endpoint, Spent: p.Spent, Budget: p.Budget, Window: p.Window, PausedUntil: p.PausedUntil}, nil
}

// itemFacts gives exports the job's query service.
func (e *endpoints) itemFacts(job *jobs.Job) (export.ItemFacts, error) {
	r, _, err := e.items(job)
	if err != nil {
		return nil, fmt.Errorf("the job's template: %w", err)
	}
	return export.WikibaseFacts(r), nil
}

// planService builds and writes edit plans against each job's wiki, with
// the writer's sealed tokens.
func (a *app) planService() (*wikiplan.Service, error) {
	tokens, err := vault.New(subkey(a.key, "oauth tokens"))
	if err != nil {
		return nil, err
	}
	engine := writeback.New(writeback.Config{EditsPerMinute: a.cfg.EditsPerMinute, Tool: a.cfg.EditGroupsTool,
		RequestTimeout: a.cfg.EditTimeout, LateSave: a.cfg.EditLateSave, ReplicaLag: a.cfg.ReplicaLag}, a.store, wikiplan.Classify, a.logger)
	// Names in item columns are looked up on the job's query service
	// through the process's readers, paced like every other query.
	itemNames := func(template []byte) (plan.ItemNames, error) {
		r, _, err := a.eps.items(&jobs.Job{Template: template})
		if err != nil {
			return nil, err
		}
		return plan.WikibaseNames(r), nil
	}
	return wikiplan.NewService(wikiplan.Config{ConsumerKey: a.cfg.OAuthKey, ConsumerSecret: a.cfg.OAuthSecret, UserAgent: a.cfg.UserAgent,
		Tag: a.cfg.EditTag, AllowedAPIs: a.cfg.WikiAPIs, ItemNames: itemNames, Logger: a.logger}, a.store, tokens, engine), nil
}

// mediaUploader uploads media plans to Commons with the uploader's sealed
// tokens, reading each file again from the plan's URL or archive.
func (a *app) mediaUploader() (*mediaupload.Executor, error) {
	tokens, err := vault.New(subkey(a.key, "oauth tokens"))
	if err != nil {
		return nil, err
	}
	connect := mediaupload.NewConnector(mediaupload.ClientConfig{APIURL: a.cfg.CommonsAPI, UserAgent: a.cfg.UserAgent, Tag: a.cfg.CommonsTag,
		ConsumerKey: a.cfg.OAuthKey, ConsumerSecret: a.cfg.OAuthSecret, Logger: a.logger}, a.store, tokens)
	// The file is read again with the planner's limits: the same hosts,
	// addresses, size and archive checks.
	source := &mediaupload.PlanSource{Fetcher: a.mediaFetcher(), DataDir: a.cfg.DataDir, Zip: a.zipLimits()}
	return mediaupload.New(mediaupload.Config{WritesPerMinute: a.cfg.UploadsPerMin, Tool: a.cfg.EditGroupsTool,
		RequestTimeout: a.cfg.UploadTimeout, LateSave: a.cfg.EditLateSave, ReplicaLag: a.cfg.ReplicaLag,
		ChunkAbove: a.cfg.ChunkedAbove, ChunkSize: a.cfg.ChunkBytes}, a.store, connect, source, a.logger), nil
}

// undoService prepares and runs undos of write-backs with the write-back's
// pace, crash-safety windows, EditGroups tool and the users' sealed tokens.
func (a *app) undoService(plans *wikiplan.Service) *undo.Service {
	engine := undo.NewEngine(writeback.Config{EditsPerMinute: a.cfg.EditsPerMinute, Tool: a.cfg.EditGroupsTool,
		RequestTimeout: a.cfg.EditTimeout, LateSave: a.cfg.EditLateSave, ReplicaLag: a.cfg.ReplicaLag}, a.store, wikiplan.Classify, a.logger)
	return undo.NewService(a.store, engine, undo.WikiplanClients(plans), a.logger)
}

// matcherConfig is the one configuration of the reconciliation engine,
// shared by the workers and 'partnerhub reconcile' so that a file matches
// the same way in both: the same concurrency per endpoint, and the search
// fallback through the template's wikibase.api_url. allowedEndpoints and
// wikiAPIs, when not empty, are the only query services and wikis used.
func matcherConfig(userAgent string, readers *wdqs.Readers, allowedEndpoints, wikiAPIs []string, logger *slog.Logger) match.MatcherConfig {
	return match.MatcherConfig{UserAgent: userAgent, Readers: readers, AllowedEndpoints: allowedEndpoints, Logger: logger,
		Searcher: func(apiURL string) match.Searcher { return wikiSearcher(apiURL, userAgent, wikiAPIs, logger) }}
}

// wikiSearcher is the reconciliation's search fallback: the wiki's own
// search (wbsearchentities), which folds case and diacritics. Nil (no
// fallback) for a wiki the installation does not allow.
func wikiSearcher(apiURL, userAgent string, wikiAPIs []string, logger *slog.Logger) match.Searcher {
	if len(wikiAPIs) > 0 && !slices.Contains(wikiAPIs, apiURL) {
		return nil
	}
	c, err := wikidata.NewClient(wikidata.Config{APIURL: apiURL, UserAgent: userAgent, Logger: logger}, nil)
	if err != nil {
		return nil
	}
	return wikiSearch{c}
}

type wikiSearch struct{ c *wikidata.Client }

func (s wikiSearch) Search(ctx context.Context, text, language string, limit int) ([]string, error) {
	hits, err := s.c.SearchEntities(ctx, text, language, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// suggesters keeps, per wiki, the property searches and the cached format
// constraints the mapping page uses.
type suggesters struct {
	a   *app
	eps *endpoints
	mu  sync.Mutex
	by  map[string]*suggest.Suggester // by API URL + " " + SPARQL endpoint
}

func (s *suggesters) forJob(job *jobs.Job) (*suggest.Suggester, error) {
	raw := job.Template
	if len(raw) == 0 {
		raw = []byte(`{}`)
	}
	t, err := match.ParseTemplate(raw)
	if err != nil {
		return nil, err
	}
	wb := t.Wikibase
	if len(s.a.cfg.WikiAPIs) > 0 && !slices.Contains(s.a.cfg.WikiAPIs, wb.APIURL) {
		return nil, jobs.Errorf(jobs.EINVALID, "The wiki API %s is not one this installation allows.", wb.APIURL)
	}
	key := wb.APIURL + " " + wb.SPARQLEndpoint
	s.mu.Lock()
	defer s.mu.Unlock()
	if sg, ok := s.by[key]; ok {
		return &suggest.Suggester{Wiki: sg.Wiki, Formats: sg.Formats}, nil
	}
	c, err := wikidata.NewClient(wikidata.Config{APIURL: wb.APIURL, UserAgent: s.a.cfg.UserAgent, MaxRetries: 2, Timeout: 20 * time.Second, Logger: s.a.logger}, nil)
	if err != nil {
		return nil, err
	}
	// The mapping page asks the same searches on every view: ask the wiki once.
	sg := &suggest.Suggester{Wiki: suggest.Cached(c, 10*time.Minute)}
	if q, err := s.eps.client(wb.SPARQLEndpoint); err == nil {
		if f, err := suggest.NewFormats(q, wb.EntityPrefix, wb.PropertyPrefix, s.a.logger); err == nil {
			sg.Formats = f
		}
	}
	if s.by == nil {
		s.by = map[string]*suggest.Suggester{}
	}
	s.by[key] = sg
	return &suggest.Suggester{Wiki: sg.Wiki, Formats: sg.Formats}, nil
}

// reconcileService is the W3C reconciliation service at /reconcile (and
// /templates/{id}/reconcile): the workers' engine configuration on the
// installation's default Wikibase, its previews and data extension paced by
// this process's SPARQL limiter like the engines (whose account is shared
// through the database with the workers), so the public service spends the
// same query-service budget as the reconciliation jobs and cannot get the
// tool banned.
func (a *app) reconcileService() (*reconapi.Service, error) {
	newWiki := func(apiURL string) (suggest.Wiki, error) {
		c, err := wikidata.NewClient(wikidata.Config{APIURL: apiURL, UserAgent: a.cfg.UserAgent, MaxRetries: 2, Timeout: 20 * time.Second, Logger: a.logger}, nil)
		if err != nil {
			return nil, fmt.Errorf("reconciliation service: %w", err)
		}
		return suggest.Cached(c, 10*time.Minute), nil
	}
	wiki, err := newWiki(a.cfg.DefaultWikiAPI)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	wikis := map[string]suggest.Wiki{}
	// A template's own wiki, if the installation allows it.
	wikiFor := func(apiURL string) (suggest.Wiki, error) {
		if len(a.cfg.WikiAPIs) > 0 && !slices.Contains(a.cfg.WikiAPIs, apiURL) {
			return nil, jobs.Errorf(jobs.EINVALID, "The wiki API %s is not one this installation allows.", apiURL)
		}
		mu.Lock()
		defer mu.Unlock()
		if w, ok := wikis[apiURL]; ok {
			return w, nil
		}
		w, err := newWiki(apiURL)
		if err == nil {
			wikis[apiURL] = w
		}
		return w, err
	}
	return reconapi.New(reconapi.Config{
		Version:  version,
		Wikibase: match.Wikibase{SPARQLEndpoint: a.cfg.DefaultSPARQL, APIURL: a.cfg.DefaultWikiAPI},
		Engines:  a.matcher,
		Wiki:     wiki,
		WikiFor:  wikiFor,
		SPARQL: func(endpoint string) (reconapi.Querier, error) {
			c, err := a.eps.client(endpoint)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Logger: a.logger,
	})
}
