package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"partnerhub/jobs"
)

const watchRunCols = `id, job_id, status, started_at, heartbeat_at, finished_at, after_plan, after_item, items_checked, items_read, requests, n_statements, n_there, error`

func scanWatchRun(sc scanner) (*jobs.WatchRun, error) {
	var (
		r                       jobs.WatchRun
		status                  string
		started, beat, finished int64
	)
	if err := sc.Scan(&r.ID, &r.JobID, &status, &started, &beat, &finished, &r.AfterPlan, &r.AfterItem, &r.ItemsChecked, &r.ItemsRead, &r.Requests,
		&r.Statements, &r.There, &r.Error); err != nil {
		return nil, err
	}
	r.Status = jobs.WatchRunStatus(status)
	r.StartedAt, r.HeartbeatAt, r.FinishedAt = msToTime(started), msToTime(beat), msToTime(finished)
	return &r, nil
}

// StartWatchRun opens a watch run of a job: the job's unfinished run, if its
// last sign of life is older than stale (its process died: the new one goes
// on after the last item it recorded), or a new one. A run still alive in
// another process is a conflict.
func (s *Store) StartWatchRun(ctx context.Context, jobID int64, stale time.Duration) (run *jobs.WatchRun, resumed bool, err error) {
	now := s.now()
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanWatchRun(tx.QueryRowContext(ctx, `SELECT `+watchRunCols+` FROM watch_runs WHERE job_id = ? AND status = ? ORDER BY id DESC LIMIT 1`, jobID, jobs.WatchRunning))
		switch {
		case err == nil:
			beat := int64(0) // parked
			if !cur.HeartbeatAt.IsZero() {
				beat = cur.HeartbeatAt.UnixMilli()
			}
			if now-beat < stale.Milliseconds() {
				return jobs.Errorf(jobs.ECONFLICT, "Job %d is being watched by another process (last seen %s).", jobID, cur.HeartbeatAt.Format(time.RFC3339))
			}
			res, err := tx.ExecContext(ctx, `UPDATE watch_runs SET heartbeat_at = ? WHERE id = ? AND status = ? AND heartbeat_at = ?`, now, cur.ID, jobs.WatchRunning, beat)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return jobs.Errorf(jobs.ECONFLICT, "Job %d was taken up by another process just now.", jobID)
			}
			id, resumed = cur.ID, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO watch_runs (job_id, status, started_at, heartbeat_at, error) VALUES (?, ?, ?, ?, '')`, jobID, jobs.WatchRunning, now, now)
		if err != nil {
			return fmt.Errorf("start a watch run: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, false, err
	}
	run, err = s.WatchRun(ctx, id)
	return run, resumed, err
}

// WatchRun loads a watch run.
func (s *Store) WatchRun(ctx context.Context, id int64) (*jobs.WatchRun, error) {
	r, err := scanWatchRun(s.db.QueryRowContext(ctx, `SELECT `+watchRunCols+` FROM watch_runs WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The watch run")
	}
	return r, nil
}

// WatchRuns lists a job's latest watch runs, newest first.
func (s *Store) WatchRuns(ctx context.Context, jobID int64, limit int) ([]*jobs.WatchRun, error) {
	return queryAll(ctx, s.db, scanWatchRun, "watch runs", `SELECT `+watchRunCols+` FROM watch_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?`, jobID, limit)
}

