package store

import (
	"context"
	"database/sql"
	"fmt"

	"partnerhub/jobs"
)

const jobCols = `j.id, j.owner_id, u.username, j.group_id, j.title, j.description, j.status, j.error, j.template_json, j.created_at, j.updated_at`

func scanJob(sc scanner) (*jobs.Job, error) {
	var (
		j                jobs.Job
		status, tmpl     string
		created, updated int64
	)
	if err := sc.Scan(&j.ID, &j.OwnerID, &j.OwnerName, &j.GroupID, &j.Title, &j.Description, &status, &j.Error, &tmpl, &created, &updated); err != nil {
		return nil, err
	}
	j.Status = jobs.JobStatus(status)
	if tmpl != "" {
		j.Template = []byte(tmpl)
	}
	j.CreatedAt, j.UpdatedAt = msToTime(created), msToTime(updated)
	return &j, nil
}

// CreateJob stores a new draft job owned by ownerID.
func (s *Store) CreateJob(ctx context.Context, ownerID int64, title, description string) (*jobs.Job, error) {
	if err := jobs.ValidateJobFields(title, description); err != nil {
		return nil, err
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO jobs (owner_id, group_id, title, description, status, error, template_json, created_at, updated_at)
		VALUES (?, 0, ?, ?, ?, '', '', ?, ?)`, ownerID, title, description, jobs.JobDraft, now, now)
	if err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return s.Job(ctx, id)
}

// Job loads a job by id, whoever owns it; callers check access.
func (s *Store) Job(ctx context.Context, id int64) (*jobs.Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs j JOIN users u ON u.id = j.owner_id WHERE j.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The job")
	}
	return j, nil
}

// JobsOwnedBy lists a user's jobs, newest first.
func (s *Store) JobsOwnedBy(ctx context.Context, ownerID int64, limit int) ([]*jobs.Job, error) {
	return queryAll(ctx, s.db, scanJob, "jobs", `SELECT `+jobCols+` FROM jobs j JOIN users u ON u.id = j.owner_id
		WHERE j.owner_id = ? ORDER BY j.id DESC LIMIT ?`, ownerID, limit)
}

// SetJobStatus records where the job stands (and why, for failures).
func (s *Store) SetJobStatus(ctx context.Context, id int64, status jobs.JobStatus, errText string) error {
	return s.execOne(ctx, "The job", `UPDATE jobs SET status = ?, error = ?, updated_at = ? WHERE id = ?`, status, errText, s.now(), id)
}

// UpdateJob changes the title and description.
func (s *Store) UpdateJob(ctx context.Context, id int64, title, description string) error {
	if err := jobs.ValidateJobFields(title, description); err != nil {
		return err
	}
	return s.execOne(ctx, "The job", `UPDATE jobs SET title = ?, description = ?, updated_at = ? WHERE id = ?`, title, description, s.now(), id)
}

// SetJobTemplate stores the job's template (mapping and matching settings).
func (s *Store) SetJobTemplate(ctx context.Context, id int64, template []byte) error {
	return s.execOne(ctx, "The job", `UPDATE jobs SET template_json = ?, updated_at = ? WHERE id = ?`, string(template), s.now(), id)
}

// DeleteJob removes a job with its dataset and rows.
func (s *Store) DeleteJob(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Rows go first in their own statement: MariaDB cascades row by row,
		// which is slow but bounded by the dataset, and SQLite does the same.
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id IN (SELECT id FROM datasets WHERE job_id = ?)`, id); err != nil {
			return fmt.Errorf("delete rows of job %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE job_id = ?`, id); err != nil {
			return fmt.Errorf("delete dataset of job %d: %w", id, err)
		}
		// The search index has no foreign key (FTS5 cannot have one).
		if err := s.clearSearch(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete job %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ENOTFOUND, "The job was not found.")
		}
		return nil
	})
}

// execOne runs an UPDATE that must touch exactly one existing row.
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	// MariaDB counts matched rows, not changed ones (ClientFoundRows), so 0
	// means missing on both engines.
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return jobs.Errorf(jobs.ENOTFOUND, "%s was not found.", what)
	}
	return nil
}
