// Package tasks runs Partnerhub's background work on asynq. Task payloads hold
// ids only (never tokens or personal data); handlers load everything else
// from the database, which stays the source of truth. Because Redis may lose
// its data (a restart of the in-process Redis, eviction on Toolforge's shared
// one), a sweep re-enqueues whatever the database says is unfinished, under
// deterministic task ids so work is never queued twice.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Task types.
const (
	TypeImportDataset = "dataset:import"
)

// Payload is what every task carries: ids, nothing else.
type Payload struct {
	DatasetID int64 `json:"dataset_id,omitempty"`
	JobID     int64 `json:"job_id,omitempty"`
	Batch     int64 `json:"batch,omitempty"`
	PlanID    int64 `json:"plan_id,omitempty"`
	UndoID    int64 `json:"undo_id,omitempty"`
}

// Queue enqueues tasks on one asynq queue whose name carries a configurable
// prefix (Toolforge's Redis is shared by every tool).
type Queue struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	name      string
}

// NewQueue uses rdb for transport; name is the asynq queue name.
func NewQueue(rdb redis.UniversalClient, name string) *Queue {
	return &Queue{client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb), name: name}
}

// Name is the asynq queue's name.
func (q *Queue) Name() string { return q.name }

// Close releases the queue's resources (not the shared Redis client).
func (q *Queue) Close() error { return nil }

// EnqueueImport queues the import of a dataset.
func (q *Queue) EnqueueImport(ctx context.Context, datasetID int64) error {
	return q.enqueue(ctx, TypeImportDataset, "import-"+strconv.FormatInt(datasetID, 10), Payload{DatasetID: datasetID}, time.Hour)
}

// enqueue adds a task under a deterministic id. A task with that id already
// pending, scheduled, retrying or running is left alone; an archived one (it
// exhausted its retries earlier) is replaced, since the database says the
// work is still to do.
func (q *Queue) enqueue(ctx context.Context, typ, id string, p Payload, timeout time.Duration) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	task := asynq.NewTask(typ, body, asynq.TaskID(id), asynq.Queue(q.name), asynq.Timeout(timeout), asynq.MaxRetry(10))
	_, err = q.client.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		info, ierr := q.inspector.GetTaskInfo(q.name, id)
		if ierr == nil && (info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted) {
			if derr := q.inspector.DeleteTask(q.name, id); derr != nil {
				return fmt.Errorf("replace archived task %s: %w", id, derr)
			}
			_, err = q.client.EnqueueContext(ctx, task)
		} else {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", typ, err)
	}
	return nil
}
