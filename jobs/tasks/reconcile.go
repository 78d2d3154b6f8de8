package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"log/slog"
	"partnerhub/jobs/store"

	"partnerhub/jobs"
	"partnerhub/sparql"
)

// Task types of reconciliation.
const (
	TypeReconcileDispatch = "reconcile:dispatch" // queue a job's pending batches
	TypeReconcileBatch    = "reconcile:batch"    // match one batch of rows
)

// DefaultBatchRows is how many rows one reconciliation batch holds: enough
// for the engine's VALUES blocks to stay full, small enough that a lost batch
// costs little.
const DefaultBatchRows = 200

// maxBatchAttempts bounds how often a failing batch is tried before its rows
// are given up as failed (the job then still finishes).
const maxBatchAttempts = 4

// Matcher reconciles rows of a job; the reconciliation engine implements it.
// requests is how many SPARQL/API requests the batch cost.
type Matcher interface {
	MatchRows(ctx context.Context, job *jobs.Job, columns []string, rows []jobs.Row) (results []jobs.RowMatch, requests int, err error)
}

// EnqueueDispatch queues the task that queues a job's pending batches.
func (q *Queue) EnqueueDispatch(ctx context.Context, jobID int64) error {
	return q.enqueue(ctx, TypeReconcileDispatch, "dispatch-"+strconv.FormatInt(jobID, 10), Payload{JobID: jobID}, 10*time.Minute)
}

// EnqueueBatch queues one batch.
func (q *Queue) EnqueueBatch(ctx context.Context, jobID, batch int64) error {
	return q.enqueue(ctx, TypeReconcileBatch, fmt.Sprintf("batch-%d-%d", jobID, batch), Payload{JobID: jobID, Batch: batch}, 15*time.Minute)
}

// Runner starts, pauses, resumes and cancels jobs' background work: the
// state changes in the database, the queue follows.
type Runner struct {
	store     *store.Store
	queue     *Queue
	batchRows int
	logger    *slog.Logger
	check     func(ctx context.Context, job *jobs.Job) error
}

// CheckEndpointsWith makes the runner call check (e.g. the Matcher's
// CheckEndpoints) before it starts or retries a reconciliation, so that a
// query service or wiki that refuses work is named up front instead of
// failing every batch.
func (r *Runner) CheckEndpointsWith(check func(ctx context.Context, job *jobs.Job) error) *Runner {
	r.check = check
	return r
}

// checkEndpoints runs the check, if any.
func (r *Runner) checkEndpoints(ctx context.Context, j *jobs.Job) error {
	if r.check == nil {
		return nil
	}
	if err := r.check(ctx, j); err != nil {
		r.logger.Warn("endpoint check failed; nothing started", "job_id", j.ID, "err", err)
		msg := jobs.ErrorMessage(err)
		if jobs.ErrorCode(err) == jobs.EINTERNAL {
			// A failure talking to the endpoints: its text is the reason.
			msg = "the endpoints could not be checked (" + err.Error() + ")"
		}
		return jobs.Errorf(jobs.EINVALID, "Nothing was started: %s", msg)
	}
	return nil
}

// NewRunner builds a runner; batchRows 0 means DefaultBatchRows.
func NewRunner(st *store.Store, q *Queue, batchRows int, logger *slog.Logger) *Runner {
	if batchRows <= 0 {
		batchRows = DefaultBatchRows
	}
	return &Runner{store: st, queue: q, batchRows: batchRows, logger: logger}
}

// StartReconciliation checks the job can be reconciled, plans its batches in
// the database and queues them. A job reconciled before starts afresh.
func (r *Runner) StartReconciliation(ctx context.Context, jobID int64) error {
	j, err := r.store.Job(ctx, jobID)
	if err != nil {
		return err
	}
	switch j.Status {
	case jobs.JobReconciling, jobs.JobPaused:
		return jobs.Errorf(jobs.ECONFLICT, "The job is already %s; pause, resume or cancel it instead.", j.Status)
	case jobs.JobDraft:
		return jobs.Errorf(jobs.EINVALID, "Import a dataset before starting the reconciliation.")
	}
	if len(j.Template) == 0 {
		return jobs.Errorf(jobs.EINVALID, "Map the dataset's columns to Wikidata before starting the reconciliation.")
	}
	ds, err := r.store.DatasetOfJob(ctx, jobID)
	if err != nil {
		return err
	}
	if ds.Status != jobs.DatasetImported {
		return jobs.Errorf(jobs.EINVALID, "The dataset is not imported yet.")
	}
	if err := r.checkNoImportPending(ctx, jobID); err != nil {
		return err
	}
	if err := r.checkEndpoints(ctx, j); err != nil {
		return err
	}
	if err := r.store.StartReconciliation(ctx, jobID, ds.RowCount, r.batchRows); err != nil {
		return err
	}
	r.dispatch(ctx, jobID)
	return nil
}

// checkNoImportPending refuses to reconcile while a new version of the
// dataset is being imported: it would replace the rows under the batches.
func (r *Runner) checkNoImportPending(ctx context.Context, jobID int64) error {
	p, err := r.store.PendingDataset(ctx, jobID)
	if err != nil {
		return err
	}
	if p != nil && (p.Status == jobs.DatasetUploaded || p.Status == jobs.DatasetImporting) {
		return jobs.Errorf(jobs.ECONFLICT, "Version %d of the dataset is being imported; reconcile once it has replaced the current one.", p.Version)
	}
	return nil
}

// PauseReconciliation stops a running job after the batches in progress;
// pending batches stay in the database.
func (r *Runner) PauseReconciliation(ctx context.Context, jobID int64) error {
	return r.store.TransitionJob(ctx, jobID, jobs.JobPaused, jobs.JobReconciling)
}

