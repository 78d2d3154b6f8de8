package wdqs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

const graph = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q231092 rdfs:label "Hilma af Klint"@sv, "Hilma af Klint"@en ; schema:description "svensk konstnär"@sv, "Swedish painter"@en ;
  wdt:P31 wd:Q5 ; wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P18 "Hilma af Klint c. 1901.jpg" ; wdt:P245 "500115493" .
wd:Q187310 rdfs:label "Carl Larsson"@sv ; wdt:P31 wd:Q5 ; wdt:P106 wd:Q1028181, wd:Q1281618 .
`

func items(t *testing.T) wdqs.Items {
	srv := sparqltest.Start(t)
	srv.Load(t, graph)
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return wdqs.Items{Q: c, EntityPrefix: "http://www.wikidata.org/entity/", PropertyPrefix: "http://www.wikidata.org/prop/direct/"}
}

func TestFacts(t *testing.T) {
	it := items(t)
	got, err := it.Facts(context.Background(), []string{"Q231092", "Q187310", "Q404"}, []string{"en", "sv"}, []string{"P569", "P18", "P106"})
	if err != nil {
		t.Fatal(err)
	}
	h := got["Q231092"]
	if h.Labels["en"] != "Hilma af Klint" || h.Descriptions["sv"] != "svensk konstnär" || h.Claims["P569"][0] != "1862-10-26" || h.Claims["P18"][0] != "Hilma af Klint c. 1901.jpg" {
		t.Fatalf("Q231092: %+v", h)
	}
	if c := got["Q187310"]; len(c.Claims["P106"]) != 2 || c.Labels["sv"] != "Carl Larsson" {
		t.Fatalf("Q187310: %+v", c)
	}
	if _, ok := got["Q404"]; ok {
		t.Fatal("an unknown item has facts")
	}
	if _, err := it.Facts(context.Background(), []string{"Q1> . ?s ?p ?o"}, nil, []string{"P1"}); err == nil {
		t.Fatal("malformed QID accepted")
	}
	if _, err := it.Facts(context.Background(), []string{"Q1"}, []string{`en") }`}, nil); err == nil {
		t.Fatal("malformed language accepted")
	}
}

func TestExists(t *testing.T) {
	it := items(t)
	label, ok, err := it.Exists(context.Background(), "Q187310", []string{"en"})
	if err != nil || !ok || label != "Carl Larsson" {
		t.Fatalf("Q187310: %q %v %v", label, ok, err)
	}
	if _, ok, err := it.Exists(context.Background(), "Q999", nil); err != nil || ok {
		t.Fatalf("Q999: %v %v", ok, err)
	}
}
