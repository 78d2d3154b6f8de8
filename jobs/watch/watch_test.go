package watch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/undo"
	"partnerhub/jobs/watch"
	"partnerhub/jobs/watch/watchtest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

const ua = "Partnerhub-test/1.0 (https://partnerhub.example/)"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type env struct {
	st    *store.Store
	wiki  *wikibasetest.Server
	jobID int64
	// requests counts wbgetentities requests and ids asked for.
	reads, ids atomic.Int64
}

func written(t *testing.T, st *store.Store, n int) *env {
	t.Helper()
	wiki, jobID := watchtest.Written(t, st, n, nil)
	return &env{st: st, wiki: wiki, jobID: jobID}
}

func writtenB(b *testing.B, st *store.Store, n int) (*wikibasetest.Server, int64) {
	b.Helper()
	return watchtest.Written(b, st, n, nil)
}

// counting reads the job's wiki with the real client, counting requests.
type counting struct {
	e *env
	c *wikidata.Client
	// after, if set, is called before each read with its number (1…).
	before func(n int64)
}

func (c *counting) CurrentEntities(ctx context.Context, ids []string, claims bool) (map[string]*wikidata.CurrentEntity, int, error) {
	n := c.e.reads.Add(1)
	c.e.ids.Add(int64(len(ids)))
	if c.before != nil {
		c.before(n)
	}
	return c.c.CurrentEntities(ctx, ids, claims)
}

func (e *env) watcherB(b *testing.B) *watch.Watcher { return e.watcherTB(b, time.Hour, nil) }

func (e *env) watcher(t *testing.T, stale time.Duration, before func(int64)) *watch.Watcher {
	t.Helper()
	return e.watcherTB(t, stale, before)
}

