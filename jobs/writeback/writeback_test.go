package writeback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/writeback"
)

// fakeWiki keeps, per item, the set of statements it has, and applies an
// item's planned statements (its Diff: a JSON list of strings) on Edit.
type fakeWiki struct {
	mu        sync.Mutex
	items     map[string]map[string]bool
	revs      map[string]int64
	edits     []string // summaries, in order
	writes    int
	nextQID   int
	fail      map[int64][]error // per item no: errors to return on successive Edits
	applyThen map[int64]error   // per item no: apply, then return this error (outcome unknown)
	checkErr  error
	prefetch  int // Prefetch calls
}

func (w *fakeWiki) Prefetch(context.Context, []*jobs.PlanItem) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prefetch++
	return nil
}

var errMaxlag = errors.New("maxlag: Waiting for a database server: 6 seconds lagged")
var errBlocked = errors.New("blocked: You have been blocked from editing")
var errConflict = errors.New("editconflict: Edit conflict")
var errUnknown = errors.New("connection reset after the request was sent")
var errBadValue = errors.New("modification-failed: Malformed input")

func classify(err error) (writeback.Class, time.Duration) {
	switch {
	case errors.Is(err, errMaxlag):
		return writeback.ClassWait, 10 * time.Millisecond
	case errors.Is(err, errBlocked):
		return writeback.ClassPause, 0
	case errors.Is(err, errConflict):
		return writeback.ClassEditConflict, 0
	case errors.Is(err, errUnknown):
		return writeback.ClassOutcomeUnknown, 0
	}
	return writeback.ClassItemFailed, 0
}

func planned(it *jobs.PlanItem) []string {
	var s []string
	_ = json.Unmarshal(it.Diff, &s)
	return s
}

func (w *fakeWiki) CheckWriter(context.Context) error { return w.checkErr }

func (w *fakeWiki) apply(it *jobs.PlanItem, summary string) (int64, string) {
	qid := it.QID
	if qid == "" {
		w.nextQID++
		qid = fmt.Sprint("Q", 9000+w.nextQID)
		w.items[qid] = map[string]bool{}
	}
	for _, s := range planned(it) {
		w.items[qid][s] = true
	}
	w.revs[qid]++
	w.edits = append(w.edits, qid+" "+summary)
	newQID := ""
	if it.QID == "" {
		newQID = qid
	}
	return w.revs[qid], newQID
}

func (w *fakeWiki) Edit(_ context.Context, it *jobs.PlanItem, summary string) (writeback.Saved, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if errs := w.fail[it.No]; len(errs) > 0 {
		w.fail[it.No] = errs[1:]
		return writeback.Saved{}, errs[0]
	}
	if err, ok := w.applyThen[it.No]; ok {
		delete(w.applyThen, it.No)
		w.apply(it, summary)
		return writeback.Saved{}, err
	}
	if it.QID != "" && it.BaseRevID != w.revs[it.QID] {
		return writeback.Saved{}, errConflict
	}
	rev, q := w.apply(it, summary)
	return writeback.Saved{RevID: rev, NewQID: q}, nil
}

func (w *fakeWiki) Refresh(_ context.Context, it *jobs.PlanItem) (*jobs.PlanItem, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if it.QID == "" {
		return it, false, nil
	}
	var left []string
	for _, s := range planned(it) {
		if !w.items[it.QID][s] {
			left = append(left, s)
		}
	}
	fresh := *it
	fresh.BaseRevID = w.revs[it.QID]
	fresh.Diff, _ = json.Marshal(left)
	fresh.Statements = len(left)
	return &fresh, len(left) == 0, nil
}

func (w *fakeWiki) FindEdit(_ context.Context, it *jobs.PlanItem, marker string) (int64, string, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.edits {
		if strings.Contains(e, marker) {
			qid := strings.Fields(e)[0]
			newQID := ""
			if it.QID == "" {
				newQID = qid
			}
			return w.revs[qid], newQID, true, nil
		}
	}
	return 0, "", false, nil
}

func setup(t *testing.T, n int) (*store.Store, *jobs.EditPlan, *fakeWiki) {
	t.Helper()
	st := storetest.SQLite(t)
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	j, _ := st.CreateJob(ctx, u.ID, "Museum", "")
	p, _ := st.CreatePlan(ctx, j.ID, u.ID)
	w := &fakeWiki{items: map[string]map[string]bool{}, revs: map[string]int64{}, fail: map[int64][]error{}, applyThen: map[int64]error{}}
	var items []jobs.PlanItem
	for i := 1; i <= n; i++ {
		qid := fmt.Sprint("Q", i)
		w.items[qid] = map[string]bool{"P31=Q5": true}
		w.revs[qid] = 100
		diff, _ := json.Marshal([]string{fmt.Sprintf("P245=%d", i), "P569=1862"})
		items = append(items, jobs.PlanItem{No: int64(i), QID: qid, BaseRevID: 100, Diff: diff, Statements: 2, References: 2, Approved: true})
	}
	if err := st.AddPlanItems(ctx, p.ID, items, int64(n)); err != nil {
		t.Fatal(err)
	}
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = st.ApprovePlan(ctx, p.ID, u.ID, nil)
	if err := st.StartWriting(ctx, p.ID, u.ID, "0123abcd"); err != nil {
		t.Fatal(err)
	}
	p, _ = st.Plan(ctx, p.ID)
	return st, p, w
}

// window is how long a lost edit counts as possibly in flight in these tests.
const window = 3 * 40 * time.Millisecond

