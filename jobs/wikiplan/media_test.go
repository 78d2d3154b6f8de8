package wikiplan_test

import (
	"context"
	"testing"
	"time"

	"partnerhub/jobs/plan"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
)

// A media upload's image (P18) is planned only on an item without one,
// against the real diff: another image is a conflict even though the
// template does not list P18 as single-valued, and the same image needs
// nothing, not even a reference, although the template adds references to
// values already present.
func TestMediaImageOnlyWhereTheItemHasNone(t *testing.T) {
	p18 := func(file string) map[string][]wikidata.Statement {
		st := wikidata.NewStatement("P18", "commonsMedia", wikidata.StringValue(file))
		st.ID = "Q$" + file
		return map[string][]wikidata.Statement{"P18": {st}}
	}
	wb := wikiplan.Wikibase{R: entities{
		"Q1": {ID: "Q1", Type: "item", LastRevID: 5},
		"Q2": {ID: "Q2", Type: "item", LastRevID: 6, Claims: p18("Other painting.jpg")},
		"Q3": {ID: "Q3", Type: "item", LastRevID: 7, Claims: p18("Scan (NM 3).jpg")},
	}}
	tmpl, err := plan.ParseTemplate([]byte(`{"columns":{"ulan":{"property":"P245","kind":"external-id"}},"write":{"stated_in":"Q1000","add_reference_if_present":true}}`), []string{"ulan"})
	if err != nil {
		t.Fatal(err)
	}
	image := func(row int64, file string) plan.PlannedValue {
		return plan.PlannedValue{Row: row, Column: "(media upload)", Property: "P18", Kind: "commonsMedia", Value: file, OnlyIfNone: true}
	}
	groups := []plan.Group{
		{QID: "Q1", Rows: []int64{1}, Planned: []plan.PlannedValue{image(1, "Painting (NM 1).jpg")}},
		{QID: "Q2", Rows: []int64{2}, Planned: []plan.PlannedValue{image(2, "Painting (NM 2).jpg")}},
		{QID: "Q3", Rows: []int64{3}, Planned: []plan.PlannedValue{image(3, "Scan (NM 3).jpg")}},
	}
	changes, _, err := wb.Changes(context.Background(), tmpl, groups, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ch := changes[0]; len(ch.Add) != 1 || ch.Add[0].Property != "P18" || ch.Add[0].Value != "Painting (NM 1).jpg" || len(ch.Data) == 0 {
		t.Errorf("Q1 (no image): %+v", ch)
	}
	if ch := changes[1]; len(ch.Add) != 0 || len(ch.Conflicts) != 1 || ch.Conflicts[0].Existing[0] != "Other painting.jpg" || len(ch.Data) != 0 {
		t.Errorf("Q2 (another image) must be a conflict, never a second image: %+v", ch)
	}
	if ch := changes[2]; !ch.Empty() || len(ch.AddRefs) != 0 || len(ch.Present) != 1 || len(ch.Data) != 0 {
		t.Errorf("Q3 (this very image) needs nothing, not even a reference: %+v", ch)
	}
}

// The only-if-none mark survives the plan item's stored diff, so that the
// write-back's re-check (after an edit conflict or an interrupted edit)
// still makes an image someone added meanwhile a conflict, not a second one.
func TestMediaImageRecheckAfterSomeoneAddedOne(t *testing.T) {
	tmpl, err := plan.ParseTemplate([]byte(`{"columns":{"ulan":{"property":"P245","kind":"external-id"}},"write":{"stated_in":"Q1000"}}`), []string{"ulan"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := plan.EncodeChange(&plan.Change{Planned: []plan.PlannedValue{
		{Row: 1, Column: "(media upload)", Property: "P18", Kind: "commonsMedia", Value: "Painting (NM 1).jpg", OnlyIfNone: true}}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := plan.DecodeChange(stored)
	if err != nil {
		t.Fatal(err)
	}
	meanwhile := &wikidata.Entity{ID: "Q1", Type: "item", LastRevID: 8, Claims: map[string][]wikidata.Statement{
		"P18": {wikidata.NewStatement("P18", "commonsMedia", wikidata.StringValue("Added meanwhile.jpg"))}}}
	again, _, err := wikiplan.Recheck(context.Background(), wikiplan.Wikibase{R: entities{"Q1": meanwhile}}, tmpl, "Q1", []int64{1}, ch, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Add) != 0 || len(again.Conflicts) != 1 || len(again.Data) != 0 {
		t.Fatalf("re-check after someone added an image: %+v", again)
	}
}
