package wikibasetest_test

import (
	"strings"
	"testing"

	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestMergeAnswersAsWikibase: after a merge, wbgetentities answers the
// merged id under the id asked for, with the target's id and data and a
// "redirects" member; with redirects=no, and for a double redirect, it
// answers "missing" (Wikibase's GetEntitiesRedirectTest); the statements
// moved to the target carry GUIDs of the target, and an equivalent statement
// the target had gets the references it lacked instead of a second copy.
func TestMergeAnswersAsWikibase(t *testing.T) {
	ref := wikidata.NewReference(wikidata.StatedIn("Q1000"))
	other := wikidata.NewReference(wikidata.StatedIn("Q2000"))
	s := wikibasetest.New(t, wikibasetest.Options{Entities: []*wikidata.Entity{
		{ID: "Q1", Claims: map[string][]wikidata.Statement{
			"P245": {wikidata.NewStringStatement("P245", "external-id", "500")},
			"P31":  {wikidata.NewItemStatement("P31", "Q5")},
		}},
		{ID: "Q2", Claims: map[string][]wikidata.Statement{"P31": {wikidata.NewItemStatement("P31", "Q5")}}},
		{ID: "Q3"},
	}})
	s.ChangeAs("x", "Q1", func(e *wikidata.Entity) {
		for p := range e.Claims {
			e.Claims[p][0].ID = "Q1$" + p
			e.Claims[p][0].References = []wikidata.Reference{ref}
		}
	})
	s.ChangeAs("x", "Q2", func(e *wikidata.Entity) {
		e.Claims["P31"][0].ID = "Q2$P31"
		e.Claims["P31"][0].References = []wikidata.Reference{other}
	})
	if err := s.Merge("Merger", "Q1", "Q2"); err != nil {
		t.Fatal(err)
	}
	m := get(t, s.URL()+"?action=wbgetentities&ids=Q1&format=json&formatversion=2")
	e := m["entities"].(map[string]any)["Q1"].(map[string]any)
	red, _ := e["redirects"].(map[string]any)
	if e["id"] != "Q2" || red["from"] != "Q1" || red["to"] != "Q2" {
		t.Fatalf("merged id answered %v", e)
	}
	q2 := s.Entity("Q2")
	if len(q2.Claims["P245"]) != 1 || !strings.HasPrefix(q2.Claims["P245"][0].ID, "Q2$") {
		t.Fatalf("moved statement %+v", q2.Claims["P245"])
	}
	if len(q2.Claims["P31"]) != 1 || len(q2.Claims["P31"][0].References) != 2 {
		t.Fatalf("equivalent statement %+v", q2.Claims["P31"])
	}
	m = get(t, s.URL()+"?action=wbgetentities&ids=Q1&redirects=no&format=json&formatversion=2")
	if e := m["entities"].(map[string]any)["Q1"].(map[string]any); e["missing"] != true || e["id"] != "Q1" || e["claims"] != nil {
		t.Fatalf("redirects=no answered %v", e)
	}
	s.Redirect("Q3", "Q1") // now a double redirect
	m = get(t, s.URL()+"?action=wbgetentities&ids=Q3&format=json&formatversion=2")
	if e := m["entities"].(map[string]any)["Q3"].(map[string]any); e["missing"] != true {
		t.Fatalf("double redirect answered %v", e)
	}
}
