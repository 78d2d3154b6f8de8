package wikiplan_test

import (
	"context"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/wikiplan"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wdqs"
	"partnerhub/wikidata/wikibasetest"
)

// TestPlanResolvesNamesOnTheQueryService builds a plan whose country column
// holds names, against a real SPARQL engine holding P27's value-type
// constraint and the countries, and the fake wiki holding the items: the
// statement written is the country's item, and the ambiguous name is
// reported for a person.
func TestPlanResolvesNamesOnTheQueryService(t *testing.T) {
	ctx := context.Background()
	rdf := sparqltest.Start(t)
	rdf.Load(t, `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wds: <http://www.wikidata.org/entity/statement/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
wd:P27 p:P2302 wds:P27-1 . wds:P27-1 ps:P2302 wd:Q21510865 ; pq:P2308 wd:Q6256 .
wd:Q3624078 wdt:P279 wd:Q6256 .
wd:Q34 rdfs:label "Sweden"@en ; wdt:P31 wd:Q3624078 .
wd:Q971 rdfs:label "Congo"@en ; wdt:P31 wd:Q3624078 .
wd:Q974 rdfs:label "Congo"@en ; wdt:P31 wd:Q3624078 .
wd:Q1754 rdfs:label "Sweden"@sv ; wdt:P31 wd:Q515 .
`)
	sc, err := sparql.NewClient(sparql.Config{Endpoint: rdf.Endpoint(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	reader := wdqs.NewReader(sc, wdqs.Config{EntityPrefix: "http://www.wikidata.org/entity/", PropertyPrefix: "http://www.wikidata.org/prop/direct/"})
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Entities: []*wikidata.Entity{{ID: "Q1", Type: "item"}, {ID: "Q2", Type: "item"}}})
	st := storetest.SQLite(t)
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "5", Username: "Writer"})
	j, _ := st.CreateJob(ctx, u.ID, "Names", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"wikibase":{"api_url":"`+wiki.URL()+`"},"languages":["en","sv"],
		"columns":{"country":{"property":"P27","kind":"item"}},"write":{"stated_in":"Q1000"}}`))
	ds, _ := st.CreateDataset(ctx, j.ID, "n.csv", "/none", 1)
	ds.Columns = []string{"country"}
	_ = st.StartImport(ctx, ds)
	_ = st.AppendRows(ctx, ds.ID, []jobs.Row{{Num: 1, Cells: []string{"SWEDEN"}}, {Num: 2, Cells: []string{"Congo"}}}, 2)
	ds.RowCount = 2
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, 2, 2)
	_, _ = st.SaveBatchResult(ctx, j.ID, 1, []jobs.RowMatch{{Row: 1, Status: jobs.MatchMatched, QID: "Q1", Score: 1}, {Row: 2, Status: jobs.MatchMatched, QID: "Q2", Score: 1}}, 1)
	svc := wikiplan.NewService(wikiplan.Config{UserAgent: ua, Logger: quiet,
		ItemNames: func([]byte) (plan.ItemNames, error) { return plan.WikibaseNames(reader), nil }}, st, nil, nil)
	p, _ := st.CreatePlan(ctx, j.ID, u.ID)
	if err := svc.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Plan(ctx, p.ID); got.Status != jobs.PlanReady {
		t.Fatalf("plan %s: %s", got.Status, got.Error)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 10)
	byQID := map[string]*plan.Change{}
	for _, it := range items {
		byQID[it.QID], _ = plan.DecodeChange(it.Diff)
	}
	one := byQID["Q1"]
	if one == nil || len(one.Add) != 1 || one.Add[0].Value != "Q34" || !strings.Contains(string(one.Data), `"numeric-id":34`) {
		t.Fatalf("SWEDEN (the city labelled Sweden in sv is not a country): %+v %s", one, one.Data)
	}
	two := byQID["Q2"]
	if two == nil || len(two.Add) != 0 || len(two.Skipped) != 1 || !strings.Contains(two.Skipped[0], `row 2, column "country": "Congo" is ambiguous`) {
		t.Fatalf("Congo: %+v", two)
	}
}
