// Package writeback writes an approved edit plan to the wiki, one edit per
// item, in the name of the user who started it, at a pace the wiki accepts,
// and exactly once: an item's intent is recorded before its API call and its
// revision after it, and an item whose outcome is unknown (a crash, a
// timeout) is looked up and re-checked against the wiki before anything is
// sent again. The wiki itself is behind the Wiki interface; this package is
// the state machine, the pacing and the error policy.
package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// Wiki performs one plan's edits with one user's credentials.
type Wiki interface {
	// CheckWriter confirms the credentials work and the user may edit.
	CheckWriter(ctx context.Context) error
	// Edit sends an item's planned edit (one wbeditentity call) with the
	// summary, on the item's base revision.
	Edit(ctx context.Context, it *jobs.PlanItem, summary string) (revID int64, newQID string, err error)
	// Refresh re-reads the item and recomputes what is left to add (never
	// anything already there). nothingLeft means the item needs no edit.
	Refresh(ctx context.Context, it *jobs.PlanItem) (updated *jobs.PlanItem, nothingLeft bool, err error)
	// FindEdit looks for an edit of this item whose summary contains
	// marker, made since the item was sent: the trace of an edit whose
	// answer was lost.
	FindEdit(ctx context.Context, it *jobs.PlanItem, marker string) (revID int64, newQID string, found bool, err error)
}

// Class is how the write-back reacts to an error from the wiki.
type Class int

const (
	ClassItemFailed     Class = iota // this item was refused (e.g. malformed value): record, go on
	ClassWait                        // not applied; wait (maxlag, rate limit, 429) and send again
	ClassEditConflict                // the item changed since the plan: re-read, re-plan, retry once
	ClassOutcomeUnknown              // may or may not have been applied: look before sending again
	ClassPause                       // the wiki refuses this user or all edits: pause with the reason
)

// Classifier tells the class of an error and, for ClassWait, how long to wait.
type Classifier func(err error) (Class, time.Duration)

// Config tunes the pace.
type Config struct {
	EditsPerMinute float64       // default 90, a normal user account's limit
	MaxWait        time.Duration // longest single wait on maxlag/rate limits; default 5 min
	Tool           string        // EditGroups tool code; default "CB"
}

// Engine writes plans.
type Engine struct {
	cfg      Config
	store    *store.Store
	classify Classifier
	logger   *slog.Logger
}

