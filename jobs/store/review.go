package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"partnerhub/jobs"
)

// ReviewPage returns up to limit rows of a reconciled job that pass the
// filter, after the cursor, with their cells, result and decision. Pages are
// found by keyset (row number, or score then row number), so the thousandth
// page of a million-row job costs what the first does.
func (s *Store) ReviewPage(ctx context.Context, jobID, datasetID int64, f jobs.ReviewFilter, after *jobs.ReviewCursor, limit int) ([]jobs.ReviewRow, *jobs.ReviewCursor, error) {
	var (
		where = []string{"m.job_id = ?"}
		args  = []any{datasetID, jobID}
	)
	switch f.Status {
	case "":
	case string(jobs.MatchMatched), string(jobs.MatchReview), string(jobs.MatchNone), string(jobs.MatchError):
		where = append(where, "m.status = ?")
		args = append(args, f.Status)
	case "decided":
		where = append(where, "d.kind IS NOT NULL")
	case "undecided":
		where = append(where, "d.kind IS NULL")
	default:
		return nil, nil, jobs.Errorf(jobs.EINVALID, "Unknown status filter %q.", f.Status)
	}
	if f.MinScore > 0 {
		where = append(where, "m.score >= ?")
		args = append(args, f.MinScore)
	}
	if f.MaxScore > 0 {
		where = append(where, "m.score <= ?")
		args = append(args, f.MaxScore)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		if jobs.ValidQID(strings.ToUpper(t)) {
			where = append(where, "m.qid = ?")
			args = append(args, strings.ToUpper(t))
		} else {
			cond, cargs, err := s.searchCondition(ctx, jobID, t)
			if err != nil {
				return nil, nil, err
			}
			if cond != "" {
				where = append(where, cond)
				args = append(args, cargs...)
			}
		}
	}
	// Keyset steps, each one range of an index in its order: in score order
	// the rest of the cursor's score, then the lower scores. As one
	// condition, "score < ? OR (score = ? AND row < ?)", MariaDB's optimizer
	// sometimes reads only the job's part of the index and filters (6.6 s
	// for a page at a million rows, with the driver's parameters).
	type step struct {
		cond string
		args []any
	}
	order, steps := "m.row_num", []step{{}}
	switch {
	case f.SortBy == "score":
		order = "m.score DESC, m.row_num DESC"
		if after != nil {
			steps = []step{{"m.score = ? AND m.row_num < ?", []any{after.Score, after.Row}}, {"m.score < ?", []any{after.Score}}}
		}
	case after != nil:
		steps = []step{{"m.row_num > ?", []any{after.Row}}}
	}
	var out []jobs.ReviewRow
	for _, st := range steps {
		if len(out) > limit {
			break
		}
		w, a := where, args
		if st.cond != "" {
			w, a = append(slices.Clip(where), st.cond), append(slices.Clip(args), st.args...)
		}
		rows, err := s.reviewRows(ctx, jobID, strings.Join(w, " AND "), order, append(slices.Clip(a), limit+1-len(out)))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, rows...)
	}
	var next *jobs.ReviewCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = &jobs.ReviewCursor{Row: last.Row, Score: last.Match.Score}
	}
	return out, next, nil
}

