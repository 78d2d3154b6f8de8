// Package watchtest makes jobs whose write-back really wrote to a fake
// wiki, for the tests of watching them.
package watchtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

const ua = "Partnerhub-test/1.0 (https://partnerhub.example/)"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Written makes a job of owner (nil: a new user) whose write-back really
// wrote P245 and P569, with Partnerhub's reference, to Q1…Qn of the fake
// wiki, in the owner's name.
func Written(t testing.TB, st *store.Store, n int, owner *jobs.User) (*wikibasetest.Server, int64) {
	t.Helper()
	ctx := context.Background()
	var seed []*wikidata.Entity
	for i := 1; i <= n; i++ {
		seed = append(seed, &wikidata.Entity{ID: fmt.Sprint("Q", i), Type: "item"})
	}
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Writer", Token: "wt", Secret: "ws"}}, Entities: seed})
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	u := owner
	if u == nil {
		u, _ = st.UpsertUser(ctx, &jobs.User{WikiUserID: "5", Username: "Writer"})
	}
	storetest.SaveTokens(t, st, tokens, u.ID, "ck", "wt", "ws")
	var rows []jobs.Row
	var res []jobs.RowMatch
	for i := 1; i <= n; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint(500000000 + i), fmt.Sprintf("18%02d-01-02", i%100)}})
		res = append(res, jobs.RowMatch{Row: int64(i), Status: jobs.MatchMatched, QID: fmt.Sprint("Q", i), Score: 1})
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "Watch test", File: "w.csv", Columns: []string{"ulan", "born"}, Rows: rows, Results: res,
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"columns":{"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"}},"write":{"stated_in":"Q1000"}}`})
	engine := writeback.New(writeback.Config{EditsPerMinute: 60000}, st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, st, tokens, engine)
	p := storetest.WritingPlan(t, st, j.ID, u.ID, svc.Build)
	if err := svc.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.PlanCounts(ctx, p.ID); c.Done != int64(n) {
		t.Fatalf("the write-back wrote %d of %d items", c.Done, n)
	}
	return wiki, j.ID
}
