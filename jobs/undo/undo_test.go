package undo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/undo"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

const ua = "Partnerhub-test/1.0 (https://partnerhub.example/)"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	st     *store.Store
	wiki   *wikibasetest.Server
	wb     *wikiplan.Service
	svc    *undo.Service
	plan   *jobs.EditPlan
	userID int64
	jobID  int64
}

func fastWindows(c *writeback.Config) {
	c.EditsPerMinute, c.MaxWait = 60000, 2*time.Second
	c.RequestTimeout, c.LateSave, c.ReplicaLag = 600*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	c.FirstBackoff = 50 * time.Millisecond
}

// setup writes a job back to the fake wiki: rows 1–3 matched to the empty
// items Q1–Q3 (row 2 accepted by a reviewer) get a label, a birth date
// (P569) and an identifier (P245), with references; row 4, marked "not on
// the wiki", becomes a new item; row 5 matches Q5, which already has row 5's
// P245 value from someone else, so the write-back adds only its reference
// there.
func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	seed := []*wikidata.Entity{{ID: "Q1"}, {ID: "Q2"}, {ID: "Q3"}, {ID: "Q5", Claims: map[string][]wikidata.Statement{
		"P245": {{ID: "Q5$0C7B5E8E-0000-4000-8000-000000000005", Type: "statement", Rank: "normal", MainSnak: wikidata.ValueSnak("P245", "external-id", wikidata.StringValue("500000005"))}}}},
		{ID: "Q77", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Anna Fourth"}}},
		{ID: "Q78", Claims: map[string][]wikidata.Statement{"P245": {{ID: "Q78$0C7B5E8E-0000-4000-8000-000000000078", Type: "statement", Rank: "normal", MainSnak: wikidata.ValueSnak("P245", "external-id", wikidata.StringValue("500000004"))}}}}}
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Writer", Token: "wt", Secret: "ws"}}, Entities: seed})
	st := storetest.SQLite(t)
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "5", Username: "Writer"})
	storetest.SaveTokens(t, st, tokens, u.ID, "ck", "wt", "ws")
	rows := []jobs.Row{
		{Num: 1, Cells: []string{"Anna First", "1901-01-01", "500000001"}},
		{Num: 2, Cells: []string{"Anna Second", "1902-02-02", "500000002"}},
		{Num: 3, Cells: []string{"Anna Third", "1903-03-03", "500000003"}},
		{Num: 4, Cells: []string{"Anna Fourth", "1904", "500000004"}},
		{Num: 5, Cells: []string{"", "", "500000005"}},
	}
	res := []jobs.RowMatch{
		{Row: 1, Status: jobs.MatchMatched, QID: "Q1", Score: 1},
		{Row: 2, Status: jobs.MatchReview, QID: "Q2", Score: 0.7},
		{Row: 3, Status: jobs.MatchMatched, QID: "Q3", Score: 1},
		{Row: 4, Status: jobs.MatchNone},
		{Row: 5, Status: jobs.MatchMatched, QID: "Q5", Score: 1},
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "Undo test", File: "u.csv", Columns: []string{"name", "born", "ulan"}, Rows: rows, Results: res,
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"type":{"qid":"Q5"},
		"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}},
		"write":{"stated_in":"Q1000","add_reference_if_present":true,"labels":{"column":"name","languages":["en"]},"new_items":{"enabled":true}}}`})
	if _, err := st.Decide(ctx, j.ID, 2, jobs.DecisionAccept, "Q2", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, j.ID, 4, jobs.DecisionNew, "", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	var cfg writeback.Config
	fastWindows(&cfg)
	engine := writeback.New(cfg, st, wikiplan.Classify, quiet)
	wb := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, st, tokens, engine)
	p := storetest.WritingPlan(t, st, j.ID, u.ID, wb.Build)
	if err := wb.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, _ = st.Plan(ctx, p.ID)
	if c, _ := st.PlanCounts(ctx, p.ID); p.Status != jobs.PlanDone || c.Done != 5 {
		t.Fatalf("write-back: %s %+v", p.Status, c)
	}
	ue := undo.NewEngine(cfg, st, wikiplan.Classify, quiet)
	svc := undo.NewService(st, ue, undo.WikiplanClients(wb), quiet)
	return &env{st: st, wiki: wiki, wb: wb, svc: svc, plan: p, userID: u.ID, jobID: j.ID}
}

// created is the item the write-back created for row 4.
func (e *env) created(t *testing.T) string {
	d, err := e.st.Decision(context.Background(), e.jobID, 4)
	if err != nil || d == nil || d.CreatedQID == "" {
		t.Fatalf("row 4 is not linked to a created item: %+v %v", d, err)
	}
	return d.CreatedQID
}

// prepare creates and prepares an undo and returns it with its items.
func (e *env) prepare(t *testing.T, scope jobs.UndoScope, reset bool) (*jobs.Undo, []*jobs.UndoItem) {
	t.Helper()
	ctx := context.Background()
	u, err := e.st.CreateUndo(ctx, e.plan.ID, e.userID, scope, reset)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Prepare(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	u, _ = e.st.UndoByID(ctx, u.ID)
	if u.Status != jobs.UndoReady {
		t.Fatalf("undo %s: %s", u.Status, u.Error)
	}
	items, _ := e.st.UndoItems(ctx, u.ID, "", 0, 100)
	return u, items
}

// run confirms and runs an undo to its end.
func (e *env) run(t *testing.T, u *jobs.Undo) *jobs.Undo {
	t.Helper()
	ctx := context.Background()
	if err := e.st.ConfirmUndo(ctx, u.ID, e.userID, "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Run(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	u, _ = e.st.UndoByID(ctx, u.ID)
	return u
}

// undoEdits lists the applied edits whose summary is an undo's.
func (e *env) undoEdits() []wikibasetest.Edit {
	var out []wikibasetest.Edit
	for _, ed := range e.wiki.Edits() {
		if strings.Contains(ed.Summary, "undo of statements") {
			out = append(out, ed)
		}
	}
	return out
}

func line(t *testing.T, items []*jobs.UndoItem, qid, what, prop string) jobs.UndoLine {
	t.Helper()
	for _, it := range items {
		if it.QID != qid {
			continue
		}
		for _, l := range it.Lines {
			if l.What == what && (prop == "" || l.Property == prop || l.Language == prop) {
				return l
			}
		}
	}
	t.Fatalf("no %s %s line for %s in %+v", what, prop, qid, items)
	return jobs.UndoLine{}
}

func TestUndoWholeWriteBack(t *testing.T) {
	e := setup(t)
	created := e.created(t)
	u, items := e.prepare(t, jobs.UndoScope{}, true)
	if len(items) != 5 {
		t.Fatalf("%d undo items: %+v", len(items), items)
	}
	for _, q := range []string{"Q1", "Q2", "Q3"} {
		for _, p := range []string{"P569", "P245"} {
			if l := line(t, items, q, "statement", p); !l.Remove || l.GUID == "" {
				t.Fatalf("%s %s: %+v", q, p, l)
			}
		}
		if l := line(t, items, q, "label", "en"); !l.Remove {
			t.Fatalf("%s label: %+v", q, l)
		}
	}
	if l := line(t, items, "Q5", "reference", "P245"); !l.Remove {
		t.Fatalf("Q5's reference: %+v", l)
	}
	before, requests := len(e.wiki.WriteRequests()), e.wiki.Requests()
	u = e.run(t, u)
	t.Logf("undo of 4 edited items: %d requests to the wiki in all, %d of them writes", e.wiki.Requests()-requests, len(e.wiki.WriteRequests())-before)
	if u.Status != jobs.UndoDone {
		t.Fatalf("undo %s %q", u.Status, u.Error)
	}
	for _, q := range []string{"Q1", "Q2", "Q3"} {
		ent := e.wiki.Entity(q)
		if len(ent.Claims) != 0 || len(ent.Labels) != 0 {
			t.Fatalf("%s still has %+v / %+v", q, ent.Claims, ent.Labels)
		}
	}
	q5 := e.wiki.Entity("Q5").Claims["P245"]
	if len(q5) != 1 || len(q5[0].References) != 0 || q5[0].ID != "Q5$0C7B5E8E-0000-4000-8000-000000000005" {
		t.Fatalf("Q5's own statement should stay without Partnerhub's reference: %+v", q5)
	}
	// One edit per item, with the undo's EditGroups batch in the summary;
	// the created item is not edited.
	edits := e.undoEdits()
	per := map[string]int{}
	for _, ed := range edits {
		per[ed.ID]++
		if !strings.Contains(ed.Summary, "editgroups/b/CB/0123456789abcdef") || !strings.Contains(ed.Summary, fmt.Sprintf("undo %d,", u.ID)) {
			t.Fatalf("summary %q", ed.Summary)
		}
	}
	if len(edits) != 4 || per["Q1"] != 1 || per["Q5"] != 1 || per[created] != 0 || len(e.wiki.WriteRequests())-before != 4 {
		t.Fatalf("undo edits %v (%d write requests)", per, len(e.wiki.WriteRequests())-before)
	}
	// The created item is listed with a deletion request, or merged: an item
	// with its identifier exists (Q78), and one with its label (Q77).
	var listed *jobs.UndoItem
	items, _ = e.st.UndoItems(context.Background(), u.ID, "", 0, 100)
	for _, it := range items {
		if it.Kind == jobs.UndoCreated {
			listed = it
		}
	}
	if listed == nil || listed.QID != created || listed.Status != jobs.UndoItemListed || listed.MergeTarget != "Q78" || !strings.Contains(listed.DeletionRequest, "the same P245, 500000004") ||
		!strings.Contains(listed.DeletionRequest, "[["+created+"]]") || !strings.Contains(listed.DeletionRequest, "~~~~") {
		t.Fatalf("created item: %+v", listed)
	}
	if ent := e.wiki.Entity(created); ent == nil || len(ent.Claims) == 0 {
		t.Fatalf("the created item was emptied: %+v", ent)
	}
	// Unlinked from its row; rows 2 (accepted) and 4 (new) back to undecided.
	for _, row := range []int64{2, 4} {
		if d, _ := e.st.Decision(context.Background(), e.jobID, row); d != nil {
			t.Fatalf("row %d still decided: %+v", row, d)
		}
	}
	if u.DecisionsReset != 2 {
		t.Fatalf("decisions reset: %d", u.DecisionsReset)
	}
	if s, _ := e.st.UndoStateForPlan(context.Background(), e.plan.ID); s == nil || s.Status != jobs.UndoDone || s.Counts.Done != 4 || s.Counts.Created != 1 {
		t.Fatalf("undo state %+v", s)
	}
}

func TestUndoOneProperty(t *testing.T) {
	e := setup(t)
	u, items := e.prepare(t, jobs.UndoScope{Properties: []string{"P569"}}, false)
	for _, it := range items {
		for _, l := range it.Lines {
			if l.Property != "P569" {
				t.Fatalf("line outside the scope: %+v", l)
			}
		}
	}
	u = e.run(t, u)
	created := e.created(t)
	for _, q := range []string{"Q1", "Q2", "Q3", created} {
		ent := e.wiki.Entity(q)
		if len(ent.Claims["P569"]) != 0 || len(ent.Claims["P245"]) != 1 || ent.Labels["en"].Value == "" {
			t.Fatalf("%s after undoing P569: %+v %+v", q, ent.Claims, ent.Labels)
		}
	}
	if d, _ := e.st.Decision(context.Background(), e.jobID, 2); d == nil {
		t.Fatal("decisions were reset though the user chose to keep them")
	}
	if u.Status != jobs.UndoDone || u.DecisionsReset != 0 {
		t.Fatalf("undo %+v", u)
	}
}

func TestUndoOneRow(t *testing.T) {
	e := setup(t)
	u, items := e.prepare(t, jobs.UndoScope{Rows: []int64{2}}, true)
	if len(items) != 1 || items[0].QID != "Q2" || items[0].Remove != 3 {
		t.Fatalf("items %+v", items)
	}
	u = e.run(t, u)
	if ent := e.wiki.Entity("Q2"); len(ent.Claims) != 0 || len(ent.Labels) != 0 {
		t.Fatalf("Q2: %+v", ent)
	}
	for _, q := range []string{"Q1", "Q3"} {
		if len(e.wiki.Entity(q).Claims) != 2 {
			t.Fatalf("%s was touched", q)
		}
	}
	if d, _ := e.st.Decision(context.Background(), e.jobID, 2); d != nil {
		t.Fatalf("row 2 still decided: %+v", d)
	}
	if d, _ := e.st.Decision(context.Background(), e.jobID, 4); d == nil || d.CreatedQID == "" {
		t.Fatalf("row 4 outside the scope changed: %+v", d)
	}
	if u.DecisionsReset != 1 {
		t.Fatalf("reset %d", u.DecisionsReset)
	}
}

// TestUndoLeavesWhatOthersChanged: a statement someone edited, a statement
// someone referenced and a label someone changed since stay, each with its
// reason; the rest of those items is removed.
func TestUndoLeavesWhatOthersChanged(t *testing.T) {
	e := setup(t)
	e.wiki.ChangeAs("Other", "Q1", func(ent *wikidata.Entity) {
		st := ent.Claims["P569"][0]
		st.Rank = wikidata.RankPreferred
		ent.Claims["P569"][0] = st
	})
	e.wiki.ChangeAs("Other", "Q2", func(ent *wikidata.Entity) {
		st := ent.Claims["P245"][0]
		st.References = append(st.References, wikidata.NewReference(wikidata.ReferenceURL("https://example.org/other")))
		ent.Claims["P245"][0] = st
	})
	e.wiki.ChangeAs("Other", "Q3", func(ent *wikidata.Entity) {
		ent.Labels["en"] = wikidata.Term{Language: "en", Value: "Anna Third-Person"}
	})
	e.wiki.ChangeAs("Other", "Q1", func(ent *wikidata.Entity) {
		ent.Claims["P245"][0].MainSnak.DataValue = func() *wikidata.DataValue { v := wikidata.StringValue("599999999"); return &v }()
	})
	u, items := e.prepare(t, jobs.UndoScope{}, false)
	for _, c := range []struct{ qid, what, prop, reason string }{
		{"Q1", "statement", "P569", "rank"},
		{"Q1", "statement", "P245", "value"},
		{"Q2", "statement", "P245", "added a reference"},
		{"Q3", "label", "en", "Anna Third-Person"},
	} {
		l := line(t, items, c.qid, c.what, c.prop)
		if l.Remove || !strings.Contains(l.Reason, c.reason) {
			t.Fatalf("%s %s %s: %+v", c.qid, c.what, c.prop, l)
		}
	}
	u = e.run(t, u)
	if u.Status != jobs.UndoDone {
		t.Fatalf("undo %s", u.Status)
	}
	q1, q2, q3 := e.wiki.Entity("Q1"), e.wiki.Entity("Q2"), e.wiki.Entity("Q3")
	if len(q1.Claims["P569"]) != 1 || len(q1.Claims["P245"]) != 1 || len(q1.Labels) != 0 {
		t.Fatalf("Q1 %+v %+v", q1.Claims, q1.Labels)
	}
	if len(q2.Claims["P245"]) != 1 || len(q2.Claims["P569"]) != 0 {
		t.Fatalf("Q2 %+v", q2.Claims)
	}
	if q3.Labels["en"].Value != "Anna Third-Person" || len(q3.Claims) != 0 {
		t.Fatalf("Q3 %+v %+v", q3.Claims, q3.Labels)
	}
}

// TestUndoChangedBetweenPreviewAndRun: someone edits a statement after the
// preview; the re-read just before the edit keeps it (it stays, reported),
// and a statement someone removed right before the save (the wiki answers
// the stale base revision with an edit conflict) is re-read, not retried
// blindly.
func TestUndoChangedBetweenPreviewAndRun(t *testing.T) {
	e := setup(t)
	u, _ := e.prepare(t, jobs.UndoScope{Items: []string{"Q1", "Q2"}}, false)
	e.wiki.ChangeAs("Other", "Q1", func(ent *wikidata.Entity) {
		st := ent.Claims["P245"][0]
		st.Qualifiers = map[string][]wikidata.Snak{"P1810": {wikidata.ValueSnak("P1810", "string", wikidata.StringValue("A. First"))}}
		ent.Claims["P245"][0] = st
	})
	var raced bool
	e.wiki.SetBeforeSave(func(r wikibasetest.WriteRequest) {
		if r.ID == "Q2" && !raced {
			raced = true
			e.wiki.ChangeAs("Other", "Q2", func(ent *wikidata.Entity) { delete(ent.Claims, "P569") })
		}
	})
	u = e.run(t, u)
	if u.Status != jobs.UndoDone {
		t.Fatalf("undo %s %q", u.Status, u.Error)
	}
	items, _ := e.st.UndoItems(context.Background(), u.ID, "", 0, 10)
	if l := line(t, items, "Q1", "statement", "P245"); l.Remove || !strings.Contains(l.Reason, "qualifiers") {
		t.Fatalf("Q1 P245: %+v", l)
	}
	if l := line(t, items, "Q2", "statement", "P569"); l.Remove || !strings.Contains(l.Reason, "Already removed") {
		t.Fatalf("Q2 P569: %+v", l)
	}
	if q1 := e.wiki.Entity("Q1"); len(q1.Claims["P245"]) != 1 || len(q1.Claims["P569"]) != 0 {
		t.Fatalf("Q1 %+v", q1.Claims)
	}
	if q2 := e.wiki.Entity("Q2"); len(q2.Claims) != 0 || len(q2.Labels) != 0 {
		t.Fatalf("Q2 %+v", q2)
	}
}

// TestUndoDerivesWhatOldWriteBacksAdded: a write-back from before the edits'
// additions were recorded is undone from its revisions (each compared with
// the revision before it), with the same result.
func TestUndoDerivesWhatOldWriteBacksAdded(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// The write-back recorded what each edit added from the wiki's answers.
	recorded := map[int64]string{}
	for no := int64(1); no <= 5; no++ {
		raw, _ := e.st.PlanItemAdded(ctx, e.plan.ID, no)
		var a undo.Added
		if err := json.Unmarshal([]byte(raw), &a); err != nil || a.RevID == 0 || len(a.Statements)+len(a.References) == 0 {
			t.Fatalf("item %d: recorded %q (%v)", no, raw, err)
		}
		recorded[no] = raw
		if err := e.st.SetPlanItemAdded(ctx, e.plan.ID, no, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Someone edits Q1 after the write-back: the revision comparison must
	// still see only Partnerhub's edit.
	e.wiki.EditAs("Other", "Q1", wikidata.NewStringStatement("P214", "external-id", "12345"))
	u, items := e.prepare(t, jobs.UndoScope{Items: []string{"Q1"}}, false)
	if len(items) != 1 || items[0].Remove != 3 {
		t.Fatalf("items %+v", items)
	}
	raw, _ := e.st.PlanItemAdded(ctx, e.plan.ID, items[0].PlanItemNo)
	var a undo.Added
	if err := json.Unmarshal([]byte(raw), &a); err != nil || len(a.Statements) != 2 || a.Labels["en"] != "Anna First" {
		t.Fatalf("derived %s (%v)", raw, err)
	}
	var rec undo.Added
	_ = json.Unmarshal([]byte(recorded[items[0].PlanItemNo]), &rec)
	if canonical(t, rec) != canonical(t, a) {
		t.Fatalf("derived from the revisions:\n%s\nrecorded from the answer:\n%s", raw, recorded[items[0].PlanItemNo])
	}
	e.run(t, u)
	if q1 := e.wiki.Entity("Q1"); len(q1.Claims) != 1 || len(q1.Claims["P214"]) != 1 {
		t.Fatalf("Q1 %+v", q1.Claims)
	}
}

// TestUndoKilledBetweenSendAndRecord: the worker dies after the wiki saved
// an undo edit and before it recorded the revision. The next run looks the
// edit up by its marker once it can no longer land, records it, and sends
// nothing again for that item.
func TestUndoKilledBetweenSendAndRecord(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	u, _ := e.prepare(t, jobs.UndoScope{Items: []string{"Q1", "Q2"}}, false)
	if err := e.st.ConfirmUndo(ctx, u.ID, e.userID, "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	job, _ := e.st.Job(ctx, e.jobID)
	c, _, err := e.wb.WikiClient(ctx, e.jobID, e.userID)
	if err != nil {
		t.Fatal(err)
	}
	var cfg writeback.Config
	fastWindows(&cfg)
	engine := undo.NewEngine(cfg, e.st, wikiplan.Classify, quiet)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = engine.Run(ctx, u.ID, job.Title, &dyingWiki{Wiki: undo.ClientWiki(c)})
	}()
	<-done
	items, _ := e.st.UndoItems(ctx, u.ID, "", 0, 10)
	if items[0].Status != jobs.UndoItemSending || items[1].Status != jobs.UndoItemPending {
		t.Fatalf("after the kill: %s, %s", items[0].Status, items[1].Status)
	}
	if n := len(e.undoEdits()); n != 1 {
		t.Fatalf("%d undo edits before the restart", n)
	}
	writes := e.wiki.WriteRequestsFor("Q1")
	if err := e.svc.Run(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.wiki.WriteRequestsFor("Q1"); got != writes {
		t.Fatalf("Q1 was sent again after the restart (%d write requests, %d before)", got, writes)
	}
	items, _ = e.st.UndoItems(ctx, u.ID, "", 0, 10)
	per := map[string]int{}
	for _, ed := range e.undoEdits() {
		per[ed.ID]++
	}
	if items[0].Status != jobs.UndoItemDone || items[0].RevID == 0 || items[1].Status != jobs.UndoItemDone || per["Q1"] != 1 || per["Q2"] != 1 {
		t.Fatalf("after the restart: %+v %+v, edits %v", items[0], items[1], per)
	}
	if u, _ := e.st.UndoByID(ctx, u.ID); u.Status != jobs.UndoDone {
		t.Fatalf("undo %s", u.Status)
	}
}

// dyingWiki sends the first edit, then kills the goroutine running the
// undo before it can record the answer, as a killed worker would.
type dyingWiki struct{ undo.Wiki }

func (w *dyingWiki) Edit(ctx context.Context, qid string, data json.RawMessage, base int64, summary string) (int64, error) {
	_, _ = w.Wiki.Edit(ctx, qid, data, base, summary)
	runtime.Goexit()
	return 0, nil
}

// TestUndoThroughWikiErrors: throttles and maxlag are waited out, a lost
// answer is looked up before anything is sent again, a protected item
// fails with the wiki's reason, and a blocked account pauses the undo.
func TestUndoThroughWikiErrors(t *testing.T) {
	e := setup(t)
	e.wiki.Protect("Q3")
	for _, f := range []wikibasetest.Fault{
		{Action: "wbeditentity", Kind: wikibasetest.FailedSaveThrottled},
		{Action: "wbeditentity", Kind: wikibasetest.Maxlag, RetryAfter: 1},
		{Action: "wbeditentity", Kind: wikibasetest.ApplyThenDrop},
	} {
		e.wiki.Inject(f)
	}
	u, _ := e.prepare(t, jobs.UndoScope{Items: []string{"Q1", "Q2", "Q3"}}, false)
	u = e.run(t, u)
	if u.Status != jobs.UndoDone {
		t.Fatalf("undo %s %q", u.Status, u.Error)
	}
	items, _ := e.st.UndoItems(context.Background(), u.ID, "", 0, 10)
	per := map[string]int{}
	for _, ed := range e.undoEdits() {
		per[ed.ID]++
	}
	if items[0].Status != jobs.UndoItemDone || items[1].Status != jobs.UndoItemDone || per["Q1"] != 1 || per["Q2"] != 1 {
		t.Fatalf("items %+v %+v, edits %v", items[0], items[1], per)
	}
	if items[2].Status != jobs.UndoItemFailed || !strings.Contains(items[2].Error, "protected") || len(e.wiki.Entity("Q3").Claims) != 2 {
		t.Fatalf("protected item: %+v", items[2])
	}

	e2 := setup(t)
	u2, _ := e2.prepare(t, jobs.UndoScope{}, false)
	e2.wiki.Block("Writer")
	ctx := context.Background()
	_ = e2.st.ConfirmUndo(ctx, u2.ID, e2.userID, "aa")
	_ = e2.svc.Run(ctx, u2.ID)
	u2, _ = e2.st.UndoByID(ctx, u2.ID)
	if u2.Status != jobs.UndoPaused || !strings.Contains(u2.Error, "blocked") || len(e2.undoEdits()) != 0 {
		t.Fatalf("blocked: %s %q", u2.Status, u2.Error)
	}
}

// canonical compares additions as the wiki would, whatever their source.
func canonical(t *testing.T, a undo.Added) string {
	t.Helper()
	return wikidata.CanonicalJSON(a)
}

// TestUndoCreatedItemMergeTargetByLabel: without an item sharing an
// identifier, an item with the created item's label is the merge target.
func TestUndoCreatedItemMergeTargetByLabel(t *testing.T) {
	e := setup(t)
	e.wiki.ChangeAs("Other", "Q78", func(ent *wikidata.Entity) { delete(ent.Claims, "P245") })
	_, items := e.prepare(t, jobs.UndoScope{Rows: []int64{4}}, false)
	if len(items) != 1 || items[0].Kind != jobs.UndoCreated || items[0].MergeTarget != "Q77" || !strings.Contains(items[0].DeletionRequest, `the same label "Anna Fourth"`) {
		t.Fatalf("items %+v", items)
	}
}
