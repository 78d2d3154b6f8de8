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

// CreatePlan starts building a new plan for a job; earlier plans that were
// never written become obsolete (a plan being written stays as it is).
func (s *Store) CreatePlan(ctx context.Context, jobID, userID int64) (*jobs.EditPlan, error) {
	now := s.now()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var busy int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM edit_plans WHERE job_id = ? AND status IN (?, ?, ?)`,
			jobID, jobs.PlanBuilding, jobs.PlanWriting, jobs.PlanPaused).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return jobs.Errorf(jobs.ECONFLICT, "A plan of this job is being built or written; wait for it, or cancel its write-back, before planning again.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE edit_plans SET status = ?, updated_at = ? WHERE job_id = ? AND status IN (?, ?, ?)`,
			jobs.PlanObsolete, now, jobID, jobs.PlanReady, jobs.PlanApproved, jobs.PlanFailed); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO edit_plans (job_id, status, created_by, created_at, updated_at, error) VALUES (?, ?, ?, ?, ?, '')`,
			jobID, jobs.PlanBuilding, userID, now, now)
		if err != nil {
			return fmt.Errorf("create plan: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Plan(ctx, id)
}

const planCols = `id, job_id, status, created_by, created_at, updated_at, approved_by, approved_at, started_at, writer_id, editgroup_id, error, rows_done`

func scanPlan(sc scanner) (*jobs.EditPlan, error) {
	var (
		p                          jobs.EditPlan
		status                     string
		created, updated, approved int64
		started                    int64
	)
	if err := sc.Scan(&p.ID, &p.JobID, &status, &p.CreatedBy, &created, &updated, &p.ApprovedBy, &approved, &started, &p.WriterID, &p.EditGroupID, &p.Error, &p.RowsDone); err != nil {
		return nil, err
	}
	p.Status = jobs.PlanStatus(status)
	p.CreatedAt, p.UpdatedAt, p.ApprovedAt, p.StartedAt = msToTime(created), msToTime(updated), msToTime(approved), msToTime(started)
	return &p, nil
}

// Plan loads a plan.
func (s *Store) Plan(ctx context.Context, id int64) (*jobs.EditPlan, error) {
	p, err := scanPlan(s.db.QueryRowContext(ctx, `SELECT `+planCols+` FROM edit_plans WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The plan")
	}
	return p, nil
}

// LatestPlan loads a job's newest plan; ENOTFOUND when it has none.
func (s *Store) LatestPlan(ctx context.Context, jobID int64) (*jobs.EditPlan, error) {
	p, err := scanPlan(s.db.QueryRowContext(ctx, `SELECT `+planCols+` FROM edit_plans WHERE job_id = ? ORDER BY id DESC LIMIT 1`, jobID))
	if err != nil {
		return nil, notFound(err, "The job's edit plan")
	}
	return p, nil
}

// PlansWithStatus lists plans in a state (for the recovery sweep).
func (s *Store) PlansWithStatus(ctx context.Context, status jobs.PlanStatus) ([]*jobs.EditPlan, error) {
	return queryAll(ctx, s.db, scanPlan, "plans", `SELECT `+planCols+` FROM edit_plans WHERE status = ? ORDER BY id`, status)
}

// AddPlanItems stores built items (replaying a batch after a crash replaces
// the same item numbers) and the number of rows read so far.
func (s *Store) AddPlanItems(ctx context.Context, planID int64, items []jobs.PlanItem, rowsDone int64) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for len(items) > 0 {
			chunk := items[:min(len(items), 200)]
			items = items[len(chunk):]
			var b strings.Builder
			args := make([]any, 0, len(chunk)*13)
			b.WriteString(`INSERT INTO plan_items (plan_id, item_no, qid, rows_json, base_rev_id, diff_json, n_statements, n_references, n_labels, n_conflicts, approved, status, error, updated_at) VALUES `)
			for i, it := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)")
				rowsJSON, _ := json.Marshal(it.Rows)
				diff := string(it.Diff)
				if diff == "" {
					diff = "{}"
				}
				status := it.Status
				if status == "" {
					status = jobs.ItemPending
				}
				args = append(args, planID, it.No, it.QID, string(rowsJSON), it.BaseRevID, diff, it.Statements, it.References, it.Labels, it.Conflicts, boolInt(it.Approved), status, now)
			}
			b.WriteString(s.d.upsert([]string{"plan_id", "item_no"}, "qid", "rows_json", "base_rev_id", "diff_json", "n_statements", "n_references", "n_labels", "n_conflicts", "approved", "status", "updated_at"))
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("store plan items: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE edit_plans SET rows_done = ?, updated_at = ? WHERE id = ?`, rowsDone, now, planID)
		return err
	})
}

