package wikiplan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// retry queues the plan's failed items again as its writer would and runs
// the write-back until it stops.
func (e *env) retry(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	n, err := e.st.RetryFailedItems(ctx, e.plan.ID, e.plan.WriterID)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	e.plan = e.planNow(t)
	if err := e.svc.Write(ctx, e.plan); err != nil {
		t.Fatalf("write the retried items: %v", err)
	}
	return n
}

// serviceWith is the env's service with another error classifier.
func (e *env) serviceWith(classify writeback.Classifier) *wikiplan.Service {
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	cfg := writeback.Config{EditsPerMinute: 60000, MaxWait: 2 * time.Second}
	fastWindows(&cfg)
	return wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, e.st, tokens,
		writeback.New(cfg, e.st, classify, quiet))
}

// TestRetryProtectedItem: an item refused because it is protected fails
// again, with the reason, while it still is; once the protection is lifted
// a retry writes it. Items written or already there are never touched.
func TestRetryProtectedItem(t *testing.T) {
	ctx := context.Background()
	e := setupWrite(t, 3, false)
	e.wiki.Protect("Q2")
	if err := e.svc.Write(ctx, e.plan); err != nil {
		t.Fatal(err)
	}
	if c := e.counts(t); c.Done != 2 || c.Failed != 1 {
		t.Fatalf("first write-back: %+v", c)
	}
	if _, err := e.st.RetryFailedItems(ctx, e.plan.ID, e.plan.WriterID); err != nil {
		t.Fatal(err)
	}
	// While it runs, a second retry is refused with the reason.
	if _, err := e.st.RetryFailedItems(ctx, e.plan.ID, e.plan.WriterID); jobs.ErrorCode(err) != jobs.ECONFLICT || !strings.Contains(jobs.ErrorMessage(err), "still running") {
		t.Fatalf("retry while retrying: %v", err)
	}
	e.plan = e.planNow(t)
	if err := e.svc.Write(ctx, e.plan); err != nil {
		t.Fatal(err)
	}
	it := e.item(t, "Q2")
	if it.Status != jobs.ItemFailed || !strings.Contains(it.Error, "Q2 is protected on the wiki") || strings.Contains(it.Error, "Queued again") {
		t.Fatalf("still protected: %s %q", it.Status, it.Error)
	}
	if n := e.wiki.WriteRequestsFor("Q2"); n != 2 {
		t.Fatalf("Q2: %d edit requests, want the first and the retry", n)
	}
	if p := e.planNow(t); p.Status != jobs.PlanDone {
		t.Fatalf("plan %s %q", p.Status, p.Error)
	}

	e.wiki.Unprotect("Q2")
	if n := e.retry(t, ctx); n != 1 {
		t.Fatalf("retried %d items, want 1", n)
	}
	it = e.item(t, "Q2")
	if it.Status != jobs.ItemDone || it.RevID != e.wiki.Entity("Q2").LastRevID || it.Error != "" {
		t.Fatalf("unprotected: %s rev %d %q", it.Status, it.RevID, it.Error)
	}
	for _, q := range []string{"Q1", "Q3"} {
		if n := e.wiki.WriteRequestsFor(q); n != 1 {
			t.Fatalf("%s sent %d times: a retry must leave written items alone", q, n)
		}
	}
	e.promises(t, "Q1", "Q2", "Q3")
	if _, err := e.st.RetryFailedItems(ctx, e.plan.ID, e.plan.WriterID); jobs.ErrorCode(err) != jobs.EINVALID {
		t.Fatalf("retry with nothing failed: %v", err)
	}
}

// carelessClassify records a lost answer as a refusal, as a wiki error
// answered after the save would: the item fails although its edit landed.
func carelessClassify(err error) (writeback.Class, time.Duration) {
	if errors.Is(err, wikidata.ErrOutcomeUnknown) {
		return writeback.ClassItemFailed, 0
	}
	return wikiplan.Classify(err)
}

