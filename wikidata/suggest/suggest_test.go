package suggest_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/suggest"
	"partnerhub/wikidata/suggest/suggesttest"
	"partnerhub/wikidata/wikibasetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func wiki(t *testing.T) (*wikidata.Client, *wikibasetest.Server) {
	t.Helper()
	srv := wikibasetest.New(t, wikibasetest.Options{Entities: append(suggesttest.Entities(), suggesttest.Types()...)})
	c, err := wikidata.NewClient(wikidata.Config{APIURL: srv.URL(), UserAgent: "partnerhub-test/1 (test@example.org)", MaxRetries: 1, Logger: quiet()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func formats(t *testing.T) (*suggest.Formats, *sparqltest.Server) {
	t.Helper()
	srv := sparqltest.Start(t)
	srv.Load(t, suggesttest.FormatConstraintsTurtle())
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), UserAgent: "partnerhub-test/1", MaxRetries: -1, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := suggest.NewFormats(c, "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/", quiet())
	if err != nil {
		t.Fatal(err)
	}
	return f, srv
}

func TestSearchPropertiesByLabelGivesDatatypeAndKind(t *testing.T) {
	c, _ := wiki(t)
	ctx := context.Background()
	got, err := suggest.SearchProperties(ctx, c, "date of birth", "en", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].ID != "P569" || got[0].Datatype != "time" || got[0].Kind != suggest.KindTime || got[0].Description == "" {
		t.Fatalf("date of birth: %+v", got)
	}
	// An alias finds the property too; items are not properties.
	got, err = suggest.SearchProperties(ctx, c, "ULAN", "en", 5)
	if err != nil || len(got) != 1 || got[0].ID != "P245" || got[0].Kind != suggest.KindExternalID || got[0].Label != "Union List of Artist Names ID" {
		t.Fatalf("ULAN: %+v %v", got, err)
	}
	if got, _ := suggest.SearchProperties(ctx, c, "human", "en", 5); len(got) != 0 {
		t.Fatalf("an item came back from a property search: %+v", got)
	}
	types, err := suggest.SearchTypes(ctx, c, "person", "en", 5)
	if err != nil || len(types) != 1 || types[0].ID != "Q5" || types[0].Label != "human" {
		t.Fatalf("types for person: %+v %v", types, err)
	}
}

func TestKindOf(t *testing.T) {
	for dt, want := range map[string]string{"external-id": "external-id", "time": "time", "wikibase-item": "item", "quantity": "quantity",
		"url": "url", "string": "string", "commonsMedia": "string", "monolingualtext": "", "wikibase-lexeme": "", "globe-coordinate": ""} {
		if got := suggest.KindOf(dt); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", dt, got, want)
		}
	}
}

