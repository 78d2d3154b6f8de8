package export_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"partnerhub/jobs/export"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

// The export reads its wiki columns through the shared Wikibase reader.
func TestWikibaseFacts(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q231092 rdfs:label "Hilma af Klint"@sv, "Hilma af Klint"@en ; schema:description "svensk konstnär"@sv, "Swedish painter"@en ;
  wdt:P31 wd:Q5 ; wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P18 "Hilma af Klint c. 1901.jpg" .
wd:Q187310 rdfs:label "Carl Larsson"@sv ; wdt:P31 wd:Q5 ; wdt:P106 wd:Q1028181, wd:Q1281618 .
`)
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	facts := export.WikibaseFacts(wdqs.NewReader(c, wdqs.Config{EntityPrefix: "http://www.wikidata.org/entity/", PropertyPrefix: "http://www.wikidata.org/prop/direct/"}))
	got, err := facts.Facts(context.Background(), []string{"Q231092", "Q187310", "Q404"}, []string{"en", "sv"}, []string{"P569", "P18", "P106"})
	if err != nil {
		t.Fatal(err)
	}
	h := got["Q231092"]
	if h.Labels["en"] != "Hilma af Klint" || h.Descriptions["sv"] != "svensk konstnär" || h.Claims["P569"][0] != "1862-10-26" || h.Claims["P18"][0] != "Hilma af Klint c. 1901.jpg" {
		t.Fatalf("Q231092: %+v", h)
	}
	if c := got["Q187310"]; len(c.Claims["P106"]) != 2 || c.Labels["sv"] != "Carl Larsson" || c.Claims["P106"][0] != "Q1028181" {
		t.Fatalf("Q187310: %+v", c)
	}
	if _, ok := got["Q404"]; ok {
		t.Fatal("an unknown item has facts")
	}
}
