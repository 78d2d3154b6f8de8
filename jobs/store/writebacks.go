package store

import (
	"context"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

// WriteBacksFor lists, newest first, the write-backs a user may see: those
// made with their account, and those of jobs they own or that belong to a
// working group they are a member of. before, if not 0, is the plan id to
// continue below (the last one of the previous page). Plans whose writing
// never started are not write-backs and are left out.
func (s *Store) WriteBacksFor(ctx context.Context, userID, before int64, limit int) ([]*jobs.WriteBack, error) {
	// The page's ids first, from narrow rows: sorting the wide ones (the
	// job's template, texts) makes MariaDB sort on disk.
	q := `SELECT p.id FROM edit_plans p JOIN jobs j ON j.id = p.job_id
		WHERE p.started_at > 0
			AND (p.writer_id = ? OR j.owner_id = ? OR j.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?))`
	args := []any{userID, userID, userID}
	if before > 0 {
		q += ` AND p.id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY p.id DESC LIMIT ?`
	args = append(args, limit)
	pageIDs, err := queryAll(ctx, s.db, func(sc scanner) (any, error) {
		var id int64
		err := sc.Scan(&id)
		return id, err
	}, "write-backs", q, args...)
	if err != nil || len(pageIDs) == 0 {
		return nil, err
	}
	list, err := queryAll(ctx, s.db, func(sc scanner) (*jobs.WriteBack, error) {
		var (
			wb      jobs.WriteBack
			tmpl    string
			visible int
		)
		p, err := scanPlan(scanInto(sc, &wb.JobTitle, &wb.JobOwnerID, &wb.GroupID, &wb.GroupName, &wb.Writer, &tmpl, &visible))
		if err != nil {
			return nil, err
		}
		wb.Plan, wb.Template, wb.JobVisible = *p, []byte(tmpl), visible == 1
		return &wb, nil
	}, "write-backs", `SELECT `+planColsOf("p")+`, j.title, j.owner_id, j.group_id, COALESCE(g.name, ''), COALESCE(w.username, ''), j.template_json,
			CASE WHEN j.owner_id = ? OR j.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?) THEN 1 ELSE 0 END
		FROM edit_plans p
		JOIN jobs j ON j.id = p.job_id
		LEFT JOIN working_groups g ON g.id = j.group_id AND j.group_id <> 0
		LEFT JOIN users w ON w.id = p.writer_id
		WHERE p.id IN `+inList(len(pageIDs))+` ORDER BY p.id DESC`, append([]any{userID, userID}, pageIDs...)...)
	if err != nil || len(list) == 0 {
		return list, err
	}
	byID := map[int64]*jobs.WriteBack{}
	ids := make([]any, 0, len(list))
	for _, wb := range list {
		byID[wb.Plan.ID] = wb
		ids = append(ids, wb.Plan.ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT plan_id, status, CASE WHEN qid = '' THEN 1 ELSE 0 END, COUNT(*), SUM(n_statements), SUM(n_references), SUM(n_labels)
		FROM plan_items WHERE plan_id IN `+inList(len(ids))+` AND status <> ?
		GROUP BY plan_id, status, CASE WHEN qid = '' THEN 1 ELSE 0 END`, append(ids, jobs.ItemSkipped)...)
	if err != nil {
		return nil, fmt.Errorf("count write-back items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			planID, n, st, ref, lab int64
			status                  string
			isNew                   int
		)
		if err := rows.Scan(&planID, &status, &isNew, &n, &st, &ref, &lab); err != nil {
			return nil, err
		}
		wb := byID[planID]
		switch jobs.ItemStatus(status) {
		case jobs.ItemDone:
			if isNew == 1 {
				wb.Created += n
			} else {
				wb.Edited += n
			}
			wb.Statements, wb.References, wb.Labels = wb.Statements+st, wb.References+ref, wb.Labels+lab
		case jobs.ItemFailed:
			wb.Failed += n
		case jobs.ItemNothing:
			wb.Nothing += n
		case jobs.ItemConflict:
			wb.Conflicts += n
		case jobs.ItemPending, jobs.ItemSending:
			wb.Left += n
		}
	}
	return list, rows.Err()
}

// planColsOf is planCols qualified with a table alias, for joins.
func planColsOf(alias string) string {
	cols := strings.Split(planCols, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// scanInto is a scanner that reads further columns, after the ones its
// caller scans, into extra.
func scanInto(sc scanner, extra ...any) scanner { return extraScan{sc, extra} }

type extraScan struct {
	sc    scanner
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.sc.Scan(append(dest, e.extra...)...) }