// New builds an engine.
func New(cfg Config, st *store.Store, classify Classifier, logger *slog.Logger) *Engine {
	if cfg.EditsPerMinute <= 0 {
		cfg.EditsPerMinute = 90
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Minute
	}
	if cfg.Tool == "" {
		cfg.Tool = "CB"
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{cfg: cfg, store: st, classify: classify, logger: logger}
}

// EditGroupsLink is the suffix that lets EditGroups gather a batch's edits.
func (e *Engine) EditGroupsLink(groupID string) string {
	return fmt.Sprintf("([[:toolforge:editgroups/b/%s/%s|details]])", e.cfg.Tool, groupID)
}

// EditGroupsURL is the batch's page on EditGroups.
func (e *Engine) EditGroupsURL(groupID string) string {
	return fmt.Sprintf("https://editgroups.toolforge.org/b/%s/%s/", e.cfg.Tool, groupID)
}

// marker identifies one item's edit within a batch, in its summary.
func marker(p *jobs.EditPlan, it *jobs.PlanItem) string {
	return fmt.Sprintf("job %d, item %d", p.JobID, it.No)
}

// Summary is the edit summary of an item: tool, job, item, batch link.
func (e *Engine) Summary(p *jobs.EditPlan, jobTitle string, it *jobs.PlanItem) string {
	title := []rune(jobTitle)
	if len(title) > 60 {
		title = append(title[:59], '…')
	}
	return fmt.Sprintf("Partnerhub: statements from %q (%s) %s", string(title), marker(p, it), e.EditGroupsLink(p.EditGroupID))
}

// ErrPaused is returned when the write-back paused itself; the plan's
// error says why.
var ErrPaused = errors.New("write-back paused")

// Run writes the plan's pending items until none is left (the plan is then
// done), the plan is paused or cancelled by a person, the wiki makes it
// pause, or ctx ends (the plan stays "writing" and a later Run continues).
func (e *Engine) Run(ctx context.Context, planID int64, jobTitle string, wiki Wiki) error {
	plan, err := e.store.Plan(ctx, planID)
	if err != nil {
		return err
	}
	if plan.Status != jobs.PlanWriting {
		return nil
	}
	log := e.logger.With("plan_id", plan.ID, "job_id", plan.JobID)
	if err := wiki.CheckWriter(ctx); err != nil {
		if c, _ := e.classify(err); c == ClassPause || errors.Is(err, ErrWriterRefused) {
			return e.pause(ctx, plan, err)
		}
		return err
	}
	// Items whose outcome a crash left unknown come first.
	if err := e.recoverSending(ctx, plan, wiki); err != nil {
		return err
	}
	limiter := rate.NewLimiter(rate.Limit(e.cfg.EditsPerMinute/60), 1)
	var after int64
	for {
		items, err := e.store.PlanItems(ctx, plan.ID, jobs.ItemPending, after, 50)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			after = it.No
			if cur, err := e.store.Plan(ctx, plan.ID); err != nil {
				return err
			} else if cur.Status != jobs.PlanWriting {
				log.Info("write-back stopped", "status", cur.Status)
				return nil
			}
			if err := limiter.Wait(ctx); err != nil {
				return err
			}
			if err := e.writeItem(ctx, plan, jobTitle, it, wiki); err != nil {
				return err
			}
		}
	}
	c, err := e.store.PlanCounts(ctx, plan.ID)
	if err != nil {
		return err
	}
	if c.Pending == 0 && c.Sending == 0 {
		if err := e.store.SetPlanStatus(ctx, plan.ID, jobs.PlanDone, "", jobs.PlanWriting); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
			return err
		}
		log.Info("write-back done", "done", c.Done, "failed", c.Failed, "conflicts", c.ConflictItems)
	}
	return nil
}

// ErrWriterRefused marks a CheckWriter refusal (blocked user, token revoked).
var ErrWriterRefused = errors.New("the wiki refuses edits by this account")

// writeItem sends one item, handling what the wiki answers. It returns an
// error only when the run must stop.
func (e *Engine) writeItem(ctx context.Context, plan *jobs.EditPlan, jobTitle string, it *jobs.PlanItem, wiki Wiki) error {
	log := e.logger.With("plan_id", plan.ID, "item", it.No, "qid", it.QID)
	conflictRetried := false
	for {
		ok, err := e.store.MarkItemSending(ctx, plan.ID, it.No)
		if err != nil || !ok {
			return err // not pending any more: someone else has it
		}
		rev, newQID, err := wiki.Edit(ctx, it, e.Summary(plan, jobTitle, it))
		if err == nil {
			log.Info("item written", "rev_id", rev, "new_qid", newQID)
			return e.store.SettleItem(context.WithoutCancel(ctx), plan.ID, it.No, jobs.ItemDone, rev, newQID, "")
		}
		class, wait := e.classify(err)
		if ctx.Err() != nil && class != ClassWait {
			class = ClassOutcomeUnknown // cancelled mid-call: we cannot know
		}
		switch class {
		case ClassWait:
			if err := e.store.ReleaseItem(context.WithoutCancel(ctx), plan.ID, it.No, err.Error()); err != nil {
				return err
			}
			wait = min(max(wait, time.Second), e.cfg.MaxWait)
			log.Warn("wiki asks to wait", "wait", wait, "err", err)
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			continue
		case ClassEditConflict:
			if conflictRetried {
				return e.store.SettleItem(ctx, plan.ID, it.No, jobs.ItemConflict, 0, "", "The item kept changing while it was written; look at it and plan again: "+err.Error())
			}
			conflictRetried = true
			fresh, nothing, rerr := wiki.Refresh(ctx, it)
			if rerr != nil {
				return e.settleFailed(ctx, plan, it, rerr)
			}
			if nothing {
				return e.store.SettleItem(ctx, plan.ID, it.No, jobs.ItemNothing, 0, "", "Already on the wiki when re-checked after an edit conflict.")
			}
			if err := e.store.UpdateItemDiff(ctx, fresh); err != nil {
				return err
			}
			if err := e.store.ReleaseItem(ctx, plan.ID, it.No, "edit conflict: re-planned on the new revision"); err != nil {
				return err
			}
			it = fresh
			continue
		case ClassOutcomeUnknown:
			log.Warn("outcome of an edit unknown; checking the wiki", "err", err)
			return e.resolveUnknown(context.WithoutCancel(ctx), plan, it, wiki)
		case ClassPause:
			if err := e.store.ReleaseItem(context.WithoutCancel(ctx), plan.ID, it.No, err.Error()); err != nil {
				return err
			}
			return e.pause(ctx, plan, err)
		default:
			return e.settleFailed(ctx, plan, it, err)
		}
	}
}

