package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store"
)

// WorkerConfig tunes the worker process.
type WorkerConfig struct {
	Queue           string        // asynq queue name
	Concurrency     int           // parallel tasks; default 4
	ShutdownTimeout time.Duration // how long running tasks may take to finish on shutdown; default 25s
	SweepEvery      time.Duration // how often unfinished work is re-enqueued; default 30s
	StaleAfter      time.Duration // work untouched this long counts as lost; default 90s
	RetryBase       time.Duration // first retry delay, doubled per attempt up to 5 min; default 2s
}

// Worker runs task handlers and the recovery sweep.
type Worker struct {
	cfg      WorkerConfig
	srv      *asynq.Server
	store    *store.Store
	queue    *Queue
	importer *dataset.Importer
	matcher  Matcher
	builder  PlanBuilder
	writer   PlanWriter
	check    TemplateCheck
	logger   *slog.Logger

	mediaBuilder  MediaBuilder
	mediaUploader MediaUploader
	archives      ArchiveCleaner
	undoer        Undoer
}

// Deps are what the handlers work with.
type Deps struct {
	Store    *store.Store
	Queue    *Queue
	Importer *dataset.Importer
	Matcher  Matcher     // nil: reconciliation batches fail with a clear error
	Builder  PlanBuilder // nil: plans fail with a clear error
	Writer   PlanWriter  // nil: write-backs pause with a clear error
	// TemplateCheck is the engine's reading of a template, used when a job
	// started from a library template gets its file (nil: JSON syntax only).
	TemplateCheck TemplateCheck

	MediaBuilder  MediaBuilder  // nil: media plans fail with a clear error
	MediaUploader MediaUploader // nil: media uploads pause with a clear error
	// Archives deletes uploaded archives no media plan needs any more, at
	// each sweep (nil: none are deleted).
	Archives ArchiveCleaner
	Undoer   Undoer // nil: undos fail or pause with a clear error
}

// NewWorker wires the handlers; Run starts them.
func NewWorker(rdb redis.UniversalClient, cfg WorkerConfig, d Deps, logger *slog.Logger) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 30 * time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 90 * time.Second
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 2 * time.Second
	}
	w := &Worker{cfg: cfg, store: d.Store, queue: d.Queue, importer: d.Importer, matcher: d.Matcher, builder: d.Builder, writer: d.Writer, check: d.TemplateCheck, logger: logger,
		mediaBuilder: d.MediaBuilder, mediaUploader: d.MediaUploader, archives: d.Archives, undoer: d.Undoer}
	w.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          map[string]int{cfg.Queue: 1},
		ShutdownTimeout: cfg.ShutdownTimeout,
		// Retries wait in asynq's scheduled set; look for due ones often.
		DelayedTaskCheckInterval: time.Second,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			d := cfg.RetryBase << min(n, 10)
			d = min(d, 5*time.Minute)
			return d/2 + rand.N(d/2+1) // jitter, so retries of many batches spread out
		},
		Logger:   asynqLogger{logger},
		LogLevel: asynq.WarnLevel,
		// Never log payloads: they hold ids only, but errors may quote them.
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			logger.Warn("task failed", "type", t.Type(), "err", err)
		}),
	})
	return w
}

// Handler routes task types to their handlers (exported for tests that call
// handlers directly).
func (w *Worker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeImportDataset, w.handleImport)
	mux.HandleFunc(TypeReconcileDispatch, w.handleDispatch)
	mux.HandleFunc(TypeReconcileBatch, w.handleBatch)
	mux.HandleFunc(TypePlanBuild, w.handlePlanBuild)
	mux.HandleFunc(TypeWritebackRun, w.handleWriteback)
	mux.HandleFunc(TypeMediaBuild, w.handleMediaBuild)
	mux.HandleFunc(TypeMediaUpload, w.handleMediaUpload)
	mux.HandleFunc(TypeUndoPrepare, w.handleUndoPrepare)
	mux.HandleFunc(TypeUndoRun, w.handleUndoRun)
	return mux
}

