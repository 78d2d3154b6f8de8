package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"partnerhub/jobs"
)

// Task types of undos of write-backs.
const (
	TypeUndoPrepare = "undo:prepare" // read what the write-back added and what still stands: the preview
	TypeUndoRun     = "undo:run"     // remove what a person confirmed
)

// Undoer prepares and runs undos (jobs/undo.Service). Prepare leaves the
// undo ready or failed; Run returns when nothing is left to send, the undo
// stopped running, or ctx ends.
type Undoer interface {
	Prepare(ctx context.Context, undoID int64) error
	Run(ctx context.Context, undoID int64) error
}

// EnqueueUndoPrepare queues the preparing of an undo.
func (q *Queue) EnqueueUndoPrepare(ctx context.Context, undoID int64) error {
	return q.enqueue(ctx, TypeUndoPrepare, "undo-prepare-"+strconv.FormatInt(undoID, 10), Payload{UndoID: undoID}, 6*time.Hour)
}

// EnqueueUndoRun queues the running of a confirmed undo.
func (q *Queue) EnqueueUndoRun(ctx context.Context, undoID int64) error {
	return q.enqueue(ctx, TypeUndoRun, "undo-run-"+strconv.FormatInt(undoID, 10), Payload{UndoID: undoID}, 48*time.Hour)
}

// StartUndo records an undo of a plan's write-back (all of it, or the part
// scope names) and queues its preview.
func (r *Runner) StartUndo(ctx context.Context, planID int64, user *jobs.User, scope jobs.UndoScope, resetDecisions bool) (*jobs.Undo, error) {
	u, err := r.store.CreateUndo(ctx, planID, user.ID, scope, resetDecisions)
	if err != nil {
		return nil, err
	}
	if err := r.queue.EnqueueUndoPrepare(ctx, u.ID); err != nil {
		r.logger.Warn("queue undo preview failed; the sweep will retry", "undo_id", u.ID, "err", err)
	}
	return u, nil
}

// ConfirmUndo starts removing what a prepared (or paused) undo's preview
// showed, in the name of user, who must not be blocked and must have
// authorized Partnerhub to edit.
func (r *Runner) ConfirmUndo(ctx context.Context, undoID int64, user *jobs.User) error {
	if user.Blocked {
		return jobs.Errorf(jobs.EFORBIDDEN, "Your account is blocked on the wiki, so Partnerhub cannot edit in your name.")
	}
	if _, err := r.store.Token(ctx, user.ID); err != nil {
		return jobs.Errorf(jobs.EFORBIDDEN, "Partnerhub holds no authorization to edit in your name: log out and log in again with your wiki account.")
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	if err := r.store.ConfirmUndo(ctx, undoID, user.ID, hex.EncodeToString(b[:])); err != nil {
		return err
	}
	if err := r.queue.EnqueueUndoRun(ctx, undoID); err != nil {
		r.logger.Warn("queue undo failed; the sweep will retry", "undo_id", undoID, "err", err)
	}
	return nil
}

// PauseUndo stops an undo after the item in flight.
func (r *Runner) PauseUndo(ctx context.Context, undoID int64) error {
	return r.store.SetUndoStatus(ctx, undoID, jobs.UndoPaused, "Paused by a person.", jobs.UndoRunning)
}

// CancelUndo gives an undo up; what it removed stays removed.
func (r *Runner) CancelUndo(ctx context.Context, undoID int64) error {
	return r.store.SetUndoStatus(ctx, undoID, jobs.UndoCancelled, "Cancelled by a person.", jobs.UndoReady, jobs.UndoPaused, jobs.UndoRunning, jobs.UndoPreparing)
}

func undoPayload(t *asynq.Task) (int64, error) {
	return payloadID(t, "undo", func(p Payload) int64 { return p.UndoID })
}

func (w *Worker) handleUndoPrepare(ctx context.Context, t *asynq.Task) error {
	id, err := undoPayload(t)
	if err != nil {
		return err
	}
	_, ok, err := inState(ctx, id, w.store.UndoByID, func(u *jobs.Undo) bool { return u.Status == jobs.UndoPreparing })
	if !ok {
		return err
	}
	if w.undoer == nil {
		return w.store.SetUndoStatus(ctx, id, jobs.UndoFailed, "This installation cannot undo write-backs.", jobs.UndoPreparing)
	}
	return w.undoer.Prepare(ctx, id)
}

func (w *Worker) handleUndoRun(ctx context.Context, t *asynq.Task) error {
	id, err := undoPayload(t)
	if err != nil {
		return err
	}
	running := func(u *jobs.Undo) bool { return u.Status == jobs.UndoRunning }
	loop := untilSettled[*jobs.Undo]{
		load:    w.store.UndoByID,
		running: running,
		run:     func(ctx context.Context, _ *jobs.Undo) error { return w.undoer.Run(ctx, id) },
		more: func(ctx context.Context) (bool, error) {
			cur, err := w.store.UndoByID(ctx, id)
			return err == nil && running(cur), err
		},
	}
	if w.undoer == nil {
		loop.unable = func(ctx context.Context) error {
			return w.store.SetUndoStatus(ctx, id, jobs.UndoPaused, "This installation cannot write to the wiki.", jobs.UndoRunning)
		}
	}
	return loop.do(ctx, id)
}

// sweepUndos re-enqueues undos being prepared or run that nothing touched
// for staleAfter (0: all, as at start-up).
func (w *Worker) sweepUndos(ctx context.Context, staleAfter time.Duration) {
	cutoff := time.Now().Add(-staleAfter).UnixMilli()
	for status, enqueue := range map[jobs.UndoStatus]func(context.Context, int64) error{
		jobs.UndoPreparing: w.queue.EnqueueUndoPrepare,
		jobs.UndoRunning:   w.queue.EnqueueUndoRun,
	} {
		undos, err := w.store.UndosWithStatus(ctx, status)
		if err != nil {
			w.logger.Error("sweep: list undos", "status", status, "err", err)
			continue
		}
		for _, u := range undos {
			last, err := w.store.LastUndoActivity(ctx, u.ID)
			if err != nil || (staleAfter > 0 && last > cutoff) {
				continue
			}
			if err := enqueue(ctx, u.ID); err != nil {
				w.logger.Error("sweep: re-enqueue undo", "undo_id", u.ID, "err", err)
			}
		}
	}
}