// SetPlanStatus moves a plan from one of the from states to status (with a
// message for failures); ECONFLICT when it is in none of them.
func (s *Store) SetPlanStatus(ctx context.Context, planID int64, status jobs.PlanStatus, message string, from ...jobs.PlanStatus) error {
	return setStatus(ctx, s, "plan", "edit_plans", planID, status, message, false, from, func(ctx context.Context, id int64) (jobs.PlanStatus, error) {
		p, err := s.Plan(ctx, id)
		if err != nil {
			return "", err
		}
		return p.Status, nil
	})
}

// ApprovePlan records who approved the plan and which items: all when
// itemNos is nil, else exactly those (the others are skipped).
func (s *Store) ApprovePlan(ctx context.Context, planID, userID int64, itemNos []int64) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE edit_plans SET status = ?, approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			jobs.PlanApproved, userID, now, now, planID, jobs.PlanReady)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ECONFLICT, "Only a plan that is ready can be approved.")
		}
		if itemNos == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plan_items SET approved = 0, status = ?, updated_at = ? WHERE plan_id = ? AND status = ?`,
			jobs.ItemSkipped, now, planID, jobs.ItemPending); err != nil {
			return err
		}
		for _, chunk := range chunkInt64(itemNos, 500) {
			args := []any{jobs.ItemPending, now, planID}
			for _, n := range chunk {
				args = append(args, n)
			}
			args = append(args, jobs.ItemSkipped)
			if _, err := tx.ExecContext(ctx, `UPDATE plan_items SET approved = 1, status = ?, updated_at = ? WHERE plan_id = ? AND item_no IN (?`+
				strings.Repeat(", ?", len(chunk)-1)+`) AND status = ?`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

func chunkInt64(xs []int64, n int) [][]int64 {
	var out [][]int64
	for len(xs) > 0 {
		k := min(len(xs), n)
		out = append(out, xs[:k])
		xs = xs[k:]
	}
	return out
}

// StartWriting marks an approved (or paused) plan as being written by userID
// under an EditGroups batch id.
func (s *Store) StartWriting(ctx context.Context, planID, writerID int64, editGroupID string) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE edit_plans SET status = ?, writer_id = ?, editgroup_id = CASE WHEN editgroup_id = '' THEN ? ELSE editgroup_id END,
		started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, error = '', updated_at = ?
		WHERE id = ? AND status IN (?, ?)`, jobs.PlanWriting, writerID, editGroupID, now, now, planID, jobs.PlanApproved, jobs.PlanPaused)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jobs.Errorf(jobs.ECONFLICT, "Only an approved or paused plan can be written.")
	}
	return nil
}

const itemCols = `plan_id, item_no, qid, rows_json, base_rev_id, diff_json, n_statements, n_references, n_labels, n_conflicts, approved, status, attempts, rev_id, new_qid, error, sent_at, updated_at`

func scanItem(sc scanner) (*jobs.PlanItem, error) {
	var (
		it                     jobs.PlanItem
		rowsJSON, diff, status string
		approved               int
		sent, updated          int64
	)
	if err := sc.Scan(&it.PlanID, &it.No, &it.QID, &rowsJSON, &it.BaseRevID, &diff, &it.Statements, &it.References, &it.Labels, &it.Conflicts,
		&approved, &status, &it.Attempts, &it.RevID, &it.NewQID, &it.Error, &sent, &updated); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(rowsJSON), &it.Rows)
	it.Diff = json.RawMessage(diff)
	it.Approved, it.Status = approved != 0, jobs.ItemStatus(status)
	it.SentAt, it.UpdatedAt = msToTime(sent), msToTime(updated)
	return &it, nil
}

