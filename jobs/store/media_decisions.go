package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"partnerhub/jobs"
)

// DecideMediaFile records a person's choice for a file Commons warned
// about and sets the file up for it: skipped, or pending again with the
// choice for the upload executor to carry out (a new title; the file to
// link; the warnings confirmed). The file must still be at its warning
// (ECONFLICT otherwise, e.g. when someone else decided first); a new title
// must not be another file's of this plan or of another plan (EINVALID).
func (s *Store) DecideMediaFile(ctx context.Context, planID, no, userID int64, action jobs.MediaResolution, d jobs.MediaDecisionDetail) error {
	status := jobs.MediaPending
	switch action {
	case jobs.ResolveSkip:
		status = jobs.MediaSkipped
	case jobs.ResolveRename:
		taken, err := s.MediaTitlesPlanned(ctx, planID, []string{d.Title})
		if err != nil {
			return err
		}
		if taken[d.Title] {
			return jobs.Errorf(jobs.EINVALID, "Another media plan has a file titled %q already; choose another title.", d.Title)
		}
	case jobs.ResolveLink, jobs.ResolveIgnore:
	default:
		return jobs.Errorf(jobs.EINVALID, "There is no such choice for a warned file.")
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return err
	}
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var cur, warnings, title string
		err := tx.QueryRowContext(ctx, `SELECT status, warnings_json, title FROM media_files WHERE plan_id = ? AND file_no = ?`, planID, no).Scan(&cur, &warnings, &title)
		if err != nil {
			return notFound(err, "The media file")
		}
		if jobs.MediaFileStatus(cur) != jobs.MediaWarning {
			return jobs.Errorf(jobs.ECONFLICT, "File %d is %s now, no longer waiting for a decision; reload the page.", no, cur)
		}
		newTitle := title
		if action == jobs.ResolveRename {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_files WHERE plan_id = ? AND file_no <> ? AND title = ? AND status NOT IN (?, ?)`,
				planID, no, d.Title, jobs.MediaSkipped, jobs.MediaBlocked).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return jobs.Errorf(jobs.EINVALID, "Another file of this plan is titled %q; choose another title.", d.Title)
			}
			newTitle = d.Title
		}
		res, err := tx.ExecContext(ctx, `UPDATE media_files SET status = ?, title = ?, error = '', resolution = ?, resolution_json = ?, resolved_attempts = attempts, updated_at = ?
			WHERE plan_id = ? AND file_no = ? AND status = ?`, status, newTitle, action, string(detail), now, planID, no, jobs.MediaWarning)
		if err != nil {
			return fmt.Errorf("record the choice for media file %d: %w", no, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return jobs.Errorf(jobs.ECONFLICT, "File %d changed meanwhile; reload the page.", no)
		}
		// A decision is activity: the plan's archive is not abandoned.
		if _, err := tx.ExecContext(ctx, `UPDATE media_plans SET updated_at = ? WHERE id = ?`, now, planID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO media_file_decisions (plan_id, file_no, user_id, action, warnings_json, detail_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			planID, no, userID, action, warnings, string(detail), now)
		return err
	})
}

// MediaDecisions lists the recorded choices for files of a plan (all of
// them when fileNos is empty), oldest first.
func (s *Store) MediaDecisions(ctx context.Context, planID int64, fileNos []int64) ([]jobs.MediaDecision, error) {
	q := `SELECT d.id, d.plan_id, d.file_no, d.user_id, COALESCE(u.username, ''), d.action, d.warnings_json, d.detail_json, d.created_at
		FROM media_file_decisions d LEFT JOIN users u ON u.id = d.user_id WHERE d.plan_id = ?`
	args := []any{planID}
	if len(fileNos) > 0 {
		q += ` AND d.file_no IN ` + inList(len(fileNos))
		for _, n := range fileNos {
			args = append(args, n)
		}
	}
	return queryAll(ctx, s.db, func(sc scanner) (jobs.MediaDecision, error) {
		var (
			d                        jobs.MediaDecision
			action, warnings, detail string
			at                       int64
		)
		if err := sc.Scan(&d.ID, &d.PlanID, &d.FileNo, &d.UserID, &d.Username, &action, &warnings, &detail, &at); err != nil {
			return d, err
		}
		d.Action, d.Warnings, d.Detail = jobs.MediaResolution(action), jobs.ParseMediaWarnings(json.RawMessage(warnings)), jobs.DecodeMediaDecisionDetail(json.RawMessage(detail))
		d.CreatedAt = msToTime(at)
		return d, nil
	}, "media decisions", q+` ORDER BY d.id`, args...)
}
