// Package watch re-reads what write-backs wrote and records what became of
// it: items merged (redirects, followed to their target) or deleted, and
// each statement Partnerhub sent still there, changed, deprecated, stripped
// of its reference or removed. It works from what the database recorded of
// each write-back (the plan items written, with the edit data they sent), in
// batches of at most 50 items a request, and records each batch with the
// run's progress in one transaction, so an interrupted run goes on where it
// stopped. Items whose revision has not changed since the last run are not
// read again.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/wikidata"
)

// Wiki reads items as they are now (a *wikidata.Client does).
type Wiki interface {
	CurrentEntities(ctx context.Context, ids []string, claims bool) (map[string]*wikidata.CurrentEntity, int, error)
}

// WikiFor gives the wiki a job's items live on.
type WikiFor func(job *jobs.Job) (Wiki, error)

// Config tunes a watcher.
type Config struct {
	// Batch is how many items one request reads: 1 to 50 (wbgetentities'
	// limit for a normal account); default 50.
	Batch int
	// Stale is how long a run may go without recording progress before
	// another process takes it over (its process died); default 30 min,
	// longer than the client may spend waiting out a lagging wiki on one
	// batch.
	Stale  time.Duration
	Logger *slog.Logger
}

// Watcher runs watch runs.
type Watcher struct {
	cfg     Config
	store   *store.Store
	wikiFor WikiFor
}