// PlanItem loads one item.
func (s *Store) PlanItem(ctx context.Context, planID, no int64) (*jobs.PlanItem, error) {
	it, err := scanItem(s.db.QueryRowContext(ctx, `SELECT `+itemCols+` FROM plan_items WHERE plan_id = ? AND item_no = ?`, planID, no))
	if err != nil {
		return nil, notFound(err, "The plan item")
	}
	return it, nil
}

// PlanItems lists items after item number after; status "" means any.
func (s *Store) PlanItems(ctx context.Context, planID int64, status jobs.ItemStatus, after int64, limit int) ([]*jobs.PlanItem, error) {
	q := `SELECT ` + itemCols + ` FROM plan_items WHERE plan_id = ? AND item_no > ?`
	args := []any{planID, after}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY item_no LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db, scanItem, "plan items", q, args...)
}

// PlanCounts sums a plan's items.
func (s *Store) PlanCounts(ctx context.Context, planID int64) (jobs.PlanCounts, error) {
	var c jobs.PlanCounts
	rows, err := s.db.QueryContext(ctx, `SELECT status, approved, CASE WHEN qid = '' THEN 1 ELSE 0 END, COUNT(*), SUM(n_statements), SUM(n_references), SUM(n_labels), SUM(n_conflicts),
		SUM(CASE WHEN error <> '' THEN 1 ELSE 0 END)
		FROM plan_items WHERE plan_id = ? GROUP BY status, approved, CASE WHEN qid = '' THEN 1 ELSE 0 END`, planID)
	if err != nil {
		return c, fmt.Errorf("count plan items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status                string
			approved, isNew       int
			n, st, ref, lab, conf int64
			noted                 int64
		)
		if err := rows.Scan(&status, &approved, &isNew, &n, &st, &ref, &lab, &conf, &noted); err != nil {
			return c, err
		}
		c.Items += n
		if approved != 0 {
			c.Approved += n
		}
		if isNew != 0 {
			c.NewItems += n
		}
		c.Statements, c.References, c.Labels, c.Conflicts = c.Statements+st, c.References+ref, c.Labels+lab, c.Conflicts+conf
		switch jobs.ItemStatus(status) {
		case jobs.ItemPending:
			c.Pending += n
		case jobs.ItemSending:
			c.Sending += n
		case jobs.ItemDone:
			c.Done += n
			c.Warnings += noted
		case jobs.ItemNothing:
			c.Nothing += n
		case jobs.ItemFailed:
			c.Failed += n
		case jobs.ItemConflict:
			c.ConflictItems += n
		case jobs.ItemSkipped:
			c.Skipped += n
		}
	}
	return c, rows.Err()
}

