package match

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql/sparqltest"
)

// TestPartnerItemColumn: the partner's QIDs become the rows' candidates,
// checked on a real SPARQL engine: an existing item of the right type is
// matched; a redirect proposes its target and is held; a missing item is
// said so and not proposed; an item of another type is held; a cell that is
// no item id is said so.
func TestPartnerItemColumn(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph+`
@prefix owl: <http://www.w3.org/2002/07/owl#> .
wd:Q100 owl:sameAs wd:Q2 .
`)
	tpl, err := ParseTemplate([]byte(`{"languages":["en","sv"],"type":{"qid":"Q5"},"columns":{
		"name":{"role":"label"},"wikidata":{"role":"item"},"born":{"property":"P569","kind":"time"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate([]string{"name", "wikidata", "born"}); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, tpl, quiet)
	rows := []Row{
		{Num: 1, Values: map[string]string{"name": "Hilma af Klint", "wikidata": "Q1", "born": "1862"}},
		{Num: 2, Values: map[string]string{"name": "Carl Larsson", "wikidata": "http://www.wikidata.org/entity/Q100", "born": "1853"}},
		{Num: 3, Values: map[string]string{"name": "Carl Larsson", "wikidata": "Q999", "born": "1853"}},
		{Num: 4, Values: map[string]string{"name": "Hilma af Klint", "wikidata": "https://www.wikidata.org/wiki/Q4"}},
		{Num: 5, Values: map[string]string{"name": "Carl Larsson", "wikidata": "Larsson", "born": "1853"}},
		{Num: 6, Values: map[string]string{"wikidata": "wd:Q3"}},
		{Num: 7, Values: map[string]string{"name": "Nobody Of That Name", "wikidata": "Q998"}},
	}
	got, err := e.MatchBatch(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		row      int
		status   jobs.MatchStatus
		qid      string
		evidence string
	}{
		{0, jobs.MatchMatched, "Q1", "the partner's wikidata names this item"},
		{1, jobs.MatchReview, "Q2", "the partner's item Q100 is a redirect to Q2"},
		{2, jobs.MatchReview, "Q2", "the partner's item Q999 (wikidata) does not exist on the wiki"},
		// The partner's Q4 is a ship: the person of that name ranks first,
		// and the disagreement is left to a reviewer.
		{3, jobs.MatchReview, "Q1", "not the item the partner's wikidata names (Q4): review"},
		{4, jobs.MatchReview, "Q2", `the partner's wikidata "Larsson" is not an item id like Q42`},
		// The partner's item alone, existing and of the right type, is enough.
		{5, jobs.MatchMatched, "Q3", "the partner's wikidata names this item"},
	} {
		m := got[c.row]
		if m.Status != c.status || m.QID != c.qid {
			t.Errorf("row %d: %s %s, want %s %s (%+v)", c.row+1, m.Status, m.QID, c.status, c.qid, m.Candidates)
			continue
		}
		if ev := strings.Join(m.Candidates[0].Evidence, " | "); !strings.Contains(ev, c.evidence) {
			t.Errorf("row %d: evidence %q lacks %q", c.row+1, ev, c.evidence)
		}
	}
	if ev := strings.Join(got[3].Candidates[1].Evidence, " | "); got[3].Candidates[1].QID != "Q4" || !strings.Contains(ev, "the partner's item Q4 is not of the template's type: review") {
		t.Errorf("row 4's second candidate: %+v", got[3].Candidates[1])
	}
	// The row's note says what the wiki said of the partner's item, also
	// when no candidate is left to carry it.
	if m := got[6]; m.Status != jobs.MatchNone || len(m.Candidates) != 0 || !strings.Contains(m.Note, "the partner's item Q998 (wikidata) does not exist on the wiki") {
		t.Errorf("row 7: %s %+v, note %q", m.Status, m.Candidates, m.Note)
	}
	for row, want := range map[int]string{
		1: "the partner's item Q100 is a redirect to Q2",
		2: "the partner's item Q999 (wikidata) does not exist on the wiki",
		3: "the partner's item Q4 is not of the template's type",
		4: `the partner's wikidata "Larsson" is not an item id like Q42`,
	} {
		if !strings.Contains(got[row].Note, want) {
			t.Errorf("row %d: note %q lacks %q", row+1, got[row].Note, want)
		}
	}
	for _, row := range []int{0, 5} {
		if got[row].Note != "" {
			t.Errorf("row %d: note %q for a partner item the wiki agrees with", row+1, got[row].Note)
		}
	}
	for _, cand := range got[2].Candidates {
		if cand.QID == "Q999" {
			t.Error("a missing item was proposed")
		}
	}
}
