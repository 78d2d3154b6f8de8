// Package plantest seeds stores with jobs ready to plan, for the tests of
// the plan builder and of planning against a Wikibase.
package plantest

import (
	"context"
	"fmt"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

const tmpl = `{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}},
 "write":{"stated_in":"Q1000","labels":{"column":"name","languages":["en"]},"new_items":{"enabled":%v}}}`

// Seed makes a job whose template writes P569 and P245 with labels, and
// whose rows cover the cases a plan meets: an auto-matched row, an accepted
// row with a bad date, two rows of one item, a row "not on the wiki", a
// rejected row, and 115 matched rows (more than two reads of 50). It
// returns a plan being built.
func Seed(t testing.TB, st *store.Store, newItems bool) *jobs.EditPlan {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	j, _ := st.CreateJob(ctx, u.ID, "Plan", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(fmt.Sprintf(tmpl, newItems)))
	ds, _ := st.CreateDataset(ctx, j.ID, "p.csv", "/none", 1)
	ds.Columns = []string{"name", "born", "ulan"}
	_ = st.StartImport(ctx, ds)
	rows := []jobs.Row{
		{Num: 1, Cells: []string{"KLINT, Hilma af", "1862-10-26", "500115493"}}, // catalogue form
		{Num: 2, Cells: []string{"Carl Larsson", "18x3", "500011045"}},          // bad date
		{Num: 3, Cells: []string{"Hilma af Klint", "1862", ""}},                 // same item as row 1
		{Num: 4, Cells: []string{"BRÄNNSTEN, Olof Hilma", "1900", ""}},          // not on the wiki
		{Num: 5, Cells: []string{"Rejected", "1800", ""}},
	}
	var more []jobs.RowMatch
	for i := 6; i <= 120; i++ { // enough items for three reads
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint("P", i), "1900", ""}})
		more = append(more, jobs.RowMatch{Row: int64(i), Status: jobs.MatchMatched, QID: fmt.Sprint("Q", 5000+i), Score: 1})
	}
	_ = st.AppendRows(ctx, ds.ID, rows, int64(len(rows)))
	ds.RowCount = int64(len(rows))
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, ds.RowCount, len(rows))
	results := append([]jobs.RowMatch{
		{Row: 1, Status: jobs.MatchMatched, QID: "Q231092", Score: 0.99},
		{Row: 2, Status: jobs.MatchReview, QID: "Q187310", Score: 0.7},
		{Row: 3, Status: jobs.MatchReview, QID: "Q1", Score: 0.5},
		{Row: 4, Status: jobs.MatchNone},
		{Row: 5, Status: jobs.MatchMatched, QID: "Q5", Score: 0.95},
	}, more...)
	if _, err := st.SaveBatchResult(ctx, j.ID, 1, results, 1); err != nil {
		t.Fatal(err)
	}
	_, _ = st.Decide(ctx, j.ID, 2, jobs.DecisionAccept, "Q187310", u.ID, 0)
	_, _ = st.Decide(ctx, j.ID, 3, jobs.DecisionAccept, "Q231092", u.ID, 0)
	_, _ = st.Decide(ctx, j.ID, 4, jobs.DecisionNew, "", u.ID, 0)
	_, _ = st.Decide(ctx, j.ID, 5, jobs.DecisionReject, "", u.ID, 0)
	p, err := st.CreatePlan(ctx, j.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
