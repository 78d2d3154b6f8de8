package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"partnerhub/jobs"
)

// StartReconciliation splits the job's rows into batches of batchSize, drops
// the results of any earlier run, and marks the job reconciling. The batches
// are the units of work the queue carries.
func (s *Store) StartReconciliation(ctx context.Context, jobID, rows int64, batchSize int) error {
	if batchSize <= 0 {
		return fmt.Errorf("batch size must be positive")
	}
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM row_matches WHERE job_id = ?`, `DELETE FROM reconcile_batches WHERE job_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, jobID); err != nil {
				return fmt.Errorf("clear earlier run: %w", err)
			}
		}
		if err := s.clearSearch(ctx, tx, jobID); err != nil {
			return err
		}
		const perBatch = 5
		var (
			b    strings.Builder
			args []any
		)
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO reconcile_batches (job_id, batch_no, first_row, last_row, status, error, updated_at) VALUES `+strings.TrimSuffix(b.String(), ", "), args...)
			b.Reset()
			args = args[:0]
			return err
		}
		no := int64(0)
		for first := int64(1); first <= rows; first += int64(batchSize) {
			no++
			last := min(first+int64(batchSize)-1, rows)
			b.WriteString("(?, ?, ?, ?, ?, '', ?), ")
			args = append(args, jobID, no, first, last, jobs.BatchPending, now)
			if len(args) >= maxParams/perBatch/6*6 {
				if err := flush(); err != nil {
					return fmt.Errorf("plan batches: %w", err)
				}
			}
		}
		if err := flush(); err != nil {
			return fmt.Errorf("plan batches: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', reconcile_started_at = ?, reconcile_finished_at = 0, batch_size = ?, updated_at = ? WHERE id = ?`,
			jobs.JobReconciling, now, batchSize, now, jobID)
		return err
	})
}

const batchCols = `job_id, batch_no, first_row, last_row, status, attempts, error, n_matched, n_review, n_none, requests`

func scanBatch(sc scanner) (*jobs.Batch, error) {
	var (
		b      jobs.Batch
		status string
	)
	if err := sc.Scan(&b.JobID, &b.No, &b.FirstRow, &b.LastRow, &status, &b.Attempts, &b.Error, &b.Matched, &b.Review, &b.None, &b.Requests); err != nil {
		return nil, err
	}
	b.Status = jobs.BatchStatus(status)
	return &b, nil
}

// Batch loads one batch.
func (s *Store) Batch(ctx context.Context, jobID, no int64) (*jobs.Batch, error) {
	b, err := scanBatch(s.db.QueryRowContext(ctx, `SELECT `+batchCols+` FROM reconcile_batches WHERE job_id = ? AND batch_no = ?`, jobID, no))
	if err != nil {
		return nil, notFound(err, "The batch")
	}
	return b, nil
}

// BatchesWithStatus lists up to limit of a job's batches in a state, in order.
func (s *Store) BatchesWithStatus(ctx context.Context, jobID int64, status jobs.BatchStatus, limit int) ([]*jobs.Batch, error) {
	return queryAll(ctx, s.db, scanBatch, "batches", `SELECT `+batchCols+` FROM reconcile_batches WHERE job_id = ? AND status = ? ORDER BY batch_no LIMIT ?`, jobID, status, limit)
}

