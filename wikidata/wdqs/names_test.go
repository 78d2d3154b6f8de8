package wdqs_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

// countries: P27's value-type constraint asks for countries (Q6256); two
// Congos are countries; one Georgia is a country, the other a US state;
// Stockholm is a city.
const countries = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
wd:P27 p:P2302 wds:P27-1, wds:P27-2 .
wds:P27-1 ps:P2302 wd:Q21510865 ; pq:P2308 wd:Q6256, wd:Q3024240 .
wds:P27-2 ps:P2302 wd:Q21502838 ; pq:P2308 wd:Q5 .
wd:Q3624078 wdt:P279 wd:Q6256 .
wd:Q34 rdfs:label "Sweden"@en, "Sverige"@sv ; schema:description "country in northern Europe"@en ; wdt:P31 wd:Q3624078 .
wd:Q230 rdfs:label "Georgia"@en ; wdt:P31 wd:Q3624078 .
wd:Q1428 rdfs:label "Georgia"@en ; wdt:P31 wd:Q35657 .
wd:Q971 rdfs:label "Congo"@en ; wdt:P31 wd:Q3624078 .
wd:Q974 rdfs:label "Congo"@mul ; wdt:P31 wd:Q6256 .
wd:Q1754 rdfs:label "Stockholm"@en ; wdt:P31 wd:Q515 .
`

func countryItems(t *testing.T, maxClosure int) *wdqs.Reader {
	srv := sparqltest.Start(t)
	srv.Load(t, countries)
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return wdqs.NewReader(c, wdqs.Config{EntityPrefix: "http://www.wikidata.org/entity/", PropertyPrefix: "http://www.wikidata.org/prop/direct/", MaxClosure: maxClosure})
}

// TestValueTypesAndNamed runs twice: with membership worked out from the
// cached subclass closures, and with a closure too large to fetch whole,
// where the query asks for membership itself; both must agree.
func TestValueTypesAndNamed(t *testing.T) {
	for name, maxClosure := range map[string]int{"closure": 0, "in the query": 1} {
		t.Run(name, func(t *testing.T) { testValueTypesAndNamed(t, countryItems(t, maxClosure)) })
	}
}

func testValueTypesAndNamed(t *testing.T, it *wdqs.Reader) {
	ctx := context.Background()
	classes, err := it.ValueTypes(ctx, "P27")
	sort.Strings(classes)
	if err != nil || len(classes) != 2 || classes[0] != "Q3024240" || classes[1] != "Q6256" {
		t.Fatalf("value types of P27: %v %v (only the value-type constraint counts)", classes, err)
	}
	if none, err := it.ValueTypes(ctx, "P569"); err != nil || len(none) != 0 {
		t.Fatalf("value types of P569: %v %v", none, err)
	}
	got, err := it.Named(ctx, []string{"SWEDEN", "Georgia", "Congo", "Sveden", "Stockholm", `x" } ?s ?p ?o {`}, []string{"en"}, classes, func(s string) []string { return []string{s, strings.ToUpper(s[:1]) + strings.ToLower(s[1:])} })
	if err != nil {
		t.Fatal(err)
	}
	typed := func(name string) (all, ofType []string) {
		for _, c := range got[name] {
			all = append(all, c.QID)
			if c.Typed {
				ofType = append(ofType, c.QID)
			}
		}
		sort.Strings(all)
		sort.Strings(ofType)
		return all, ofType
	}
	if all, of := typed("SWEDEN"); len(all) != 1 || len(of) != 1 || of[0] != "Q34" || got["SWEDEN"][0].Description != "country in northern Europe" {
		t.Fatalf("SWEDEN: %+v", got["SWEDEN"])
	}
	if all, of := typed("Georgia"); len(all) != 2 || len(of) != 1 || of[0] != "Q230" {
		t.Fatalf("Georgia: %+v", got["Georgia"])
	}
	if _, of := typed("Congo"); len(of) != 2 {
		t.Fatalf("Congo (one by its mul label): %+v", got["Congo"])
	}
	if all, of := typed("Stockholm"); len(all) != 1 || len(of) != 0 {
		t.Fatalf("Stockholm: %+v", got["Stockholm"])
	}
	if _, ok := got["Sveden"]; ok {
		t.Fatalf("Sveden: %+v", got["Sveden"])
	}
}
