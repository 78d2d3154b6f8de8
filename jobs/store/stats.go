package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"partnerhub/jobs"
)

// JobStatistics sums what reconciliation and review did for one job.
func (s *Store) JobStatistics(ctx context.Context, jobID int64) (jobs.Statistics, error) {
	return s.statistics(ctx, `SELECT id FROM jobs WHERE id = ?`, jobID)
}

// GroupStatistics sums the statistics of a group's jobs.
func (s *Store) GroupStatistics(ctx context.Context, groupID int64) (jobs.Statistics, error) {
	return s.statistics(ctx, `SELECT id FROM jobs WHERE group_id = ?`, groupID)
}

// ToolStatistics sums the statistics of every job.
func (s *Store) ToolStatistics(ctx context.Context) (jobs.Statistics, error) {
	return s.statistics(ctx, `SELECT id FROM jobs`)
}

// maxReviewersListed bounds the reviewer table of a statistics page.
const maxReviewersListed = 50

// statistics sums over the jobs whose ids the subquery jobIDs selects. Every
// query reads per-batch or per-decision rows through indexes led by job_id;
// none reads the dataset rows.
func (s *Store) statistics(ctx context.Context, jobIDs string, args ...any) (jobs.Statistics, error) {
	st := jobs.Statistics{Decisions: map[jobs.DecisionKind]int64{}}
	in := ` IN (` + jobIDs + `)`
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE id`+in, args...).Scan(&st.Jobs); err != nil {
		return st, fmt.Errorf("count jobs: %w", err)
	}
	var rowsN sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT SUM(row_count) FROM datasets WHERE is_current = 1 AND job_id`+in, args...).Scan(&rowsN); err != nil {
		return st, fmt.Errorf("count rows: %w", err)
	}
	st.Rows = rowsN.Int64
	var matched, review, none, done sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT SUM(n_matched), SUM(n_review), SUM(n_none),
			SUM(CASE WHEN status = 'done' THEN last_row - first_row + 1 ELSE 0 END)
		FROM reconcile_batches WHERE job_id`+in, args...).Scan(&matched, &review, &none, &done); err != nil {
		return st, fmt.Errorf("sum reconciliation: %w", err)
	}
	st.Matched, st.Review, st.None, st.Reconciled = matched.Int64, review.Int64, none.Int64, done.Int64
	rows, err := s.db.QueryContext(ctx, `SELECT kind, COUNT(*) FROM decisions WHERE job_id`+in+` GROUP BY kind`, args...)
	if err != nil {
		return st, fmt.Errorf("count decisions: %w", err)
	}
	for rows.Next() {
		var (
			k string
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Decisions[jobs.DecisionKind(k)] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	// Linked rows: matches nobody overruled, plus accepted rows. Counting
	// the decided matches (one join per decision) instead of the undecided
	// ones keeps this cheap for million-row jobs that are mostly matched.
	var decidedMatches int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions d
		JOIN row_matches m ON m.job_id = d.job_id AND m.row_num = d.row_num
		WHERE d.job_id`+in+` AND m.status = 'matched'`, args...).Scan(&decidedMatches); err != nil {
		return st, fmt.Errorf("count linked rows: %w", err)
	}
	// Rows marked "not on the wiki" are linked too once a write-back created
	// their item.
	var created int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM decisions WHERE job_id`+in+` AND kind = 'new' AND created_qid <> ''`, args...).Scan(&created); err != nil {
		return st, fmt.Errorf("count rows linked to created items: %w", err)
	}
	st.Linked = st.Matched - decidedMatches + st.Decisions[jobs.DecisionAccept] + created
	st.RowsOnNewItems = created
	if err := s.writeStatistics(ctx, &st, in, args); err != nil {
		return st, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT l.user_id, u.username, COUNT(*) FROM decision_log l JOIN users u ON u.id = l.user_id
		WHERE l.job_id`+in+` AND l.kind <> 'undo' GROUP BY l.user_id, u.username ORDER BY COUNT(*) DESC, u.username LIMIT ?`,
		append(append([]any{}, args...), maxReviewersListed)...)
	if err != nil {
		return st, fmt.Errorf("count decisions by reviewer: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r jobs.ReviewerCount
		if err := rows.Scan(&r.UserID, &r.Username, &r.Decisions); err != nil {
			return st, err
		}
		st.Reviewers = append(st.Reviewers, r)
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	st.Watch, err = s.watchSummary(ctx, in, args)
	if err != nil {
		return st, err
	}
	t, err := s.mediaTotals(ctx, `p.job_id`+in, args...)
	st.FilesUploaded, st.FilesLinked, st.ItemsIllustrated = t.Uploaded, t.Linked, t.Items
	return st, err
}

// writeStatistics adds what the jobs' write-backs did: items edited and
// created, statements and references added, edits per day, batches.
func (s *Store) writeStatistics(ctx context.Context, st *jobs.Statistics, in string, args []any) error {
	plans := `SELECT id FROM edit_plans WHERE job_id` + in
	var edited, created, stmts, refs sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT SUM(CASE WHEN qid <> '' THEN 1 ELSE 0 END), SUM(CASE WHEN qid = '' THEN 1 ELSE 0 END),
			SUM(n_statements), SUM(n_references)
		FROM plan_items WHERE status = 'done' AND plan_id IN (`+plans+`)`, args...).Scan(&edited, &created, &stmts, &refs); err != nil {
		return fmt.Errorf("sum write-backs: %w", err)
	}
	st.ItemsEdited, st.ItemsCreated, st.StatementsAdded, st.ReferencesAdded = edited.Int64, created.Int64, stmts.Int64, refs.Int64
	rows, err := s.db.QueryContext(ctx, `SELECT `+s.d.dayOf("updated_at")+` AS day, COUNT(*) FROM plan_items
		WHERE status = 'done' AND plan_id IN (`+plans+`) GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return fmt.Errorf("count edits by day: %w", err)
	}
	for rows.Next() {
		var day, n int64
		if err := rows.Scan(&day, &n); err != nil {
			rows.Close()
			return err
		}
		st.EditsByDay = append(st.EditsByDay, jobs.DayCount{Day: time.UnixMilli(day * 86400000).UTC(), Edits: n})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT DISTINCT editgroup_id FROM edit_plans WHERE editgroup_id <> '' AND job_id`+in+` ORDER BY editgroup_id`, args...)
	if err != nil {
		return fmt.Errorf("list edit groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return err
		}
		st.EditGroups = append(st.EditGroups, g)
	}
	return rows.Err()
}