func TestFormatsMatchIdentifiersAndSkipPatternsRE2CannotCompile(t *testing.T) {
	f, srv := formats(t)
	ctx := context.Background()
	got, err := f.Matching(ctx, []string{"500115493", "500012368", " "}, 5)
	if err != nil {
		t.Fatal(err)
	}
	// ULAN's 500\d{6} and VIAF's generic digits both fit; ULAN's is the
	// more specific and comes first.
	if len(got) != 2 || got[0].Property != "P245" || got[1].Property != "P214" {
		t.Fatalf("ULAN values: %+v", got)
	}
	got, _ = f.Matching(ctx, []string{"n79021164", "no2001012345"}, 5)
	if len(got) != 1 || got[0].Property != "P244" {
		t.Fatalf("LC values: %+v", got)
	}
	// The whole value must fit, not a part of it.
	if got, _ := f.Matching(ctx, []string{"x500115493"}, 5); len(got) != 0 {
		t.Fatalf("a partial match counted: %+v", got)
	}
	// Three patterns compile; the look-ahead one does not and is skipped.
	if f.Len() != 3 {
		t.Fatalf("%d usable patterns, want 3", f.Len())
	}
	// The constraints are fetched once and cached.
	before := srv.Requests()
	for range 3 {
		if _, err := f.Matching(ctx, []string{"24604287"}, 5); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Requests() - before; n != 0 {
		t.Fatalf("%d more queries after the first load", n)
	}
}

func TestFormatsFailureIsReportedAndRetriedLater(t *testing.T) {
	f, srv := formats(t)
	srv.InjectFailures(t, 500, "", 1)
	if _, err := f.Matching(context.Background(), []string{"500115493"}, 5); err == nil || !strings.Contains(err.Error(), "format constraints") {
		t.Fatalf("a failed load gave %v", err)
	}
}

func TestColumnSuggestions(t *testing.T) {
	c, _ := wiki(t)
	f, _ := formats(t)
	s := &suggest.Suggester{Wiki: c, Formats: f, Language: "en"}
	ctx := context.Background()

	// By name, confirmed by the values: dates make "time" the kind.
	col := s.Column(ctx, "date_of_birth", []string{"1862-10-26", "1853", ""})
	if b, ok := col.Best(); !ok || b.ID != "P569" || b.Kind != suggest.KindTime || col.Kind != suggest.KindTime || len(b.Reasons) == 0 || !strings.Contains(b.Reasons[0], "date of birth") {
		t.Fatalf("date_of_birth: %+v", col)
	}
	// A camel-cased name is searched as words.
	if b, ok := s.Column(ctx, "placeOfBirth", []string{"Stockholm"}).Best(); !ok || b.ID != "P19" || b.Kind != suggest.KindItem {
		t.Fatalf("placeOfBirth: %+v", b)
	}
	// Years alone are dates; the name says nothing.
	if col := s.Column(ctx, "born", []string{"1862", "1901"}); col.Kind != suggest.KindTime {
		t.Fatalf("born: %+v", col)
	}
	// By format: a column named after nothing whose values are ULAN ids.
	col = s.Column(ctx, "getty", []string{"500115493", "500012368"})
	b, ok := col.Best()
	if !ok || b.ID != "P245" || b.Label != "Union List of Artist Names ID" || b.Kind != suggest.KindExternalID || !strings.Contains(b.Reasons[0], `500\d{6}`) {
		t.Fatalf("getty: %+v", col)
	}
	// Both: name and format agree, so the property gathers both reasons.
	col = s.Column(ctx, "VIAF", []string{"24604287", "96994048"})
	if b, ok := col.Best(); !ok || b.ID != "P214" || len(b.Reasons) != 2 {
		t.Fatalf("VIAF: %+v", col)
	}
	// The name column.
	if col := s.Column(ctx, "Name", []string{"Hilma af Klint"}); col.Role != "label" || len(col.Properties) != 0 {
		t.Fatalf("Name: %+v", col)
	}
	// Names are not identifiers: no format matching for words.
	if col := s.Column(ctx, "notes", []string{"a painter", "born in Solna"}); len(col.Properties) != 0 {
		t.Fatalf("notes: %+v", col)
	}
}

func TestColumnReportsFailedSearch(t *testing.T) {
	c, srv := wiki(t)
	s := &suggest.Suggester{Wiki: c}
	srv.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 5})
	col := s.Column(context.Background(), "date of birth", []string{"1862"})
	if len(col.Problems) != 1 || !strings.Contains(col.Problems[0], "property search") || col.Kind != suggest.KindTime {
		t.Fatalf("failed search: %+v", col)
	}
}

func TestCachedWikiAsksOnce(t *testing.T) {
	c, srv := wiki(t)
	w := suggest.Cached(c, time.Hour)
	ctx := context.Background()
	for range 3 {
		if got, err := suggest.SearchProperties(ctx, w, "date of birth", "en", 5); err != nil || len(got) == 0 || got[0].ID != "P569" {
			t.Fatalf("search: %+v %v", got, err)
		}
	}
	if n := srv.Requests(); n != 1 {
		t.Fatalf("%d requests for three equal searches, want 1", n)
	}
	// A failure is not kept.
	srv.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 2})
	if _, err := suggest.SearchTypes(ctx, w, "person", "en", 5); err == nil {
		t.Fatal("the injected failure did not fail")
	}
	if got, err := suggest.SearchTypes(ctx, w, "person", "en", 5); err != nil || len(got) != 1 {
		t.Fatalf("after a failure: %+v %v", got, err)
	}
}