// SaveBatchResult stores the results of a pending batch and marks it done,
// in one transaction. It returns false, changing nothing, when the batch is
// not pending any more (a replayed task, or a run restarted meanwhile): a
// batch's results are written exactly once.
func (s *Store) SaveBatchResult(ctx context.Context, jobID, no int64, matches []jobs.RowMatch, requests int) (bool, error) {
	var counts [3]int
	for _, m := range matches {
		switch m.Status {
		case jobs.MatchMatched:
			counts[0]++
		case jobs.MatchReview:
			counts[1]++
		default:
			counts[2]++
		}
	}
	now := s.now()
	saved := false
	var first, last int64
	labels := make(map[int64]string, len(matches))
	for _, m := range matches {
		labels[m.Row] = m.Label
		if first == 0 || m.Row < first {
			first = m.Row
		}
		last = max(last, m.Row)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reconcile_batches SET status = ?, error = '', n_matched = ?, n_review = ?, n_none = ?, requests = requests + ?, updated_at = ?, done_at = ?
			WHERE job_id = ? AND batch_no = ? AND status = ?`,
			jobs.BatchDone, counts[0], counts[1], counts[2], requests, now, now, jobID, no, jobs.BatchPending)
		if err != nil {
			return fmt.Errorf("mark batch %d done: %w", no, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		// Rows with a result already (kept by a dataset refresh) keep it.
		var bFirst, bLast int64
		if err := tx.QueryRowContext(ctx, `SELECT first_row, last_row FROM reconcile_batches WHERE job_id = ? AND batch_no = ?`, jobID, no).Scan(&bFirst, &bLast); err != nil {
			return err
		}
		kept, err := queryInt64s(ctx, tx, `SELECT row_num FROM row_matches WHERE job_id = ? AND row_num >= ? AND row_num <= ?`, jobID, bFirst, bLast)
		if err != nil {
			return err
		}
		if len(kept) > 0 {
			skip := make(map[int64]bool, len(kept))
			for _, n := range kept {
				skip[n] = true
				delete(labels, n)
			}
			fresh := make([]jobs.RowMatch, 0, len(matches))
			for _, m := range matches {
				if !skip[m.Row] {
					fresh = append(fresh, m)
				}
			}
			matches = fresh
		}
		const perRow = 9
		for len(matches) > 0 {
			chunk := matches[:min(len(matches), maxParams/perRow/4)]
			matches = matches[len(chunk):]
			var b strings.Builder
			args := make([]any, 0, len(chunk)*perRow)
			b.WriteString(`INSERT INTO row_matches (job_id, row_num, status, qid, label, score, candidates_json, note, updated_at) VALUES `)
			for i, m := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				cands, err := json.Marshal(m.Candidates)
				if err != nil {
					return fmt.Errorf("encode candidates of row %d: %w", m.Row, err)
				}
				args = append(args, jobID, m.Row, m.Status, m.QID, truncateRunes(m.Label, 500), m.Score, string(cands), m.Note, now)
			}
			b.WriteString(s.d.upsert([]string{"job_id", "row_num"}, "status", "qid", "label", "score", "candidates_json", "note", "updated_at"))
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("store results of batch %d: %w", no, err)
			}
		}
		if err := s.indexForSearch(ctx, tx, jobID, first, last, labels); err != nil {
			return fmt.Errorf("index batch %d for search: %w", no, err)
		}
		if len(kept) > 0 {
			// The batch's counts are of all its rows, kept ones included.
			if _, err := tx.ExecContext(ctx, `UPDATE reconcile_batches SET
					n_matched = (SELECT COUNT(*) FROM row_matches WHERE job_id = ? AND row_num >= ? AND row_num <= ? AND status = ?),
					n_review = (SELECT COUNT(*) FROM row_matches WHERE job_id = ? AND row_num >= ? AND row_num <= ? AND status = ?),
					n_none = (SELECT COUNT(*) FROM row_matches WHERE job_id = ? AND row_num >= ? AND row_num <= ? AND status NOT IN (?, ?))
				WHERE job_id = ? AND batch_no = ?`,
				jobID, bFirst, bLast, jobs.MatchMatched, jobID, bFirst, bLast, jobs.MatchReview, jobID, bFirst, bLast, jobs.MatchMatched, jobs.MatchReview, jobID, no); err != nil {
				return fmt.Errorf("count batch %d: %w", no, err)
			}
		}
		saved = true
		return nil
	})
	return saved, err
}

// indexForSearch stores the search text of rows first..last: their cells
// and best label.
func (s *Store) indexForSearch(ctx context.Context, tx *sql.Tx, jobID, first, last int64, labels map[int64]string) error {
	if first == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.row_num, r.cells_json FROM dataset_rows r JOIN datasets d ON d.id = r.dataset_id
		WHERE d.job_id = ? AND d.is_current = 1 AND r.row_num >= ? AND r.row_num <= ? ORDER BY r.row_num`, jobID, first, last)
	if err != nil {
		return err
	}
	var docs []searchDoc
	for rows.Next() {
		var (
			n     int64
			cells string
			vals  []string
		)
		if err := rows.Scan(&n, &cells); err != nil {
			rows.Close()
			return err
		}
		if _, ok := labels[n]; !ok {
			continue // kept by a refresh: indexed already
		}
		_ = json.Unmarshal([]byte(cells), &vals)
		docs = append(docs, searchDoc{n, strings.Join(vals, " ") + " " + labels[n]})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return s.writeSearchDocs(ctx, tx, jobID, docs)
}

// FailBatchAttempt records a failed attempt; when final, the batch is given
// up (its rows count as failed) so the job can finish.
func (s *Store) FailBatchAttempt(ctx context.Context, jobID, no int64, message string, requests int, final bool) error {
	status := jobs.BatchPending
	if final {
		status = jobs.BatchFailed
	}
	_, err := s.db.ExecContext(ctx, `UPDATE reconcile_batches SET attempts = attempts + 1, error = ?, status = ?, requests = requests + ?, updated_at = ? WHERE job_id = ? AND batch_no = ? AND status = ?`,
		truncateRunes(message, 2000), status, requests, s.now(), jobID, no, jobs.BatchPending)
	return err
}

// FinishReconciliationIfDone marks a reconciling job reconciled once no batch
// is pending, or failed when no batch succeeded (every row failed: a green
// "reconciled" would hide that nothing was done). It returns true when it
// did.
func (s *Store) FinishReconciliationIfDone(ctx context.Context, jobID int64) (bool, error) {
	var pending, done, failed sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), SUM(CASE WHEN status = ? THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) FROM reconcile_batches WHERE job_id = ?`,
		jobs.BatchPending, jobs.BatchDone, jobs.BatchFailed, jobID).Scan(&pending, &done, &failed); err != nil {
		return false, err
	}
	if pending.Int64 > 0 {
		return false, nil
	}
	to := jobs.JobReconciled
	if done.Int64 == 0 && failed.Int64 > 0 {
		to = jobs.JobFailed
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET status = ?, reconcile_finished_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
		to, now, now, jobID, jobs.JobReconciling)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// TransitionJob moves a job from one of the from states to the to state,
// atomically; ECONFLICT when it is in none of them.
func (s *Store) TransitionJob(ctx context.Context, jobID int64, to jobs.JobStatus, from ...jobs.JobStatus) error {
	return setStatus(ctx, s, "job", "jobs", jobID, to, "", true, from, func(ctx context.Context, id int64) (jobs.JobStatus, error) {
		j, err := s.Job(ctx, id)
		if err != nil {
			return "", err
		}
		return j.Status, nil
	})
}

// JobsWithStatus lists the ids of jobs in a state (for the recovery sweep).
func (s *Store) JobsWithStatus(ctx context.Context, status jobs.JobStatus) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM jobs WHERE status = ? ORDER BY id`, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AddBatchEndpointTime adds the query-service time one attempt at a batch
// took (every attempt's time was spent, so retries add up).
func (s *Store) AddBatchEndpointTime(ctx context.Context, jobID, no int64, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE reconcile_batches SET endpoint_ms = endpoint_ms + ? WHERE job_id = ? AND batch_no = ?`,
		max(d.Milliseconds(), 1), jobID, no)
	if err != nil {
		return fmt.Errorf("record the batch's endpoint time: %w", err)
	}
	return nil
}

// JobProgress sums the job's batches; cheap at any size (one row per batch).
// A pending batch of a refreshed dataset counts its rows that kept their
// results as done.
func (s *Store) JobProgress(ctx context.Context, jobID int64) (jobs.Progress, error) {
	var (
		p                                         jobs.Progress
		batchesDone, done, failed                 sql.NullInt64
		matched, review, none, requests, lastDone sql.NullInt64
		retrying, endpointMS                      sql.NullInt64
		started, finished                         int64
	)
	// SUMs are NULL for a job without batches; hence the NullInt64s.
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*),
			SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = 'done' THEN last_row - first_row + 1 WHEN status = 'pending' THEN n_matched + n_review + n_none ELSE 0 END),
			SUM(CASE WHEN status = 'failed' THEN last_row - first_row + 1 ELSE 0 END),
			SUM(n_matched), SUM(n_review), SUM(n_none), SUM(requests), MAX(done_at),
			SUM(CASE WHEN status = 'pending' AND attempts > 0 THEN 1 ELSE 0 END), SUM(endpoint_ms)
		FROM reconcile_batches WHERE job_id = ?`, jobID).
		Scan(&p.Batches, &batchesDone, &done, &failed, &matched, &review, &none, &requests, &lastDone, &retrying, &endpointMS)
	if err != nil {
		return p, fmt.Errorf("read progress: %w", err)
	}
	p.BatchesDone = batchesDone.Int64
	p.Done, p.Failed = done.Int64, failed.Int64
	p.Matched, p.Review, p.None, p.Requests = matched.Int64, review.Int64, none.Int64, requests.Int64
	p.LastDoneAt = msToTime(lastDone.Int64)
	p.EndpointMS = endpointMS.Int64
	if p.Retrying = retrying.Int64; p.Retrying > 0 {
		// Batches failing right now: say so while they are retried, with
		// the latest reason, rather than showing a progress that stalls.
		if err := s.db.QueryRowContext(ctx, `SELECT error FROM reconcile_batches WHERE job_id = ? AND status = ? AND attempts > 0
			ORDER BY updated_at DESC, batch_no LIMIT 1`, jobID, jobs.BatchPending).Scan(&p.LastError); err != nil {
			return p, fmt.Errorf("read failing batches: %w", err)
		}
	}
	if err := s.db.QueryRowContext(ctx, `SELECT j.reconcile_started_at, j.reconcile_finished_at, COALESCE(d.row_count, 0)
		FROM jobs j LEFT JOIN datasets d ON d.job_id = j.id AND d.is_current = 1 WHERE j.id = ?`, jobID).Scan(&started, &finished, &p.Rows); err != nil {
		return p, notFound(err, "The job")
	}
	p.StartedAt, p.FinishedAt = msToTime(started), msToTime(finished)
	return p, nil
}

