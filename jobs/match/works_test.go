package match

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql/sparqltest"
)

// worksGraph: an artist with two portraits in different collections, 60
// same-titled portraits by others (more than are scored in full), an
// inventory number repeated in two collections, a drawing and a sculpture
// under visual artwork.
func worksGraph() string {
	var b strings.Builder
	b.WriteString(`@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q3305213 wdt:P279 wd:Q4502142 . wd:Q93184 wdt:P279 wd:Q4502142 .
wd:Q50 rdfs:label "Rembrandt van Rijn"@en ; skos:altLabel "Rembrandt"@en ; wdt:P31 wd:Q5 .
wd:Q51 rdfs:label "Lavinia Lottileschi"@en ; wdt:P31 wd:Q5 .
wd:Q60 rdfs:label "Nationalmuseum"@en . wd:Q61 rdfs:label "Rijksmuseum"@en .
wd:Q900 rdfs:label "Portrait of a Man"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 ; wdt:P571 "1650-01-01T00:00:00Z"^^xsd:dateTime ;
  wdt:P217 "NM 1234" ; p:P217 wds:a . wds:a ps:P217 "NM 1234" ; pq:P195 wd:Q60 .
wd:Q901 rdfs:label "Portrait of a Man"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 ; wdt:P571 "1632-01-01T00:00:00Z"^^xsd:dateTime ;
  wdt:P217 "3383" ; p:P217 wds:b . wds:b ps:P217 "3383" ; pq:P195 wd:Q61 .
wd:Q902 rdfs:label "Study of Hands"@en ; wdt:P31 wd:Q93184 ; wdt:P170 wd:Q51 ;
  wdt:P217 "3383" ; p:P217 wds:c . wds:c ps:P217 "3383" ; pq:P195 wd:Q60 .
wd:Q903 rdfs:label "The Mill"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 .
`)
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "wd:Q%d rdfs:label \"Portrait of a Man\"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q%d .\n", 1000+i, 2000+i%7)
	}
	// The last in QID order, 62nd of the portraits, has the date 1700.
	b.WriteString(`wd:Q1059 wdt:P571 "1700-01-01T00:00:00Z"^^xsd:dateTime .` + "\n")
	return b.String()
}

const worksTemplate = `{"languages":["en"],"type":{"qid":"Q4502142"},"columns":{
	"title":{"role":"label"},"artist":{"property":"P170","kind":"item"},"date":{"property":"P571","kind":"time"},
	"inv":{"property":"P217","kind":"external-id","spelling":"loose","strip_prefixes":["Inv."],"scope":{"property":"P195","column":"coll"}},
	"coll":{"property":"P195","kind":"item"}}}`