// JobsToWatch lists the jobs with written items whose last finished watch
// run is older than before (or that have none), and those whose run was
// left unfinished, oldest-watched first.
func (s *Store) JobsToWatch(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT j.id FROM jobs j
		WHERE EXISTS (SELECT 1 FROM edit_plans p JOIN plan_items pi ON pi.plan_id = p.id WHERE p.job_id = j.id AND pi.status = ? AND pi.rev_id > 0)
		AND (EXISTS (SELECT 1 FROM watch_runs w WHERE w.job_id = j.id AND w.status = ?)
			OR COALESCE((SELECT MAX(w.finished_at) FROM watch_runs w WHERE w.job_id = j.id AND w.status = ?), 0) < ?)
		ORDER BY COALESCE((SELECT MAX(w.finished_at) FROM watch_runs w WHERE w.job_id = j.id), 0), j.id`,
		jobs.ItemDone, jobs.WatchRunning, jobs.WatchDone, before.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list jobs to watch: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// WrittenItems lists the job's plan items a write-back wrote (done, with a
// revision), in plan then item order, after the given plan item.
func (s *Store) WrittenItems(ctx context.Context, jobID, afterPlan, afterItem int64, limit int) ([]jobs.WrittenItem, error) {
	return queryAll(ctx, s.db, func(sc scanner) (jobs.WrittenItem, error) {
		var (
			it             jobs.WrittenItem
			qid, newQID    string
			rowsJSON, diff string
			added          sql.NullString
		)
		if err := sc.Scan(&it.PlanID, &it.No, &qid, &newQID, &it.RevID, &rowsJSON, &diff, &added); err != nil {
			return it, err
		}
		it.QID = qid
		if qid == "" {
			it.QID = newQID
		}
		_ = json.Unmarshal([]byte(rowsJSON), &it.Rows)
		it.Diff = []byte(diff)
		if added.String != "" {
			it.Added = []byte(added.String)
		}
		return it, nil
	}, "written items", `SELECT pi.plan_id, pi.item_no, pi.qid, pi.new_qid, pi.rev_id, pi.rows_json, pi.diff_json, pi.added_json
		FROM plan_items pi JOIN edit_plans p ON p.id = pi.plan_id
		WHERE p.job_id = ? AND pi.status = ? AND pi.rev_id > 0 AND (pi.plan_id > ? OR (pi.plan_id = ? AND pi.item_no > ?))
		ORDER BY pi.plan_id, pi.item_no LIMIT ?`, jobID, jobs.ItemDone, afterPlan, afterPlan, afterItem, limit)
}

// WatchKey names a written plan item.
type WatchKey struct{ PlanID, ItemNo int64 }

// WatchedItems reads the latest recorded state of plan items and their
// statements.
func (s *Store) WatchedItems(ctx context.Context, keys []WatchKey) (map[WatchKey]*jobs.WatchedItem, map[WatchKey][]jobs.WatchedStatement, error) {
	items := map[WatchKey]*jobs.WatchedItem{}
	stmts := map[WatchKey][]jobs.WatchedStatement{}
	for _, k := range keys {
		var it jobs.WatchedItem
		var state string
		err := s.db.QueryRowContext(ctx, `SELECT qid, state, now_qid, last_rev_id, row_status FROM watch_items WHERE plan_id = ? AND item_no = ?`, k.PlanID, k.ItemNo).
			Scan(&it.QID, &state, &it.NowQID, &it.LastRevID, &it.RowStatus)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read watched item: %w", err)
		}
		it.PlanID, it.No, it.State = k.PlanID, k.ItemNo, jobs.WatchState(state)
		items[k] = &it
		list, err := queryAll(ctx, s.db, scanWatchedStatement, "watched statements", `SELECT `+watchStmtCols+` FROM watch_statements WHERE plan_id = ? AND item_no = ? ORDER BY stmt_no`, k.PlanID, k.ItemNo)
		if err != nil {
			return nil, nil, err
		}
		stmts[k] = list
	}
	return items, stmts, nil
}

const watchStmtCols = `plan_id, item_no, stmt_no, qid, property, value_text, guid, state, detail, since`

func scanWatchedStatement(sc scanner) (jobs.WatchedStatement, error) {
	var (
		st    jobs.WatchedStatement
		state string
		since int64
	)
	err := sc.Scan(&st.PlanID, &st.ItemNo, &st.No, &st.QID, &st.Property, &st.Value, &st.GUID, &state, &st.Detail, &since)
	st.State, st.Since = jobs.WatchState(state), msToTime(since)
	return st, err
}

// WatchBatch is what a watch run found of a batch of written items, recorded
// together with the run's progress.
type WatchBatch struct {
	Items        []jobs.WatchedItem
	Statements   []jobs.WatchedStatement
	Unchanged    []WatchKey // items found at the revision last read: only their check time moves
	AfterPlan    int64
	AfterItem    int64
	ItemsChecked int64
	ItemsRead    int64
	Requests     int64
}

// RecordWatchBatch stores a batch's outcomes and moves the run past it, in
// one transaction, only while the run is still running: a batch replayed
// after a crash writes the same latest states and no second history row.
func (s *Store) RecordWatchBatch(ctx context.Context, jobID, runID int64, b WatchBatch) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE watch_runs SET heartbeat_at = ?, after_plan = ?, after_item = ?, items_checked = items_checked + ?, items_read = items_read + ?, requests = requests + ?
			WHERE id = ? AND job_id = ? AND status = ?`, now, b.AfterPlan, b.AfterItem, b.ItemsChecked, b.ItemsRead, b.Requests, runID, jobID, jobs.WatchRunning)
		if err != nil {
			return fmt.Errorf("record watch progress: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return jobs.Errorf(jobs.ECONFLICT, "The watch run %d is not running any more.", runID)
		}
		for _, k := range b.Unchanged {
			if _, err := tx.ExecContext(ctx, `UPDATE watch_items SET run_id = ?, checked_at = ? WHERE plan_id = ? AND item_no = ?`, runID, now, k.PlanID, k.ItemNo); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE watch_statements SET run_id = ?, checked_at = ? WHERE plan_id = ? AND item_no = ?`, runID, now, k.PlanID, k.ItemNo); err != nil {
				return err
			}
		}
		for _, it := range b.Items {
			var prevState, prevNow string
			err := tx.QueryRowContext(ctx, `SELECT state, now_qid FROM watch_items WHERE plan_id = ? AND item_no = ?`, it.PlanID, it.No).Scan(&prevState, &prevNow)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if prevState != string(it.State) || prevNow != it.NowQID {
				detail := it.NowQID
				if _, err := tx.ExecContext(ctx, `INSERT INTO watch_changes (job_id, plan_id, item_no, stmt_no, run_id, state, detail, at) VALUES (?, ?, ?, -1, ?, ?, ?, ?)`,
					jobID, it.PlanID, it.No, runID, it.State, detail, now); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO watch_items (job_id, plan_id, item_no, qid, state, now_qid, last_rev_id, row_status, run_id, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+
				s.d.upsert([]string{"plan_id", "item_no"}, "qid", "state", "now_qid", "last_rev_id", "row_status", "run_id", "checked_at"),
				jobID, it.PlanID, it.No, it.QID, it.State, it.NowQID, it.LastRevID, it.RowStatus, runID, now); err != nil {
				return fmt.Errorf("record watched item: %w", err)
			}
			for _, row := range it.Rows {
				if _, err := tx.ExecContext(ctx, s.d.insertIgnore+` watch_item_rows (job_id, row_num, plan_id, item_no) VALUES (?, ?, ?, ?)`, jobID, row, it.PlanID, it.No); err != nil {
					return err
				}
			}
		}
		for _, st := range b.Statements {
			var prevState, prevDetail string
			var since int64
			err := tx.QueryRowContext(ctx, `SELECT state, detail, since FROM watch_statements WHERE plan_id = ? AND item_no = ? AND stmt_no = ?`, st.PlanID, st.ItemNo, st.No).
				Scan(&prevState, &prevDetail, &since)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if prevState != string(st.State) || prevDetail != st.Detail {
				if prevState != string(st.State) {
					since = now
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO watch_changes (job_id, plan_id, item_no, stmt_no, run_id, state, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					jobID, st.PlanID, st.ItemNo, st.No, runID, st.State, st.Detail, now); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO watch_statements (job_id, plan_id, item_no, stmt_no, qid, property, value_text, guid, state, detail, since, run_id, checked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+
				s.d.upsert([]string{"plan_id", "item_no", "stmt_no"}, "qid", "property", "value_text", "guid", "state", "detail", "since", "run_id", "checked_at"),
				jobID, st.PlanID, st.ItemNo, st.No, st.QID, st.Property, st.Value, st.GUID, st.State, st.Detail, since, runID, now); err != nil {
				return fmt.Errorf("record watched statement: %w", err)
			}
		}
		return nil
	})
}

// FinishWatchRun closes a run: done, with the job's totals as they stand,
// or failed with the reason (a failed run is not resumed; the next run
// starts over, which costs little: unchanged items are not read again).
func (s *Store) FinishWatchRun(ctx context.Context, jobID, runID int64, status jobs.WatchRunStatus, message string) error {
	sum, err := s.JobWatchSummary(ctx, jobID)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE watch_runs SET status = ?, finished_at = ?, heartbeat_at = ?, n_statements = ?, n_there = ?, error = ? WHERE id = ? AND status = ?`,
		status, s.now(), s.now(), sum.Statements, sum.There(), message, runID, jobs.WatchRunning)
	return err
}

