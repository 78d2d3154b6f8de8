package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestOneReaderPerProcess: the worker's matcher, edit plans, exports and the
// web side read a query service through one reader and one cache, paced by
// the one limiter: what one of them has read costs the others nothing.
func TestOneReaderPerProcess(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q5 rdfs:label "human"@en .
wd:Q1 rdfs:label "Hilma af Klint"@en ; schema:description "Swedish painter"@en ; wdt:P31 wd:Q5 ;
  wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime .
wd:Q2 rdfs:label "Carl Larsson"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1853-05-28T00:00:00Z"^^xsd:dateTime .
`)
	// Every row has its exact label, so the search fallback is not asked;
	// it is a fake all the same, so nothing reaches a real wiki.
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: []*wikidata.Entity{
		{ID: "Q1", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Hilma af Klint"}}}}})
	for k, v := range map[string]string{
		"PARTNERHUB_DATA_DIR": t.TempDir(), "PARTNERHUB_DB_DSN": "", "PARTNERHUB_REDIS_ADDR": "", "PARTNERHUB_SECRET_KEY": "",
		"PARTNERHUB_SPARQL_ENDPOINTS": "", "PARTNERHUB_WIKI_APIS": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := configure(false, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := open(ctx, cfg, io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	raw, _ := json.Marshal(map[string]any{
		"wikibase":  map[string]any{"sparql_endpoint": srv.Endpoint(), "api_url": wiki.URL()},
		"languages": []string{"en"}, "type": map[string]any{"qid": "Q5"},
		"columns": map[string]any{"name": map[string]any{"role": "label"}, "born": map[string]any{"property": "P569", "kind": "time"}}})
	job := &jobs.Job{ID: 1, Template: raw}

	// The worker matches a batch: the names, the type's subclasses, the
	// candidates' facts.
	cols := []string{"name", "born"}
	got, requests, err := a.matcher.MatchRows(ctx, job, cols, []jobs.Row{{Num: 1, Cells: []string{"Hilma af Klint", "1862"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].QID != "Q1" || requests != 3 {
		t.Fatalf("matched %+v with %d requests, want Q1 with 3", got, requests)
	}
	queries := func(what string, want int64, do func()) {
		t.Helper()
		before := srv.Requests()
		do()
		if n := srv.Requests() - before; n != want {
			t.Errorf("%s: %d queries, want %d", what, n, want)
		}
	}
	// An edit plan looks up the names in an item column, typed by the
	// job's class: the subclasses the matcher read are not asked again.
	queries("plan's item names", 1, func() {
		r, _, err := a.eps.items(job)
		if err != nil {
			t.Fatal(err)
		}
		found, err := plan.WikibaseNames(r).Named(ctx, []string{"Carl Larsson"}, []string{"en"}, []string{"Q5"})
		if err != nil || len(found["Carl Larsson"]) != 1 || !found["Carl Larsson"][0].Typed {
			t.Errorf("names %+v (%v)", found, err)
		}
	})
	// Exports (the web side builds one per request) share one cache.
	export := func() {
		facts, err := a.eps.itemFacts(job)
		if err != nil {
			t.Fatal(err)
		}
		f, err := facts.Facts(ctx, []string{"Q1"}, []string{"en"}, []string{"P569"})
		if err != nil || f["Q1"].Labels["en"] != "Hilma af Klint" || len(f["Q1"].Claims["P569"]) != 1 {
			t.Errorf("export facts %+v (%v)", f, err)
		}
	}
	queries("first export", 1, export)
	queries("second export", 0, export)

	// One reader and one client per query service, paced by the process's
	// limiter, whichever side asks.
	r1, _, err := a.eps.items(job)
	if err != nil {
		t.Fatal(err)
	}
	r2, _, _ := a.eps.items(&jobs.Job{ID: 2, Template: raw})
	if r1 != r2 {
		t.Error("two readers for one query service")
	}
	shared, err := a.readers.Reader(srv.Endpoint(), "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/")
	if err != nil || shared != r1 {
		t.Errorf("the web side's reader is not the process's (%v)", err)
	}
	c, err := a.eps.client(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	if c.Limiter() != a.limiter || a.readers.Limiter() != a.limiter {
		t.Error("the query service client is not paced by the process's limiter")
	}
}