// MarkItemSending records the intent to send an item before the API call:
// it moves pending → sending and counts the attempt. False when the item is
// not pending (another worker has it, or it is settled).
func (s *Store) MarkItemSending(ctx context.Context, planID, no int64) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE plan_items SET status = ?, attempts = attempts + 1, sent_at = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ?`,
		jobs.ItemSending, now, now, planID, no, jobs.ItemPending)
	if err != nil {
		return false, fmt.Errorf("record intent: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SettleItem records how a sent item ended: done with its revision (and new
// item id), nothing to do, conflict or failed with a message. Only an item
// being sent can be settled.
//
// A new item's id is also kept on the decisions of its rows (still "new"),
// in the same transaction: exports and statistics then link the rows to it,
// and a later plan edits it instead of creating it again.
func (s *Store) SettleItem(ctx context.Context, planID, no int64, status jobs.ItemStatus, revID int64, newQID, message string) error {
	_, err := s.SettleSent(ctx, planID, no, 0, status, revID, newQID, message)
	return err
}

// SettleSent settles an item being sent by attempt number attempt (its
// attempts count once marked; 0: whichever attempt), and keeps a new item's
// id on its rows' decisions in the same transaction. False when the item is
// not being sent by that attempt any more, so that a worker that looked at
// an old attempt never settles a newer one in flight.
func (s *Store) SettleSent(ctx context.Context, planID, no int64, attempt int, status jobs.ItemStatus, revID int64, newQID, message string) (bool, error) {
	q := `UPDATE plan_items SET status = ?, rev_id = ?, new_qid = ?, error = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ?`
	args := []any{status, revID, newQID, truncateRunes(message, 2000), s.now(), planID, no, jobs.ItemSending}
	if attempt > 0 {
		q += ` AND attempts = ?`
		args = append(args, attempt)
	}
	settled := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("record outcome: %w", err)
		}
		n, _ := res.RowsAffected()
		settled = n == 1
		if !settled || status != jobs.ItemDone || newQID == "" {
			return nil
		}
		return linkCreatedItem(ctx, tx, planID, no, newQID)
	})
	return settled, err
}

// linkCreatedItem records a new item's id on the "new" decisions of the
// rows it was created for.
func linkCreatedItem(ctx context.Context, tx *sql.Tx, planID, no int64, qid string) error {
	var (
		jobID    int64
		rowsJSON string
	)
	if err := tx.QueryRowContext(ctx, `SELECT p.job_id, i.rows_json FROM plan_items i JOIN edit_plans p ON p.id = i.plan_id WHERE i.plan_id = ? AND i.item_no = ?`,
		planID, no).Scan(&jobID, &rowsJSON); err != nil {
		return fmt.Errorf("read the rows of new item %s: %w", qid, err)
	}
	var rows []int64
	if err := json.Unmarshal([]byte(rowsJSON), &rows); err != nil {
		return fmt.Errorf("decode the rows of new item %s: %w", qid, err)
	}
	for _, chunk := range chunkInt64(rows, 500) {
		args := []any{qid, jobID}
		for _, r := range chunk {
			args = append(args, r)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decisions SET created_qid = ? WHERE job_id = ? AND kind = 'new' AND row_num IN (`+inList(len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("link rows to new item %s: %w", qid, err)
		}
	}
	return nil
}

// ReleaseItem puts an item being sent back to pending: the call was
// definitely not applied (e.g. maxlag, rate limit), so it may be sent again.
func (s *Store) ReleaseItem(ctx context.Context, planID, no int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET status = ?, error = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ?`,
		jobs.ItemPending, truncateRunes(message, 2000), s.now(), planID, no, jobs.ItemSending)
	return err
}

// NoteSending records a message on an item that stays "sending" (its
// outcome is unknown and will be looked up later) for that attempt.
func (s *Store) NoteSending(ctx context.Context, planID, no int64, attempt int, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET error = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ? AND attempts = ?`,
		truncateRunes(message, 2000), s.now(), planID, no, jobs.ItemSending, attempt)
	return err
}

// ReplanSent puts an item being sent by attempt back to pending with a
// diff recomputed on the item's current data: that attempt is known not to
// have been applied. False when the item is no longer at that attempt.
func (s *Store) ReplanSent(ctx context.Context, it *jobs.PlanItem, attempt int, message string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE plan_items SET base_rev_id = ?, diff_json = ?, n_statements = ?, n_references = ?, n_labels = ?, n_conflicts = ?,
		status = ?, error = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ? AND attempts = ?`,
		it.BaseRevID, string(it.Diff), it.Statements, it.References, it.Labels, it.Conflicts, jobs.ItemPending, truncateRunes(message, 2000), s.now(),
		it.PlanID, it.No, jobs.ItemSending, attempt)
	if err != nil {
		return false, fmt.Errorf("re-plan item: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReplanPending replaces a pending item's diff with one recomputed on the
// item's current data just before it is sent.
func (s *Store) ReplanPending(ctx context.Context, it *jobs.PlanItem) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET base_rev_id = ?, diff_json = ?, n_statements = ?, n_references = ?, n_labels = ?, n_conflicts = ?, updated_at = ?
		WHERE plan_id = ? AND item_no = ? AND status = ?`,
		it.BaseRevID, string(it.Diff), it.Statements, it.References, it.Labels, it.Conflicts, s.now(), it.PlanID, it.No, jobs.ItemPending)
	if err != nil {
		return fmt.Errorf("re-plan item: %w", err)
	}
	return nil
}

