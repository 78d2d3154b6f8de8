package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"partnerhub/jobs"
)

// CreateUndo starts preparing the undo of a plan's write-back (all of it,
// or the part scope names). The write-back must have stopped (done,
// cancelled or paused): removing while it still writes would race with it.
// An earlier undo of the plan still waiting for confirmation is replaced; one
// being prepared or run makes this an ECONFLICT.
func (s *Store) CreateUndo(ctx context.Context, planID, userID int64, scope jobs.UndoScope, resetDecisions bool) (*jobs.Undo, error) {
	scopeJSON, err := json.Marshal(scope)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			jobID  int64
			status string
		)
		if err := tx.QueryRowContext(ctx, `SELECT job_id, status FROM edit_plans WHERE id = ?`, planID).Scan(&jobID, &status); err != nil {
			return notFound(err, "The plan")
		}
		switch jobs.PlanStatus(status) {
		case jobs.PlanDone, jobs.PlanCancelled, jobs.PlanPaused:
		default:
			return jobs.Errorf(jobs.ECONFLICT, "Only a write-back that has finished, was cancelled or is paused can be undone; this plan is %s.", status)
		}
		var busy int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM undos WHERE plan_id = ? AND status IN (?, ?, ?)`,
			planID, jobs.UndoPreparing, jobs.UndoRunning, jobs.UndoPaused).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return jobs.Errorf(jobs.ECONFLICT, "An undo of this write-back is being prepared or run; wait for it to finish, or cancel it, first.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE undos SET status = ?, error = ?, updated_at = ? WHERE plan_id = ? AND status = ?`,
			jobs.UndoCancelled, "Replaced by a newer undo before it was confirmed.", now, planID, jobs.UndoReady); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO undos (job_id, plan_id, status, scope_json, reset_decisions, created_by, created_at, updated_at, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`, jobID, planID, jobs.UndoPreparing, string(scopeJSON), boolInt(resetDecisions), userID, now, now)
		if err != nil {
			return fmt.Errorf("create undo: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.UndoByID(ctx, id)
}

const undoCols = `id, job_id, plan_id, status, scope_json, reset_decisions, created_by, created_at, updated_at, confirmed_by, confirmed_at, editgroup_id, decisions_reset, decisions_kept, error`

func scanUndo(sc scanner) (*jobs.Undo, error) {
	var (
		u                           jobs.Undo
		status, scope               string
		reset                       int
		created, updated, confirmed int64
	)
	if err := sc.Scan(&u.ID, &u.JobID, &u.PlanID, &status, &scope, &reset, &u.CreatedBy, &created, &updated, &u.ConfirmedBy, &confirmed,
		&u.EditGroupID, &u.DecisionsReset, &u.DecisionsKept, &u.Error); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scope), &u.Scope); err != nil {
		return nil, fmt.Errorf("decode the scope of undo %d: %w", u.ID, err)
	}
	u.Status, u.ResetDecisions = jobs.UndoStatus(status), reset != 0
	u.CreatedAt, u.UpdatedAt, u.ConfirmedAt = msToTime(created), msToTime(updated), msToTime(confirmed)
	return &u, nil
}

// UndoByID loads an undo of a write-back.
func (s *Store) UndoByID(ctx context.Context, id int64) (*jobs.Undo, error) {
	u, err := scanUndo(s.db.QueryRowContext(ctx, `SELECT `+undoCols+` FROM undos WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The undo")
	}
	return u, nil
}

// UndosOfPlan lists a plan's undos, newest first.
func (s *Store) UndosOfPlan(ctx context.Context, planID int64) ([]*jobs.Undo, error) {
	return queryAll(ctx, s.db, scanUndo, "undos", `SELECT `+undoCols+` FROM undos WHERE plan_id = ? ORDER BY id DESC`, planID)
}

// UndosWithStatus lists undos in a state (for the recovery sweep).
func (s *Store) UndosWithStatus(ctx context.Context, status jobs.UndoStatus) ([]*jobs.Undo, error) {
	return queryAll(ctx, s.db, scanUndo, "undos", `SELECT `+undoCols+` FROM undos WHERE status = ? ORDER BY id`, status)
}

