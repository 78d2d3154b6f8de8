package store_test

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// TestRowNotesAreKept: a row's note (what the wiki said of the partner's
// item) is stored with its result and read back by the results, the review
// page and the export, also for a row left without any candidate.
func TestRowNotesAreKept(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := st.CreateJob(ctx, u.ID, "Notes", "")
		ds, _ := st.CreateDataset(ctx, j.ID, "n.csv", "/none", 1)
		ds.Columns = []string{"name", "wikidata"}
		if err := st.StartImport(ctx, ds); err != nil {
			t.Fatal(err)
		}
		rows := []jobs.Row{{Num: 1, Cells: []string{"Nobody", "Q999"}}, {Num: 2, Cells: []string{"Carl Larsson", "Q100"}}, {Num: 3, Cells: []string{"Hilma af Klint", ""}}}
		if err := st.AppendRows(ctx, ds.ID, rows, 3); err != nil {
			t.Fatal(err)
		}
		ds.RowCount = 3
		if err := st.FinishImport(ctx, ds, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.StartReconciliation(ctx, j.ID, 3, 3); err != nil {
			t.Fatal(err)
		}
		missing := "the partner's item Q999 (wikidata) does not exist on the wiki: deleted, or a typo"
		redirect := "the partner's item Q100 is a redirect to Q2 (the items were merged): check and update the partner's data"
		want := map[int64]string{1: missing, 2: redirect, 3: ""}
		results := []jobs.RowMatch{
			{Row: 1, Status: jobs.MatchNone, Note: missing},
			{Row: 2, Status: jobs.MatchReview, QID: "Q2", Label: "Carl Larsson", Score: 0.8, Note: redirect,
				Candidates: []jobs.CandidateSummary{{QID: "Q2", Label: "Carl Larsson", Score: 0.8}}},
			{Row: 3, Status: jobs.MatchMatched, QID: "Q1", Label: "Hilma af Klint", Score: 0.95,
				Candidates: []jobs.CandidateSummary{{QID: "Q1", Label: "Hilma af Klint", Score: 0.95}}},
		}
		if ok, err := st.SaveBatchResult(ctx, j.ID, 1, results, 1); !ok || err != nil {
			t.Fatalf("save results: %v %v", ok, err)
		}

		ms, err := st.RowMatches(ctx, j.ID, 0, 10)
		if err != nil || len(ms) != 3 {
			t.Fatalf("results: %v %v", ms, err)
		}
		for _, m := range ms {
			if m.Note != want[m.Row] {
				t.Errorf("result of row %d: note %q, want %q", m.Row, m.Note, want[m.Row])
			}
		}
		page, _, err := st.ReviewPage(ctx, j.ID, ds.ID, jobs.ReviewFilter{}, nil, 10)
		if err != nil || len(page) != 3 {
			t.Fatalf("review page: %v %v", page, err)
		}
		for _, r := range page {
			if r.Match.Note != want[r.Row] {
				t.Errorf("review row %d: note %q, want %q", r.Row, r.Match.Note, want[r.Row])
			}
		}
		exp, err := st.ExportPage(ctx, j.ID, ds.ID, 0, 10)
		if err != nil || len(exp) != 3 {
			t.Fatalf("export page: %v %v", exp, err)
		}
		for _, r := range exp {
			if r.Match.Note != want[r.Row] {
				t.Errorf("export row %d: note %q, want %q", r.Row, r.Match.Note, want[r.Row])
			}
		}
	})
}