// SettlePending settles a pending item that needs no edit after all (what
// it would add is on the wiki already) or cannot get one (the item was
// deleted or merged), without sending anything.
func (s *Store) SettlePending(ctx context.Context, planID, no int64, status jobs.ItemStatus, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET status = ?, error = ?, updated_at = ? WHERE plan_id = ? AND item_no = ? AND status = ?`,
		status, truncateRunes(message, 2000), s.now(), planID, no, jobs.ItemPending)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	return nil
}

// UpdateItemDiff replaces an item's diff after it was re-read.
func (s *Store) UpdateItemDiff(ctx context.Context, it *jobs.PlanItem) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET base_rev_id = ?, diff_json = ?, n_statements = ?, n_references = ?, n_labels = ?, n_conflicts = ?, updated_at = ? WHERE plan_id = ? AND item_no = ?`,
		it.BaseRevID, string(it.Diff), it.Statements, it.References, it.Labels, it.Conflicts, s.now(), it.PlanID, it.No)
	return err
}

// RetryFailedItems queues exactly the failed items of a finished
// write-back again, in one transaction with the plan's move back to
// "writing" by writerID (the batch id stays, so the retried edits join the
// same EditGroups batch). Nothing else changes: items written, already
// there, in conflict or skipped stay as they are.
//
// An item that was sent before it failed goes to "sending", not "pending":
// the write-back then looks its edit up by its marker before anything is
// sent again (as for a lost answer), so an edit the wiki saved after all is
// recorded with its revision and never sent twice. An item that never left
// (it was deleted or merged when re-read) goes straight to "pending"; both
// are re-read just before any edit.
//
// A write-back still running, or paused or cancelled with items left to
// write, is refused (ECONFLICT): a retry must not send those as well.
func (s *Store) RetryFailedItems(ctx context.Context, planID, writerID int64) (int64, error) {
	now := s.now()
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM edit_plans WHERE id = ?`, planID).Scan(&status); err != nil {
			return notFound(err, "The plan")
		}
		var failed, left int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status IN (?, ?) THEN 1 ELSE 0 END), 0)
			FROM plan_items WHERE plan_id = ?`, jobs.ItemFailed, jobs.ItemPending, jobs.ItemSending, planID).Scan(&failed, &left); err != nil {
			return fmt.Errorf("count failed items: %w", err)
		}
		switch jobs.PlanStatus(status) {
		case jobs.PlanDone:
		case jobs.PlanWriting:
			return jobs.Errorf(jobs.ECONFLICT, "The write-back is still running (%d items still to write or to look up); retry the failed items once it has finished.", left)
		case jobs.PlanPaused:
			if left > 0 {
				return jobs.Errorf(jobs.ECONFLICT, "The write-back is paused with %d items still to write: resume it, and retry the failed items once it has finished.", left)
			}
		case jobs.PlanCancelled:
			return jobs.Errorf(jobs.ECONFLICT, "This write-back was cancelled, so its failed items are not retried: plan the job again to write what is missing.")
		default:
			return jobs.Errorf(jobs.ECONFLICT, "The plan is %s: only the failed items of a finished write-back can be retried.", status)
		}
		if failed == 0 {
			return jobs.Errorf(jobs.EINVALID, "No item of this write-back failed, so there is nothing to retry.")
		}
		if err := retryAfterUndo(ctx, tx, planID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE plan_items SET status = CASE WHEN attempts > 0 AND sent_at > 0 THEN ? ELSE ? END,
			error = `+s.d.concat("'Queued again by a retry; it had failed: '", "error")+`, updated_at = ?
			WHERE plan_id = ? AND status = ?`, jobs.ItemSending, jobs.ItemPending, now, planID, jobs.ItemFailed)
		if err != nil {
			return fmt.Errorf("queue failed items again: %w", err)
		}
		n, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE edit_plans SET status = ?, writer_id = ?, error = '', updated_at = ? WHERE id = ? AND status = ?`,
			jobs.PlanWriting, writerID, now, planID, status)
		if err != nil {
			return fmt.Errorf("restart the write-back: %w", err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return jobs.Errorf(jobs.ECONFLICT, "The write-back changed meanwhile; look at it again.")
		}
		return nil
	})
	return n, err
}