func TestMatchWorks(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, worksGraph())
	tpl, err := ParseTemplate([]byte(worksTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate(nil); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, tpl, quiet)
	tests := []struct {
		row    map[string]string
		status jobs.MatchStatus
		qid    string
		ev     string // in the best candidate's evidence
	}{
		// 62 portraits: narrowed to the artist's, told apart by the date.
		{map[string]string{"title": "Portrait of a Man", "artist": "REMBRANDT", "date": "c. 1650"}, jobs.MatchMatched, "Q900",
			`artist "REMBRANDT" agrees with P170 "Rembrandt" (Q50)`},
		{map[string]string{"title": "portrait of a man", "artist": "Rijn, Rembrandt van (1606–1669)", "date": "1630s"}, jobs.MatchMatched, "Q901", "date \"1630s\" (1630–1639) includes 1632"},
		// The artist alone cannot tell his two portraits apart.
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt van Rijn"}, jobs.MatchReview, "", "items have this title"},
		// An attribution is never the artist's work.
		{map[string]string{"title": "The Mill", "artist": "circle of Rembrandt"}, jobs.MatchReview, "Q903", "is an attribution (circle of), not a work by Rembrandt"},
		{map[string]string{"title": "Mill", "artist": "Rembrandt van Rijn"}, jobs.MatchMatched, "Q903", "found among the items whose P170 is the row's item"},
		// Off by one year: weak disagreement, not a conflict.
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "date": "1651"}, jobs.MatchReview, "Q900", "date 1651 is near 1650 (weak disagreement)"},
		// Inventory numbers within their collection, spelt loosely.
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "inv": "NM1234", "coll": "Nationalmuseum"}, jobs.MatchMatched, "Q900",
			`inv P217 = NM1234 in P195 "Nationalmuseum" (Q60) matches`},
		{map[string]string{"title": "Study of Hands", "inv": "Inv. 3383", "coll": "Nationalmuseum"}, jobs.MatchMatched, "Q902", "instance of Q4502142 or a subclass"},
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "inv": "3383", "coll": "Nationalmuseum"}, jobs.MatchReview, "", ""},
	}
	for i, tt := range tests {
		got, err := e.MatchBatch(context.Background(), []Row{{Num: int64(i + 1), Values: tt.row}})
		if err != nil {
			t.Fatal(err)
		}
		m := got[0]
		var ev string
		if len(m.Candidates) > 0 {
			ev = strings.Join(m.Candidates[0].Evidence, " | ")
		}
		if m.Status != tt.status || (tt.qid != "" && m.QID != tt.qid) || !strings.Contains(ev, tt.ev) {
			t.Errorf("%v: %s %s %.3f [%s]; want %s %s with %q", tt.row, m.Status, m.QID, m.Score, ev, tt.status, tt.qid, tt.ev)
		}
	}
}