// UndoStateForPlan is what other pages show of a plan's latest undo (not
// counting undos replaced before they were confirmed); nil when it has none.
func (s *Store) UndoStateForPlan(ctx context.Context, planID int64) (*jobs.UndoState, error) {
	u, err := scanUndo(s.db.QueryRowContext(ctx, `SELECT `+undoCols+` FROM undos WHERE plan_id = ? AND NOT (status = ? AND confirmed_at = 0) ORDER BY id DESC LIMIT 1`,
		planID, jobs.UndoCancelled))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the undo state of plan %d: %w", planID, err)
	}
	c, err := s.UndoCounts(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &jobs.UndoState{UndoID: u.ID, Status: u.Status, Whole: u.Scope.Whole(), Counts: c, UpdatedAt: u.UpdatedAt}, nil
}

// SetUndoStatus moves an undo from one of the from states to status (with a
// message); ECONFLICT when it is in none of them.
func (s *Store) SetUndoStatus(ctx context.Context, undoID int64, status jobs.UndoStatus, message string, from ...jobs.UndoStatus) error {
	return setStatus(ctx, s, "undo", "undos", undoID, status, truncateRunes(message, 2000), false, from, func(ctx context.Context, id int64) (jobs.UndoStatus, error) {
		u, err := s.UndoByID(ctx, id)
		if err != nil {
			return "", err
		}
		return u.Status, nil
	})
}

