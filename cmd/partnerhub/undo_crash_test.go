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
	"partnerhub/jobs/undo"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata/wikibasetest"
)

// TestUndoSurvivesKill writes a 120-item plan back, prepares and confirms
// its undo, then kills the process (SIGKILL) in the middle of the undo,
// starts it again, and expects every item's additions removed with exactly
// one undo edit per item and every undo item's revision recorded.
func TestUndoSurvivesKill(t *testing.T) {
	const items = 120
	bin, dataDir, st, key := embeddedKillTest(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	wiki := writerWiki(t, items, 0)
	p := seedWriteback(t, st, key, wiki, items)
	p, _ = st.Plan(ctx, p.ID)

	// The write-back, in this process.
	tokens, _ := vault.New(subkey(key, "oauth tokens"))
	cfg := writeback.Config{EditsPerMinute: 100000, RequestTimeout: 2 * time.Second, LateSave: time.Second, ReplicaLag: 500 * time.Millisecond}
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: "Partnerhub-test/1.0 (https://partnerhub.example/)", Logger: quiet},
		st, tokens, writeback.New(cfg, st, wikiplan.Classify, quiet))
	if err := svc.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.PlanCounts(ctx, p.ID); c.Done != items {
		cur, _ := st.Plan(ctx, p.ID)
		t.Fatalf("write-back %s (%s): %+v", cur.Status, cur.Error, c)
	}
	written := len(wiki.Edits())
	// Its undo, prepared and confirmed as the pages do.
	u, err := st.CreateUndo(ctx, p.ID, p.CreatedBy, jobs.UndoScope{}, false)
	if err != nil {
		t.Fatal(err)
	}
	usvc := undo.NewService(st, undo.NewEngine(cfg, st, wikiplan.Classify, quiet), undo.WikiplanClients(svc), quiet)
	if err := usvc.Prepare(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.UndoCounts(ctx, u.ID); c.Pending != items || c.Remove != 2*items {
		t.Fatalf("undo preview: %+v", c)
	}
	if err := st.ConfirmUndo(ctx, u.ID, p.CreatedBy, "fedcba9876543210"); err != nil {
		t.Fatal(err)
	}
	// Each edit takes a while, so the kill lands mid-undo.
	wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.Slow, Delay: 15 * time.Millisecond, Count: 10 * items})

	env := writeEnv(wiki.URL())
	first := start(t, bin, dataDir, freeAddr(t), env...)
	waitUntil(t, first, "the undo under way", 3*time.Minute, 5*time.Millisecond, func() bool { return len(wiki.Edits()) >= written+30 })
	first.kill()
	killedAt := len(wiki.Edits()) - written
	if killedAt >= items {
		t.Fatalf("the undo finished (%d edits) before the kill", killedAt)
	}

	second := start(t, bin, dataDir, freeAddr(t), env...)
	waitUntil(t, second, "the undo after restart", 4*time.Minute, 20*time.Millisecond, func() bool {
		cur, err := st.UndoByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != jobs.UndoDone && cur.Status != jobs.UndoRunning {
			t.Fatalf("undo %s (%s) after restart:\n%s", cur.Status, cur.Error, second.log.String())
		}
		return cur.Status == jobs.UndoDone
	})
	perItem := map[string]int{}
	for _, e := range wiki.Edits()[written:] {
		perItem[e.ID]++
		if !strings.Contains(e.Summary, "editgroups/b/CB/fedcba9876543210") || !strings.Contains(e.Summary, fmt.Sprintf("undo %d,", u.ID)) {
			t.Fatalf("undo summary %q", e.Summary)
		}
	}
	for i := 1; i <= items; i++ {
		qid := fmt.Sprint("Q", i)
		if perItem[qid] != 1 {
			t.Fatalf("%s got %d undo edits (killed after %d)", qid, perItem[qid], killedAt)
		}
		if e := wiki.Entity(qid); len(e.Claims) != 0 || e.Labels["en"].Value != fmt.Sprint("Person ", i) {
			t.Fatalf("%s after the undo: %+v %+v", qid, e.Claims, e.Labels)
		}
	}
	all, _ := st.UndoItems(ctx, u.ID, "", 0, items+1)
	for _, it := range all {
		if it.Status != jobs.UndoItemDone || it.RevID == 0 {
			t.Fatalf("undo item %d: %s rev %d (%s)", it.No, it.Status, it.RevID, it.Error)
		}
	}
	t.Logf("killed after %d of %d undo edits", killedAt, items)
}
