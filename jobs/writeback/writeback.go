// Package writeback writes an approved edit plan to the wiki, one edit per
// item, in the name of the user who started it, at a pace the wiki accepts,
// and exactly once.
//
// Each item is re-read just before its edit and diffed again, so only what is
// still missing is sent (nothing at all when everything is there by now). An
// item's intent is recorded before its API call and its revision after it.
// An edit whose answer was lost stays "sending": MediaWiki may still save it
// after the client gave up, and the lists that would show it read from lagging
// replicas, so it is looked up only once it can no longer land (the request
// time-out, the time a save may go on after that, and the replica lag have
// passed), and sent again only if it is not found then. The wiki is behind
// the Wiki interface; this package is the state machine, the pacing and the
// error policy.
package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// Wiki performs one plan's edits with one user's credentials.
type Wiki interface {
	// CheckWriter confirms the credentials work, the user may edit and the
	// edits' change tag is usable.
	CheckWriter(ctx context.Context) error
	// Prefetch reads the items about to be edited in one request, so that
	// Refresh sees their current data.
	Prefetch(ctx context.Context, items []*jobs.PlanItem) error
	// Refresh diffs the item against its current data (prefetched, or read
	// now) and says what is left to add, never anything already there.
	// nothingLeft means the item needs no edit. An error wrapping ErrItemGone
	// says the item cannot be edited any more (deleted, merged).
	Refresh(ctx context.Context, it *jobs.PlanItem) (updated *jobs.PlanItem, nothingLeft bool, err error)
	// Edit sends an item's planned edit (one wbeditentity call) with the
	// summary, on the item's base revision.
	Edit(ctx context.Context, it *jobs.PlanItem, summary string) (Saved, error)
	// FindEdit looks among the item's revisions newer than its base
	// revision (or, for a new item, the user's edits since it was sent) for
	// an edit whose summary holds marker: the trace of an edit whose answer
	// was lost.
	FindEdit(ctx context.Context, it *jobs.PlanItem, marker string) (revID int64, newQID string, found bool, err error)
}

// Saved is what a successful edit made.
type Saved struct {
	RevID  int64
	NewQID string // for a new item
	// Notice says what a person should know about the edit, e.g. that the
	// wiki patched it onto someone else's edit; "" when nothing.
	Notice string
	// Added records what the edit added (statement GUIDs, references,
	// labels), for an undo; nil when it cannot be told from the answer.
	Added []byte
}

// DuplicateNotice starts the notice of an item whose edit left a duplicate
// statement (the wiki merged it onto someone else's edit of the same value).
const DuplicateNotice = "DUPLICATE CREATED:"

// ErrItemGone means the item can no longer be edited: it was deleted or
// merged into another one since the plan.
var ErrItemGone = errors.New("the item cannot be edited any more")

// Class is how the write-back reacts to an error from the wiki.
type Class int

const (
	ClassItemFailed     Class = iota // this item was refused (malformed value, protected page): record the reason, go on
	ClassWait                        // not applied; wait (maxlag, throttle, 429, read-only) and send again
	ClassEditConflict                // the item changed since the plan: re-read, re-plan, retry once
	ClassOutcomeUnknown              // may or may not have been applied: look before sending again
	ClassPause                       // the wiki refuses this user, or the configuration is wrong: pause with the reason
)

// Classifier tells the class of an error and, for ClassWait, how long to
// wait (0: the wiki said nothing; the engine backs off by itself).
type Classifier func(err error) (Class, time.Duration)

// Config tunes the pace and the crash-safety windows.
type Config struct {
	EditsPerMinute float64       // default 90, a normal user account's limit
	MaxWait        time.Duration // longest single wait on maxlag/throttles; default 5 min
	FirstBackoff   time.Duration // first wait after a throttle without Retry-After; doubles per throttle in a row; default 30 s
	Tool           string        // EditGroups tool code; default "CB"
	// RequestTimeout bounds each edit request from its recorded intent to
	// its answer; default 90 s.
	RequestTimeout time.Duration
	// LateSave is how long the wiki may go on saving an edit after its client
	// gave up (PHP goes on after a disconnect, up to its execution limit);
	// default 5 min.
	LateSave time.Duration
	// ReplicaLag is how long an edit may take to show in the lists edits are
	// looked up in; default 2 min.
	ReplicaLag time.Duration
	// Prefetch is how many upcoming items are re-read in one request; default 10.
	Prefetch int
}