// UndoPrepared stores the items of an undo being prepared and makes it
// ready, in one transaction (a prepare replayed after a crash replaces them).
func (s *Store) UndoPrepared(ctx context.Context, undoID int64, items []jobs.UndoItem) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM undos WHERE id = ?`, undoID).Scan(&status); err != nil {
			return notFound(err, "The undo")
		}
		if jobs.UndoStatus(status) != jobs.UndoPreparing {
			return jobs.Errorf(jobs.ECONFLICT, "The undo is %s, not being prepared.", status)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM undo_items WHERE undo_id = ?`, undoID); err != nil {
			return err
		}
		for _, it := range items {
			rowsJSON, _ := json.Marshal(it.Rows)
			lines, _ := json.Marshal(it.Lines)
			data := string(it.Data)
			if it.Kind == jobs.UndoCreated {
				b, _ := json.Marshal(createdData{it.DeletionRequest, it.MergeTarget})
				data = string(b)
			}
			if data == "" {
				data = "{}"
			}
			status := it.Status
			if status == "" {
				status = jobs.UndoItemPending
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO undo_items (undo_id, item_no, plan_item_no, kind, qid, rows_json, base_rev_id, data_json, report_json, n_remove, n_stay, status, error, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, undoID, it.No, it.PlanItemNo, it.Kind, it.QID, string(rowsJSON), it.BaseRevID, data, string(lines),
				it.Remove, it.Stay, status, truncateRunes(it.Error, 2000), now); err != nil {
				return fmt.Errorf("store undo item %s: %w", it.QID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE undos SET status = ?, error = '', updated_at = ? WHERE id = ?`, jobs.UndoReady, now, undoID)
		return err
	})
}

type createdData struct {
	DeletionRequest string `json:"deletion_request"`
	MergeTarget     string `json:"merge_target,omitempty"`
}

// ConfirmUndo records a person's confirmation of a prepared undo, whose
// removals are then made with their account under an EditGroups batch id.
// A paused undo may be confirmed again to resume it.
func (s *Store) ConfirmUndo(ctx context.Context, undoID, userID int64, editGroupID string) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE undos SET status = ?, confirmed_by = ?, confirmed_at = CASE WHEN confirmed_at = 0 THEN ? ELSE confirmed_at END,
		editgroup_id = CASE WHEN editgroup_id = '' THEN ? ELSE editgroup_id END, error = '', updated_at = ? WHERE id = ? AND status IN (?, ?)`,
		jobs.UndoRunning, userID, now, editGroupID, now, undoID, jobs.UndoReady, jobs.UndoPaused)
	if err != nil {
		return fmt.Errorf("confirm undo: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jobs.Errorf(jobs.ECONFLICT, "Only a prepared or paused undo can be confirmed.")
	}
	return nil
}

const undoItemCols = `undo_id, item_no, plan_item_no, kind, qid, rows_json, base_rev_id, data_json, report_json, n_remove, n_stay, status, attempts, rev_id, error, sent_at, updated_at`

func scanUndoItem(sc scanner) (*jobs.UndoItem, error) {
	var (
		it                               jobs.UndoItem
		kind, rowsJSON, data, lines, sts string
		sent, updated                    int64
	)
	if err := sc.Scan(&it.UndoID, &it.No, &it.PlanItemNo, &kind, &it.QID, &rowsJSON, &it.BaseRevID, &data, &lines, &it.Remove, &it.Stay,
		&sts, &it.Attempts, &it.RevID, &it.Error, &sent, &updated); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(rowsJSON), &it.Rows)
	if err := json.Unmarshal([]byte(lines), &it.Lines); err != nil {
		return nil, fmt.Errorf("decode undo item %d: %w", it.No, err)
	}
	it.Kind, it.Status = jobs.UndoItemKind(kind), jobs.UndoItemStatus(sts)
	if it.Kind == jobs.UndoCreated {
		var c createdData
		_ = json.Unmarshal([]byte(data), &c)
		it.DeletionRequest, it.MergeTarget = c.DeletionRequest, c.MergeTarget
	} else {
		it.Data = json.RawMessage(data)
	}
	it.SentAt, it.UpdatedAt = msToTime(sent), msToTime(updated)
	return &it, nil
}

// UndoItems lists an undo's items after item number after; status "" means
// any.
func (s *Store) UndoItems(ctx context.Context, undoID int64, status jobs.UndoItemStatus, after int64, limit int) ([]*jobs.UndoItem, error) {
	q := `SELECT ` + undoItemCols + ` FROM undo_items WHERE undo_id = ? AND item_no > ?`
	args := []any{undoID, after}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY item_no LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db, scanUndoItem, "undo items", q, args...)
}

// UndoItem loads one item of an undo.
func (s *Store) UndoItem(ctx context.Context, undoID, no int64) (*jobs.UndoItem, error) {
	it, err := scanUndoItem(s.db.QueryRowContext(ctx, `SELECT `+undoItemCols+` FROM undo_items WHERE undo_id = ? AND item_no = ?`, undoID, no))
	if err != nil {
		return nil, notFound(err, "The undo item")
	}
	return it, nil
}

// UndoCounts sums an undo's items.
func (s *Store) UndoCounts(ctx context.Context, undoID int64) (jobs.UndoCounts, error) {
	var c jobs.UndoCounts
	rows, err := s.db.QueryContext(ctx, `SELECT kind, status, COUNT(*), SUM(n_remove), SUM(n_stay) FROM undo_items WHERE undo_id = ? GROUP BY kind, status`, undoID)
	if err != nil {
		return c, fmt.Errorf("count undo items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, status    string
			n, remove, stay int64
		)
		if err := rows.Scan(&kind, &status, &n, &remove, &stay); err != nil {
			return c, err
		}
		c.Items += n
		c.Remove, c.Stay = c.Remove+remove, c.Stay+stay
		if jobs.UndoItemKind(kind) == jobs.UndoCreated {
			c.Created += n
			continue
		}
		switch jobs.UndoItemStatus(status) {
		case jobs.UndoItemPending:
			c.Pending += n
		case jobs.UndoItemSending:
			c.Sending += n
		case jobs.UndoItemDone:
			c.Done += n
		case jobs.UndoItemNothing:
			c.Nothing += n
		case jobs.UndoItemFailed:
			c.Failed += n
		}
	}
	return c, rows.Err()
}

// MarkUndoSending records the intent to send an undo item before its API
// call: pending → sending, counting the attempt. False when the item is not
// pending (another worker has it, or it is settled).
func (s *Store) MarkUndoSending(ctx context.Context, undoID, no int64) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE undo_items SET status = ?, attempts = attempts + 1, sent_at = ?, updated_at = ? WHERE undo_id = ? AND item_no = ? AND status = ?`,
		jobs.UndoItemSending, now, now, undoID, no, jobs.UndoItemPending)
	if err != nil {
		return false, fmt.Errorf("record intent: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SettleUndoSent settles an item being sent by attempt (0: whichever):
// done with its revision, or failed with a message. False when the item is
// no longer being sent by that attempt.
func (s *Store) SettleUndoSent(ctx context.Context, undoID, no int64, attempt int, status jobs.UndoItemStatus, revID int64, message string) (bool, error) {
	q := `UPDATE undo_items SET status = ?, rev_id = ?, error = ?, updated_at = ? WHERE undo_id = ? AND item_no = ? AND status = ?`
	args := []any{status, revID, truncateRunes(message, 2000), s.now(), undoID, no, jobs.UndoItemSending}
	if attempt > 0 {
		q += ` AND attempts = ?`
		args = append(args, attempt)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("record outcome: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseUndoItem puts an item being sent back to pending: the call was
// definitely not applied (maxlag, throttle), so it may be sent again.
func (s *Store) ReleaseUndoItem(ctx context.Context, undoID, no int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE undo_items SET status = ?, error = ?, updated_at = ? WHERE undo_id = ? AND item_no = ? AND status = ?`,
		jobs.UndoItemPending, truncateRunes(message, 2000), s.now(), undoID, no, jobs.UndoItemSending)
	return err
}