// RowMatches returns up to limit results with row numbers after after, in order.
func (s *Store) RowMatches(ctx context.Context, jobID, after int64, limit int) ([]jobs.RowMatch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT row_num, status, qid, label, score, candidates_json, note, updated_at FROM row_matches
		WHERE job_id = ? AND row_num > ? ORDER BY row_num LIMIT ?`, jobID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer rows.Close()
	var out []jobs.RowMatch
	for rows.Next() {
		var (
			m       jobs.RowMatch
			status  string
			cands   string
			updated int64
		)
		if err := rows.Scan(&m.Row, &status, &m.QID, &m.Label, &m.Score, &cands, &m.Note, &updated); err != nil {
			return nil, err
		}
		m.JobID, m.Status, m.UpdatedAt = jobID, jobs.MatchStatus(status), msToTime(updated)
		if err := json.Unmarshal([]byte(cands), &m.Candidates); err != nil {
			return nil, fmt.Errorf("decode candidates of row %d: %w", m.Row, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// LastBatchActivity is when any of the job's batches last changed: the sweep
// takes a job whose batches are all quiet for lost work.
func (s *Store) LastBatchActivity(ctx context.Context, jobID int64) (time.Time, error) {
	var ms sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(updated_at) FROM reconcile_batches WHERE job_id = ?`, jobID).Scan(&ms)
	return msToTime(ms.Int64), err
}