// TestRankBeforeCap: with more candidates than are scored in full, the
// right one is ranked in by its facts, and a row whose left-out candidates
// are as good is never auto-accepted.
func TestRankBeforeCap(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, worksGraph())
	tpl, _ := ParseTemplate([]byte(`{"languages":["en"],"type":{"qid":"Q4502142"},"columns":{"title":{"role":"label"},"date":{"property":"P571","kind":"time"}}}`))
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, tpl, quiet)
	got, err := e.MatchBatch(context.Background(), []Row{
		{Num: 1, Values: map[string]string{"title": "Portrait of a Man", "date": "1700"}},
		{Num: 2, Values: map[string]string{"title": "Portrait of a Man"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Q1059 is not among the first 40 portraits in QID order: it is scored
	// because it was ranked on its date before the cap; a title and a date
	// alone are no decisive evidence while 22 portraits are left unscored.
	if got[0].QID != "Q1059" || got[0].Status == jobs.MatchMatched || !strings.Contains(strings.Join(got[0].Candidates[0].Evidence, "|"), "22 more candidates were not compared, and no identifier") {
		t.Errorf("row 1: %s %s %+v", got[0].Status, got[0].QID, got[0].Candidates)
	}
	if got[1].Status == jobs.MatchMatched || !strings.Contains(strings.Join(got[1].Candidates[0].Evidence, "|"), "more candidates were not compared") {
		t.Errorf("row 2: %s %+v", got[1].Status, got[1].Candidates)
	}
}

// portraitsGraph: 403 "Portrait of a Man" (the count), three by
// Rembrandt (Q50) with their dates, one with an inventory number in the
// Nationalmuseum; 45 of the others are dated 1640, like one of his.
func portraitsGraph() string {
	var b strings.Builder
	b.WriteString(`@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q50 rdfs:label "Rembrandt van Rijn"@en ; skos:altLabel "Rembrandt"@en ; wdt:P31 wd:Q5 .
wd:Q60 rdfs:label "Nationalmuseum"@en . wd:Q3305213 wdt:P279 wd:Q4502142 .
wd:Q900 rdfs:label "Portrait of a Man"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 ; wdt:P571 "1632-01-01T00:00:00Z"^^xsd:dateTime .
wd:Q901 rdfs:label "Portrait of a Man"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 ; wdt:P571 "1640-01-01T00:00:00Z"^^xsd:dateTime .
wd:Q902 rdfs:label "Portrait of a Man"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q50 ;
  wdt:P217 "NM 1234" ; p:P217 wds:a . wds:a ps:P217 "NM 1234" ; pq:P195 wd:Q60 .
`)
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "wd:Q%d rdfs:label \"Portrait of a Man\"@en ; wdt:P31 wd:Q3305213 ; wdt:P170 wd:Q%d", 1000+i, 2000+i%37)
		if i%9 == 0 && i < 405 {
			b.WriteString(` ; wdt:P571 "1640-01-01T00:00:00Z"^^xsd:dateTime`)
		} else {
			fmt.Fprintf(&b, ` ; wdt:P571 "%d-01-01T00:00:00Z"^^xsd:dateTime`, 1500+i)
		}
		b.WriteString(" .\n")
	}
	return b.String()
}

// TestTruncatedCandidates: when more candidates exist than are scored,
// a row is accepted only on decisive evidence (an identifier, or the
// artist and the date together) that leads the most any left-out
// candidate could score; otherwise it is held, and the evidence says why.
func TestTruncatedCandidates(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, portraitsGraph())
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, mustTemplate(t, worksTemplate), quiet)
	tests := []struct {
		row    map[string]string
		status jobs.MatchStatus
		qid    string
		ev     string
	}{
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "date": "1632"}, jobs.MatchMatched, "Q900", "none could score more than 0.400"},
		{map[string]string{"title": "Portrait of a Man", "inv": "NM1234", "coll": "Nationalmuseum"}, jobs.MatchMatched, "Q902", "none could score more than"},
		// 1632 is the date of one portrait only, but a date is no decisive
		// evidence on its own.
		{map[string]string{"title": "Portrait of a Man", "date": "1632"}, jobs.MatchReview, "", "no identifier (or item and date together)"},
		// 45 others dated 1640, whose creators' names are unknown until
		// scored: one left out could be as good.
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "date": "1640"}, jobs.MatchReview, "Q901", "could score up to 0.900"},
		// The artist alone: three of his portraits.
		{map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt"}, jobs.MatchReview, "", "more candidates were not compared"},
	}
	for i, tt := range tests {
		got, err := e.MatchBatch(context.Background(), []Row{{Num: int64(i + 1), Values: tt.row}})
		if err != nil {
			t.Fatal(err)
		}
		m := got[0]
		var ev string
		if len(m.Candidates) > 0 {
			ev = strings.Join(m.Candidates[0].Evidence, " | ")
		}
		if m.Status != tt.status || (tt.qid != "" && m.QID != tt.qid) || !strings.Contains(ev, tt.ev) {
			t.Errorf("%v: %s %s %.3f [%s]; want %s %s with %q", tt.row, m.Status, m.QID, m.Score, ev, tt.status, tt.qid, tt.ev)
		}
	}
}

