package undo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
)

// Wiki is what running an undo needs of the wiki, with the confirming
// user's credentials.
type Wiki interface {
	// CheckWriter confirms the credentials work and the user may edit.
	CheckWriter(ctx context.Context) error
	// Entity reads an item's current data; Missing set when it is gone, and
	// a redirect (a merged item) answered as its target, with another ID.
	Entity(ctx context.Context, qid string) (*wikidata.Entity, error)
	// Edit sends one wbeditentity on the item's base revision.
	Edit(ctx context.Context, qid string, data json.RawMessage, baseRevID int64, summary string) (revID int64, err error)
	// FindEdit looks among the item's revisions newer than base for one by
	// the user whose summary holds marker: the trace of an edit whose answer
	// was lost.
	FindEdit(ctx context.Context, qid string, baseRevID int64, marker string) (revID int64, found bool, err error)
}

// Engine runs confirmed undos: the same state machine as the write-back
// (intent before each call, revision after it, a lost answer looked up once
// the edit can no longer land), on undo items.
type Engine struct {
	cfg      writeback.Config
	store    *store.Store
	classify writeback.Classifier
	logger   *slog.Logger
	now      func() time.Time
	links    *writeback.Engine // for the EditGroups link and the in-flight window
}

// NewEngine builds an engine with the write-back's configuration (pace,
// time-outs, EditGroups tool) and error classes.
func NewEngine(cfg writeback.Config, st *store.Store, classify writeback.Classifier, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	wb := writeback.New(cfg, st, classify, logger)
	if cfg.EditsPerMinute <= 0 {
		cfg.EditsPerMinute = 90
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 90 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Minute
	}
	if cfg.FirstBackoff <= 0 {
		cfg.FirstBackoff = 30 * time.Second
	}
	return &Engine{cfg: cfg, store: st, classify: classify, logger: logger, now: time.Now, links: wb}
}

// Marker identifies one undo item's edit in its summary.
func Marker(u *jobs.Undo, it *jobs.UndoItem) string {
	return fmt.Sprintf("(job %d, plan %d, undo %d, item %d)", u.JobID, u.PlanID, u.ID, it.No)
}

// Summary is an undo edit's summary: what it takes back, the marker, and
// the undo's own EditGroups batch.
func (e *Engine) Summary(u *jobs.Undo, jobTitle string, it *jobs.UndoItem) string {
	title := []rune(jobTitle)
	if len(title) > 60 {
		title = append(title[:59], '…')
	}
	return fmt.Sprintf("Partnerhub: undo of statements from %q %s %s", string(title), Marker(u, it), e.links.EditGroupsLink(u.EditGroupID))
}

// EditGroupsURL is the undo's batch on EditGroups.
func (e *Engine) EditGroupsURL(groupID string) string { return e.links.EditGroupsURL(groupID) }

// Run removes a confirmed undo's pending items until none is left and no
// lost edit waits to be looked up (the undo is then finished: created items
// unlinked, decisions reset if asked), a person or the wiki pauses it, or
// ctx ends (it stays running and a later Run continues).
func (e *Engine) Run(ctx context.Context, undoID int64, jobTitle string, wiki Wiki) error {
	u, err := e.store.UndoByID(ctx, undoID)
	if err != nil {
		return err
	}
	if u.Status != jobs.UndoRunning {
		return nil
	}
	log := e.logger.With("undo_id", u.ID, "plan_id", u.PlanID, "job_id", u.JobID)
	if err := wiki.CheckWriter(ctx); err != nil {
		if c, _ := e.classify(err); c == writeback.ClassPause || errors.Is(err, writeback.ErrWriterRefused) {
			return e.pause(ctx, u, err)
		}
		return err
	}
	r := &run{Engine: e, undo: u, title: jobTitle, wiki: wiki, log: log,
		limiter: rate.NewLimiter(rate.Limit(e.cfg.EditsPerMinute/60), 1)}
	for {
		next, err := r.recoverSending(ctx)
		if err != nil {
			return err
		}
		stopped, err := r.writePending(ctx)
		if err != nil || stopped {
			return err
		}
		if next.IsZero() {
			c, err := e.store.UndoCounts(ctx, u.ID)
			if err != nil {
				return err
			}
			if c.Sending > 0 || c.Pending > 0 {
				continue
			}
			msg := ""
			if c.Failed > 0 {
				msg = fmt.Sprintf("%d item(s) could not be changed; their notes say why.", c.Failed)
			}
			if err := e.store.FinishUndo(context.WithoutCancel(ctx), u.ID, u.ConfirmedBy, msg); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
				return err
			}
			log.Info("undo done", "done", c.Done, "nothing", c.Nothing, "failed", c.Failed, "created", c.Created)
			return nil
		}
		log.Info("waiting before looking up undo edits whose answer was lost", "until", next)
		if err := sleep(ctx, time.Until(next)); err != nil {
			return err
		}
	}
}