// Engine writes plans.
type Engine struct {
	cfg      Config
	store    *store.Store
	classify Classifier
	logger   *slog.Logger
	now      func() time.Time
}

// New builds an engine.
func New(cfg Config, st *store.Store, classify Classifier, logger *slog.Logger) *Engine {
	if cfg.EditsPerMinute <= 0 {
		cfg.EditsPerMinute = 90
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Minute
	}
	if cfg.FirstBackoff <= 0 {
		cfg.FirstBackoff = 30 * time.Second
	}
	if cfg.Tool == "" {
		cfg.Tool = "CB"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 90 * time.Second
	}
	if cfg.LateSave <= 0 {
		cfg.LateSave = 5 * time.Minute
	}
	if cfg.ReplicaLag <= 0 {
		cfg.ReplicaLag = 2 * time.Minute
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 10
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{cfg: cfg, store: st, classify: classify, logger: logger, now: time.Now}
}

// InFlightFor is how long after its intent was recorded an edit may still
// land on the wiki and show in its lists: before that, a lost answer proves
// nothing.
func (e *Engine) InFlightFor() time.Duration {
	return e.cfg.RequestTimeout + e.cfg.LateSave + e.cfg.ReplicaLag
}

// EditGroupsLink is the suffix that lets EditGroups gather a batch's edits.
func (e *Engine) EditGroupsLink(groupID string) string {
	return fmt.Sprintf("([[:toolforge:editgroups/b/%s/%s|details]])", e.cfg.Tool, groupID)
}

// EditGroupsURL is the batch's page on EditGroups.
func (e *Engine) EditGroupsURL(groupID string) string {
	return fmt.Sprintf("https://editgroups.toolforge.org/b/%s/%s/", e.cfg.Tool, groupID)
}

// Marker identifies one plan item's edit in its summary: the job, the plan
// and the item number, next to the plan's EditGroups batch id. No other
// plan's edit carries it, so finding it proves this item's edit was made.
func Marker(p *jobs.EditPlan, it *jobs.PlanItem) string {
	return fmt.Sprintf("(job %d, plan %d, item %d)", p.JobID, p.ID, it.No)
}

// Summary is the edit summary of an item: tool, job, plan item, batch link.
func (e *Engine) Summary(p *jobs.EditPlan, jobTitle string, it *jobs.PlanItem) string {
	title := []rune(jobTitle)
	if len(title) > 60 {
		title = append(title[:59], '…')
	}
	return fmt.Sprintf("Partnerhub: statements from %q %s %s", string(title), Marker(p, it), e.EditGroupsLink(p.EditGroupID))
}

// ErrPaused is returned when the write-back paused itself; the plan's
// error says why.
var ErrPaused = errors.New("write-back paused")

// ErrWriterRefused marks a CheckWriter refusal (blocked user, token revoked).
var ErrWriterRefused = errors.New("the wiki refuses edits by this account")

// Run writes the plan's pending items until none is left and no lost edit
// is waiting to be looked up (the plan is then done), the plan is paused or
// cancelled by a person, the wiki makes it pause, or ctx ends (the plan
// stays "writing" and a later Run continues).
func (e *Engine) Run(ctx context.Context, planID int64, jobTitle string, wiki Wiki) error {
	plan, err := e.store.Plan(ctx, planID)
	if err != nil {
		return err
	}
	if plan.Status != jobs.PlanWriting {
		return nil
	}
	log := e.logger.With("plan_id", plan.ID, "job_id", plan.JobID)
	return Drive(ctx, e, &run{Engine: e, plan: plan, title: jobTitle, wiki: wiki, log: log}, log, "")
}

// run is one Run's plan as a Batch for Drive.
type run struct {
	*Engine
	plan  *jobs.EditPlan
	title string
	wiki  Wiki
	log   *slog.Logger
}

func (r *run) Ref(it *jobs.PlanItem) ItemRef {
	return ItemRef{No: it.No, QID: it.QID, Attempts: &it.Attempts, SentAt: it.SentAt}
}

func (r *run) CheckWriter(ctx context.Context) error { return r.wiki.CheckWriter(ctx) }

func (r *run) Items(ctx context.Context, sending bool, after int64, n int) ([]*jobs.PlanItem, error) {
	state := jobs.ItemPending
	if sending {
		state = jobs.ItemSending
	}
	return r.store.PlanItems(ctx, r.plan.ID, state, after, n)
}

func (r *run) Finish(ctx context.Context) (bool, error) {
	c, err := r.store.PlanCounts(ctx, r.plan.ID)
	if err != nil {
		return false, err
	}
	if c.Sending > 0 {
		return false, nil // sent and lost during this pass: wait for its window
	}
	if c.Pending > 0 {
		return false, nil // put back by the look-up: send it
	}
	return true, r.finish(ctx, c)
}

func (r *run) Pause(ctx context.Context, reason error) error { return r.pause(ctx, r.plan, reason) }

func (r *run) finish(ctx context.Context, c jobs.PlanCounts) error {
	msg := ""
	if c.Warnings > 0 {
		dups, err := r.duplicates(ctx)
		if err != nil {
			return err
		}
		msg = fmt.Sprintf("Written, but %d item(s) need a look: someone else edited them at the same moment and the wiki merged both edits (see the notes on the items).", c.Warnings)
		if len(dups) > 0 {
			msg = fmt.Sprintf("WARNING: %d item(s) now hold a statement twice (%s): someone else added the same value while Partnerhub was saving, and the wiki kept both. Merge or remove the extra statements by hand. %s",
				len(dups), strings.Join(dups, ", "), msg)
		}
	}
	if err := r.store.SetPlanStatus(ctx, r.plan.ID, jobs.PlanDone, msg, jobs.PlanWriting); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	r.log.Info("write-back done", "done", c.Done, "nothing", c.Nothing, "failed", c.Failed, "conflicts", c.ConflictItems, "warnings", c.Warnings)
	return nil
}

// duplicates lists the items whose edit left a duplicate.
func (r *run) duplicates(ctx context.Context) ([]string, error) {
	var out []string
	var after int64
	for {
		items, err := r.store.PlanItems(ctx, r.plan.ID, jobs.ItemDone, after, 500)
		if err != nil || len(items) == 0 {
			return out, err
		}
		for _, it := range items {
			after = it.No
			if strings.HasPrefix(it.Error, DuplicateNotice) {
				out = append(out, it.QID)
			}
		}
	}
}

// StillRunning says whether a person has paused or cancelled meanwhile.
func (r *run) StillRunning(ctx context.Context) (bool, error) {
	cur, err := r.store.Plan(ctx, r.plan.ID)
	if err != nil {
		return false, err
	}
	if cur.Status != jobs.PlanWriting {
		r.log.Info("write-back stopped", "status", cur.Status)
		return false, nil
	}
	return true, nil
}

func (r *run) Prefetch(ctx context.Context, items []*jobs.PlanItem) {
	if err := r.wiki.Prefetch(ctx, items); err != nil {
		r.log.Warn("re-reading the next items failed; each is read on its own", "err", err)
	}
}

// refresh re-diffs a pending item on the item's current data and stores the
// new diff; done says the item was settled without an edit.
func (r *run) refresh(ctx context.Context, it *jobs.PlanItem) (fresh *jobs.PlanItem, done bool, err error) {
	fresh, nothing, err := r.wiki.Refresh(ctx, it)
	switch {
	case errors.Is(err, ErrItemGone):
		return nil, true, r.store.SettlePending(ctx, r.plan.ID, it.No, jobs.ItemFailed, "Not written: "+err.Error())
	case err != nil:
		return nil, false, err
	case nothing && fresh.Conflicts > it.Conflicts:
		return nil, true, r.store.SettlePending(ctx, r.plan.ID, it.No, jobs.ItemConflict,
			"Not written: the item changed since the plan and now has another value where the plan adds one (see the conflicts below); nothing is overwritten or added next to it.")
	case nothing:
		return nil, true, r.store.SettlePending(ctx, r.plan.ID, it.No, jobs.ItemNothing, "Already on the wiki when re-read just before the edit: nothing was sent.")
	}
	if fresh.BaseRevID != it.BaseRevID || string(fresh.Diff) != string(it.Diff) {
		if err := r.store.ReplanPending(ctx, fresh); err != nil {
			return nil, false, err
		}
	}
	return fresh, false, nil
}

// Refresh re-diffs a pending item before its edit. A new item sent before
// must not be created twice: its earlier attempt was looked up once its
// window had passed; it is looked for again now, by its marker, before
// creating.
func (r *run) Refresh(ctx context.Context, it *jobs.PlanItem) (*jobs.PlanItem, bool, error) {
	if it.QID == "" && it.Attempts > 0 {
		rev, newQID, found, err := r.wiki.FindEdit(ctx, it, Marker(r.plan, it))
		if err != nil {
			return nil, false, fmt.Errorf("look for item %d's earlier creation: %w", it.No, err)
		}
		if found {
			if ok, _ := r.store.MarkItemSending(ctx, r.plan.ID, it.No); ok {
				return nil, true, r.store.SettleItem(ctx, r.plan.ID, it.No, jobs.ItemDone, rev, newQID, "")
			}
			return nil, true, nil
		}
	}
	fresh, done, err := r.refresh(ctx, it)
	if err != nil {
		return nil, false, fmt.Errorf("re-read item %d before its edit: %w", it.No, err)
	}
	return fresh, done, nil
}

func (r *run) MarkSending(ctx context.Context, it *jobs.PlanItem) (bool, error) {
	return r.store.MarkItemSending(ctx, r.plan.ID, it.No)
}

func (r *run) Edit(ctx context.Context, it *jobs.PlanItem) (Saved, error) {
	return r.wiki.Edit(ctx, it, r.Summary(r.plan, r.title, it))
}

func (r *run) Classify(err error) (Class, time.Duration) { return r.classify(err) }

func (r *run) Written(ctx context.Context, it *jobs.PlanItem, attempt int, saved Saved) error {
	log := r.log.With("item", it.No, "qid", it.QID)
	log.Info("item written", "rev_id", saved.RevID, "new_qid", saved.NewQID, "notice", saved.Notice)
	settled, err := r.store.SettleSent(ctx, r.plan.ID, it.No, attempt, jobs.ItemDone, saved.RevID, saved.NewQID, saved.Notice)
	if err == nil && settled && len(saved.Added) > 0 {
		if err := r.store.SetPlanItemAdded(ctx, r.plan.ID, it.No, saved.Added); err != nil {
			// An undo derives it from the revisions instead.
			log.Warn("recording what the edit added failed", "err", err)
		}
	}
	return err
}

func (r *run) Release(ctx context.Context, it *jobs.PlanItem, note string) error {
	return r.store.ReleaseItem(ctx, r.plan.ID, it.No, note)
}

func (r *run) Conflict(ctx context.Context, it *jobs.PlanItem, attempt int, err error, final bool) error {
	if final {
		_, err := r.store.SettleSent(ctx, r.plan.ID, it.No, attempt, jobs.ItemConflict, 0, "", "The item kept changing while it was written; look at it and plan again: "+err.Error())
		return err
	}
	return r.store.ReleaseItem(ctx, r.plan.ID, it.No, "Edit conflict: re-read and sent again.")
}

func (r *run) Lost(ctx context.Context, it *jobs.PlanItem, attempt int, note string) error {
	return r.store.NoteSending(ctx, r.plan.ID, it.No, attempt, note)
}

func (r *run) Refused(ctx context.Context, it *jobs.PlanItem, attempt int, err error) error {
	_, err = r.store.SettleSent(ctx, r.plan.ID, it.No, attempt, jobs.ItemFailed, 0, "", "Not written: "+err.Error())
	return err
}

func (e *Engine) pause(ctx context.Context, plan *jobs.EditPlan, reason error) error {
	msg := "The write-back is paused: " + reason.Error()
	e.logger.Warn("write-back paused", "plan_id", plan.ID, "reason", reason)
	if err := e.store.SetPlanStatus(context.WithoutCancel(ctx), plan.ID, jobs.PlanPaused, msg, jobs.PlanWriting); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	return fmt.Errorf("%w: %v", ErrPaused, reason)
}

// Resolve decides what happened to an item sent without a known
// outcome, once that edit can no longer land: if it is on the wiki, record
// its revision; otherwise it was not applied and the item goes back to
// pending (re-read before it is sent). It never sends anything itself.
func (r *run) Resolve(ctx context.Context, it *jobs.PlanItem) error {
	rev, newQID, found, err := r.wiki.FindEdit(ctx, it, Marker(r.plan, it))
	if err != nil {
		return fmt.Errorf("look for item %d's edit: %w", it.No, err)
	}
	if found {
		r.log.Info("found the edit of an item whose answer was lost", "item", it.No, "rev_id", rev)
		_, err := r.store.SettleSent(ctx, r.plan.ID, it.No, it.Attempts, jobs.ItemDone, rev, newQID, "")
		return err
	}
	_, err = r.store.ReplanSent(ctx, it, it.Attempts, "Sent before (an interruption, a lost answer, or a failure being retried) and not on the wiki when looked up once it could no longer land: will be re-read and sent again.")
	return err
}