func (e *env) watcherTB(t testing.TB, stale time.Duration, before func(int64)) *watch.Watcher {
	t.Helper()
	c, err := wikidata.NewClient(wikidata.Config{APIURL: e.wiki.URL(), UserAgent: ua, Logger: quiet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(watch.Config{Stale: stale, Logger: quiet}, e.st, func(*jobs.Job) (watch.Wiki, error) {
		return &counting{e: e, c: c, before: before}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// statementOf finds the statement of property p on an item of the fake.
func statementOf(e *wikidata.Entity, p string) *wikidata.Statement {
	if len(e.Claims[p]) == 0 {
		return nil
	}
	return &e.Claims[p][0]
}

func states(t *testing.T, e *env) map[string]jobs.WatchState {
	t.Helper()
	list, err := e.st.WatchedStatements(context.Background(), e.jobID, false, 10000)
	if err != nil {
		t.Fatal(err)
	}
	items, err := e.st.WrittenItems(context.Background(), e.jobID, 0, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	qid := map[int64]string{}
	for _, it := range items {
		qid[it.No] = it.QID
	}
	out := map[string]jobs.WatchState{}
	for _, st := range list {
		key := qid[st.ItemNo] + " " + st.Property
		if _, dup := out[key]; dup {
			t.Fatalf("statement %s recorded twice", key)
		}
		out[key] = st.State
	}
	return out
}

// TestWatchFindsWhatBecameOfTheEdits: after a real write-back, others edit
// the items as people on Wikidata do — change a value, deprecate, strip the
// reference, remove, delete, merge — and the watch run says what became of
// each statement, in batches within the wiki's limit; a second run reads
// only what changed and adds history only for what changed.
func TestWatchFindsWhatBecameOfTheEdits(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := written(t, st, 60)
		w := e.wiki
		items, _ := st.WrittenItems(ctx, e.jobID, 0, 0, 100)
		if len(items) != 60 || items[0].QID != "Q1" || len(items[0].Rows) != 1 || items[0].Rows[0] != 1 {
			t.Fatalf("written items: %d, first %+v", len(items), items[0])
		}
		w.ChangeAs("Other", "Q2", func(en *wikidata.Entity) {
			v := wikidata.StringValue("999")
			en.Claims["P245"][0].MainSnak.DataValue = &v
		})
		w.ChangeAs("Other", "Q3", func(en *wikidata.Entity) { en.Claims["P569"][0].Rank = wikidata.RankDeprecated })
		w.ChangeAs("Other", "Q4", func(en *wikidata.Entity) { en.Claims["P245"][0].References = nil })
		w.ChangeAs("Other", "Q5", func(en *wikidata.Entity) { delete(en.Claims, "P245") })
		// Q9's edit was read back (as the undo does) and its GUIDs recorded:
		// a value changed and stripped of its reference before any watch is
		// still known as the same statement, changed.
		for _, it := range items {
			if it.QID == "Q9" {
				q9 := w.Entity("Q9")
				added, _ := json.Marshal(undo.Added{QID: "Q9", RevID: it.RevID, Statements: append(q9.Claims["P245"], q9.Claims["P569"]...)})
				if err := st.SetPlanItemAdded(ctx, it.PlanID, it.No, added); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.ChangeAs("Other", "Q9", func(en *wikidata.Entity) {
			v := wikidata.StringValue("777")
			en.Claims["P245"][0].MainSnak.DataValue = &v
			en.Claims["P245"][0].References = nil
		})
		// Q10 the same without recorded GUIDs (a write-back from before the
		// write-back recorded them): nothing says it is the same statement,
		// so it reads as removed.
		for _, it := range items {
			if it.QID == "Q10" {
				if err := st.SetPlanItemAdded(ctx, it.PlanID, it.No, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.ChangeAs("Other", "Q10", func(en *wikidata.Entity) {
			v := wikidata.StringValue("778")
			en.Claims["P245"][0].MainSnak.DataValue = &v
			en.Claims["P245"][0].References = nil
		})
		w.Delete("Q6")
		if err := w.Merge("Other", "Q7", "Q8"); err != nil {
			t.Fatal(err)
		}

		res, err := e.watcher(t, 0, nil).Job(ctx, e.jobID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Checked != 60 || res.Run.Status != jobs.WatchDone || res.Run.Statements != 120 {
			t.Fatalf("run: %+v %+v", res, res.Run)
		}
		// 60 items, 50 a request: two requests, nothing asked twice.
		if e.reads.Load() != 2 || e.ids.Load() != 60 {
			t.Fatalf("%d reads of %d ids for 60 new items", e.reads.Load(), e.ids.Load())
		}
		got := states(t, e)
		want := map[string]jobs.WatchState{
			"Q1 P245": jobs.WatchThere, "Q1 P569": jobs.WatchThere,
			"Q2 P245": jobs.WatchChanged, "Q2 P569": jobs.WatchThere,
			"Q3 P569": jobs.WatchDeprecated,
			"Q4 P245": jobs.WatchRefRemoved,
			"Q5 P245": jobs.WatchRemoved, "Q5 P569": jobs.WatchThere,
			"Q6 P245": jobs.WatchItemDeleted, "Q6 P569": jobs.WatchItemDeleted,
			// Moved onto Q8 with new GUIDs, found there by value and reference.
			"Q7 P245": jobs.WatchThere, "Q7 P569": jobs.WatchThere,
			"Q9 P245": jobs.WatchChanged, "Q9 P569": jobs.WatchThere,
			"Q10 P245": jobs.WatchRemoved,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
		sum, err := st.JobWatchSummary(ctx, e.jobID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Merged != 1 || sum.Deleted != 1 || len(sum.MergedInto) != 1 || sum.MergedInto[0] != "Q8" || sum.There() != 120-8 {
			t.Fatalf("summary %+v", sum)
		}
		if s := sum.Sentence(); !strings.HasPrefix(s, "112 of 120 statements still there;") || !strings.Contains(s, "1 item merged into Q8") || !strings.Contains(s, "1 item deleted") {
			t.Fatalf("sentence %q", s)
		}
		rows, _ := st.RowWikidataStatus(ctx, e.jobID, []int64{1, 2, 3, 4, 5, 6, 7, 61})
		wantRows := map[int64]string{1: "still there", 2: "changed", 3: "changed", 4: "changed", 5: "removed", 6: "deleted", 7: "item merged into Q8"}
		if len(rows) != len(wantRows) {
			t.Errorf("row statuses %v", rows)
		}
		for r, s := range wantRows {
			if rows[r] != s {
				t.Errorf("row %d: %q, want %q", r, rows[r], s)
			}
		}
		history, _ := st.WatchChangeCount(ctx, e.jobID)
		if history != 60+120 {
			t.Fatalf("%d history rows after the first run, want one per item and statement", history)
		}

		// Someone edits Q1 after the first run: the statement's GUID is
		// known now, so a value changed under it is "changed", not "removed".
		w.ChangeAs("Other", "Q1", func(en *wikidata.Entity) {
			v := wikidata.StringValue("123")
			en.Claims["P245"][0].MainSnak.DataValue = &v
			en.Claims["P245"][0].References = nil
		})
		e.reads.Store(0)
		e.ids.Store(0)
		res, err = e.watcher(t, 0, nil).Job(ctx, e.jobID, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Revisions first (58 items seen with a revision, the deleted one is
		// read again), then only Q1 and Q6 with their statements.
		if res.Read != 2 || e.reads.Load() != 4 {
			t.Fatalf("second run read %d items in %d requests", res.Read, e.reads.Load())
		}
		if got := states(t, e); got["Q1 P245"] != jobs.WatchChanged || got["Q1 P569"] != jobs.WatchThere || got["Q2 P245"] != jobs.WatchChanged {
			t.Fatalf("after the second run: Q1 P245 %s, Q1 P569 %s, Q2 P245 %s", got["Q1 P245"], got["Q1 P569"], got["Q2 P245"])
		}
		if h, _ := st.WatchChangeCount(ctx, e.jobID); h != history+1 {
			t.Fatalf("history grew from %d to %d for one changed statement", history, h)
		}
		runs, _ := st.WatchRuns(ctx, e.jobID, 10)
		if len(runs) != 2 || runs[0].There != 111 {
			t.Fatalf("runs %+v", runs)
		}
	})
}

// TestWatchRunSurvivesItsProcess: the process running a watch dies between
// two batches (its goroutine ends without a word); the next run takes the
// run over once it is stale, goes on after the last batch recorded, and the
// records are as if it had run in one go. A run interrupted by shutdown is
// taken up again at once.
func TestWatchRunSurvivesItsProcess(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := written(t, st, 120)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = e.watcher(t, time.Hour, func(n int64) {
				if n == 2 {
					runtime.Goexit() // the process dies mid-run: nothing more is recorded
				}
			}).Job(ctx, e.jobID, 0)
		}()
		<-done
		runs, _ := st.WatchRuns(ctx, e.jobID, 10)
		if len(runs) != 1 || runs[0].Status != jobs.WatchRunning || runs[0].AfterItem != 50 || runs[0].ItemsChecked != 50 {
			t.Fatalf("after the crash: %+v", runs[0])
		}
		// A live run is not taken over.
		if _, err := e.watcher(t, time.Hour, nil).Job(ctx, e.jobID, 0); jobs.ErrorCode(err) != jobs.ECONFLICT {
			t.Fatalf("a second process took over a live run: %v", err)
		}
		e.ids.Store(0)
		res, err := e.watcher(t, time.Nanosecond, nil).Job(ctx, e.jobID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Resumed || res.Checked != 70 || e.ids.Load() != 70 || res.Run.ItemsChecked != 120 || res.Run.Statements != 240 || res.Run.There != 240 {
			t.Fatalf("resumed run: %+v, run %+v, %d ids read", res, res.Run, e.ids.Load())
		}
		if h, _ := st.WatchChangeCount(ctx, e.jobID); h != 120+240 {
			t.Fatalf("%d history rows, want one per item and statement", h)
		}

		// Shutdown mid-run: the run is parked and goes on at once.
		e.wiki.ChangeAs("Other", "Q100", func(en *wikidata.Entity) { delete(en.Claims, "P569") })
		cctx, cancel := context.WithCancel(ctx)
		_, err = e.watcher(t, time.Hour, func(int64) { cancel() }).Job(cctx, e.jobID, 0)
		if err == nil {
			t.Fatal("a cancelled run says nothing")
		}
		res, err = e.watcher(t, time.Hour, nil).Job(ctx, e.jobID, 0)
		if err != nil || !res.Resumed || res.Run.There != 239 {
			t.Fatalf("after shutdown: %v %+v", err, res.Run)
		}
	})
}

// TestWatchLimitStopsAndGoesOn: --limit checks that many items and leaves
// the rest to the next run.
func TestWatchLimitStopsAndGoesOn(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := written(t, st, 30)
	res, err := e.watcher(t, time.Hour, nil).Job(ctx, e.jobID, 20)
	if err != nil || !res.More || res.Checked != 20 || res.Run.Status != jobs.WatchRunning {
		t.Fatalf("limited run: %v %+v", err, res)
	}
	res, err = e.watcher(t, time.Hour, nil).Job(ctx, e.jobID, 20)
	if err != nil || res.More || res.Checked != 10 || !res.Resumed || res.Run.Status != jobs.WatchDone || res.Run.Statements != 60 {
		t.Fatalf("second limited run: %v %+v %+v", err, res, res.Run)
	}
	if _, err := watch.New(watch.Config{Batch: 51}, st, nil); err == nil {
		t.Fatal("a batch above the wiki's 50 ids was accepted")
	}
}

// TestWatchWaitsOutTheWiki: maxlag (with Retry-After) and HTTP 429 are
// waited out by the client, not counted against the items; the run finishes
// with every statement found.
func TestWatchWaitsOutTheWiki(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := written(t, st, 3)
	e.wiki.Inject(wikibasetest.Fault{Action: "wbgetentities", Kind: wikibasetest.Maxlag, RetryAfter: 1})
	e.wiki.Inject(wikibasetest.Fault{Action: "wbgetentities", Kind: wikibasetest.HTTP429, RetryAfter: 1})
	before := e.wiki.Requests()
	res, err := e.watcher(t, time.Hour, nil).Job(ctx, e.jobID, 0)
	if err != nil || res.Run.Status != jobs.WatchDone || res.Run.There != 6 {
		t.Fatalf("run through maxlag and 429: %v %+v", err, res.Run)
	}
	if n := e.wiki.Requests() - before; n != 3 {
		t.Fatalf("%d requests: want the refused two and the one answered", n)
	}
}
