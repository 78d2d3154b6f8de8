package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"

	"partnerhub/jobs"
)

// bulkCondition selects the rows bulk acceptance takes: undecided, with a
// best candidate, and matched (BulkMatched) or scoring at least minScore.
func bulkCondition(jobID int64, mode string, minScore float64) (string, []any, error) {
	cond := `m.job_id = ? AND m.qid <> '' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.job_id = m.job_id AND d.row_num = m.row_num)`
	args := []any{jobID}
	switch mode {
	case jobs.BulkMatched:
		cond += ` AND m.status = ?`
		args = append(args, jobs.MatchMatched)
	case jobs.BulkScore:
		if minScore <= 0 || minScore > 1 {
			return "", nil, jobs.Errorf(jobs.EINVALID, "Choose a score between 0 and 1 for bulk acceptance.")
		}
		cond += ` AND m.score >= ? AND m.status IN (?, ?)`
		args = append(args, minScore, jobs.MatchMatched, jobs.MatchReview)
	default:
		return "", nil, jobs.Errorf(jobs.EINVALID, "Choose what to accept.")
	}
	return cond, args, nil
}

// CountBulk counts the rows AcceptInBulk would decide now.
func (s *Store) CountBulk(ctx context.Context, jobID int64, mode string, minScore float64) (int64, error) {
	cond, args, err := bulkCondition(jobID, mode, minScore)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM row_matches m WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows to accept in bulk: %w", err)
	}
	return n, nil
}

