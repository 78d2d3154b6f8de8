package wikiplan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs/plan"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
)

// entities answers wbgetentities as the client returns it: a redirected id
// under the id asked for, holding the target.
type entities map[string]*wikidata.Entity

func (e entities) GetEntities(_ context.Context, ids []string) (map[string]*wikidata.Entity, error) {
	out := map[string]*wikidata.Entity{}
	for _, id := range ids {
		if x, ok := e[id]; ok {
			out[id] = x
		}
	}
	return out, nil
}

// A row matched to an item that was merged since is planned on the item it
// was merged into, and the plan says so: a redirect cannot be edited
// (unresolved-redirect), and nothing the target has is added again.
func TestPlanFollowsRedirects(t *testing.T) {
	target := &wikidata.Entity{ID: "Q20000324", Type: "item", LastRevID: 91, Claims: map[string][]wikidata.Statement{
		"P569": {wikidata.NewTimeStatement("P569", wikidata.Time{Time: "+1862-10-26T00:00:00Z", Precision: 11})}}}
	wb := wikiplan.Wikibase{R: entities{"Q20000323": target}}
	tmpl, err := plan.ParseTemplate([]byte(`{"columns":{"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}},"write":{"stated_in":"Q1000"}}`), []string{"born", "ulan"})
	if err != nil {
		t.Fatal(err)
	}
	g := plan.Group{QID: "Q20000323", Rows: []int64{1}, Planned: []plan.PlannedValue{
		{Row: 1, Column: "born", Property: "P569", Kind: "time", Value: "1862-10-26/11"},
		{Row: 1, Column: "ulan", Property: "P245", Kind: "external-id", Value: "500115493"},
	}}
	changes, revs, err := wb.Changes(context.Background(), tmpl, []plan.Group{g}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ch := changes[0]
	if ch.RedirectTarget != "Q20000324" || revs[0] != 91 || len(ch.Notes) != 1 || !strings.Contains(ch.Notes[0], "merged into Q20000324") {
		t.Fatalf("redirect not followed: %+v rev %d", ch, revs[0])
	}
	if len(ch.Add) != 1 || ch.Add[0].Property != "P245" || len(ch.Present) != 1 {
		t.Fatalf("diffed against the wrong item: %+v", ch)
	}
}