// retryAfterUndo refuses a retry while an undo of the write-back is being
// prepared, waits for confirmation or runs, and after the whole write-back
// was undone: a retry must not write what a person is taking back.
func retryAfterUndo(ctx context.Context, tx *sql.Tx, planID int64) error {
	var (
		status, scopeJSON string
		confirmed         int64
	)
	err := tx.QueryRowContext(ctx, `SELECT status, scope_json, confirmed_at FROM undos WHERE plan_id = ? ORDER BY id DESC LIMIT 1`, planID).Scan(&status, &scopeJSON, &confirmed)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the undos of the write-back: %w", err)
	}
	switch jobs.UndoStatus(status) {
	case jobs.UndoPreparing, jobs.UndoReady, jobs.UndoRunning, jobs.UndoPaused:
		return jobs.Errorf(jobs.ECONFLICT, "An undo of this write-back is %s; finish or cancel it before retrying the failed items.", status)
	case jobs.UndoDone:
		var scope jobs.UndoScope
		if json.Unmarshal([]byte(scopeJSON), &scope) == nil && scope.Whole() {
			return jobs.Errorf(jobs.ECONFLICT, "This write-back was undone as a whole, so its failed items are not retried: plan the job again to write anew.")
		}
	}
	return nil
}

// LastPlanActivity is when the plan or any of its items last changed.
func (s *Store) LastPlanActivity(ctx context.Context, planID int64) (time.Time, error) {
	var plan int64
	var item sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT p.updated_at, (SELECT MAX(updated_at) FROM plan_items WHERE plan_id = p.id) FROM edit_plans p WHERE p.id = ?`, planID).Scan(&plan, &item)
	if err != nil {
		return time.Time{}, notFound(err, "The plan")
	}
	return msToTime(max(plan, item.Int64)), nil
}

// PlanRow is a dataset row that leads to an edit: accepted (or auto-matched)
// to QID, or marked "not on the wiki" (New).
type PlanRow struct {
	QID   string
	New   bool
	Row   int64
	Cells []string
}

// EachPlanRow streams the rows that lead to edits, grouped by item (ordered
// by QID, then row; rows for new items last), without holding them all.
func (s *Store) EachPlanRow(ctx context.Context, jobID, datasetID int64, fn func(PlanRow) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT final_qid, is_new, row_num, cells_json FROM (
			SELECT CASE WHEN d.kind = 'accept' THEN d.qid WHEN d.kind = 'new' THEN d.created_qid WHEN d.kind IS NULL AND m.status = 'matched' THEN m.qid ELSE '' END AS final_qid,
				CASE WHEN d.kind = 'new' AND d.created_qid = '' THEN 1 ELSE 0 END AS is_new, r.row_num, r.cells_json
			FROM row_matches m
			JOIN dataset_rows r ON r.dataset_id = ? AND r.row_num = m.row_num
			LEFT JOIN decisions d ON d.job_id = m.job_id AND d.row_num = m.row_num
			WHERE m.job_id = ?) x
		WHERE final_qid <> '' OR is_new = 1
		ORDER BY is_new, final_qid, row_num`, datasetID, jobID)
	if err != nil {
		return fmt.Errorf("read rows to plan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pr    PlanRow
			isNew int
			cells string
		)
		if err := rows.Scan(&pr.QID, &isNew, &pr.Row, &cells); err != nil {
			return err
		}
		pr.New = isNew == 1
		if err := json.Unmarshal([]byte(cells), &pr.Cells); err != nil {
			return fmt.Errorf("decode row %d: %w", pr.Row, err)
		}
		if err := fn(pr); err != nil {
			return err
		}
	}
	return rows.Err()
}