// JobWatchSummary is what the latest watch found of one job's writes.
func (s *Store) JobWatchSummary(ctx context.Context, jobID int64) (jobs.WatchSummary, error) {
	return s.watchSummary(ctx, ` = ?`, []any{jobID})
}

// maxMergeTargets bounds the merge targets a summary names.
const maxMergeTargets = 5

// watchSummary sums the latest watched states of the jobs selected by
// "job_id" + in.
func (s *Store) watchSummary(ctx context.Context, in string, args []any) (jobs.WatchSummary, error) {
	sum := jobs.WatchSummary{ByState: map[jobs.WatchState]int64{}}
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM watch_statements WHERE job_id`+in+` GROUP BY state`, args...)
	if err != nil {
		return sum, fmt.Errorf("sum watched statements: %w", err)
	}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			rows.Close()
			return sum, err
		}
		sum.ByState[jobs.WatchState(state)] = n
		sum.Statements += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, err
	}
	var merged, deleted sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), SUM(CASE WHEN state = ? THEN 1 ELSE 0 END) FROM watch_items WHERE job_id`+in,
		append([]any{jobs.WatchMerged, jobs.WatchItemDeleted}, args...)...).Scan(&sum.Items, &merged, &deleted); err != nil {
		return sum, fmt.Errorf("sum watched items: %w", err)
	}
	sum.Merged, sum.Deleted = merged.Int64, deleted.Int64
	targets, err := queryAll(ctx, s.db, func(sc scanner) (string, error) {
		var q string
		return q, sc.Scan(&q)
	}, "merge targets", `SELECT DISTINCT now_qid FROM watch_items WHERE state = ? AND job_id`+in+` ORDER BY now_qid LIMIT ?`,
		append(append([]any{jobs.WatchMerged}, args...), maxMergeTargets)...)
	if err != nil {
		return sum, err
	}
	sum.MergedInto = targets
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(finished_at) FROM watch_runs WHERE status = ? AND job_id`+in, append([]any{jobs.WatchDone}, args...)...).Scan(&last); err != nil {
		return sum, err
	}
	sum.LastRun = msToTime(last.Int64)
	return sum, nil
}

// WatchedStatements lists a job's watched statements, those not as
// Partnerhub left them first when problemsOnly is false; only those when it
// is true.
func (s *Store) WatchedStatements(ctx context.Context, jobID int64, problemsOnly bool, limit int) ([]jobs.WatchedStatement, error) {
	q := `SELECT ` + watchStmtCols + ` FROM watch_statements WHERE job_id = ?`
	args := []any{jobID}
	if problemsOnly {
		q += ` AND state <> ?`
		args = append(args, jobs.WatchThere)
	}
	q += ` ORDER BY CASE WHEN state = 'there' THEN 1 ELSE 0 END, plan_id, item_no, stmt_no LIMIT ?`
	return queryAll(ctx, s.db, scanWatchedStatement, "watched statements", q, append(args, limit)...)
}

// WatchedItemsOfJob lists a job's merged and deleted items.
func (s *Store) WatchedItemsOfJob(ctx context.Context, jobID int64, limit int) ([]jobs.WatchedItem, error) {
	return queryAll(ctx, s.db, func(sc scanner) (jobs.WatchedItem, error) {
		var it jobs.WatchedItem
		var state string
		err := sc.Scan(&it.PlanID, &it.No, &it.QID, &state, &it.NowQID, &it.LastRevID, &it.RowStatus)
		it.State = jobs.WatchState(state)
		return it, err
	}, "watched items", `SELECT plan_id, item_no, qid, state, now_qid, last_rev_id, row_status FROM watch_items WHERE job_id = ? AND state <> ? ORDER BY plan_id, item_no LIMIT ?`,
		jobID, jobs.WatchThere, limit)
}

// WatchChangeCount counts the history rows of a job (for tests and the job
// page).
func (s *Store) WatchChangeCount(ctx context.Context, jobID int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM watch_changes WHERE job_id = ?`, jobID).Scan(&n)
	return n, err
}

