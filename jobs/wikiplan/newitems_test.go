package wikiplan_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata/wikibasetest"
)

// setupNewItems makes an approved, started plan creating n new items (rows
// decided "not on the wiki") against the fake wiki.
func setupNewItems(t *testing.T, n int, wikiOpts func(*wikibasetest.Options), engineCfg func(*writeback.Config)) *env {
	t.Helper()
	ctx := context.Background()
	opts := wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs", Accounts: []wikibasetest.Account{{Name: "Writer", Token: "wt", Secret: "ws"}}}
	if wikiOpts != nil {
		wikiOpts(&opts)
	}
	wiki := wikibasetest.New(t, opts)
	st := storetest.SQLite(t)
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "5", Username: "Writer"})
	storetest.SaveTokens(t, st, tokens, u.ID, "ck", "wt", "ws")
	var rows []jobs.Row
	var res []jobs.RowMatch
	for i := 1; i <= n; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint("Anna Person ", i), fmt.Sprint(500000000 + i)}})
		res = append(res, jobs.RowMatch{Row: int64(i), Status: jobs.MatchNone})
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "New items", File: "n.csv", Columns: []string{"name", "ulan"}, Rows: rows, Results: res,
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"type":{"qid":"Q5"},
		"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"}},
		"write":{"stated_in":"Q1000","labels":{"column":"name","languages":["en"]},"new_items":{"enabled":true}}}`})
	for i := 1; i <= n; i++ {
		if _, err := st.Decide(ctx, j.ID, int64(i), jobs.DecisionNew, "", u.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeback.Config{EditsPerMinute: 60000, MaxWait: 2 * time.Second}
	fastWindows(&cfg)
	if engineCfg != nil {
		engineCfg(&cfg)
	}
	engine := writeback.New(cfg, st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, st, tokens, engine)
	p := storetest.WritingPlan(t, st, j.ID, u.ID, svc.Build)
	if c, _ := st.PlanCounts(ctx, p.ID); c.NewItems != int64(n) {
		t.Fatalf("plan: %+v", c)
	}
	return &env{st: st, wiki: wiki, svc: svc, plan: p}
}

// TestLateLandingCreationMakesOneItem: the wiki creates a new item after
// the client gave up on the answer, and lists it late. The write-back finds
// it by its marker once it can no longer land, and creates nothing twice;
// with windows too short the same wiki gets the item created twice.
func TestLateLandingCreationMakesOneItem(t *testing.T) {
	late := func(o *wikibasetest.Options) { o.ReplicaLag = 300 * time.Millisecond }
	created := func(e *env) int {
		n := 0
		for _, ed := range e.wiki.Edits() {
			if ed.Created {
				n++
			}
		}
		return n
	}
	t.Run("windows cover the late save", func(t *testing.T) {
		e := setupNewItems(t, 3, late, func(c *writeback.Config) {
			c.RequestTimeout, c.LateSave, c.ReplicaLag = 300*time.Millisecond, 1200*time.Millisecond, 500*time.Millisecond
		})
		e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.LateLanding, Delay: 900 * time.Millisecond})
		if err := e.svc.Write(context.Background(), e.plan); err != nil {
			t.Fatal(err)
		}
		if n := created(e); n != 3 || len(e.wiki.WriteRequests()) != 3 {
			t.Fatalf("%d items created with %d requests for 3 rows", n, len(e.wiki.WriteRequests()))
		}
		items, _ := e.st.PlanItems(context.Background(), e.plan.ID, "", 0, 10)
		seen := map[string]bool{}
		for _, it := range items {
			if it.Status != jobs.ItemDone || it.NewQID == "" || seen[it.NewQID] || e.wiki.Entity(it.NewQID) == nil {
				t.Fatalf("item %d: %s new %q (%s)", it.No, it.Status, it.NewQID, it.Error)
			}
			seen[it.NewQID] = true
		}
	})
	t.Run("control: windows too short", func(t *testing.T) {
		e := setupNewItems(t, 1, late, func(c *writeback.Config) {
			c.RequestTimeout, c.LateSave, c.ReplicaLag = 300*time.Millisecond, time.Millisecond, time.Millisecond
		})
		e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.LateLanding, Delay: 2 * time.Second})
		_ = e.svc.Write(context.Background(), e.plan)
		deadline := time.Now().Add(time.Minute)
		for created(e) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if created(e) != 2 {
			t.Fatalf("the fake's late creation did not land after the re-send: %d created", created(e))
		}
	})
}