func (e *Engine) pause(ctx context.Context, u *jobs.Undo, reason error) error {
	e.logger.Warn("undo paused", "undo_id", u.ID, "reason", reason)
	if err := e.store.SetUndoStatus(context.WithoutCancel(ctx), u.ID, jobs.UndoPaused, "The undo is paused: "+reason.Error(), jobs.UndoRunning); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	return fmt.Errorf("%w: %v", writeback.ErrPaused, reason)
}

type run struct {
	*Engine
	undo     *jobs.Undo
	title    string
	wiki     Wiki
	log      *slog.Logger
	limiter  *rate.Limiter
	throttle int
}

func (r *run) stillRunning(ctx context.Context) (bool, error) {
	cur, err := r.store.UndoByID(ctx, r.undo.ID)
	if err != nil {
		return false, err
	}
	return cur.Status == jobs.UndoRunning, nil
}

func (r *run) writePending(ctx context.Context) (stopped bool, err error) {
	var after int64
	for {
		items, err := r.store.UndoItems(ctx, r.undo.ID, jobs.UndoItemPending, after, 50)
		if err != nil {
			return false, err
		}
		if len(items) == 0 {
			return false, nil
		}
		for _, it := range items {
			after = it.No
			if ok, err := r.stillRunning(ctx); err != nil || !ok {
				return !ok, err
			}
			if err := r.writeItem(ctx, it); err != nil {
				return false, err
			}
		}
	}
}

// refresh re-reads a pending item and recomputes what is still to remove,
// held to what the person confirmed; done says it was settled without an
// edit.
func (r *run) refresh(ctx context.Context, it *jobs.UndoItem) (*jobs.UndoItem, bool, error) {
	cur, err := r.wiki.Entity(ctx, it.QID)
	if err != nil {
		return nil, false, err
	}
	if cur == nil || cur.Missing || cur.ID != it.QID {
		why := it.QID + " was deleted since: nothing is left to remove."
		if cur != nil && !cur.Missing && cur.ID != it.QID {
			why = fmt.Sprintf("%s was merged into %s since; the statements moved there with new ids and are not taken back by Partnerhub: look at %s.", it.QID, cur.ID, cur.ID)
		}
		fresh := *it
		for i := range fresh.Lines {
			if fresh.Lines[i].Remove {
				fresh.Lines[i].Remove, fresh.Lines[i].Reason = false, "Stays: "+why
			}
		}
		fresh.Remove, fresh.Stay = Count(fresh.Lines)
		fresh.Data = json.RawMessage("{}")
		_, err := r.store.ReplanUndoItem(ctx, &fresh, jobs.UndoItemPending, 0, why)
		return nil, true, err
	}
	added, err := r.addedOf(ctx, it)
	if err != nil {
		return nil, false, err
	}
	lines := Keep(Lines(added, Selection{}, cur), it.Lines)
	fresh := *it
	fresh.Lines, fresh.BaseRevID = lines, cur.LastRevID
	fresh.Remove, fresh.Stay = Count(lines)
	data, err := Payload(lines, cur)
	if err != nil {
		return nil, false, err
	}
	if data == nil {
		data = json.RawMessage("{}")
	}
	fresh.Data = data
	if fresh.Remove == 0 {
		_, err := r.store.ReplanUndoItem(ctx, &fresh, jobs.UndoItemPending, 0, "Nothing left to remove when re-read just before the edit: nothing was sent.")
		return nil, true, err
	}
	if fresh.BaseRevID != it.BaseRevID || string(fresh.Data) != string(it.Data) {
		if _, err := r.store.ReplanUndoItem(ctx, &fresh, jobs.UndoItemPending, 0, ""); err != nil {
			return nil, false, err
		}
	}
	return &fresh, false, nil
}

// addedOf is what the write-back edit behind an undo item added (recorded
// when the undo was prepared).
func (r *run) addedOf(ctx context.Context, it *jobs.UndoItem) (Added, error) {
	raw, err := r.store.PlanItemAdded(ctx, r.undo.PlanID, it.PlanItemNo)
	if err != nil {
		return Added{}, err
	}
	var a Added
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return Added{}, fmt.Errorf("what plan item %d added is not recorded: %w", it.PlanItemNo, err)
	}
	return a, nil
}

// missingClaim says the wiki refused a removal because a statement is no
// longer on the item (someone removed it in between).
func missingClaim(err error) bool {
	var ae *wikidata.APIError
	return errors.As(err, &ae) && ae.Code == "modification-failed" && strings.Contains(ae.Info, "does not have statement with GUID")
}