func (e *Engine) settleFailed(ctx context.Context, plan *jobs.EditPlan, it *jobs.PlanItem, err error) error {
	e.logger.Warn("item refused", "plan_id", plan.ID, "item", it.No, "err", err)
	return e.store.SettleItem(context.WithoutCancel(ctx), plan.ID, it.No, jobs.ItemFailed, 0, "", err.Error())
}

func (e *Engine) pause(ctx context.Context, plan *jobs.EditPlan, reason error) error {
	msg := "The wiki refused the edits, so the write-back is paused: " + reason.Error()
	e.logger.Warn("write-back paused", "plan_id", plan.ID, "reason", reason)
	if err := e.store.SetPlanStatus(context.WithoutCancel(ctx), plan.ID, jobs.PlanPaused, msg, jobs.PlanWriting); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	return fmt.Errorf("%w: %v", ErrPaused, reason)
}

// recoverSending settles every item a previous run left "sending".
func (e *Engine) recoverSending(ctx context.Context, plan *jobs.EditPlan, wiki Wiki) error {
	var after int64
	for {
		items, err := e.store.PlanItems(ctx, plan.ID, jobs.ItemSending, after, 50)
		if err != nil || len(items) == 0 {
			return err
		}
		for _, it := range items {
			after = it.No
			if err := e.resolveUnknown(ctx, plan, it, wiki); err != nil {
				return err
			}
		}
	}
}

// resolveUnknown decides what happened to an item sent without a known
// outcome: if our edit is on the wiki, record its revision; if what the item
// should get is there anyway, nothing is left; otherwise the edit did not
// happen and the item goes back to pending, re-planned on the current
// revision. It never sends anything itself.
func (e *Engine) resolveUnknown(ctx context.Context, plan *jobs.EditPlan, it *jobs.PlanItem, wiki Wiki) error {
	rev, newQID, found, err := wiki.FindEdit(ctx, it, marker(plan, it))
	if err != nil {
		return fmt.Errorf("look for item %d's edit: %w", it.No, err)
	}
	if found {
		e.logger.Info("found the edit of an item sent before a crash", "plan_id", plan.ID, "item", it.No, "rev_id", rev)
		return e.store.SettleItem(ctx, plan.ID, it.No, jobs.ItemDone, rev, newQID, "")
	}
	if it.QID == "" {
		// A new item not found among the user's edits was not created.
		return e.store.ReleaseItem(ctx, plan.ID, it.No, "sent before an interruption, and not created: will be sent again")
	}
	fresh, nothing, err := wiki.Refresh(ctx, it)
	if err != nil {
		return fmt.Errorf("re-read item %d: %w", it.No, err)
	}
	if nothing {
		return e.store.SettleItem(ctx, plan.ID, it.No, jobs.ItemNothing, 0, "", "Already on the wiki when re-checked.")
	}
	if err := e.store.UpdateItemDiff(ctx, fresh); err != nil {
		return err
	}
	return e.store.ReleaseItem(ctx, plan.ID, it.No, "sent before an interruption, and not applied: will be sent again")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
