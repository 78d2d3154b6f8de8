package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestWritebackSurvivesKill kills the process (SIGKILL: no shutdown code
// runs) in the middle of writing a 200-item plan, starts it again, and
// expects every planned statement on the fake wiki exactly once, one edit
// per item, and every item's revision recorded.
func TestWritebackSurvivesKill(t *testing.T) {
	const items = 200
	bin, dataDir, st, key := embeddedKillTest(t)
	wiki := writerWiki(t, items, 15*time.Millisecond)
	p := seedWriteback(t, st, key, wiki, items)

	env := writeEnv(wiki.URL())
	first := start(t, bin, dataDir, freeAddr(t), env...)
	waitUntil(t, first, "the write-back under way", 3*time.Minute, 5*time.Millisecond, func() bool { return len(wiki.Edits()) >= 60 })
	first.kill()
	killedAt := len(wiki.Edits())
	if killedAt >= items {
		t.Fatalf("the write-back finished (%d edits) before the kill", killedAt)
	}

	second := start(t, bin, dataDir, freeAddr(t), env...)
	waitPlanDone(t, st, p, second, 4*time.Minute)

	checkWrittenOnce(t, st, wiki, p, items, killedAt)
	t.Logf("killed after %d of %d edits; %d write requests in all", killedAt, items, len(wiki.WriteRequests()))
	if !strings.Contains(second.log.String(), "found the edit of an item sent before a crash") && !strings.Contains(second.log.String(), "item written") {
		t.Logf("second run log:\n%s", second.log.String())
	}
}

// seedWriteback leaves the state a user leaves behind when they start a
// write-back: a reconciled job of items rows matched to Q1…Qn, an approved
// plan (two statements per item) being written, the writer's tokens sealed
// with the tool's key.
func seedWriteback(t *testing.T, st *store.Store, key []byte, wiki *wikibasetest.Server, items int) *jobs.EditPlan {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens, _ := vault.New(subkey(key, "oauth tokens"))
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "77", Username: "Writer"})
	storetest.SaveTokens(t, st, tokens, u.ID, "ck", "writer-token", "writer-secret")
	var rows []jobs.Row
	var results []jobs.RowMatch
	for i := 1; i <= items; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint("Person ", i), fmt.Sprint(500000000 + i), fmt.Sprint(1800 + i%100)}})
		results = append(results, jobs.RowMatch{Row: int64(i), Status: jobs.MatchMatched, QID: fmt.Sprint("Q", i), Score: 1})
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "Crash test", File: "crash.csv", Columns: []string{"name", "ulan", "born"}, Rows: rows, Results: results,
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"columns":{"name":{"role":"label"},
		"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"}},"write":{"stated_in":"Q1000"}}`})
	p, err := st.CreatePlan(ctx, j.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := wikidata.NewClient(wikidata.Config{APIURL: wiki.URL(), UserAgent: "Partnerhub-test/1.0 (https://partnerhub.example/)", Logger: quiet}, nil)
	if err := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return wikiplan.Wikibase{R: anon}, nil }, quiet).Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.PlanCounts(ctx, p.ID); c.Pending != int64(items) || c.Statements != int64(2*items) {
		t.Fatalf("plan: %+v", c)
	}
	_ = st.ApprovePlan(ctx, p.ID, u.ID, nil)
	if err := st.StartWriting(ctx, p.ID, u.ID, "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkWrittenOnce checks one edit per item, every statement exactly once,
// every item's revision recorded.
func checkWrittenOnce(t *testing.T, st *store.Store, wiki *wikibasetest.Server, p *jobs.EditPlan, items int, killedAt int) {
	t.Helper()
	perItem := map[string]int{}
	for _, e := range wiki.Edits() {
		perItem[e.ID]++
		if !strings.Contains(e.Summary, "editgroups/b/CB/0123456789abcdef") {
			t.Fatalf("summary without the EditGroups link: %q", e.Summary)
		}
	}
	for i := 1; i <= items; i++ {
		qid := fmt.Sprint("Q", i)
		if perItem[qid] != 1 {
			t.Fatalf("%s was edited %d times (killed after %d edits)", qid, perItem[qid], killedAt)
		}
		e := wiki.Entity(qid)
		if len(e.Claims["P245"]) != 1 || len(e.Claims["P569"]) != 1 {
			t.Fatalf("%s has %d P245 and %d P569 statements", qid, len(e.Claims["P245"]), len(e.Claims["P569"]))
		}
	}
	if d := wiki.Duplicates(); len(d) > 0 {
		t.Fatalf("duplicates: %v", d)
	}
	all, _ := st.PlanItems(context.Background(), p.ID, "", 0, items+1)
	for _, it := range all {
		if it.Status != jobs.ItemDone || it.RevID == 0 {
			t.Fatalf("item %d: %s rev %d (%s)", it.No, it.Status, it.RevID, it.Error)
		}
	}
}