// NoteUndoSending records a message on an item that stays "sending" for
// that attempt (its outcome is unknown and is looked up later).
func (s *Store) NoteUndoSending(ctx context.Context, undoID, no int64, attempt int, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE undo_items SET error = ?, updated_at = ? WHERE undo_id = ? AND item_no = ? AND status = ? AND attempts = ?`,
		truncateRunes(message, 2000), s.now(), undoID, no, jobs.UndoItemSending, attempt)
	return err
}

// ReplanUndoItem replaces an item's removal with one recomputed on the
// item's current data. From pending it stays pending; from sending (attempt
// known not applied) it goes back to pending; an item with nothing left to
// remove settles as nothing. False when the item is no longer in that state.
func (s *Store) ReplanUndoItem(ctx context.Context, it *jobs.UndoItem, from jobs.UndoItemStatus, attempt int, message string) (bool, error) {
	lines, _ := json.Marshal(it.Lines)
	status := jobs.UndoItemPending
	if it.Remove == 0 {
		status = jobs.UndoItemNothing
	}
	q := `UPDATE undo_items SET base_rev_id = ?, data_json = ?, report_json = ?, n_remove = ?, n_stay = ?, status = ?, error = ?, updated_at = ?
		WHERE undo_id = ? AND item_no = ? AND status = ?`
	args := []any{it.BaseRevID, string(it.Data), string(lines), it.Remove, it.Stay, status, truncateRunes(message, 2000), s.now(), it.UndoID, it.No, from}
	if from == jobs.UndoItemSending {
		q += ` AND attempts = ?`
		args = append(args, attempt)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("re-plan undo item: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SettleUndoPending settles a pending item without sending anything (the
// item is gone, or refused before sending).
func (s *Store) SettleUndoPending(ctx context.Context, undoID, no int64, status jobs.UndoItemStatus, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE undo_items SET status = ?, error = ?, updated_at = ? WHERE undo_id = ? AND item_no = ? AND status = ?`,
		status, truncateRunes(message, 2000), s.now(), undoID, no, jobs.UndoItemPending)
	return err
}

