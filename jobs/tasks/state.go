package tasks

import (
	"context"
	"time"

	"partnerhub/jobs"
)

// inState loads the record a task is about and says whether it is (still)
// in the state the task works on: a record gone or moved on is no error,
// the task has nothing left to do.
func inState[T any](ctx context.Context, id int64, load func(context.Context, int64) (T, error), is func(T) bool) (T, bool, error) {
	v, err := load(ctx, id)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.ENOTFOUND {
			err = nil
		}
		return v, false, err
	}
	return v, is(v), nil
}

// untilSettled is a task that sends a batch of edits (a write-back, an
// undo): it runs while its record is in the running state and something is
// left to send, a second apart, since a run can put items back (interrupted
// edits re-checked).
type untilSettled[T any] struct {
	load    func(context.Context, int64) (T, error)
	running func(T) bool
	// unable, when this installation cannot run the batch, records why.
	unable func(ctx context.Context) error
	run    func(ctx context.Context, v T) error
	// more says something is left to send after a run.
	more func(ctx context.Context) (bool, error)
}

func (u untilSettled[T]) do(ctx context.Context, id int64) error {
	for {
		v, ok, err := inState(ctx, id, u.load, u.running)
		if !ok {
			return err
		}
		if u.unable != nil {
			return u.unable(ctx)
		}
		if err := u.run(ctx, v); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A batch that paused itself recorded why on its record.
			if cur, cerr := u.load(ctx, id); cerr == nil && !u.running(cur) {
				return nil
			}
			return err
		}
		if more, err := u.more(ctx); err != nil || !more {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
