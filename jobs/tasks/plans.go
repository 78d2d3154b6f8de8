package tasks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"partnerhub/jobs"
)

// Task types of edit plans.
const (
	TypePlanBuild    = "plan:build"    // compute a plan's items from the wiki's current data
	TypeWritebackRun = "writeback:run" // write a plan's approved items
)

// PlanBuilder computes a plan's items; it leaves the plan ready or failed.
type PlanBuilder interface {
	Build(ctx context.Context, plan *jobs.EditPlan) error
}

// PlanWriter writes a plan's pending items with its writer's account. It
// returns when nothing is pending, the plan stopped being written, or ctx ends.
type PlanWriter interface {
	Write(ctx context.Context, plan *jobs.EditPlan) error
}

// EnqueuePlanBuild queues the building of a plan.
func (q *Queue) EnqueuePlanBuild(ctx context.Context, planID int64) error {
	return q.enqueue(ctx, TypePlanBuild, "plan-"+strconv.FormatInt(planID, 10), Payload{PlanID: planID}, 6*time.Hour)
}

// EnqueueWriteback queues the write-back of a plan.
func (q *Queue) EnqueueWriteback(ctx context.Context, planID int64) error {
	return q.enqueue(ctx, TypeWritebackRun, "writeback-"+strconv.FormatInt(planID, 10), Payload{PlanID: planID}, 48*time.Hour)
}

// BuildPlan starts a new edit plan for a job from its current decisions.
func (r *Runner) BuildPlan(ctx context.Context, jobID, userID int64) (*jobs.EditPlan, error) {
	j, err := r.store.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if j.Status == jobs.JobReconciling || j.Status == jobs.JobPaused {
		return nil, jobs.Errorf(jobs.ECONFLICT, "Finish or cancel the reconciliation before planning edits.")
	}
	p, err := r.store.CreatePlan(ctx, jobID, userID)
	if err != nil {
		return nil, err
	}
	if err := r.queue.EnqueuePlanBuild(ctx, p.ID); err != nil {
		r.logger.Warn("queue plan build failed; the sweep will retry", "plan_id", p.ID, "err", err)
	}
	return p, nil
}

// ApprovePlan records a person's approval of all items (itemNos nil) or some.
func (r *Runner) ApprovePlan(ctx context.Context, planID, userID int64, itemNos []int64) error {
	return r.store.ApprovePlan(ctx, planID, userID, itemNos)
}

// StartWriteback starts writing an approved (or paused) plan in the name of
// user, who must not be blocked.
func (r *Runner) StartWriteback(ctx context.Context, planID int64, user *jobs.User) error {
	if err := r.checkWriter(ctx, user); err != nil {
		return err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	if err := r.store.StartWriting(ctx, planID, user.ID, hex.EncodeToString(b[:])); err != nil {
		return err
	}
	if err := r.queue.EnqueueWriteback(ctx, planID); err != nil {
		r.logger.Warn("queue write-back failed; the sweep will retry", "plan_id", planID, "err", err)
	}
	return nil
}

// checkWriter refuses a user Partnerhub cannot edit for.
func (r *Runner) checkWriter(ctx context.Context, user *jobs.User) error {
	if user.Blocked {
		return jobs.Errorf(jobs.EFORBIDDEN, "Your account is blocked on the wiki, so Partnerhub cannot edit in your name.")
	}
	if _, err := r.store.Token(ctx, user.ID); err != nil {
		return jobs.Errorf(jobs.EFORBIDDEN, "Partnerhub holds no authorization to edit in your name: log out and log in again with your wiki account.")
	}
	return nil
}

// PauseWriteback stops a write-back after the item in flight.
func (r *Runner) PauseWriteback(ctx context.Context, planID int64) error {
	return r.store.SetPlanStatus(ctx, planID, jobs.PlanPaused, "Paused by a person.", jobs.PlanWriting)
}

// CancelWriteback ends a write-back; items written stay written.
func (r *Runner) CancelWriteback(ctx context.Context, planID int64) error {
	return r.store.SetPlanStatus(ctx, planID, jobs.PlanCancelled, "", jobs.PlanWriting, jobs.PlanPaused, jobs.PlanApproved)
}

// RetryFailedItems queues exactly the failed items of a finished
// write-back again, written in user's name through the write-back's own
// path (looked up first if sent before, re-read before any edit).
func (r *Runner) RetryFailedItems(ctx context.Context, planID int64, user *jobs.User) (int64, error) {
	if err := r.checkWriter(ctx, user); err != nil {
		return 0, err
	}
	n, err := r.store.RetryFailedItems(ctx, planID, user.ID)
	if err != nil {
		return 0, err
	}
	if err := r.queue.EnqueueWriteback(ctx, planID); err != nil {
		r.logger.Warn("queue write-back retry failed; the sweep will retry", "plan_id", planID, "err", err)
	}
	return n, nil
}

func planPayload(t *asynq.Task) (int64, error) {
	return payloadID(t, "plan", func(p Payload) int64 { return p.PlanID })
}

// payloadID decodes a task's payload and the record id it is about (what:
// "plan"); a task without one is never retried.
func payloadID(t *asynq.Task, what string, id func(Payload) int64) (int64, error) {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || id(p) == 0 {
		return 0, fmt.Errorf("bad %s payload: %w", what, asynq.SkipRetry)
	}
	return id(p), nil
}

func (w *Worker) handlePlanBuild(ctx context.Context, t *asynq.Task) error {
	id, err := planPayload(t)
	if err != nil {
		return err
	}
	p, ok, err := inState(ctx, id, w.store.Plan, func(p *jobs.EditPlan) bool { return p.Status == jobs.PlanBuilding })
	if !ok {
		return err
	}
	if w.builder == nil {
		return w.store.SetPlanStatus(ctx, id, jobs.PlanFailed, "This installation cannot build edit plans.", jobs.PlanBuilding)
	}
	return w.builder.Build(ctx, p)
}

func (w *Worker) handleWriteback(ctx context.Context, t *asynq.Task) error {
	id, err := planPayload(t)
	if err != nil {
		return err
	}
	loop := untilSettled[*jobs.EditPlan]{
		load:    w.store.Plan,
		running: func(p *jobs.EditPlan) bool { return p.Status == jobs.PlanWriting },
		run:     func(ctx context.Context, p *jobs.EditPlan) error { return w.writer.Write(ctx, p) },
		more: func(ctx context.Context) (bool, error) {
			c, err := w.store.PlanCounts(ctx, id)
			return err == nil && (c.Pending > 0 || c.Sending > 0), err
		},
	}
	if w.writer == nil {
		loop.unable = func(ctx context.Context) error {
			return w.store.SetPlanStatus(ctx, id, jobs.PlanPaused, "This installation cannot write to the wiki.", jobs.PlanWriting)
		}
	}
	return loop.do(ctx, id)
}
