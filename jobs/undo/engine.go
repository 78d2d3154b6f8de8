package undo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

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

// Engine runs confirmed undos: the write-back's state machine
// (writeback.Drive: intent before each call, revision after it, a lost
// answer looked up once the edit can no longer land), on undo items.
type Engine struct {
	store    *store.Store
	classify writeback.Classifier
	logger   *slog.Logger
	links    *writeback.Engine // the state machine's pace and windows, and the EditGroups link
}

// NewEngine builds an engine with the write-back's configuration (pace,
// time-outs, EditGroups tool) and error classes.
func NewEngine(cfg writeback.Config, st *store.Store, classify writeback.Classifier, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{store: st, classify: classify, logger: logger, links: writeback.New(cfg, st, classify, logger)}
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
	return writeback.Drive(ctx, e.links, &run{Engine: e, undo: u, title: jobTitle, wiki: wiki, log: log}, log, "undo ")
}

func (e *Engine) pause(ctx context.Context, u *jobs.Undo, reason error) error {
	e.logger.Warn("undo paused", "undo_id", u.ID, "reason", reason)
	if err := e.store.SetUndoStatus(context.WithoutCancel(ctx), u.ID, jobs.UndoPaused, "The undo is paused: "+reason.Error(), jobs.UndoRunning); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	return fmt.Errorf("%w: %v", writeback.ErrPaused, reason)
}

// run is one Run's undo as a writeback.Batch.
type run struct {
	*Engine
	undo  *jobs.Undo
	title string
	wiki  Wiki
	log   *slog.Logger
}

func (r *run) Ref(it *jobs.UndoItem) writeback.ItemRef {
	return writeback.ItemRef{No: it.No, QID: it.QID, Attempts: &it.Attempts, SentAt: it.SentAt}
}

func (r *run) CheckWriter(ctx context.Context) error { return r.wiki.CheckWriter(ctx) }

func (r *run) Items(ctx context.Context, sending bool, after int64, n int) ([]*jobs.UndoItem, error) {
	state := jobs.UndoItemPending
	if sending {
		state = jobs.UndoItemSending
	}
	return r.store.UndoItems(ctx, r.undo.ID, state, after, n)
}

func (r *run) StillRunning(ctx context.Context) (bool, error) {
	cur, err := r.store.UndoByID(ctx, r.undo.ID)
	if err != nil {
		return false, err
	}
	return cur.Status == jobs.UndoRunning, nil
}

// Prefetch does nothing: each undo item is read just before its edit.
func (r *run) Prefetch(context.Context, []*jobs.UndoItem) {}

func (r *run) Finish(ctx context.Context) (bool, error) {
	u := r.undo
	c, err := r.store.UndoCounts(ctx, u.ID)
	if err != nil {
		return false, err
	}
	if c.Sending > 0 || c.Pending > 0 {
		return false, nil
	}
	msg := ""
	if c.Failed > 0 {
		msg = fmt.Sprintf("%d item(s) could not be changed; their notes say why.", c.Failed)
	}
	if err := r.store.FinishUndo(context.WithoutCancel(ctx), u.ID, u.ConfirmedBy, msg); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return true, err
	}
	r.log.Info("undo done", "done", c.Done, "nothing", c.Nothing, "failed", c.Failed, "created", c.Created)
	return true, nil
}

func (r *run) Pause(ctx context.Context, reason error) error { return r.pause(ctx, r.undo, reason) }

// Refresh re-reads a pending item before its edit.
func (r *run) Refresh(ctx context.Context, it *jobs.UndoItem) (*jobs.UndoItem, bool, error) {
	fresh, done, err := r.refresh(ctx, it)
	if err != nil {
		return nil, false, fmt.Errorf("re-read %s before its undo: %w", it.QID, err)
	}
	return fresh, done, nil
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

func (r *run) MarkSending(ctx context.Context, it *jobs.UndoItem) (bool, error) {
	return r.store.MarkUndoSending(ctx, r.undo.ID, it.No)
}

func (r *run) Edit(ctx context.Context, it *jobs.UndoItem) (int64, error) {
	return r.wiki.Edit(ctx, it.QID, it.Data, it.BaseRevID, r.Summary(r.undo, r.title, it))
}

// Classify is the write-back's, but a removal refused because a statement is
// gone meanwhile is an edit conflict: re-read and sent again.
func (r *run) Classify(err error) (writeback.Class, time.Duration) {
	class, wait := r.classify(err)
	if missingClaim(err) {
		class = writeback.ClassEditConflict
	}
	return class, wait
}

func (r *run) Written(ctx context.Context, it *jobs.UndoItem, attempt int, rev int64) error {
	r.log.Info("undo item written", "item", it.No, "qid", it.QID, "rev_id", rev)
	_, err := r.store.SettleUndoSent(ctx, r.undo.ID, it.No, attempt, jobs.UndoItemDone, rev, "")
	return err
}

func (r *run) Release(ctx context.Context, it *jobs.UndoItem, note string) error {
	return r.store.ReleaseUndoItem(ctx, r.undo.ID, it.No, note)
}

func (r *run) Conflict(ctx context.Context, it *jobs.UndoItem, attempt int, err error, final bool) error {
	if final {
		_, err := r.store.SettleUndoSent(ctx, r.undo.ID, it.No, attempt, jobs.UndoItemFailed, 0, "The item kept changing while the undo was sent; nothing was removed from it: "+err.Error())
		return err
	}
	return r.store.ReleaseUndoItem(ctx, r.undo.ID, it.No, "The item changed in between: re-read and sent again.")
}

func (r *run) Lost(ctx context.Context, it *jobs.UndoItem, attempt int, note string) error {
	return r.store.NoteUndoSending(ctx, r.undo.ID, it.No, attempt, note)
}

func (r *run) Refused(ctx context.Context, it *jobs.UndoItem, attempt int, err error) error {
	_, err = r.store.SettleUndoSent(ctx, r.undo.ID, it.No, attempt, jobs.UndoItemFailed, 0, "Nothing removed: "+err.Error())
	return err
}

// Resolve looks up an undo edit whose answer was lost, once it can no longer
// land: recorded if it is on the wiki, else back to pending, re-read before
// it is sent.
func (r *run) Resolve(ctx context.Context, it *jobs.UndoItem) error {
	rev, found, err := r.wiki.FindEdit(ctx, it.QID, it.BaseRevID, Marker(r.undo, it))
	if err != nil {
		return fmt.Errorf("look for the undo edit of %s: %w", it.QID, err)
	}
	if found {
		r.log.Info("found the undo edit of an item whose answer was lost", "item", it.No, "rev_id", rev)
		_, err := r.store.SettleUndoSent(ctx, r.undo.ID, it.No, it.Attempts, jobs.UndoItemDone, rev, "")
		return err
	}
	return r.store.ReleaseUndoItem(ctx, r.undo.ID, it.No, "Sent before an interruption and not saved by the wiki (looked up once it could no longer land): will be re-read and sent again.")
}
