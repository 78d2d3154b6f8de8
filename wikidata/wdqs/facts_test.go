package wdqs_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

const graph = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
wd:Q231092 rdfs:label "Hilma af Klint"@sv, "Hilma af Klint"@en, "ヒルマ・アフ・クリント"@ja ; skos:altLabel "Hilma Af Klint"@sv ;
  schema:description "svensk konstnär"@sv, "Swedish painter"@en ;
  wdt:P31 wd:Q5 ; wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P18 "Hilma af Klint c. 1901.jpg" ; wdt:P245 "500115493" ;
  wdt:P27 wd:Q34 .
wd:Q34 rdfs:label "Sverige"@sv, "Sweden"@en ; skos:altLabel "Konungariket Sverige"@sv .
wd:Q187310 rdfs:label "Carl Larsson"@sv ; wdt:P31 wd:Q5 ; wdt:P106 wd:Q1028181, wd:Q1281618 .
wd:Q3305213 rdfs:label "painting"@en ; wdt:P279 wd:Q838948 .
wd:Q838948 rdfs:label "work of art"@en .
wd:Q12418 rdfs:label "Mona Lisa"@en ; wdt:P31 wd:Q3305213 .
wd:Q19675 rdfs:label "musée du Louvre"@fr .
wd:Q12418 p:P217 wds:s1, wds:s2 . wds:s1 ps:P217 "INV 779" ; pq:P195 wd:Q19675 . wds:s2 ps:P217 "779" .
`

func reader(t *testing.T, cfg wdqs.Config) (*wdqs.Reader, *sparqltest.Server) {
	srv := sparqltest.Start(t)
	srv.Load(t, graph)
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cfg.EntityPrefix, cfg.PropertyPrefix = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
	return wdqs.NewReader(c, cfg), srv
}

func TestItems(t *testing.T) {
	r, srv := reader(t, wdqs.Config{})
	ctx := context.Background()
	want := wdqs.Want{Languages: []string{"en", "sv"}, Aliases: true, Descriptions: true,
		Properties: []string{"P569", "P18", "P106", "P27"}, ValueLabels: []string{"P27"}, Classes: []string{"Q838948", "Q5"}}
	got, err := r.Items(ctx, []string{"Q231092", "Q187310", "Q404", "Q12418"}, want)
	if err != nil {
		t.Fatal(err)
	}
	h := got["Q231092"]
	if h.Label("en") != "Hilma af Klint" || len(h.Labels) != 2 || len(h.Aliases) != 1 || len(h.Descriptions) != 2 {
		t.Fatalf("Q231092 texts (ja must not come): %+v", h)
	}
	if h.Claims["P569"][0].Display() != "1862-10-26" || h.Claims["P18"][0].Display() != "Hilma af Klint c. 1901.jpg" || h.Claims["P27"][0].ID != "Q34" {
		t.Fatalf("Q231092 claims: %+v", h.Claims)
	}
	if !slices.Equal(h.ValueLabels["P27"]["Q34"], []string{"Konungariket Sverige", "Sverige", "Sweden"}) || len(h.ValueLabels["P27"]) != 1 || !slices.Equal(h.Types, []string{"Q5"}) {
		t.Fatalf("Q231092 value labels %v, types %v", h.ValueLabels, h.Types)
	}
	if !slices.Equal(h.Classes, []string{"Q5"}) || !slices.Equal(got["Q12418"].Classes, []string{"Q838948"}) {
		t.Fatalf("classes through subclasses: %v %v", h.Classes, got["Q12418"].Classes)
	}
	if c := got["Q187310"]; len(c.Claims["P106"]) != 2 || c.Label("en", "sv") != "Carl Larsson" {
		t.Fatalf("Q187310: %+v", c)
	}
	if q := got["Q404"]; q == nil || len(q.Labels) != 0 || len(q.Classes) != 0 {
		t.Fatalf("an unknown item: %+v", q)
	}

	// The same items again cost no query; one more item costs one.
	before := srv.Requests()
	again, err := r.Items(ctx, []string{"Q12418", "Q231092"}, want)
	if err != nil || srv.Requests() != before || !slices.Equal(again["Q12418"].Classes, []string{"Q838948"}) {
		t.Fatalf("cached answer: %v, %d queries", err, srv.Requests()-before)
	}
	if _, err := r.Items(ctx, []string{"Q34", "Q231092"}, want); err != nil || srv.Requests() != before+1 {
		t.Fatalf("one new item: %v, %d queries", err, srv.Requests()-before)
	}

	// Labels in other languages only for items without one in the
	// languages; statements with their scope qualifier.
	more, err := r.Items(ctx, []string{"Q19675", "Q231092", "Q12418"}, wdqs.Want{Languages: []string{"en", "sv"}, OtherLabels: true,
		Scoped: []wdqs.Scope{{Property: "P217", Qualifier: "P195"}}})
	if err != nil {
		t.Fatal(err)
	}
	if l := more["Q19675"].OtherLabels; len(l) != 1 || l[0] != (wdqs.Text{Value: "musée du Louvre", Lang: "fr"}) || len(more["Q231092"].OtherLabels) != 0 {
		t.Fatalf("other labels: %+v, %+v", more["Q19675"].OtherLabels, more["Q231092"].OtherLabels)
	}
	if sc := more["Q12418"].Scoped["P217"]; !slices.Equal(sc, []wdqs.ScopedValue{{Value: "779"}, {Value: "INV 779", Scope: "Q19675"}}) {
		t.Fatalf("scoped P217: %+v", sc)
	}

	if _, err := r.Items(ctx, []string{"Q1> . ?s ?p ?o"}, wdqs.Want{Properties: []string{"P1"}}); err == nil {
		t.Fatal("malformed QID accepted")
	}
	if _, err := r.Items(ctx, []string{"Q1"}, wdqs.Want{Languages: []string{`en") }`}}); err == nil {
		t.Fatal("malformed language accepted")
	}
}