func mustTemplate(t *testing.T, s string) *Template {
	t.Helper()
	tpl, err := ParseTemplate([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate(nil); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestSameID(t *testing.T) {
	loose := Column{Spelling: SpellingLoose}
	tests := []struct {
		a, b string
		c    Column
		want bool
	}{
		{"NM1234", "NM 1234", loose, true},
		{"nm-1234", "NM 1234", loose, true},
		{"3383", "NM 3383", loose, true}, // the collection's own prefix
		{"SK-A-3383", "3383", loose, true},
		{"3383", "NM 33830", loose, false},
		{"NM 1234", "GKM 1234", loose, false},
		{"12/1960", "NMH 12/1960", loose, true},
		{"1234A", "1234", loose, false},
		{"NM1234", "NM 1234", Column{}, false},
		{"", "", loose, false},
	}
	for _, tt := range tests {
		if got := sameID(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("sameID(%q, %q, %q) = %v", tt.a, tt.b, tt.c.Spelling, got)
		}
	}
}

// TestFindsOnlyThroughCreators: a country lists too many items to search
// for a title; a creator's works are few.
func TestFindsOnlyThroughCreators(t *testing.T) {
	tpl, err := ParseTemplate([]byte(`{"type":{"qid":"Q4502142"},"columns":{"title":{"role":"label"},
		"artist":{"property":"P170","kind":"item"},"country":{"property":"P17","kind":"item"},"place":{"property":"P276","kind":"item","finds":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !tpl.finds("artist") || tpl.finds("country") || !tpl.finds("place") {
		t.Fatalf("finds: artist %v country %v place %v", tpl.finds("artist"), tpl.finds("country"), tpl.finds("place"))
	}
	q := &emptyQuerier{}
	e := NewEngine(q, nil, tpl, quiet)
	in := e.readRow(Row{Values: map[string]string{"title": "Mill", "artist": "Q50", "country": "Q34", "place": "Q1754"}})
	if err := e.findByLinkedItems(context.Background(), []rowInput{in}, make([]rowCands, 1)); err != nil {
		t.Fatal(err)
	}
	if len(q.queries) != 1 || !strings.Contains(q.queries[0], "/prop/direct/P170> <http://www.wikidata.org/entity/Q50>") {
		t.Fatalf("queries %q", q.queries)
	}
	if strings.Contains(q.queries[0], "P17>") || !strings.Contains(q.queries[0], "P276") {
		t.Errorf("the linked-items query should ask the creator and the place, not the country:\n%s", q.queries[0])
	}
}

// TestCeilingBoundsScore: for every candidate of rows with hundreds of
// them, the ceiling from the label-free ranking facts is at least the
// score from the full facts, so a candidate left out never outscores it.
func TestCeilingBoundsScore(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, portraitsGraph())
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, mustTemplate(t, worksTemplate), quiet)
	ctx := context.Background()
	rows := []Row{
		{Num: 1, Values: map[string]string{"title": "Portrait of a Man", "artist": "Rembrandt", "date": "1640"}},
		{Num: 2, Values: map[string]string{"title": "Portrait of a Man", "artist": "Rijn, Rembrandt van", "date": "c. 1632", "inv": "NM 1234", "coll": "Nationalmuseum"}},
		{Num: 3, Values: map[string]string{"title": "Portrait of a Man", "artist": "circle of Rembrandt", "date": "17th century"}},
		{Num: 4, Values: map[string]string{"title": "Portrait of a Man", "artist": "Q2003", "date": "1503"}},
	}
	inputs := make([]rowInput, len(rows))
	for i, r := range rows {
		inputs[i] = e.readRow(r)
	}
	cands := make([]rowCands, len(rows))
	for _, find := range []func(context.Context, []rowInput, []rowCands) error{e.findByIdentifier, e.findByLabel, e.findByLinkedItems} {
		if err := find(ctx, inputs, cands); err != nil {
			t.Fatal(err)
		}
	}
	for i := range inputs {
		for _, via := range cands[i].via {
			if via == "label" {
				inputs[i].sameName++
			}
		}
		if len(cands[i].qids) <= maxLookupsPerRow {
			t.Fatalf("row %d: only %d candidates", i+1, len(cands[i].qids))
		}
		pre, err := e.rankFacts(ctx, inputs[i:i+1], cands[i].qids)
		if err != nil {
			t.Fatal(err)
		}
		full, err := e.fetchFacts(ctx, inputs[i:i+1], [][]string{cands[i].qids}, cands[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range cands[i].qids {
			if c, top := e.score(inputs[i], q, full[q]), e.ceiling(inputs[i], pre[q]); c.Score > top {
				t.Errorf("row %d %s: score %.3f > ceiling %.3f %q", i+1, q, c.Score, top, c.Evidence)
			}
		}
	}
}