// AcceptInBulk accepts the best candidate of every undecided row that is
// matched (BulkMatched) or whose score is at least minScore (BulkScore), as
// one bulk decision that UndoBulk can take back. Rows someone decided are
// never touched. It returns the bulk decision; nil when no row qualified.
func (s *Store) AcceptInBulk(ctx context.Context, jobID, userID int64, mode string, minScore float64) (*jobs.BulkDecision, error) {
	cond, args, err := bulkCondition(jobID, mode, minScore)
	if err != nil {
		return nil, err
	}
	if mode == jobs.BulkMatched {
		minScore = 0
	}
	now := s.now()
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO bulk_decisions (job_id, user_id, mode, min_score, row_count, decided_at) VALUES (?, ?, ?, ?, 0, ?)`,
			jobID, userID, mode, minScore, now)
		if err != nil {
			return fmt.Errorf("record bulk decision: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO decisions (job_id, row_num, kind, qid, user_id, version, decided_at, bulk_id)
			SELECT m.job_id, m.row_num, ?, m.qid, ?, 1, ?, ? FROM row_matches m WHERE `+cond,
			append([]any{jobs.DecisionAccept, userID, now, id}, args...)...)
		if err != nil {
			return fmt.Errorf("bulk accept: %w", err)
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			id = 0
			return errNothingToDo // roll the empty record back
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bulk_decisions SET row_count = ? WHERE id = ?`, n, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bulk_decision_rows (bulk_id, row_num, qid, outcome)
			SELECT ?, d.row_num, d.qid, '' FROM decisions d WHERE d.job_id = ? AND d.bulk_id = ?`, id, jobID, id); err != nil {
			return fmt.Errorf("record bulk rows: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO decision_log (job_id, row_num, kind, qid, user_id, decided_at)
			SELECT ?, b.row_num, ?, b.qid, ?, ? FROM bulk_decision_rows b WHERE b.bulk_id = ?`,
			jobID, jobs.DecisionAccept, userID, now, id); err != nil {
			return fmt.Errorf("log bulk decisions: %w", err)
		}
		return nil
	})
	if err == errNothingToDo {
		return nil, nil
	}
	if err != nil || id == 0 {
		return nil, err
	}
	return s.BulkDecision(ctx, jobID, id)
}

const bulkColumns = `b.id, b.job_id, COALESCE(u.username, ''), b.mode, b.min_score, b.row_count, b.decided_at,
	COALESCE(v.username, ''), b.undone_at, b.restored, b.kept
	FROM bulk_decisions b LEFT JOIN users u ON u.id = b.user_id LEFT JOIN users v ON v.id = b.undone_by`

func scanBulk(sc interface{ Scan(...any) error }) (*jobs.BulkDecision, error) {
	var (
		b         jobs.BulkDecision
		at, undAt int64
	)
	if err := sc.Scan(&b.ID, &b.JobID, &b.UserName, &b.Mode, &b.MinScore, &b.Rows, &at, &b.UndoneBy, &undAt, &b.Restored, &b.Kept); err != nil {
		return nil, err
	}
	b.DecidedAt, b.UndoneAt = msToTime(at), msToTime(undAt)
	return &b, nil
}

// BulkDecision returns one of a job's bulk decisions.
func (s *Store) BulkDecision(ctx context.Context, jobID, id int64) (*jobs.BulkDecision, error) {
	b, err := scanBulk(s.db.QueryRowContext(ctx, `SELECT `+bulkColumns+` WHERE b.job_id = ? AND b.id = ?`, jobID, id))
	if err == sql.ErrNoRows {
		return nil, jobs.Errorf(jobs.ENOTFOUND, "There is no such bulk decision in this job.")
	}
	if err != nil {
		return nil, fmt.Errorf("read bulk decision: %w", err)
	}
	return b, nil
}

// BulkDecisions lists a job's latest bulk decisions, newest first.
func (s *Store) BulkDecisions(ctx context.Context, jobID int64, limit int) ([]jobs.BulkDecision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+bulkColumns+` WHERE b.job_id = ? ORDER BY b.id DESC LIMIT ?`, jobID, limit)
	if err != nil {
		return nil, fmt.Errorf("list bulk decisions: %w", err)
	}
	defer rows.Close()
	var out []jobs.BulkDecision
	for rows.Next() {
		b, err := scanBulk(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

var errNothingToDo = fmt.Errorf("nothing to do")

// keptListed is how many kept rows UndoBulk names; the count covers all.
const keptListed = 100

// UndoBulk takes a bulk decision back: each row it decided is undecided
// again, as it was before, unless someone decided it since (changed or
// undid and decided it again): such rows keep their decision and are
// reported. Every restored row is logged as an undo by userID, and each
// row's outcome is recorded with the bulk decision. A bulk decision is
// undone once.
func (s *Store) UndoBulk(ctx context.Context, jobID, bulkID, userID int64) (*jobs.BulkUndo, error) {
	b, err := s.BulkDecision(ctx, jobID, bulkID)
	if err != nil {
		return nil, err
	}
	if !b.UndoneAt.IsZero() {
		return nil, jobs.Errorf(jobs.ECONFLICT, "%s already undid this bulk decision at %s UTC.", b.UndoneBy, b.UndoneAt.Format("2 Jan 2006 15:04"))
	}
	now := s.now()
	var out jobs.BulkUndo
	// A row still carries the bulk's decision while it is the bulk's
	// version 1: a reviewer's change bumps the version, and a decision
	// taken after an undo is not the bulk's.
	still := `d.job_id = ? AND d.row_num = bulk_decision_rows.row_num AND d.bulk_id = ? AND d.version = 1`
	stillArgs := []any{jobID, bulkID}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// Claim the undo first, so two reviewers undoing at once do it once.
		res, err := tx.ExecContext(ctx, `UPDATE bulk_decisions SET undone_by = ?, undone_at = ? WHERE id = ? AND job_id = ? AND undone_at = 0`, userID, now, bulkID, jobID)
		if err != nil {
			return fmt.Errorf("undo bulk decision: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStaleDecision
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bulk_decision_rows SET outcome = 'restored' WHERE bulk_id = ? AND EXISTS (SELECT 1 FROM decisions d WHERE `+still+`)`,
			append([]any{bulkID}, stillArgs...)...); err != nil {
			return fmt.Errorf("mark restored rows: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO decision_log (job_id, row_num, kind, qid, user_id, decided_at)
			SELECT ?, row_num, ?, '', ?, ? FROM bulk_decision_rows WHERE bulk_id = ? AND outcome = 'restored'`,
			jobID, jobs.DecisionUndo, userID, now, bulkID); err != nil {
			return fmt.Errorf("log bulk undo: %w", err)
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM decisions WHERE job_id = ? AND bulk_id = ? AND version = 1`, jobID, bulkID)
		if err != nil {
			return fmt.Errorf("restore rows: %w", err)
		}
		out.Restored, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `UPDATE bulk_decision_rows SET outcome = CASE WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.job_id = ? AND d.row_num = bulk_decision_rows.row_num)
			THEN 'kept' ELSE 'withdrawn' END WHERE bulk_id = ? AND outcome = ''`, jobID, bulkID); err != nil {
			return fmt.Errorf("mark kept rows: %w", err)
		}
		var kept int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bulk_decision_rows WHERE bulk_id = ? AND outcome = 'kept'`, bulkID).Scan(&kept); err != nil {
			return err
		}
		out.Withdrawn = b.Rows - out.Restored - kept
		_, err = tx.ExecContext(ctx, `UPDATE bulk_decisions SET restored = ?, kept = ? WHERE id = ?`, out.Restored, kept, bulkID)
		return err
	})
	if err == errStaleDecision {
		b, _ = s.BulkDecision(ctx, jobID, bulkID)
		return nil, jobs.Errorf(jobs.ECONFLICT, "%s already undid this bulk decision at %s UTC.", b.UndoneBy, b.UndoneAt.Format("2 Jan 2006 15:04"))
	}
	if err != nil {
		return nil, err
	}
	if out.Kept, err = s.keptRows(ctx, jobID, bulkID, keptListed); err != nil {
		return nil, err
	}
	nb, err := s.BulkDecision(ctx, jobID, bulkID)
	if err != nil {
		return nil, err
	}
	out.Bulk = *nb
	return &out, nil
}

// keptRows are the rows an undone bulk decision left alone, with the
// decisions they have now.
func (s *Store) keptRows(ctx context.Context, jobID, bulkID int64, limit int) ([]jobs.Decision, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.row_num, d.kind, d.qid, d.user_id, COALESCE(u.username, ''), d.version, d.decided_at
		FROM bulk_decision_rows b JOIN decisions d ON d.job_id = ? AND d.row_num = b.row_num LEFT JOIN users u ON u.id = d.user_id
		WHERE b.bulk_id = ? AND b.outcome = 'kept' ORDER BY b.row_num LIMIT ?`, jobID, bulkID, limit)
	if err != nil {
		return nil, fmt.Errorf("read kept rows: %w", err)
	}
	defer rows.Close()
	var out []jobs.Decision
	for rows.Next() {
		d := jobs.Decision{JobID: jobID}
		var (
			kind string
			at   int64
		)
		if err := rows.Scan(&d.Row, &kind, &d.QID, &d.UserID, &d.UserName, &d.Version, &at); err != nil {
			return nil, err
		}
		d.Kind, d.DecidedAt = jobs.DecisionKind(kind), msToTime(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// histogramBuckets is how many score buckets the histogram has (0.05 wide).
const histogramBuckets = 20

// ScoreHistogram counts the undecided rows bulk acceptance could take by
// score. Scores have three decimals, so a job has at most a couple of
// thousand (status, score) pairs: they are counted in the database from the
// (job, status, score) index without reading a row, the decided rows' pairs
// subtracted (read through the decisions, however few), and the buckets
// made here with the comparison AcceptInBulk makes (score >= threshold), so
// "at least 0.85" is exactly what accepting from 0.85 takes. Rows matched or
// to review always have a best candidate; the index does not hold it.
func (s *Store) ScoreHistogram(ctx context.Context, jobID int64) (jobs.ScoreHistogram, error) {
	type key struct {
		matched bool
		score   float64
	}
	counts := map[key]int64{}
	add := func(q string, sign int64) error {
		rows, err := s.db.QueryContext(ctx, q, jobID, jobs.MatchMatched, jobs.MatchReview)
		if err != nil {
			return fmt.Errorf("score histogram: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				status string
				score  float64
				n      int64
			)
			if err := rows.Scan(&status, &score, &n); err != nil {
				return err
			}
			counts[key{status == string(jobs.MatchMatched), score}] += sign * n
		}
		return rows.Err()
	}
	if err := add(`SELECT m.status, m.score, COUNT(*) FROM row_matches m WHERE m.job_id = ? AND m.status IN (?, ?) GROUP BY m.status, m.score`, 1); err != nil {
		return jobs.ScoreHistogram{}, err
	}
	// CROSS JOIN: SQLite then reads the decisions first, as it should (it
	// would otherwise walk every result of the job and look each up);
	// MariaDB treats it as the inner join it is and plans by its statistics.
	if err := add(`SELECT m.status, m.score, COUNT(*) FROM decisions d CROSS JOIN row_matches m ON m.job_id = d.job_id AND m.row_num = d.row_num
		WHERE d.job_id = ? AND m.status IN (?, ?) GROUP BY m.status, m.score`, -1); err != nil {
		return jobs.ScoreHistogram{}, err
	}
	h := jobs.ScoreHistogram{Step: 1.0 / histogramBuckets, Buckets: make([]int64, histogramBuckets), AtLeast: make([]int64, histogramBuckets)}
	for k, n := range counts {
		if n == 0 {
			continue
		}
		h.Scores = append(h.Scores, jobs.ScoreCount{Score: k.score, Matched: k.matched, Rows: n})
		if k.matched {
			h.Matched += n
		}
		b := 0
		for b+1 < histogramBuckets && k.score >= threshold(b+1) {
			b++
		}
		h.Buckets[b] += n
	}
	sort.Slice(h.Scores, func(a, b int) bool {
		if h.Scores[a].Score != h.Scores[b].Score {
			return h.Scores[a].Score > h.Scores[b].Score
		}
		return h.Scores[a].Matched
	})
	var sum int64
	for i := histogramBuckets - 1; i >= 0; i-- {
		sum += h.Buckets[i]
		h.AtLeast[i] = sum
	}
	return h, nil
}

// threshold is the lower bound of bucket i, as the decimal a person types
// (0.85, not 0.8500000000000001), so comparisons match typed thresholds.
func threshold(i int) float64 {
	return math.Round(float64(i)*100/histogramBuckets) / 100
}