// A closure larger than MaxClosure is not fetched whole: membership is
// asked in the item query, with the same answer.
func TestClassesPastMaxClosure(t *testing.T) {
	r, _ := reader(t, wdqs.Config{MaxClosure: 1})
	ctx := context.Background()
	if classes, complete, err := r.Subclasses(ctx, "Q838948"); err != nil || complete || len(classes) > 2 {
		t.Fatalf("closure of 2 with MaxClosure 1: %v %v %v", classes, complete, err)
	}
	got, err := r.Items(ctx, []string{"Q12418", "Q231092"}, wdqs.Want{Classes: []string{"Q838948"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["Q12418"].Classes, []string{"Q838948"}) || len(got["Q231092"].Classes) != 0 {
		t.Fatalf("classes: %v %v", got["Q12418"].Classes, got["Q231092"].Classes)
	}
	full, _ := reader(t, wdqs.Config{})
	if classes, complete, err := full.Subclasses(ctx, "Q838948"); err != nil || !complete || !classes["Q3305213"] || !classes["Q838948"] || len(classes) != 2 {
		t.Fatalf("closure: %v %v %v", classes, complete, err)
	}
}

func TestExists(t *testing.T) {
	r, _ := reader(t, wdqs.Config{})
	label, ok, err := r.Exists(context.Background(), "Q187310", []string{"en"})
	if err != nil || !ok || label != "Carl Larsson" {
		t.Fatalf("Q187310: %q %v %v", label, ok, err)
	}
	if _, ok, err := r.Exists(context.Background(), "Q999", nil); err != nil || ok {
		t.Fatalf("Q999: %v %v", ok, err)
	}
}

// AliasesOf reads the aliases of some items only, in the one query; the
// cache serves items read with aliases to a call that wants none (without
// them), never the other way round.
func TestAliasesOfSomeItems(t *testing.T) {
	r, srv := reader(t, wdqs.Config{})
	ctx := context.Background()
	w := wdqs.Want{Languages: []string{"en", "sv"}, AliasesOf: []string{"Q34"}}
	before := srv.Requests()
	got, err := r.Items(ctx, []string{"Q231092", "Q34"}, w)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Requests() != before+1 {
		t.Fatalf("%d queries, want 1", srv.Requests()-before)
	}
	if a := got["Q34"].Aliases; len(a) != 1 || a[0] != (wdqs.Text{Value: "Konungariket Sverige", Lang: "sv"}) {
		t.Fatalf("Q34 aliases: %+v", a)
	}
	if h := got["Q231092"]; len(h.Aliases) != 0 || len(h.Labels) != 2 {
		t.Fatalf("Q231092 (labels, no aliases): %+v", h)
	}
	// Both again, now with Q231092's aliases: only it is read again.
	before = srv.Requests()
	got, err = r.Items(ctx, []string{"Q231092", "Q34"}, wdqs.Want{Languages: []string{"en", "sv"}, AliasesOf: []string{"Q231092", "Q34"}})
	if err != nil || srv.Requests() != before+1 {
		t.Fatalf("%v, %d queries, want 1", err, srv.Requests()-before)
	}
	if len(got["Q231092"].Aliases) != 1 || len(got["Q34"].Aliases) != 1 {
		t.Fatalf("aliases: %+v %+v", got["Q231092"].Aliases, got["Q34"].Aliases)
	}
	// Without aliases: from the cache, and without them.
	before = srv.Requests()
	got, err = r.Items(ctx, []string{"Q231092", "Q34"}, wdqs.Want{Languages: []string{"en", "sv"}})
	if err != nil || srv.Requests() != before {
		t.Fatalf("%v, %d queries, want none", err, srv.Requests()-before)
	}
	if len(got["Q231092"].Aliases) != 0 || len(got["Q34"].Aliases) != 0 || len(got["Q34"].Labels) != 2 {
		t.Fatalf("no aliases asked for: %+v %+v", got["Q231092"], got["Q34"])
	}
}