// Run processes tasks until ctx is cancelled, then shuts down gracefully:
// running tasks get ShutdownTimeout to finish and are re-queued otherwise.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.srv.Start(w.Handler()); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	w.logger.Info("worker started", "queue", w.cfg.Queue, "concurrency", w.cfg.Concurrency)
	w.Sweep(ctx, 0)
	t := time.NewTicker(w.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.logger.Info("worker stopping")
			w.srv.Shutdown()
			return nil
		case <-t.C:
			w.Sweep(ctx, w.cfg.StaleAfter)
		}
	}
}

// Sweep re-enqueues work the database says is unfinished and that nothing has
// touched for staleAfter (0: all of it, as at start-up). Deterministic task
// ids make this harmless when the task is in fact still queued.
func (w *Worker) Sweep(ctx context.Context, staleAfter time.Duration) {
	ds, err := w.store.DatasetsWithStatus(ctx, jobs.DatasetUploaded, jobs.DatasetImporting)
	if err != nil {
		w.logger.Error("sweep: list unfinished imports", "err", err)
		return
	}
	cutoff := time.Now().Add(-staleAfter)
	for _, d := range ds {
		if staleAfter > 0 && d.UpdatedAt.After(cutoff) {
			continue
		}
		if err := w.queue.EnqueueImport(ctx, d.ID); err != nil {
			w.logger.Error("sweep: re-enqueue import", "dataset_id", d.ID, "err", err)
		}
	}
	ids, err := w.store.JobsWithStatus(ctx, jobs.JobReconciling)
	if err != nil {
		w.logger.Error("sweep: list running jobs", "err", err)
		return
	}
	for _, id := range ids {
		last, err := w.store.LastBatchActivity(ctx, id)
		if err != nil {
			w.logger.Error("sweep: batch activity", "job_id", id, "err", err)
			continue
		}
		if staleAfter > 0 && last.After(cutoff) {
			continue
		}
		if err := w.queue.EnqueueDispatch(ctx, id); err != nil {
			w.logger.Error("sweep: re-dispatch job", "job_id", id, "err", err)
		}
	}
	for status, enqueue := range map[jobs.PlanStatus]func(context.Context, int64) error{
		jobs.PlanBuilding: w.queue.EnqueuePlanBuild,
		jobs.PlanWriting:  w.queue.EnqueueWriteback,
	} {
		plans, err := w.store.PlansWithStatus(ctx, status)
		if err != nil {
			w.logger.Error("sweep: list plans", "status", status, "err", err)
			continue
		}
		for _, p := range plans {
			last, err := w.store.LastPlanActivity(ctx, p.ID)
			if err != nil || (staleAfter > 0 && last.After(cutoff)) {
				continue
			}
			if err := enqueue(ctx, p.ID); err != nil {
				w.logger.Error("sweep: re-enqueue plan", "plan_id", p.ID, "err", err)
			}
		}
	}
	w.sweepMedia(ctx, staleAfter)
	w.sweepUndos(ctx, staleAfter)
}

func (w *Worker) handleImport(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.DatasetID == 0 {
		return fmt.Errorf("bad import payload: %w", asynq.SkipRetry)
	}
	err := w.importer.Import(ctx, p.DatasetID, dataset.Options{})
	switch {
	case err == nil:
		d, err := w.store.Dataset(ctx, p.DatasetID)
		if err != nil {
			return nil
		}
		j, err := w.store.Job(ctx, d.JobID)
		if err != nil {
			return nil
		}
		// A refresh leaves the changed and added rows to reconcile.
		if j.Status == jobs.JobReconciling {
			if err := w.queue.EnqueueDispatch(ctx, j.ID); err != nil {
				w.logger.Warn("queue dispatch after refresh failed; the sweep will retry", "job_id", j.ID, "err", err)
			}
			return nil
		}
		// A job started from a library template is mapped as soon as its
		// file is in (the job page applies it too, should this fail).
		if applied, err := ApplyStartingTemplate(ctx, w.store, w.check, j, d); err != nil {
			w.logger.Warn("apply the starting template", "job_id", j.ID, "err", err)
		} else if applied {
			w.logger.Info("template applied on import", "job_id", j.ID, "dataset_id", d.ID)
		}
		return nil
	case errors.Is(err, dataset.ErrInputRejected):
		return nil // recorded on the dataset for the user; retrying cannot help
	case jobs.ErrorCode(err) == jobs.ENOTFOUND:
		return nil // the job was deleted meanwhile
	}
	return err
}

// asynqLogger routes asynq's own log lines through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
