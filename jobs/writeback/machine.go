package writeback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"

	"partnerhub/sparql"
)

// Batch is one batch of edits that Drive sends exactly once: a plan's items
// (this package's Engine.Run) or an undo's items (jobs/undo). Drive is the
// state machine, the pacing and the error policy; a batch reads and records
// its own items (T) and talks to the wiki, whose answer to an edit is R.
type Batch[T, R any] interface {
	// Ref says which item it is and where it stands.
	Ref(it T) ItemRef
	// CheckWriter confirms the credentials work and the user may edit.
	CheckWriter(ctx context.Context) error
	// Items lists up to n pending (or, with sending, sending) items
	// numbered after after, in order.
	Items(ctx context.Context, sending bool, after int64, n int) ([]T, error)
	// StillRunning says that no person paused or cancelled the batch
	// meanwhile.
	StillRunning(ctx context.Context) (bool, error)
	// Prefetch re-reads upcoming items in one request, best effort.
	Prefetch(ctx context.Context, items []T)
	// Refresh re-reads a pending item and stores what is still to send;
	// done says it was settled without an edit. Its error says what it was
	// doing.
	Refresh(ctx context.Context, it T) (fresh T, done bool, err error)
	// MarkSending records the intent; false: the item is not pending any
	// more (another worker has it).
	MarkSending(ctx context.Context, it T) (bool, error)
	// Edit sends the item's edit.
	Edit(ctx context.Context, it T) (R, error)
	// Classify tells how to react to an error from Edit.
	Classify(err error) (Class, time.Duration)
	// Written records an edit the wiki saved.
	Written(ctx context.Context, it T, attempt int, saved R) error
	// Release puts an item that was not applied back to pending with a note.
	Release(ctx context.Context, it T, note string) error
	// Conflict handles an edit conflict: the item goes back to pending to be
	// re-read and sent again, or, when final, is settled as not written.
	Conflict(ctx context.Context, it T, attempt int, err error, final bool) error
	// Lost records that the answer to the item's edit was lost: it stays
	// sending, with the note.
	Lost(ctx context.Context, it T, attempt int, note string) error
	// Refused settles an item the wiki refused.
	Refused(ctx context.Context, it T, attempt int, err error) error
	// Resolve looks up a lost edit that can no longer land: recorded as done
	// if it is on the wiki, else back to pending. It never sends anything.
	Resolve(ctx context.Context, it T) error
	// Finish ends the batch if nothing is pending or sending any more;
	// finished says it did.
	Finish(ctx context.Context) (finished bool, err error)
	// Pause stops the batch with the reason; it returns an error wrapping
	// ErrPaused.
	Pause(ctx context.Context, reason error) error
}

// ItemRef is what Drive needs to know of an item.
type ItemRef struct {
	No       int64
	QID      string
	Attempts *int // how often it was sent: the item's own field, kept up to date in memory
	SentAt   time.Time
}

// Drive sends the batch's pending items until none is left and no lost edit
// is waiting to be looked up (the batch is then finished), the batch is
// paused or cancelled by a person, the wiki makes it pause, or ctx ends (the
// batch stays running and a later Drive continues). It paces the edits and
// bounds each request by the engine's configuration. what ("" or e.g.
// "undo ") names the edits in the log.
func Drive[T, R any](ctx context.Context, e *Engine, b Batch[T, R], log *slog.Logger, what string) error {
	if err := b.CheckWriter(ctx); err != nil {
		if c, _ := e.classify(err); c == ClassPause || errors.Is(err, ErrWriterRefused) {
			return b.Pause(ctx, err)
		}
		return err
	}
	m := &machine[T, R]{Engine: e, b: b, log: log, what: what,
		limiter: rate.NewLimiter(rate.Limit(e.cfg.EditsPerMinute/60), 1)}
	for {
		// Lost edits whose window has passed are looked up first.
		next, err := m.recoverSending(ctx)
		if err != nil {
			return err
		}
		stopped, err := m.writePending(ctx)
		if err != nil || stopped {
			return err
		}
		if next.IsZero() {
			// Nothing sending was left waiting; anything sent meanwhile by
			// this run and lost, or put back by the look-up, keeps it going.
			finished, err := b.Finish(ctx)
			if err != nil || finished {
				return err
			}
			continue
		}
		log.Info("waiting before looking up "+what+"edits whose answer was lost", "until", next)
		if err := sparql.Sleep(ctx, time.Until(next)); err != nil {
			return err
		}
	}
}

type machine[T, R any] struct {
	*Engine
	b        Batch[T, R]
	log      *slog.Logger
	what     string
	limiter  *rate.Limiter
	throttle int // throttles in a row, for the backoff
}

