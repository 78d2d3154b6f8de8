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
	ts, _ := tokens.Seal([]byte("wt"), vault.TokenAAD(u.ID, "token"))
	ss, _ := tokens.Seal([]byte("ws"), vault.TokenAAD(u.ID, "secret"))
	_ = st.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: "ck", TokenSealed: ts, SecretSealed: ss})
	j, _ := st.CreateJob(ctx, u.ID, "Watch test", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"wikibase":{"api_url":"`+wiki.URL()+`"},"columns":{"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"}},"write":{"stated_in":"Q1000"}}`))
	ds, _ := st.CreateDataset(ctx, j.ID, "w.csv", "/none", 1)
	ds.Columns = []string{"ulan", "born"}
	_ = st.StartImport(ctx, ds)
	var rows []jobs.Row
	var res []jobs.RowMatch
	for i := 1; i <= n; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint(500000000 + i), fmt.Sprintf("18%02d-01-02", i%100)}})
		res = append(res, jobs.RowMatch{Row: int64(i), Status: jobs.MatchMatched, QID: fmt.Sprint("Q", i), Score: 1})
	}
	_ = st.AppendRows(ctx, ds.ID, rows, int64(n))
	ds.RowCount = int64(n)
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, int64(n), n)
	_, _ = st.SaveBatchResult(ctx, j.ID, 1, res, 1)
	_, _ = st.FinishReconciliationIfDone(ctx, j.ID)
	engine := writeback.New(writeback.Config{EditsPerMinute: 60000}, st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, st, tokens, engine)
	p, _ := st.CreatePlan(ctx, j.ID, u.ID)
	if err := svc.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	_ = st.ApprovePlan(ctx, p.ID, u.ID, nil)
	if err := st.StartWriting(ctx, p.ID, u.ID, "feedfacecafebeef"); err != nil {
		t.Fatal(err)
	}
	p, _ = st.Plan(ctx, p.ID)
	if err := svc.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.PlanCounts(ctx, p.ID); c.Done != int64(n) {
		t.Fatalf("the write-back wrote %d of %d items", c.Done, n)
	}
	return wiki, j.ID
}