// New builds a watcher.
func New(cfg Config, st *store.Store, wikiFor WikiFor) (*Watcher, error) {
	if cfg.Batch == 0 {
		cfg.Batch = wikidata.MaxIDsPerRequest
	}
	if cfg.Batch < 1 || cfg.Batch > wikidata.MaxIDsPerRequest {
		return nil, fmt.Errorf("a watch batch is 1 to %d items (the wiki's limit per request), not %d", wikidata.MaxIDsPerRequest, cfg.Batch)
	}
	if cfg.Stale <= 0 {
		cfg.Stale = 30 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Watcher{cfg: cfg, store: st, wikiFor: wikiFor}, nil
}

// Result is what one call of Job did.
type Result struct {
	Run      *jobs.WatchRun
	Resumed  bool  // it went on with a run left unfinished
	Checked  int64 // items checked in this call
	Read     int64 // of which re-read with their statements
	Requests int64
	More     bool // stopped at the limit: the next call goes on
}

// Job watches one job's written items; limit > 0 stops after that many
// items, leaving the run for the next call to continue.
func (w *Watcher) Job(ctx context.Context, jobID int64, limit int64) (Result, error) {
	job, err := w.store.Job(ctx, jobID)
	if err != nil {
		return Result{}, err
	}
	wiki, err := w.wikiFor(job)
	if err != nil {
		return Result{}, fmt.Errorf("job %d: %w", jobID, err)
	}
	run, resumed, err := w.store.StartWatchRun(ctx, jobID, w.cfg.Stale)
	if err != nil {
		return Result{}, err
	}
	res := Result{Run: run, Resumed: resumed}
	log := w.cfg.Logger.With("job_id", jobID, "watch_run", run.ID)
	if resumed {
		log.Info("going on with an unfinished watch run", "after_plan", run.AfterPlan, "after_item", run.AfterItem)
	}
	after := [2]int64{run.AfterPlan, run.AfterItem}
	for {
		n := w.cfg.Batch
		if limit > 0 {
			if res.Checked >= limit {
				res.More = true
				return res, w.store.ParkWatchRun(context.WithoutCancel(ctx), jobID, run.ID, "")
			}
			n = int(min(int64(n), limit-res.Checked))
		}
		items, err := w.store.WrittenItems(ctx, jobID, after[0], after[1], n)
		if err != nil {
			return res, w.stop(ctx, jobID, run.ID, err)
		}
		if len(items) == 0 {
			break
		}
		b, err := w.batch(ctx, wiki, items)
		if err != nil {
			return res, w.stop(ctx, jobID, run.ID, err)
		}
		if err := w.store.RecordWatchBatch(ctx, jobID, run.ID, b); err != nil {
			return res, err
		}
		res.Checked += b.ItemsChecked
		res.Read += b.ItemsRead
		res.Requests += b.Requests
		after = [2]int64{b.AfterPlan, b.AfterItem}
	}
	if err := w.store.FinishWatchRun(ctx, jobID, run.ID, jobs.WatchDone, ""); err != nil {
		return res, err
	}
	res.Run, err = w.store.WatchRun(ctx, run.ID)
	if err == nil {
		log.Info("watch run done", "checked", res.Checked, "read", res.Read, "requests", res.Requests, "statements", res.Run.Statements, "there", res.Run.There)
	}
	return res, err
}

// stop leaves an interrupted run for the next call to continue at once
// (its progress is recorded batch by batch) and says why it stopped.
func (w *Watcher) stop(ctx context.Context, jobID, runID int64, cause error) error {
	msg := cause.Error()
	if errors.Is(cause, context.Canceled) {
		msg = "interrupted"
	}
	if err := w.store.ParkWatchRun(context.WithoutCancel(ctx), jobID, runID, msg); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// batch checks a batch of written items against the wiki.
func (w *Watcher) batch(ctx context.Context, wiki Wiki, items []jobs.WrittenItem) (store.WatchBatch, error) {
	last := items[len(items)-1]
	b := store.WatchBatch{AfterPlan: last.PlanID, AfterItem: last.No, ItemsChecked: int64(len(items))}
	keys := make([]store.WatchKey, len(items))
	for i, it := range items {
		keys[i] = store.WatchKey{PlanID: it.PlanID, ItemNo: it.No}
	}
	prevItems, prevStmts, err := w.store.WatchedItems(ctx, keys)
	if err != nil {
		return b, err
	}
	targets := make([]string, len(items))
	sents := make([][]sent, len(items))
	for i, it := range items {
		if targets[i], sents[i], err = sentStatements(it); err != nil {
			return b, err
		}
	}
	// Items seen before: ask only for their revisions first, and re-read
	// the statements of those that changed.
	var seen []string
	for i, k := range keys {
		if p := prevItems[k]; p != nil && p.LastRevID > 0 {
			seen = append(seen, targets[i])
		}
	}
	info := map[string]*wikidata.CurrentEntity{}
	if len(seen) > 0 {
		got, n, err := wiki.CurrentEntities(ctx, dedupe(seen), false)
		b.Requests += int64(n)
		if err != nil {
			return b, err
		}
		info = got
	}
	var toRead []string
	unchanged := make([]bool, len(items))
	for i, k := range keys {
		p := prevItems[k]
		if cur := info[targets[i]]; p != nil && cur != nil && cur.Entity != nil && cur.Entity.LastRevID == p.LastRevID && cur.RedirectedTo == p.NowQID {
			unchanged[i] = true
			continue
		}
		if cur := info[targets[i]]; cur != nil && cur.Missing {
			continue // deleted: nothing to read
		}
		toRead = append(toRead, targets[i])
	}
	full := map[string]*wikidata.CurrentEntity{}
	if len(toRead) > 0 {
		got, n, err := wiki.CurrentEntities(ctx, dedupe(toRead), true)
		b.Requests += int64(n)
		if err != nil {
			return b, err
		}
		full = got
	}
	for i, it := range items {
		k := keys[i]
		if unchanged[i] {
			b.Unchanged = append(b.Unchanged, k)
			continue
		}
		cur := full[targets[i]]
		if cur == nil {
			cur = info[targets[i]]
		}
		if cur == nil {
			return b, fmt.Errorf("the wiki's answer left out %s", targets[i])
		}
		if full[targets[i]] != nil {
			b.ItemsRead++
		}
		known := map[int]string{}
		for _, st := range prevStmts[k] {
			known[st.No] = st.GUID
		}
		wi, ws := judgeItem(it, targets[i], cur, sents[i], known)
		b.Items = append(b.Items, wi)
		b.Statements = append(b.Statements, ws...)
	}
	return b, nil
}

// judgeItem says what became of an item and of each statement sent to it.
func judgeItem(it jobs.WrittenItem, target string, cur *wikidata.CurrentEntity, sents []sent, known map[int]string) (jobs.WatchedItem, []jobs.WatchedStatement) {
	wi := jobs.WatchedItem{PlanID: it.PlanID, No: it.No, QID: target, State: jobs.WatchThere, Rows: it.Rows}
	var out []jobs.WatchedStatement
	now := target
	switch {
	case cur.Missing:
		wi.State = jobs.WatchItemDeleted
	case cur.RedirectedTo != "":
		wi.State, wi.NowQID, now = jobs.WatchMerged, cur.RedirectedTo, cur.RedirectedTo
	}
	if cur.Entity != nil {
		wi.LastRevID = cur.Entity.LastRevID
	}
	for _, s := range sents {
		ws := jobs.WatchedStatement{PlanID: it.PlanID, ItemNo: it.No, No: s.No, QID: now, Property: s.Property, Value: s.Value.String()}
		guid := known[s.No]
		if guid == "" {
			guid = s.GUID
		}
		switch wi.State {
		case jobs.WatchItemDeleted:
			ws.State, ws.GUID, ws.Detail = jobs.WatchItemDeleted, guid, target+" was deleted"
		default:
			ws.State, ws.GUID, ws.Detail = judge(cur.Entity, s, guid)
			if ws.GUID == "" {
				ws.GUID = guid // removed: keep the id it had, for the record
			}
			if wi.State == jobs.WatchMerged {
				ws.Detail = joinDetail("on "+now+" (merged)", ws.Detail)
			}
		}
		out = append(out, ws)
	}
	wi.RowStatus = jobs.ItemRowStatus(wi, out)
	return wi, out
}

func joinDetail(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