// writePending sends the pending items in order; stopped says the batch is
// no longer running.
func (m *machine[T, R]) writePending(ctx context.Context) (stopped bool, err error) {
	var after int64
	for {
		items, err := m.b.Items(ctx, false, after, 50)
		if err != nil {
			return false, err
		}
		if len(items) == 0 {
			return false, nil
		}
		for i, it := range items {
			after = m.b.Ref(it).No
			if ok, err := m.b.StillRunning(ctx); err != nil || !ok {
				return !ok, err
			}
			if i%m.cfg.Prefetch == 0 {
				// Re-read the next items in one request, just before their edits.
				m.b.Prefetch(ctx, items[i:min(i+m.cfg.Prefetch, len(items))])
			}
			if err := m.writeItem(ctx, it); err != nil {
				return false, err
			}
		}
	}
}

// writeItem sends one item, handling what the wiki answers. It returns an
// error only when the run must stop.
func (m *machine[T, R]) writeItem(ctx context.Context, it T) error {
	ref := m.b.Ref(it)
	log := m.log.With("item", ref.No, "qid", ref.QID)
	conflictRetried := false
	for {
		fresh, done, err := m.b.Refresh(ctx, it)
		if err != nil || done {
			return err
		}
		it = fresh
		if err := m.limiter.Wait(ctx); err != nil {
			return err
		}
		ok, err := m.b.MarkSending(ctx, it)
		if err != nil || !ok {
			return err // not pending any more: another worker has it
		}
		attempt := *m.b.Ref(it).Attempts + 1
		// The request may not start or run past the window the recovery
		// counts on.
		callCtx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
		saved, err := m.b.Edit(callCtx, it)
		cut := callCtx.Err() != nil
		cancel()
		bg := context.WithoutCancel(ctx)
		if err == nil {
			m.throttle = 0
			return m.b.Written(bg, it, attempt, saved)
		}
		class, wait := m.b.Classify(err)
		if cut && class == ClassItemFailed {
			class = ClassOutcomeUnknown // cut off mid-call: we cannot know
		}
		switch class {
		case ClassWait:
			if err := m.b.Release(bg, it, "Waiting, nothing was saved: "+err.Error()); err != nil {
				return err
			}
			wait = m.backoff(wait)
			log.Warn("wiki asks to wait", "wait", wait, "err", err)
			if err := sparql.Sleep(ctx, wait); err != nil {
				return err
			}
			*m.b.Ref(it).Attempts = attempt
		case ClassEditConflict:
			*m.b.Ref(it).Attempts = attempt
			if err := m.b.Conflict(bg, it, attempt, err, conflictRetried); err != nil || conflictRetried {
				return err
			}
			conflictRetried = true
		case ClassOutcomeUnknown:
			due := m.now().Add(m.InFlightFor())
			log.Warn("the answer to an "+m.what+"edit was lost; it stays unknown until it can be looked up", "err", err, "look_after", due)
			return m.b.Lost(bg, it, attempt, fmt.Sprintf("The wiki's answer was lost (%v). The edit may still be saved by the wiki, so it is not sent again: it will be looked up after %s.", err, due.UTC().Format("15:04:05 UTC")))
		case ClassPause:
			if err := m.b.Release(bg, it, err.Error()); err != nil {
				return err
			}
			return m.b.Pause(ctx, err)
		default:
			log.Warn(m.what+"item refused", "err", err)
			return m.b.Refused(bg, it, attempt, err)
		}
	}
}

// backoff is the wait after a refusal: the wiki's hint, or, for throttles
// (which come without Retry-After), a jittered wait doubling per throttle
// in a row.
func (m *machine[T, R]) backoff(hint time.Duration) time.Duration {
	if hint > 0 {
		m.throttle = 0
		return min(max(hint, time.Second/10), m.cfg.MaxWait)
	}
	d := min(m.cfg.FirstBackoff<<min(m.throttle, 16), m.cfg.MaxWait)
	m.throttle++
	return d/2 + rand.N(d/2+1)
}

// recoverSending looks up every item left "sending" whose edit can no
// longer land, and returns when the next one still in flight can be looked
// up (zero when none).
func (m *machine[T, R]) recoverSending(ctx context.Context) (time.Time, error) {
	var after int64
	var next time.Time
	for {
		items, err := m.b.Items(ctx, true, after, 50)
		if err != nil || len(items) == 0 {
			return next, err
		}
		for _, it := range items {
			ref := m.b.Ref(it)
			after = ref.No
			due := ref.SentAt.Add(m.InFlightFor())
			if m.now().Before(due) {
				// It may be in flight still, here or in another worker.
				if next.IsZero() || due.Before(next) {
					next = due
				}
				continue
			}
			if err := m.b.Resolve(ctx, it); err != nil {
				return next, err
			}
		}
	}
}