// RowWikidataStatus says, for rows of a job, what the latest watch found of
// the items their edits went to (the worst, when a row led to several).
// Rows without a watched edit are left out.
func (s *Store) RowWikidataStatus(ctx context.Context, jobID int64, rows []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for len(rows) > 0 {
		n := min(len(rows), 500)
		args := []any{jobID}
		for _, r := range rows[:n] {
			args = append(args, r)
		}
		rs, err := s.db.QueryContext(ctx, `SELECT r.row_num, i.row_status FROM watch_item_rows r
			JOIN watch_items i ON i.plan_id = r.plan_id AND i.item_no = r.item_no
			WHERE r.job_id = ? AND r.row_num IN `+inList(n), args...)
		if err != nil {
			return nil, fmt.Errorf("read rows' wikidata status: %w", err)
		}
		for rs.Next() {
			var row int64
			var status string
			if err := rs.Scan(&row, &status); err != nil {
				rs.Close()
				return nil, err
			}
			out[row] = jobs.WorseRowStatus(out[row], status)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	return out, nil
}

// ParkWatchRun leaves a running run for the next process to go on with at
// once (its heartbeat cleared), noting why it stopped ("" at a limit).
func (s *Store) ParkWatchRun(ctx context.Context, jobID, runID int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE watch_runs SET heartbeat_at = 0, error = ? WHERE id = ? AND job_id = ? AND status = ?`, message, runID, jobID, jobs.WatchRunning)
	return err
}
