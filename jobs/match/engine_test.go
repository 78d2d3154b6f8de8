package match

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const smallGraph = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q5 rdfs:label "human"@en .
wd:Q1 rdfs:label "Hilma af Klint"@sv, "Hilma af Klint"@en ; schema:description "Swedish painter"@en ;
  wdt:P31 wd:Q5 ; wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P245 "500115493" ; wdt:P27 wd:Q34 .
wd:Q34 rdfs:label "Sweden"@en .
wd:Q2 rdfs:label "Carl Larsson"@sv ; wdt:P31 wd:Q5 ; wdt:P569 "1853-05-28T00:00:00Z"^^xsd:dateTime ; wdt:P245 "500009362" .
wd:Q3 rdfs:label "Carl Larsson"@en ; skos:altLabel "Carl Larsson (footballer)"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1901-01-01T00:00:00Z"^^xsd:dateTime .
wd:Q4 rdfs:label "Hilma af Klint"@sv ; schema:description "ship"@en ; wdt:P31 wd:Q11446 .
wd:Q11446 rdfs:label "ship"@en .
`

func smallTemplate(t *testing.T) *Template {
	t.Helper()
	tpl, err := ParseTemplate([]byte(`{"languages":["en","sv"],"type":{"qid":"Q5"},"columns":{
		"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"},
		"born":{"property":"P569","kind":"time"},"country":{"property":"P27","kind":"item"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate(nil); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func newTestClient(t *testing.T, endpoint string) *sparql.Client {
	t.Helper()
	c, err := sparql.NewClient(sparql.Config{Endpoint: endpoint, Logger: quiet, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchBatchSmallGraph(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph)
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, smallTemplate(t), quiet)
	rows := []Row{
		{Num: 1, Values: map[string]string{"name": "Klint, Hilma af", "born": "1862", "country": "Sweden"}},
		{Num: 2, Values: map[string]string{"name": "Carl Larsson", "born": "1853"}},
		{Num: 3, Values: map[string]string{"name": "Carl Larsson"}},
		{Num: 4, Values: map[string]string{"name": "Nobody Atall", "born": "1900"}},
		{Num: 5, Values: map[string]string{"ulan": "500115493"}},
		{Num: 6, Values: map[string]string{"name": "Carl Larsson", "ulan": "500115493"}},
		{Num: 7, Values: map[string]string{"name": "x\" } UNION { ?item ?p ?o } #\\", "ulan": "\"\n>", "born": "'); DROP"}},
	}
	got, err := e.MatchBatch(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status jobs.MatchStatus
		qid    string
	}{
		{jobs.MatchMatched, "Q1"}, {jobs.MatchMatched, "Q2"}, {jobs.MatchReview, ""}, {jobs.MatchNone, ""},
		{jobs.MatchMatched, "Q1"}, {jobs.MatchReview, ""}, {jobs.MatchNone, ""},
	}
	for i, w := range want {
		g := got[i]
		if g.Row != rows[i].Num || g.Status != w.status || (w.qid != "" && g.QID != w.qid) {
			t.Errorf("row %d: got %s %s %.3f %+v, want %s %s", rows[i].Num, g.Status, g.QID, g.Score, g.Candidates, w.status, w.qid)
		}
	}
	for _, c := range got[0].Candidates {
		t.Logf("row 1: %s %.3f %q types=%v facts=%v", c.QID, c.Score, c.Evidence, c.Types, c.Facts)
	}
	if c := got[0].Candidates[0]; c.Facts["P569"][0] != "1862-10-26" || c.Facts["P27"][0] != "Q34" || c.Types[0] != "Q5" || c.Description != "Swedish painter" {
		t.Errorf("summary %+v", c)
	}
	// Four lookups at most: identifiers, labels, the type's subclasses
	// (once per engine), facts.
	if n := e.Requests(); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	again, err := e.MatchBatch(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, again) {
		t.Error("the same batch gave different results")
	}
}

func TestMatchBatchMalformedAnswer(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph)
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, smallTemplate(t), quiet)
	srv.InjectMalformed(t, 1)
	_, err := e.MatchBatch(context.Background(), []Row{{Num: 1, Values: map[string]string{"name": "Carl Larsson"}}})
	if !errors.Is(err, sparql.ErrMalformedResponse) || !strings.Contains(err.Error(), "look up labels") {
		t.Fatalf("err %v", err)
	}
}

// An item without a label in the template's languages is shown by its label
// in another language, with that language named; scoring still only looks
// at the template's languages.
func TestCandidateLabelFromAnyLanguage(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
wd:Q5 rdfs:label "human"@en .
wd:Q61125347 rdfs:label "Maria Musterfrau"@de, "Marie Musterfrau"@fr, "Марія"@uk ; wdt:P31 wd:Q5 ; wdt:P245 "500999999" .
wd:Q7 rdfs:label "Jane Doe"@sv, "Johanna Doe"@de ; wdt:P31 wd:Q5 ; wdt:P245 "500777777" .
wd:Q8 wdt:P31 wd:Q5 ; wdt:P245 "500888888" .
`)
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, smallTemplate(t), quiet)
	got, err := e.MatchBatch(context.Background(), []Row{
		{Num: 1, Values: map[string]string{"name": "Maria Musterfrau", "ulan": "500999999"}},
		{Num: 2, Values: map[string]string{"name": "Jane Doe", "ulan": "500777777"}},
		{Num: 3, Values: map[string]string{"name": "Nameless", "ulan": "500888888"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ qid, label, lang string }{
		{"Q61125347", "Maria Musterfrau", "de"}, // German before French and Ukrainian
		{"Q7", "Jane Doe", "sv"},                // a template language wins over German
		{"Q8", "", ""},                          // no label at all
	}
	for i, w := range want {
		if len(got[i].Candidates) == 0 {
			t.Fatalf("row %d: no candidate", i+1)
		}
		c := got[i].Candidates[0]
		if c.QID != w.qid || c.Label != w.label || c.LabelLang != w.lang {
			t.Errorf("row %d: candidate %s %q@%s, want %s %q@%s", i+1, c.QID, c.Label, c.LabelLang, w.qid, w.label, w.lang)
		}
	}
	// The German label is not evidence: the name was not compared with it.
	for _, ev := range got[0].Candidates[0].Evidence {
		if strings.Contains(ev, "equals name") {
			t.Errorf("a label outside the languages was scored: %q", ev)
		}
	}
}

// recordingQuerier keeps the queries it passes on.
type recordingQuerier struct {
	q       Querier
	mu      sync.Mutex
	queries []string
}

func (r *recordingQuerier) Select(ctx context.Context, q string) (*sparql.Results, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	return r.q.Select(ctx, q)
}

// Aliases are read for the candidates found by one (Q6), not for those
// found by a label that is the row's name (Q3, whose alias "Carl Larsson
// (footballer)" cannot count), and still decide a match.
func TestAliasesReadWhereTheyCount(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph+`wd:Q6 rdfs:label "Karin Bergöö"@sv ; skos:altLabel "Karin Larsson"@sv ; wdt:P31 wd:Q5 ;
  wdt:P569 "1859-10-03T00:00:00Z"^^xsd:dateTime .
`)
	rec := &recordingQuerier{q: newTestClient(t, srv.Endpoint())}
	e := NewEngine(rec, nil, smallTemplate(t), quiet)
	got, err := e.MatchBatch(context.Background(), []Row{
		{Num: 1, Values: map[string]string{"name": "Karin Larsson", "born": "1859"}},
		{Num: 2, Values: map[string]string{"name": "Carl Larsson", "born": "1901"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Status != jobs.MatchMatched || got[0].QID != "Q6" || !strings.Contains(strings.Join(got[0].Candidates[0].Evidence, "; "), `alias "Karin Larsson"@sv equals name`) {
		t.Fatalf("row 1 (an alias): %+v", got[0])
	}
	if got[1].QID != "Q3" {
		t.Fatalf("row 2: %+v", got[1])
	}
	var facts []string
	for _, q := range rec.queries {
		if strings.Contains(q, "skos:altLabel ?value") {
			facts = append(facts, q)
		}
	}
	if len(facts) != 1 {
		t.Fatalf("%d fact queries with an alias branch: %q", len(facts), rec.queries)
	}
	_, branch, _ := strings.Cut(facts[0], "UNION {")
	branch, _, _ = strings.Cut(branch, "skos:altLabel")
	if !strings.Contains(branch, "entity/Q6>") || strings.Contains(branch, "entity/Q3>") {
		t.Fatalf("aliases of Q6 alone, not Q3's: %s", branch)
	}
}