// SetJobError records a message about the job for its owner.
func (s *Store) SetJobError(ctx context.Context, jobID int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET error = ?, updated_at = ? WHERE id = ?`, truncateRunes(message, 2000), s.now(), jobID)
	return err
}

// RetryFailedBatches queues a finished job's failed batches again: they
// become pending with their attempts reset, and the job reconciling. The
// rows that were reconciled keep their results. It returns how many rows
// are retried; ECONFLICT when the job is running, EINVALID when nothing
// failed.
func (s *Store) RetryFailedBatches(ctx context.Context, jobID int64) (int64, error) {
	var rows int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT SUM(last_row - first_row + 1) FROM reconcile_batches WHERE job_id = ? AND status = ?`,
			jobID, jobs.BatchFailed).Scan(&n); err != nil {
			return err
		}
		if n.Int64 == 0 {
			return jobs.Errorf(jobs.EINVALID, "No rows failed, so there is nothing to retry.")
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', reconcile_finished_at = 0, updated_at = ? WHERE id = ? AND status IN (?, ?, ?)`,
			jobs.JobReconciling, now, jobID, jobs.JobReconciled, jobs.JobFailed, jobs.JobCancelled)
		if err != nil {
			return fmt.Errorf("restart job: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return jobs.Errorf(jobs.ECONFLICT, "The job is still running; retry the failed rows when it has finished.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reconcile_batches SET status = ?, attempts = 0, updated_at = ? WHERE job_id = ? AND status = ?`,
			jobs.BatchPending, now, jobID, jobs.BatchFailed); err != nil {
			return fmt.Errorf("queue failed batches again: %w", err)
		}
		rows = n.Int64
		return nil
	})
	return rows, err
}

// FailedBatches lists a job's failed batches (their rows and the reason),
// first rows first, at most limit.
func (s *Store) FailedBatches(ctx context.Context, jobID int64, limit int) ([]*jobs.Batch, error) {
	return s.BatchesWithStatus(ctx, jobID, jobs.BatchFailed, limit)
}
