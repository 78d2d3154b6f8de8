package match

import (
	"context"
	"slices"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql/sparqltest"
)

func TestLifeDates(t *testing.T) {
	tests := []struct{ name, born, died string }{
		{"Nilsson, Karl (1840-1900)", "1840", "1900"},
		{"Karl Nilsson (1840–1900)", "1840", "1900"},
		{"Strindberg, August, 1849-1912", "1849", "1912"},
		{"Berg, Anna (b. 1850)", "1850", ""},
		{"Berg, Anna, född 1850", "1850", ""},
		{"Anna Berg (d. 1911)", "", "1911"},
		{"Anna Berg (1850–)", "1850", ""},
		{"Anna Berg (–1911)", "", "1911"},
		{"Anna Berg (ca. 1850-1911)", "ca. 1850", "1911"},
		{"Bergsten, Pehr (1576–1650?)", "1576", "1650?"},
		{"Karl Nilsson (painter) (1840-1900)", "1840", "1900"},
		{"Karl Nilsson (painter)", "", ""},
		{"Karl Nilsson (active 1650)", "", ""},
		{"Karl Nilsson", "", ""},
		{"Louis XIV", "", ""},
		{"Nilsson, Karl, 1840-", "1840", ""},
		{"Studio 54 (1977)", "", ""}, // a year alone is no life date
	}
	for _, tt := range tests {
		if b, d := lifeDates(tt.name); b != tt.born || d != tt.died {
			t.Errorf("lifeDates(%q) = %q, %q; want %q, %q", tt.name, b, d, tt.born, tt.died)
		}
	}
}

func FuzzLifeDates(f *testing.F) {
	for _, s := range []string{"Nilsson, Karl (1840-1900)", "Strindberg, August, 1849-1912", "(b. 1850)", "(–)", "a, 1-", "(c.1650?–)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, d := lifeDates(s)
		for _, v := range []string{b, d} {
			if _, ok := parseDateSpan(v); v != "" && !ok {
				t.Errorf("lifeDates(%q) gave %q, which is not a date", s, v)
			}
		}
	})
}

// TestLifeDatesInNames: a person's name with its life dates and no date
// columns is confirmed by them, a namesake of another century is not,
// and a date column of the row wins over the name's.
func TestLifeDatesInNames(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, `@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q1 rdfs:label "Karl Nilsson"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1840-02-02T00:00:00Z"^^xsd:dateTime ; wdt:P570 "1900-12-12T00:00:00Z"^^xsd:dateTime .
wd:Q2 rdfs:label "Karl Nilsson"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1990-02-02T00:00:00Z"^^xsd:dateTime .
wd:Q3 rdfs:label "August Strindberg"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1849-01-22T00:00:00Z"^^xsd:dateTime ; wdt:P570 "1912-05-14T00:00:00Z"^^xsd:dateTime .
`)
	client := newTestClient(t, srv.Endpoint())
	for _, tc := range []struct {
		template string
		row      map[string]string
		status   jobs.MatchStatus
		qid, ev  string
	}{
		{`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"}}}`, map[string]string{"name": "Nilsson, Karl (1840-1900)"}, jobs.MatchMatched, "Q1",
			`name (P569 from the name) 1840 agrees`},
		{`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"}}}`, map[string]string{"name": "Strindberg, August, 1849-1912"}, jobs.MatchMatched, "Q3",
			`name (P570 from the name) 1912 agrees`},
		// Another Karl Nilsson's dates: neither item.
		{`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"}}}`, map[string]string{"name": "Karl Nilsson (1870-1931)"}, jobs.MatchReview, "", "(conflict)"},
		// The born column is the row's birth date; the name's is not used.
		{`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`,
			map[string]string{"name": "Karl Nilsson (1990-)", "born": "1840"}, jobs.MatchMatched, "Q1", "born 1840 agrees"},
		// Turned off: the name alone.
		{`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label","life_dates":{"born":"","died":""}}}}`, map[string]string{"name": "Nilsson, Karl (1840-1900)"}, jobs.MatchReview, "", ""},
	} {
		e := NewEngine(client, nil, mustTemplate(t, tc.template), quiet)
		got, err := e.MatchBatch(context.Background(), []Row{{Num: 1, Values: tc.row}})
		if err != nil {
			t.Fatal(err)
		}
		m := got[0]
		var ev string
		if len(m.Candidates) > 0 {
			ev = strings.Join(m.Candidates[0].Evidence, " | ")
		}
		if m.Status != tc.status || (tc.qid != "" && m.QID != tc.qid) || !strings.Contains(ev, tc.ev) {
			t.Errorf("%v: %s %s %.3f [%s]; want %s %s with %q", tc.row, m.Status, m.QID, m.Score, ev, tc.status, tc.qid, tc.ev)
		}
	}
}

// The label column's life-date properties are read only for a batch with
// a row that writes dates with its name; mapped properties always are.
func TestLifeDatePropertiesOnlyWhenARowHasDates(t *testing.T) {
	e := NewEngine(nil, nil, smallTemplate(t), quiet)
	wants := func(rows ...Row) []string {
		inputs := make([]rowInput, len(rows))
		for i, r := range rows {
			inputs[i] = e.readRow(r)
		}
		return e.factsWanted(inputs).Properties
	}
	plain := Row{Num: 1, Values: map[string]string{"name": "Karl Nilsson", "born": "1840"}}
	dated := Row{Num: 2, Values: map[string]string{"name": "Nilsson, Karl (1840-1900)"}}
	if got := wants(plain); !slices.Contains(got, "P569") || slices.Contains(got, "P570") {
		t.Fatalf("no dated name: %v", got)
	}
	if got := wants(plain, dated); !slices.Contains(got, "P569") || !slices.Contains(got, "P570") {
		t.Fatalf("a dated name: %v", got)
	}
}