// reviewRows reads the rows of a review page that pass where (its
// arguments: the dataset's id first, then where's, then the limit).
func (s *Store) reviewRows(ctx context.Context, jobID int64, where, order string, args []any) ([]jobs.ReviewRow, error) {
	q := `SELECT m.row_num, m.status, m.qid, m.label, m.score, m.candidates_json, m.note, r.cells_json,
			d.kind, d.qid, d.user_id, u.username, d.version, d.decided_at, d.created_qid
		FROM row_matches m
		JOIN dataset_rows r ON r.dataset_id = ? AND r.row_num = m.row_num
		LEFT JOIN decisions d ON d.job_id = m.job_id AND d.row_num = m.row_num
		LEFT JOIN users u ON u.id = d.user_id
		WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read review page: %w", err)
	}
	defer rows.Close()
	var out []jobs.ReviewRow
	for rows.Next() {
		var (
			rr                   jobs.ReviewRow
			status, cands, cells string
			dKind, dQID, dUser   sql.NullString
			dUserID, dVersion    sql.NullInt64
			dAt                  sql.NullInt64
			dCreated             sql.NullString
		)
		if err := rows.Scan(&rr.Row, &status, &rr.Match.QID, &rr.Match.Label, &rr.Match.Score, &cands, &rr.Match.Note, &cells,
			&dKind, &dQID, &dUserID, &dUser, &dVersion, &dAt, &dCreated); err != nil {
			return nil, err
		}
		rr.Match.JobID, rr.Match.Row, rr.Match.Status = jobID, rr.Row, jobs.MatchStatus(status)
		if err := json.Unmarshal([]byte(cands), &rr.Match.Candidates); err != nil {
			return nil, fmt.Errorf("decode candidates of row %d: %w", rr.Row, err)
		}
		if err := json.Unmarshal([]byte(cells), &rr.Cells); err != nil {
			return nil, fmt.Errorf("decode row %d: %w", rr.Row, err)
		}
		if dKind.Valid {
			rr.Decision = &jobs.Decision{JobID: jobID, Row: rr.Row, Kind: jobs.DecisionKind(dKind.String), QID: dQID.String,
				UserID: dUserID.Int64, UserName: dUser.String, Version: int(dVersion.Int64), DecidedAt: msToTime(dAt.Int64), CreatedQID: dCreated.String}
		}
		out = append(out, rr)
	}
	return out, rows.Err()
}

// Decision returns the current decision on a row, or nil.
func (s *Store) Decision(ctx context.Context, jobID, row int64) (*jobs.Decision, error) {
	d := jobs.Decision{JobID: jobID, Row: row}
	var (
		kind string
		at   int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT d.kind, d.qid, d.user_id, COALESCE(u.username, ''), d.version, d.decided_at, d.created_qid
		FROM decisions d LEFT JOIN users u ON u.id = d.user_id WHERE d.job_id = ? AND d.row_num = ?`, jobID, row).
		Scan(&kind, &d.QID, &d.UserID, &d.UserName, &d.Version, &at, &d.CreatedQID)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read decision: %w", err)
	}
	d.Kind, d.DecidedAt = jobs.DecisionKind(kind), msToTime(at)
	return &d, nil
}

// Decide records a reviewer's decision on a row. seenVersion is the version
// of the row's decision the reviewer saw (0: none). When someone else changed
// the row since, nothing is saved and the error (ECONFLICT) says who did what.
func (s *Store) Decide(ctx context.Context, jobID, row int64, kind jobs.DecisionKind, qid string, userID int64, seenVersion int) (*jobs.Decision, error) {
	switch kind {
	case jobs.DecisionAccept:
		if !jobs.ValidQID(qid) {
			return nil, jobs.Errorf(jobs.EINVALID, "%q is not an item id like Q42.", qid)
		}
	case jobs.DecisionReject, jobs.DecisionNew:
		qid = ""
	default:
		return nil, jobs.Errorf(jobs.EINVALID, "Unknown decision %q.", kind)
	}
	var exists int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM row_matches WHERE job_id = ? AND row_num = ?`, jobID, row).Scan(&exists); err != nil {
		return nil, err
	}
	if exists == 0 {
		return nil, jobs.Errorf(jobs.ENOTFOUND, "Row %d has no reconciliation result to decide on.", row)
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if seenVersion == 0 {
			res, err = tx.ExecContext(ctx, s.d.insertIgnore+` decisions (job_id, row_num, kind, qid, user_id, version, decided_at) VALUES (?, ?, ?, ?, ?, 1, ?)`,
				jobID, row, kind, qid, userID, now)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE decisions SET kind = ?, qid = ?, user_id = ?, version = version + 1, decided_at = ? WHERE job_id = ? AND row_num = ? AND version = ?`,
				kind, qid, userID, now, jobID, row, seenVersion)
		}
		if err != nil {
			return fmt.Errorf("save decision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStaleDecision
		}
		return s.logDecision(ctx, tx, jobID, row, kind, qid, userID, now)
	})
	if err == errStaleDecision {
		return nil, s.conflict(ctx, jobID, row)
	}
	if err != nil {
		return nil, err
	}
	return s.Decision(ctx, jobID, row)
}