func (r *run) writeItem(ctx context.Context, it *jobs.UndoItem) error {
	log := r.log.With("item", it.No, "qid", it.QID)
	retried := false
	for {
		fresh, done, err := r.refresh(ctx, it)
		if err != nil {
			return fmt.Errorf("re-read %s before its undo: %w", it.QID, err)
		}
		if done {
			return nil
		}
		it = fresh
		if err := r.limiter.Wait(ctx); err != nil {
			return err
		}
		ok, err := r.store.MarkUndoSending(ctx, r.undo.ID, it.No)
		if err != nil || !ok {
			return err
		}
		attempt := it.Attempts + 1
		callCtx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
		rev, err := r.wiki.Edit(callCtx, it.QID, it.Data, it.BaseRevID, r.Summary(r.undo, r.title, it))
		cut := callCtx.Err() != nil
		cancel()
		bg := context.WithoutCancel(ctx)
		if err == nil {
			r.throttle = 0
			log.Info("undo item written", "rev_id", rev)
			_, err := r.store.SettleUndoSent(bg, r.undo.ID, it.No, attempt, jobs.UndoItemDone, rev, "")
			return err
		}
		class, wait := r.classify(err)
		if missingClaim(err) {
			class = writeback.ClassEditConflict
		}
		if cut && class == writeback.ClassItemFailed {
			class = writeback.ClassOutcomeUnknown
		}
		switch class {
		case writeback.ClassWait:
			if err := r.store.ReleaseUndoItem(bg, r.undo.ID, it.No, "Waiting, nothing was saved: "+err.Error()); err != nil {
				return err
			}
			wait = r.backoff(wait)
			log.Warn("wiki asks to wait", "wait", wait, "err", err)
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			it.Attempts = attempt
		case writeback.ClassEditConflict:
			it.Attempts = attempt
			if retried {
				_, err := r.store.SettleUndoSent(bg, r.undo.ID, it.No, attempt, jobs.UndoItemFailed, 0, "The item kept changing while the undo was sent; nothing was removed from it: "+err.Error())
				return err
			}
			retried = true
			if err := r.store.ReleaseUndoItem(bg, r.undo.ID, it.No, "The item changed in between: re-read and sent again."); err != nil {
				return err
			}
		case writeback.ClassOutcomeUnknown:
			due := r.now().Add(r.links.InFlightFor())
			log.Warn("the answer to an undo edit was lost; it stays unknown until it can be looked up", "err", err, "look_after", due)
			return r.store.NoteUndoSending(bg, r.undo.ID, it.No, attempt, fmt.Sprintf("The wiki's answer was lost (%v). The edit may still be saved by the wiki, so it is not sent again: it will be looked up after %s.", err, due.UTC().Format("15:04:05 UTC")))
		case writeback.ClassPause:
			if err := r.store.ReleaseUndoItem(bg, r.undo.ID, it.No, err.Error()); err != nil {
				return err
			}
			return r.pause(ctx, r.undo, err)
		default:
			log.Warn("undo item refused", "err", err)
			_, err := r.store.SettleUndoSent(bg, r.undo.ID, it.No, attempt, jobs.UndoItemFailed, 0, "Nothing removed: "+err.Error())
			return err
		}
	}
}

func (r *run) backoff(hint time.Duration) time.Duration {
	if hint > 0 {
		r.throttle = 0
		return min(max(hint, time.Second/10), r.cfg.MaxWait)
	}
	d := min(r.cfg.FirstBackoff<<min(r.throttle, 16), r.cfg.MaxWait)
	r.throttle++
	return d/2 + rand.N(d/2+1)
}

// recoverSending looks up every item left "sending" whose edit can no
// longer land, and says when the next one still in flight can be (zero:
// none).
func (r *run) recoverSending(ctx context.Context) (time.Time, error) {
	var after int64
	var next time.Time
	for {
		items, err := r.store.UndoItems(ctx, r.undo.ID, jobs.UndoItemSending, after, 50)
		if err != nil || len(items) == 0 {
			return next, err
		}
		for _, it := range items {
			after = it.No
			due := it.SentAt.Add(r.links.InFlightFor())
			if r.now().Before(due) {
				if next.IsZero() || due.Before(next) {
					next = due
				}
				continue
			}
			rev, found, err := r.wiki.FindEdit(ctx, it.QID, it.BaseRevID, Marker(r.undo, it))
			if err != nil {
				return next, fmt.Errorf("look for the undo edit of %s: %w", it.QID, err)
			}
			if found {
				r.log.Info("found the undo edit of an item whose answer was lost", "item", it.No, "rev_id", rev)
				if _, err := r.store.SettleUndoSent(ctx, r.undo.ID, it.No, it.Attempts, jobs.UndoItemDone, rev, ""); err != nil {
					return next, err
				}
				continue
			}
			// Not applied: back to pending, re-read before it is sent.
			if err := r.store.ReleaseUndoItem(ctx, r.undo.ID, it.No, "Sent before an interruption and not saved by the wiki (looked up once it could no longer land): will be re-read and sent again."); err != nil {
				return next, err
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
