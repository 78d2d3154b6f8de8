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

// Task types of media uploads.
const (
	TypeMediaBuild  = "media:build"  // fetch a media plan's files and plan what each becomes
	TypeMediaUpload = "media:upload" // upload a media plan's approved files to Commons
)

// MediaBuilder fills a media plan that is being built; it leaves the plan
// ready or failed.
type MediaBuilder interface {
	Build(ctx context.Context, plan *jobs.MediaPlan) error
}

// MediaUploader uploads a media plan's pending files with the account of
// the plan's uploader (plan.UploaderID), exactly once each: for every file
// it records the intent (store.MarkMediaSending) before any API call, and
// the outcome (store.SettleMediaFile) after it. It returns when nothing is
// pending, the plan stopped being uploaded, or ctx ends; it sets the plan
// done when every approved file is settled.
type MediaUploader interface {
	Upload(ctx context.Context, plan *jobs.MediaPlan) error
}

// ArchiveCleaner deletes uploaded archives that no media plan needs any
// more (media.ArchiveCleaner).
type ArchiveCleaner interface {
	Clean(ctx context.Context) (int, error)
}

// EnqueueMediaBuild queues the building of a media plan.
func (q *Queue) EnqueueMediaBuild(ctx context.Context, planID int64) error {
	return q.enqueue(ctx, TypeMediaBuild, "media-build-"+strconv.FormatInt(planID, 10), Payload{PlanID: planID}, 12*time.Hour)
}

// EnqueueMediaUpload queues the upload of a media plan.
func (q *Queue) EnqueueMediaUpload(ctx context.Context, planID int64) error {
	return q.enqueue(ctx, TypeMediaUpload, "media-upload-"+strconv.FormatInt(planID, 10), Payload{PlanID: planID}, 48*time.Hour)
}

// BuildMediaPlan starts a new media plan for a job. p carries the source
// (kind, column, stored archive), the settings (the template's "media"
// object) and the creator.
func (r *Runner) BuildMediaPlan(ctx context.Context, p *jobs.MediaPlan) (*jobs.MediaPlan, error) {
	j, err := r.store.Job(ctx, p.JobID)
	if err != nil {
		return nil, err
	}
	if j.Status == jobs.JobReconciling || j.Status == jobs.JobPaused {
		return nil, jobs.Errorf(jobs.ECONFLICT, "Finish or cancel the reconciliation before planning the media upload.")
	}
	mp, err := r.store.CreateMediaPlan(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := r.queue.EnqueueMediaBuild(ctx, mp.ID); err != nil {
		r.logger.Warn("queue media plan build failed; the sweep will retry", "plan_id", mp.ID, "err", err)
	}
	return mp, nil
}

// ApproveMediaPlan records a person's approval of all files (fileNos nil)
// or some, and starts the upload in their name: the approver is the
// uploader, who must not be blocked and must have authorised Partnerhub.
func (r *Runner) ApproveMediaPlan(ctx context.Context, planID int64, user *jobs.User, fileNos []int64) error {
	if err := r.checkUploader(ctx, user); err != nil {
		return err
	}
	if err := r.store.ApproveMediaPlan(ctx, planID, user.ID, fileNos); err != nil {
		return err
	}
	return r.StartMediaUpload(ctx, planID, user)
}

// StartMediaUpload starts (or resumes) uploading an approved or paused
// media plan in user's name, under one EditGroups-style batch id.
func (r *Runner) StartMediaUpload(ctx context.Context, planID int64, user *jobs.User) error {
	if err := r.checkUploader(ctx, user); err != nil {
		return err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	if err := r.store.StartUploading(ctx, planID, user.ID, hex.EncodeToString(b[:])); err != nil {
		return err
	}
	if err := r.queue.EnqueueMediaUpload(ctx, planID); err != nil {
		r.logger.Warn("queue media upload failed; the sweep will retry", "plan_id", planID, "err", err)
	}
	return nil
}

// checkUploader refuses a user in whose name nothing can be uploaded.
func (r *Runner) checkUploader(ctx context.Context, user *jobs.User) error {
	if user.Blocked {
		return jobs.Errorf(jobs.EFORBIDDEN, "Your account is blocked on the wiki, so Partnerhub cannot upload in your name.")
	}
	if _, err := r.store.Token(ctx, user.ID); err != nil {
		return jobs.Errorf(jobs.EFORBIDDEN, "Partnerhub holds no authorization to upload in your name: log out and log in again with your wiki account.")
	}
	return nil
}

// PauseMediaUpload stops an upload after the file in flight.
func (r *Runner) PauseMediaUpload(ctx context.Context, planID int64) error {
	return r.store.SetMediaPlanStatus(ctx, planID, jobs.MediaPlanPaused, "Paused by a person.", jobs.MediaPlanUploading)
}

// CancelMediaUpload ends an upload; files uploaded stay uploaded.
func (r *Runner) CancelMediaUpload(ctx context.Context, planID int64) error {
	return r.store.SetMediaPlanStatus(ctx, planID, jobs.MediaPlanCancelled, "", jobs.MediaPlanUploading, jobs.MediaPlanPaused, jobs.MediaPlanApproved, jobs.MediaPlanReady)
}

func (w *Worker) handleMediaBuild(ctx context.Context, t *asynq.Task) error {
	id, err := planPayload(t)
	if err != nil {
		return err
	}
	p, ok, err := inState(ctx, id, w.store.MediaPlan, func(p *jobs.MediaPlan) bool { return p.Status == jobs.MediaPlanBuilding })
	if !ok {
		return err
	}
	if w.mediaBuilder == nil {
		return w.store.SetMediaPlanStatus(ctx, id, jobs.MediaPlanFailed, "This installation cannot build media plans.", jobs.MediaPlanBuilding)
	}
	return w.mediaBuilder.Build(ctx, p)
}

func (w *Worker) handleMediaUpload(ctx context.Context, t *asynq.Task) error {
	id, err := planPayload(t)
	if err != nil {
		return err
	}
	p, ok, err := inState(ctx, id, w.store.MediaPlan, func(p *jobs.MediaPlan) bool { return p.Status == jobs.MediaPlanUploading })
	if !ok {
		return err
	}
	if w.mediaUploader == nil {
		return w.store.SetMediaPlanStatus(ctx, id, jobs.MediaPlanPaused, "This installation cannot upload to Commons yet.", jobs.MediaPlanUploading)
	}
	return w.mediaUploader.Upload(ctx, p)
}

// sweepMedia re-enqueues media plans being built or uploaded, and deletes
// the archives no plan needs any more.
func (w *Worker) sweepMedia(ctx context.Context, staleAfter time.Duration) {
	if w.archives != nil {
		if _, err := w.archives.Clean(ctx); err != nil {
			w.logger.Error("sweep: delete unneeded media archives", "err", err)
		}
	}
	cutoff := time.Now().Add(-staleAfter)
	for status, enqueue := range map[jobs.MediaPlanStatus]func(context.Context, int64) error{
		jobs.MediaPlanBuilding:  w.queue.EnqueueMediaBuild,
		jobs.MediaPlanUploading: w.queue.EnqueueMediaUpload,
	} {
		plans, err := w.store.MediaPlansWithStatus(ctx, status)
		if err != nil {
			w.logger.Error("sweep: list media plans", "status", status, "err", err)
			continue
		}
		for _, p := range plans {
			if staleAfter > 0 && p.UpdatedAt.After(cutoff) {
				continue
			}
			if err := enqueue(ctx, p.ID); err != nil {
				w.logger.Error("sweep: re-enqueue media plan", "plan_id", p.ID, "err", err)
			}
		}
	}
}
