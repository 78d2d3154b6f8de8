package wikiplan_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

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

type env struct {
	st   *store.Store
	wiki *wikibasetest.Server
	svc  *wikiplan.Service
	plan *jobs.EditPlan
}

// setupWrite makes an approved, started plan of n items against the fake wiki.
func setupWrite(t *testing.T, n int, blocked bool) *env {
	return setupWriteWith(t, n, blocked, "", nil, nil)
}

// fastWindows are crash-safety windows short enough for tests: an edit
// whose answer was lost is looked up 1.2 s after it was sent.
func fastWindows(c *writeback.Config) {
	c.RequestTimeout, c.LateSave, c.ReplicaLag = 600*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	c.FirstBackoff = 50 * time.Millisecond
}

// setupWriteWith is setupWrite with the fake's options and the engine's
// configuration adjusted.
func setupWriteWith(t *testing.T, n int, blocked bool, tag string, wikiOpts func(*wikibasetest.Options), engineCfg func(*writeback.Config)) *env {
	t.Helper()
	ctx := context.Background()
	var seed []*wikidata.Entity
	for i := 1; i <= n; i++ {
		seed = append(seed, &wikidata.Entity{ID: fmt.Sprint("Q", i), Type: "item"})
	}
	opts := wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Writer", Token: "wt", Secret: "ws", Blocked: blocked}}, Entities: seed}
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
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint(500000000 + i)}})
		res = append(res, jobs.RowMatch{Row: int64(i), Status: jobs.MatchMatched, QID: fmt.Sprint("Q", i), Score: 1})
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "Write test", File: "w.csv", Columns: []string{"ulan"}, Rows: rows, Results: res,
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"columns":{"ulan":{"property":"P245","kind":"external-id"}},"write":{"stated_in":"Q1000"}}`})
	cfg := writeback.Config{EditsPerMinute: 60000, MaxWait: 2 * time.Second}
	fastWindows(&cfg)
	if engineCfg != nil {
		engineCfg(&cfg)
	}
	engine := writeback.New(cfg, st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Tag: tag, Logger: quiet}, st, tokens, engine)
	p := storetest.WritingPlan(t, st, j.ID, u.ID, svc.Build)
	return &env{st: st, wiki: wiki, svc: svc, plan: p}
}

func (e *env) counts(t *testing.T) jobs.PlanCounts {
	c, err := e.st.PlanCounts(context.Background(), e.plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWriteThroughWikiErrors writes against a wiki that answers maxlag, rate
// limits, 429, a lost answer and an edit conflict: every item ends written
// once, with one request per item plus the refused ones.
func TestWriteThroughWikiErrors(t *testing.T) {
	e := setupWrite(t, 12, false)
	for _, f := range []wikibasetest.Fault{
		{Action: "wbeditentity", Kind: wikibasetest.Maxlag, RetryAfter: 1},
		{Action: "wbeditentity", Kind: wikibasetest.RateLimited, RetryAfter: 1},
		{Action: "wbeditentity", Kind: wikibasetest.FailedSaveThrottled},
		{Action: "wbeditentity", Kind: wikibasetest.ReadOnly},
		{Action: "wbeditentity", Kind: wikibasetest.HTTP429, RetryAfter: 1},
		{Action: "wbeditentity", Kind: wikibasetest.ApplyThenFail},
		{Action: "wbeditentity", Kind: wikibasetest.HTTP500},
		{Action: "wbeditentity", Kind: wikibasetest.BadToken},
		{Action: "wbeditentity", Kind: wikibasetest.EditConflict},
	} {
		e.wiki.Inject(f)
	}
	start := time.Now()
	if err := e.svc.Write(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	// A second pass sends what the first put back (the lost 500).
	if c := e.counts(t); c.Pending > 0 {
		if err := e.svc.Write(context.Background(), e.plan); err != nil {
			t.Fatal(err)
		}
	}
	c := e.counts(t)
	if c.Done != 12 || c.Pending+c.Sending+c.Failed+c.ConflictItems != 0 {
		t.Fatalf("counts %+v", c)
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Fatalf("Retry-After of three waits not honoured (%s)", took)
	}
	per := map[string]int{}
	for _, ed := range e.wiki.Edits() {
		per[ed.ID]++
	}
	for i := 1; i <= 12; i++ {
		q := fmt.Sprint("Q", i)
		if per[q] != 1 || len(e.wiki.Entity(q).Claims["P245"]) != 1 {
			t.Fatalf("%s: %d edits, %d statements", q, per[q], len(e.wiki.Entity(q).Claims["P245"]))
		}
	}
	if p, _ := e.st.Plan(context.Background(), e.plan.ID); p.Status != jobs.PlanDone {
		t.Fatalf("plan %s", p.Status)
	}
}

func TestWritePausesWhenTheWikiRefusesTheUser(t *testing.T) {
	for name, setup := range map[string]func(*env){
		"blocked on edit": func(e *env) { e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.Blocked}) },
		"grant revoked on edit": func(e *env) {
			e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.RevokedGrant})
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := setupWrite(t, 3, false)
			setup(e)
			_ = e.svc.Write(context.Background(), e.plan)
			p, _ := e.st.Plan(context.Background(), e.plan.ID)
			if p.Status != jobs.PlanPaused || p.Error == "" {
				t.Fatalf("plan %s %q", p.Status, p.Error)
			}
			if c := e.counts(t); c.Pending != 3 {
				t.Fatalf("counts %+v", c)
			}
		})
	}
	t.Run("blocked account", func(t *testing.T) {
		e := setupWrite(t, 3, true)
		_ = e.svc.Write(context.Background(), e.plan)
		p, _ := e.st.Plan(context.Background(), e.plan.ID)
		if p.Status != jobs.PlanPaused || !strings.Contains(p.Error, "blocked") || len(e.wiki.WriteRequests()) != 0 {
			t.Fatalf("plan %s %q, %d writes", p.Status, p.Error, len(e.wiki.WriteRequests()))
		}
	})
}

// TestOneRequestPerItem: the write requests equal the items, where writing
// statement by statement would take one per statement and reference.
func TestOneRequestPerItem(t *testing.T) {
	e := setupWrite(t, 30, false)
	before := e.wiki.Requests()
	if err := e.svc.Write(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	c := e.counts(t)
	if got := len(e.wiki.WriteRequests()); got != 30 || c.Statements != 30 {
		t.Fatalf("%d write requests for %d items and %d statements", got, c.Done, c.Statements)
	}
	t.Logf("%d requests besides the 30 edits", e.wiki.Requests()-before-30)
	// Each item is re-read before its edit, ten to a request: 3 reads, plus
	// who the user is, the tag list and an edit token.
	if reads := e.wiki.Requests() - before - 30; reads > 8 {
		t.Fatalf("%d other requests for 30 edits: the re-reads are not batched", reads)
	}
}

func TestWikiOutsideTheAllowListIsRefused(t *testing.T) {
	e := setupWrite(t, 2, false)
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	engine := writeback.New(writeback.Config{EditsPerMinute: 60000}, e.st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, AllowedAPIs: []string{"https://www.wikidata.org/w/api.php"}, Logger: quiet}, e.st, tokens, engine)
	_ = svc.Write(context.Background(), e.plan)
	p, _ := e.st.Plan(context.Background(), e.plan.ID)
	if p.Status != jobs.PlanPaused || !strings.Contains(p.Error, "not one this installation allows") || len(e.wiki.WriteRequests()) != 0 {
		t.Fatalf("plan %s %q, %d writes", p.Status, p.Error, len(e.wiki.WriteRequests()))
	}
}