func engine(st *store.Store, perMinute float64) *writeback.Engine {
	return writeback.New(writeback.Config{EditsPerMinute: perMinute, RequestTimeout: 40 * time.Millisecond, LateSave: 40 * time.Millisecond, ReplicaLag: 40 * time.Millisecond},
		st, classify, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestWritesEveryItemOnceWithSummary(t *testing.T) {
	st, p, w := setup(t, 20)
	w.fail[3] = []error{errMaxlag, errMaxlag}
	w.fail[5] = []error{errBadValue}
	w.revs["Q7"] = 101 // someone edited Q7 since the plan: the re-read before the edit sees it
	if err := engine(st, 60000).Run(context.Background(), p.ID, "Nationalmuseum painters", w); err != nil {
		t.Fatal(err)
	}
	c, _ := st.PlanCounts(context.Background(), p.ID)
	if c.Done != 19 || c.Failed != 1 || c.Pending != 0 || c.Sending != 0 {
		t.Fatalf("counts %+v", c)
	}
	// One write per item, plus the refused ones: 20 + 2 maxlag.
	if w.writes != 22 || w.prefetch < 2 {
		t.Fatalf("write requests %d", w.writes)
	}
	it, _ := st.PlanItem(context.Background(), p.ID, 7)
	if it.Status != jobs.ItemDone || it.RevID != 102 {
		t.Fatalf("conflicted item %+v", it)
	}
	if !strings.Contains(w.edits[0], `Partnerhub: statements from "Nationalmuseum painters" (job `) || !strings.Contains(w.edits[0], "([[:toolforge:editgroups/b/CB/0123abcd|details]])") {
		t.Fatalf("summary %q", w.edits[0])
	}
	if pl, _ := st.Plan(context.Background(), p.ID); pl.Status != jobs.PlanDone {
		t.Fatalf("plan %s", pl.Status)
	}
	it5, _ := st.PlanItem(context.Background(), p.ID, 5)
	if it5.Status != jobs.ItemFailed || !strings.Contains(it5.Error, "Malformed") {
		t.Fatalf("item 5 %+v", it5)
	}
}

func TestBlockedPausesWithReason(t *testing.T) {
	st, p, w := setup(t, 5)
	w.fail[2] = []error{errBlocked}
	err := engine(st, 60000).Run(context.Background(), p.ID, "x", w)
	if !errors.Is(err, writeback.ErrPaused) {
		t.Fatalf("run: %v", err)
	}
	pl, _ := st.Plan(context.Background(), p.ID)
	if pl.Status != jobs.PlanPaused || !strings.Contains(pl.Error, "blocked") {
		t.Fatalf("plan %+v", pl)
	}
	c, _ := st.PlanCounts(context.Background(), p.ID)
	if c.Done != 1 || c.Pending != 4 {
		t.Fatalf("counts %+v", c)
	}
}

// TestUnknownOutcomeIsNeverSentTwice: an edit applied whose answer was lost
// (and an item left "sending" by a crash) is found on the wiki and recorded,
// never sent again.
func TestUnknownOutcomeIsNeverSentTwice(t *testing.T) {
	st, p, w := setup(t, 6)
	w.applyThen[2] = errUnknown
	ctx := context.Background()
	// A crash right after item 4's intent was recorded and its edit applied.
	if ok, _ := st.MarkItemSending(ctx, p.ID, 4); !ok {
		t.Fatal("mark")
	}
	it4, _ := st.PlanItem(ctx, p.ID, 4)
	w.apply(it4, "Partnerhub: statements from \"x\" "+writeback.Marker(p, it4)+" ([[:toolforge:editgroups/b/CB/0123abcd|details]])")
	// And item 5's intent recorded but the crash came before the call.
	if ok, _ := st.MarkItemSending(ctx, p.ID, 5); !ok {
		t.Fatal("mark")
	}
	if err := engine(st, 60000).Run(ctx, p.ID, "x", w); err != nil {
		t.Fatal(err)
	}
	for _, no := range []int64{2, 4, 5} {
		it, _ := st.PlanItem(ctx, p.ID, no)
		if it.Status != jobs.ItemDone && it.Status != jobs.ItemNothing {
			t.Fatalf("item %d: %+v", no, it)
		}
	}
	per := map[string]int{}
	for _, e := range w.edits {
		per[strings.Fields(e)[0]]++
	}
	for q, n := range per {
		if n != 1 {
			t.Fatalf("%s edited %d times", q, n)
		}
	}
	// Item 5 was never sent before the crash: it was sent after it, once.
	if per["Q5"] != 1 {
		t.Fatalf("Q5 edits: %d", per["Q5"])
	}
}

func TestPaceLimit(t *testing.T) {
	st, p, w := setup(t, 6)
	start := time.Now()
	if err := engine(st, 600).Run(context.Background(), p.ID, "x", w); err != nil { // 10 edits/s
		t.Fatal(err)
	}
	// The first edit goes at once; five more at 100 ms intervals.
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Fatalf("6 edits at 10/s took %s", took)
	}
}

func TestCheckWriterRefusalPauses(t *testing.T) {
	st, p, w := setup(t, 2)
	w.checkErr = fmt.Errorf("%w: account blocked", writeback.ErrWriterRefused)
	if err := engine(st, 60000).Run(context.Background(), p.ID, "x", w); !errors.Is(err, writeback.ErrPaused) {
		t.Fatalf("run: %v", err)
	}
	if w.writes != 0 {
		t.Fatal("wrote with a refused account")
	}
}