// Undo withdraws the decision on a row, if it is still the one the reviewer saw.
func (s *Store) Undo(ctx context.Context, jobID, row, userID int64, seenVersion int) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A row whose item a write-back created keeps that link: undone, the
		// row could be marked new again and its item created a second time.
		var created string
		err := tx.QueryRowContext(ctx, `SELECT created_qid FROM decisions WHERE job_id = ? AND row_num = ? AND version = ?`, jobID, row, seenVersion).Scan(&created)
		if err == nil && created != "" {
			return jobs.Errorf(jobs.ECONFLICT, "A write-back created %s for row %d, so the row stays linked to it; to link the row to another item, accept that item instead.", created, row)
		}
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("undo decision: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM decisions WHERE job_id = ? AND row_num = ? AND version = ?`, jobID, row, seenVersion)
		if err != nil {
			return fmt.Errorf("undo decision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStaleDecision
		}
		return s.logDecision(ctx, tx, jobID, row, jobs.DecisionUndo, "", userID, now)
	})
	if err == errStaleDecision {
		return s.conflict(ctx, jobID, row)
	}
	return err
}

var errStaleDecision = fmt.Errorf("decision changed meanwhile")

// conflict describes what another reviewer did to a row.
func (s *Store) conflict(ctx context.Context, jobID, row int64) error {
	d, err := s.Decision(ctx, jobID, row)
	if err != nil {
		return err
	}
	if d == nil {
		return jobs.Errorf(jobs.ECONFLICT, "Someone withdrew the decision on row %d after you loaded the page; your change was not saved. Look at the row again.", row)
	}
	what := map[jobs.DecisionKind]string{jobs.DecisionAccept: "accepted " + d.QID, jobs.DecisionReject: "rejected the candidates", jobs.DecisionNew: "marked it as not on Wikidata"}[d.Kind]
	return jobs.Errorf(jobs.ECONFLICT, "%s decided row %d at %s UTC (%s) after you loaded the page; your change was not saved. Look at the row again.",
		d.UserName, row, d.DecidedAt.Format("15:04:05"), what)
}

func (s *Store) logDecision(ctx context.Context, tx *sql.Tx, jobID, row int64, kind jobs.DecisionKind, qid string, userID, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO decision_log (job_id, row_num, kind, qid, user_id, decided_at) VALUES (?, ?, ?, ?, ?, ?)`,
		jobID, row, kind, qid, userID, at)
	return err
}

// DecisionCounts counts a job's current decisions by kind.
func (s *Store) DecisionCounts(ctx context.Context, jobID int64) (map[jobs.DecisionKind]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, COUNT(*) FROM decisions WHERE job_id = ? GROUP BY kind`, jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[jobs.DecisionKind]int64{}
	for rows.Next() {
		var (
			k string
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[jobs.DecisionKind(k)] = n
	}
	return out, rows.Err()
}

// ExportPage returns up to limit dataset rows after row number after, each
// with its reconciliation result and decision when there are any (rows not
// reconciled yet come with an empty result).
func (s *Store) ExportPage(ctx context.Context, jobID, datasetID, after int64, limit int) ([]jobs.ReviewRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.row_num, r.cells_json, COALESCE(m.status, ''), COALESCE(m.qid, ''), COALESCE(m.label, ''), COALESCE(m.score, 0), COALESCE(m.note, ''),
			d.kind, d.qid, u.username, d.decided_at, d.created_qid
		FROM dataset_rows r
		LEFT JOIN row_matches m ON m.job_id = ? AND m.row_num = r.row_num
		LEFT JOIN decisions d ON d.job_id = ? AND d.row_num = r.row_num
		LEFT JOIN users u ON u.id = d.user_id
		WHERE r.dataset_id = ? AND r.row_num > ? ORDER BY r.row_num LIMIT ?`, jobID, jobID, datasetID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read export page: %w", err)
	}
	defer rows.Close()
	var out []jobs.ReviewRow
	for rows.Next() {
		var (
			rr                 jobs.ReviewRow
			cells, status      string
			dKind, dQID, dUser sql.NullString
			dAt                sql.NullInt64
			dCreated           sql.NullString
		)
		if err := rows.Scan(&rr.Row, &cells, &status, &rr.Match.QID, &rr.Match.Label, &rr.Match.Score, &rr.Match.Note, &dKind, &dQID, &dUser, &dAt, &dCreated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cells), &rr.Cells); err != nil {
			return nil, fmt.Errorf("decode row %d: %w", rr.Row, err)
		}
		rr.Match.Row, rr.Match.Status = rr.Row, jobs.MatchStatus(status)
		if dKind.Valid {
			rr.Decision = &jobs.Decision{JobID: jobID, Row: rr.Row, Kind: jobs.DecisionKind(dKind.String), QID: dQID.String, UserName: dUser.String, DecidedAt: msToTime(dAt.Int64), CreatedQID: dCreated.String}
		}
		out = append(out, rr)
	}
	return out, rows.Err()
}