// LastUndoActivity is when the undo or any of its items last changed.
func (s *Store) LastUndoActivity(ctx context.Context, undoID int64) (int64, error) {
	var u int64
	var item sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT u.updated_at, (SELECT MAX(updated_at) FROM undo_items WHERE undo_id = u.id) FROM undos u WHERE u.id = ?`, undoID).Scan(&u, &item)
	if err != nil {
		return 0, notFound(err, "The undo")
	}
	return max(u, item.Int64), nil
}

// FinishUndo ends a running undo in one transaction: the items the
// write-back created (listed for deletion) are unlinked from their rows'
// decisions, and, when the undo asks for it, the decisions of the rows whose
// additions were removed (and of created items' rows) go back to undecided
// if they are still the ones the write-back's plan was built from (decided
// no later than the plan's approval); the others are kept and counted.
func (s *Store) FinishUndo(ctx context.Context, undoID, userID int64, message string) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			jobID, approvedAt int64
			reset             int
			status            string
		)
		if err := tx.QueryRowContext(ctx, `SELECT u.job_id, p.approved_at, u.reset_decisions, u.status FROM undos u JOIN edit_plans p ON p.id = u.plan_id WHERE u.id = ?`,
			undoID).Scan(&jobID, &approvedAt, &reset, &status); err != nil {
			return notFound(err, "The undo")
		}
		if jobs.UndoStatus(status) != jobs.UndoRunning {
			return jobs.Errorf(jobs.ECONFLICT, "The undo is %s, not running.", status)
		}
		rows, err := tx.QueryContext(ctx, `SELECT kind, qid, rows_json, status, n_remove FROM undo_items WHERE undo_id = ?`, undoID)
		if err != nil {
			return err
		}
		var created []string
		var undone []int64
		for rows.Next() {
			var (
				kind, qid, rowsJSON, st string
				nRemove                 int
			)
			if err := rows.Scan(&kind, &qid, &rowsJSON, &st, &nRemove); err != nil {
				rows.Close()
				return err
			}
			var rs []int64
			_ = json.Unmarshal([]byte(rowsJSON), &rs)
			switch {
			case jobs.UndoItemKind(kind) == jobs.UndoCreated:
				created = append(created, qid)
				undone = append(undone, rs...)
			case jobs.UndoItemStatus(st) == jobs.UndoItemDone && nRemove > 0:
				undone = append(undone, rs...)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, qid := range created {
			if _, err := tx.ExecContext(ctx, `UPDATE decisions SET created_qid = '' WHERE job_id = ? AND created_qid = ?`, jobID, qid); err != nil {
				return fmt.Errorf("unlink created item %s: %w", qid, err)
			}
		}
		var nReset, nKept int64
		if reset != 0 {
			for _, chunk := range chunkInt64(undone, 500) {
				args := []any{jobID}
				for _, r := range chunk {
					args = append(args, r)
				}
				var decided int64
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions WHERE job_id = ? AND row_num IN `+inList(len(chunk)), args...).Scan(&decided); err != nil {
					return err
				}
				logArgs := append([]any{jobs.DecisionUndo, userID, now}, args...)
				if _, err := tx.ExecContext(ctx, `INSERT INTO decision_log (job_id, row_num, kind, qid, user_id, decided_at)
					SELECT job_id, row_num, ?, '', ?, ? FROM decisions WHERE job_id = ? AND row_num IN `+inList(len(chunk))+` AND decided_at <= ?`,
					append(logArgs, approvedAt)...); err != nil {
					return fmt.Errorf("log reset decisions: %w", err)
				}
				res, err := tx.ExecContext(ctx, `DELETE FROM decisions WHERE job_id = ? AND row_num IN `+inList(len(chunk))+` AND decided_at <= ?`, append(args, approvedAt)...)
				if err != nil {
					return fmt.Errorf("reset decisions: %w", err)
				}
				n, _ := res.RowsAffected()
				nReset += n
				nKept += decided - n
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE undos SET status = ?, error = ?, decisions_reset = ?, decisions_kept = ?, updated_at = ? WHERE id = ?`,
			jobs.UndoDone, truncateRunes(message, 2000), nReset, nKept, now, undoID)
		return err
	})
}

// PlanItemAdded reads what a plan item's edit added, as recorded ("" when
// not recorded yet).
func (s *Store) PlanItemAdded(ctx context.Context, planID, no int64) (string, error) {
	var added sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT added_json FROM plan_items WHERE plan_id = ? AND item_no = ?`, planID, no).Scan(&added); err != nil {
		return "", notFound(err, "The plan item")
	}
	return added.String, nil
}

// SetPlanItemAdded records what a plan item's edit added.
func (s *Store) SetPlanItemAdded(ctx context.Context, planID, no int64, added []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE plan_items SET added_json = ? WHERE plan_id = ? AND item_no = ?`, string(added), planID, no)
	return err
}