// TestRetryRecoversAnEditThatLanded: the wiki saved an item's edit but the
// item was recorded as failed. The retry looks the edit up by its marker
// before sending anything, records its revision (or the new item's id) and
// sends nothing again: no second statement, no second item.
func TestRetryRecoversAnEditThatLanded(t *testing.T) {
	ctx := context.Background()
	t.Run("existing item", func(t *testing.T) {
		e := setupWrite(t, 3, false)
		e.wiki.SetBeforeSave(func(r wikibasetest.WriteRequest) {
			if r.ID == "Q1" { // faults take the next request: Q2's
				e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.ApplyThenFail})
			}
		})
		if err := e.serviceWith(carelessClassify).Write(ctx, e.plan); err != nil {
			t.Fatal(err)
		}
		e.wiki.SetBeforeSave(nil)
		if it := e.item(t, "Q2"); it.Status != jobs.ItemFailed || len(e.wiki.Entity("Q2").Claims["P245"]) != 1 {
			t.Fatalf("set-up: Q2 %s %q, %d P245", it.Status, it.Error, len(e.wiki.Entity("Q2").Claims["P245"]))
		}
		e.retry(t, ctx)
		it := e.item(t, "Q2")
		if it.Status != jobs.ItemDone || it.RevID != e.wiki.Entity("Q2").LastRevID {
			t.Fatalf("Q2 after the retry: %s rev %d (wiki %d) %q", it.Status, it.RevID, e.wiki.Entity("Q2").LastRevID, it.Error)
		}
		if n := e.wiki.WriteRequestsFor("Q2"); n != 1 {
			t.Fatalf("Q2 sent %d times", n)
		}
		e.promises(t, "Q1", "Q2", "Q3")
	})
	t.Run("new item", func(t *testing.T) {
		e := setupNewItems(t, 2, nil, nil)
		sent := 0
		e.wiki.SetBeforeSave(func(r wikibasetest.WriteRequest) {
			if sent++; sent == 1 { // faults take the next request: the second item's
				e.wiki.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.ApplyThenFail})
			}
		})
		if err := e.serviceWith(carelessClassify).Write(ctx, e.plan); err != nil {
			t.Fatal(err)
		}
		e.wiki.SetBeforeSave(nil)
		if c := e.counts(t); c.Failed != 1 || c.Done != 1 {
			t.Fatalf("set-up: %+v", c)
		}
		e.retry(t, ctx)
		created := 0
		for _, ed := range e.wiki.Edits() {
			if ed.Created {
				created++
			}
		}
		if created != 2 || len(e.wiki.WriteRequests()) != 2 {
			t.Fatalf("%d items created with %d requests for 2 rows", created, len(e.wiki.WriteRequests()))
		}
		items, _ := e.st.PlanItems(ctx, e.plan.ID, "", 0, 10)
		for _, it := range items {
			if it.Status != jobs.ItemDone || it.NewQID == "" || e.wiki.Entity(it.NewQID) == nil {
				t.Fatalf("item %d: %s new %q (%s)", it.No, it.Status, it.NewQID, it.Error)
			}
		}
	})
}

// TestRetryInterruptedByACrash: the worker running a retry dies after the
// wiki saved the retried edit and before Partnerhub recorded it. The next
// worker finds the edit by its marker and sends nothing twice.
func TestRetryInterruptedByACrash(t *testing.T) {
	e := setupWrite(t, 3, false)
	e.wiki.Protect("Q2")
	if err := e.svc.Write(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.wiki.Unprotect("Q2")
	if _, err := e.st.RetryFailedItems(context.Background(), e.plan.ID, e.plan.WriterID); err != nil {
		t.Fatal(err)
	}
	e.plan = e.planNow(t)
	// The worker dies once the wiki has saved the edit; the wiki holds its
	// answer until the worker's client has given up (closed the request),
	// so the answer reaches no one, whatever the machine's load.
	crash, die := context.WithCancel(context.Background())
	e.wiki.SetBeforeAnswer(func(req context.Context, r wikibasetest.WriteRequest) {
		die()
		<-req.Done()
	})
	_ = e.svc.Write(crash, e.plan)
	e.wiki.SetBeforeAnswer(nil)
	if it := e.item(t, "Q2"); it.Status != jobs.ItemSending || len(e.wiki.Entity("Q2").Claims["P245"]) != 1 {
		t.Fatalf("after the crash: Q2 %s, %d P245", it.Status, len(e.wiki.Entity("Q2").Claims["P245"]))
	}
	// The sweep hands the plan, still "writing", to the next worker.
	if p := e.planNow(t); p.Status != jobs.PlanWriting {
		t.Fatalf("plan %s after the crash", p.Status)
	}
	if err := e.svc.Write(context.Background(), e.planNow(t)); err != nil {
		t.Fatal(err)
	}
	it := e.item(t, "Q2")
	if it.Status != jobs.ItemDone || it.RevID != e.wiki.Entity("Q2").LastRevID || e.wiki.WriteRequestsFor("Q2") != 2 {
		t.Fatalf("Q2: %s rev %d (wiki %d), %d requests", it.Status, it.RevID, e.wiki.Entity("Q2").LastRevID, e.wiki.WriteRequestsFor("Q2"))
	}
	e.promises(t, "Q1", "Q2", "Q3")
}
