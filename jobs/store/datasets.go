package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

const datasetCols = `id, job_id, file_name, stored_path, size_bytes, encoding, delimiter, has_bom, columns_json, column_stats_json, row_count, status, error, created_at, updated_at, imported_at`

func scanDataset(sc scanner) (*jobs.Dataset, error) {
	var (
		d                          jobs.Dataset
		delim, cols, stats, status string
		bom                        int
		created, updated, imported int64
	)
	if err := sc.Scan(&d.ID, &d.JobID, &d.FileName, &d.StoredPath, &d.SizeBytes, &d.Encoding, &delim, &bom, &cols, &stats, &d.RowCount, &status, &d.Error, &created, &updated, &imported); err != nil {
		return nil, err
	}
	if r := []rune(delim); len(r) > 0 {
		d.Delimiter = r[0]
	}
	d.HasBOM = bom != 0
	_ = json.Unmarshal([]byte(cols), &d.Columns)
	_ = json.Unmarshal([]byte(stats), &d.ColumnStats)
	d.Status = jobs.DatasetStatus(status)
	d.CreatedAt, d.UpdatedAt, d.ImportedAt = msToTime(created), msToTime(updated), msToTime(imported)
	return &d, nil
}

// CreateDataset records an uploaded file for a job, replacing a previous
// dataset of that job (its rows included), and moves the job back to draft.
func (s *Store) CreateDataset(ctx context.Context, jobID int64, fileName, storedPath string, size int64) (*jobs.Dataset, error) {
	now := s.now()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id IN (SELECT id FROM datasets WHERE job_id = ?)`, jobID); err != nil {
			return fmt.Errorf("remove previous rows: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE job_id = ?`, jobID); err != nil {
			return fmt.Errorf("remove previous dataset: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO datasets (job_id, file_name, stored_path, size_bytes, encoding, delimiter, has_bom, columns_json, column_stats_json, row_count, status, error, created_at, updated_at, imported_at)
			VALUES (?, ?, ?, ?, '', '', 0, '[]', '[]', 0, ?, '', ?, ?, 0)`, jobID, fileName, storedPath, size, jobs.DatasetUploaded, now, now)
		if err != nil {
			return fmt.Errorf("record dataset: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', updated_at = ? WHERE id = ?`, jobs.JobDraft, now, jobID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Dataset(ctx, id)
}

// Dataset loads a dataset by id.
func (s *Store) Dataset(ctx context.Context, id int64) (*jobs.Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The dataset")
	}
	return d, nil
}

// DatasetOfJob loads the job's dataset; ENOTFOUND when none was uploaded.
func (s *Store) DatasetOfJob(ctx context.Context, jobID int64) (*jobs.Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE job_id = ?`, jobID))
	if err != nil {
		return nil, notFound(err, "The job's dataset")
	}
	return d, nil
}

// DatasetsWithStatus lists datasets in the given states (for start-up recovery).
func (s *Store) DatasetsWithStatus(ctx context.Context, states ...jobs.DatasetStatus) ([]*jobs.Dataset, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	return queryAll(ctx, s.db, scanDataset, "datasets", `SELECT `+datasetCols+` FROM datasets WHERE status IN `+inList(len(states))+` ORDER BY id`, args...)
}

// StartImport records what sniffing found and marks the dataset importing.
func (s *Store) StartImport(ctx context.Context, d *jobs.Dataset) error {
	cols, _ := json.Marshal(d.Columns)
	return s.execOne(ctx, "The dataset", `UPDATE datasets SET encoding = ?, delimiter = ?, has_bom = ?, columns_json = ?, status = ?, error = '', updated_at = ? WHERE id = ?`,
		d.Encoding, string(d.Delimiter), boolInt(d.HasBOM), string(cols), jobs.DatasetImporting, s.now(), d.ID)
}

// AppendRows stores a batch of rows and the new row count in one transaction,
// so after a crash RowCount says exactly which rows are safely stored. Rows
// already present (a batch replayed after a crash) are skipped.
func (s *Store) AppendRows(ctx context.Context, datasetID int64, rows []jobs.Row, rowCount int64) error {
	const perRowParams = 3
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, chunk := range chunkRows(rows, maxParams/perRowParams/10) {
			var b strings.Builder
			b.WriteString(s.d.insertIgnore + " dataset_rows (dataset_id, row_num, cells_json) VALUES ")
			args := make([]any, 0, len(chunk)*perRowParams)
			for i, r := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?)")
				cells, err := marshalCells(r.Cells)
				if err != nil {
					return fmt.Errorf("encode row %d: %w", r.Num, err)
				}
				args = append(args, datasetID, r.Num, cells)
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert rows %d-%d: %w", chunk[0].Num, chunk[len(chunk)-1].Num, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE datasets SET row_count = ?, updated_at = ? WHERE id = ?`, rowCount, s.now(), datasetID)
		return err
	})
}

func chunkRows(rows []jobs.Row, n int) [][]jobs.Row {
	var out [][]jobs.Row
	for len(rows) > n {
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	if len(rows) > 0 {
		out = append(out, rows)
	}
	return out
}

// FinishImport marks the dataset imported with its column statistics and the
// job ready to map and reconcile.
func (s *Store) FinishImport(ctx context.Context, d *jobs.Dataset, stats []jobs.ColumnStats) error {
	statsJSON, _ := json.Marshal(stats)
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET status = ?, column_stats_json = ?, row_count = ?, error = '', updated_at = ?, imported_at = ? WHERE id = ?`,
			jobs.DatasetImported, string(statsJSON), d.RowCount, now, now, d.ID); err != nil {
			return fmt.Errorf("mark dataset imported: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', updated_at = ? WHERE id = ?`, jobs.JobReady, now, d.JobID)
		return err
	})
}

// FailImport marks the dataset failed with a message for the user and drops
// every row stored so far, so no half-imported dataset remains.
func (s *Store) FailImport(ctx context.Context, datasetID int64, message string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id = ?`, datasetID); err != nil {
			return fmt.Errorf("drop rows of failed import: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE datasets SET status = ?, error = ?, row_count = 0, updated_at = ? WHERE id = ?`,
			jobs.DatasetFailed, message, s.now(), datasetID)
		return err
	})
}

// DeleteDataset removes a job's dataset and its rows (e.g. after a failed import).
func (s *Store) DeleteDataset(ctx context.Context, jobID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id IN (SELECT id FROM datasets WHERE job_id = ?)`, jobID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE job_id = ?`, jobID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?`, jobs.JobDraft, s.now(), jobID)
		return err
	})
}

// Rows returns up to limit rows with row numbers greater than after, in order
// (keyset pagination: cheap at any depth of a million-row dataset).
func (s *Store) Rows(ctx context.Context, datasetID, after int64, limit int) ([]jobs.Row, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT row_num, cells_json FROM dataset_rows WHERE dataset_id = ? AND row_num > ? ORDER BY row_num LIMIT ?`, datasetID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	var out []jobs.Row
	for rows.Next() {
		var (
			r     jobs.Row
			cells string
		)
		if err := rows.Scan(&r.Num, &cells); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cells), &r.Cells); err != nil {
			return nil, fmt.Errorf("decode row %d: %w", r.Num, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountRows counts the stored rows of a dataset.
func (s *Store) CountRows(ctx context.Context, datasetID int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM dataset_rows WHERE dataset_id = ?`, datasetID).Scan(&n)
	return n, err
}

// marshalCells encodes a row as JSON without HTML escaping, so that text
// search (LIKE) finds "<", ">" and "&" as typed.
func marshalCells(cells []string) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cells); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