// ResumeReconciliation queues a paused job's pending batches again.
func (r *Runner) ResumeReconciliation(ctx context.Context, jobID int64) error {
	if err := r.checkNoImportPending(ctx, jobID); err != nil {
		return err
	}
	if err := r.store.TransitionJob(ctx, jobID, jobs.JobReconciling, jobs.JobPaused); err != nil {
		return err
	}
	r.dispatch(ctx, jobID)
	return nil
}

// RetryFailedRows reconciles again the rows of a finished job's failed
// batches (after checking the endpoints answer), keeping the other rows'
// results. It returns how many rows are retried.
func (r *Runner) RetryFailedRows(ctx context.Context, jobID int64) (int64, error) {
	j, err := r.store.Job(ctx, jobID)
	if err != nil {
		return 0, err
	}
	if j.Status == jobs.JobReconciling || j.Status == jobs.JobPaused {
		return 0, jobs.Errorf(jobs.ECONFLICT, "The job is %s; retry the failed rows when it has finished.", j.Status)
	}
	if err := r.checkNoImportPending(ctx, jobID); err != nil {
		return 0, err
	}
	if err := r.checkEndpoints(ctx, j); err != nil {
		return 0, err
	}
	n, err := r.store.RetryFailedBatches(ctx, jobID)
	if err != nil {
		return 0, err
	}
	r.dispatch(ctx, jobID)
	return n, nil
}

// CancelReconciliation ends a running or paused job; its results so far stay.
func (r *Runner) CancelReconciliation(ctx context.Context, jobID int64) error {
	return r.store.TransitionJob(ctx, jobID, jobs.JobCancelled, jobs.JobReconciling, jobs.JobPaused)
}

// dispatch queues the dispatcher; when Redis is down the sweep does it later.
func (r *Runner) dispatch(ctx context.Context, jobID int64) {
	if err := r.queue.EnqueueDispatch(ctx, jobID); err != nil {
		r.logger.Warn("queue dispatch failed; the sweep will retry", "job_id", jobID, "err", err)
	}
}

func (w *Worker) handleDispatch(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.JobID == 0 {
		return fmt.Errorf("bad dispatch payload: %w", asynq.SkipRetry)
	}
	j, err := w.store.Job(ctx, p.JobID)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if j.Status != jobs.JobReconciling {
		return nil
	}
	batches, err := w.store.BatchesWithStatus(ctx, p.JobID, jobs.BatchPending, 10_000_000)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if err := w.queue.EnqueueBatch(ctx, p.JobID, b.No); err != nil {
			return err
		}
	}
	// A job whose batches were all done before (e.g. resumed at the end).
	_, err = w.store.FinishReconciliationIfDone(ctx, p.JobID)
	return err
}

func (w *Worker) handleBatch(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.JobID == 0 || p.Batch == 0 {
		return fmt.Errorf("bad batch payload: %w", asynq.SkipRetry)
	}
	log := w.logger.With("job_id", p.JobID, "batch", p.Batch)
	j, err := w.store.Job(ctx, p.JobID)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if j.Status != jobs.JobReconciling {
		return nil // paused or cancelled: the batch stays pending in the database
	}
	b, err := w.store.Batch(ctx, p.JobID, p.Batch)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if b.Status != jobs.BatchPending {
		return nil // done before: a replayed task changes nothing
	}
	if w.matcher == nil {
		return errors.New("no reconciliation engine configured")
	}
	ds, err := w.store.DatasetOfJob(ctx, p.JobID)
	if err != nil {
		return err
	}
	// After a dataset refresh, rows that kept their result are not matched again.
	rows, err := w.store.RowsToReconcile(ctx, p.JobID, ds.ID, b.FirstRow, b.LastRow)
	if err != nil {
		return err
	}
	start := time.Now()
	// The meter sees every query of the batch, for the job page's
	// endpoint time.
	meter := &sparql.Meter{}
	results, requests, err := w.matcher.MatchRows(sparql.WithMeter(ctx, meter), j, ds.Columns, rows)
	if terr := w.store.AddBatchEndpointTime(context.WithoutCancel(ctx), p.JobID, p.Batch, meter.EndpointTime()); terr != nil {
		log.Warn("could not record the batch's endpoint time", "err", terr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: asynq re-queues the task
		}
		final := b.Attempts+1 >= maxBatchAttempts
		msg := fmt.Sprintf("rows %d–%d: %v", b.FirstRow, b.LastRow, err)
		if ferr := w.store.FailBatchAttempt(context.WithoutCancel(ctx), p.JobID, p.Batch, msg, requests, final); ferr != nil {
			return ferr
		}
		log.Warn("batch failed", "attempt", b.Attempts+1, "final", final, "err", err)
		if final {
			_ = w.store.SetJobError(ctx, p.JobID, "Some rows could not be reconciled; the failed rows and why are listed below. The latest: "+msg)
			_, ferr := w.store.FinishReconciliationIfDone(ctx, p.JobID)
			return ferr
		}
		return err // asynq retries with backoff
	}
	saved, err := w.store.SaveBatchResult(ctx, p.JobID, p.Batch, results, requests)
	if err != nil {
		return err
	}
	if saved {
		log.Debug("batch reconciled", "rows", len(rows), "requests", requests, "duration", time.Since(start))
	}
	if done, err := w.store.FinishReconciliationIfDone(ctx, p.JobID); err != nil {
		return err
	} else if done {
		log.Info("reconciliation finished")
	}
	return nil
}
