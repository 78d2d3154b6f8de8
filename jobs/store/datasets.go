package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

const datasetCols = `id, job_id, file_name, stored_path, size_bytes, encoding, delimiter, has_bom, columns_json, column_stats_json, row_count, status, error, created_at, updated_at, imported_at,
	version, is_current, key_column, options_json, reading_note, n_kept, n_changed, n_added, n_removed`

func scanDataset(sc scanner) (*jobs.Dataset, error) {
	var (
		d                          jobs.Dataset
		delim, cols, stats, status string
		bom, current               int
		created, updated, imported int64
	)
	if err := sc.Scan(&d.ID, &d.JobID, &d.FileName, &d.StoredPath, &d.SizeBytes, &d.Encoding, &delim, &bom, &cols, &stats, &d.RowCount, &status, &d.Error, &created, &updated, &imported,
		&d.Version, &current, &d.KeyColumn, &d.Options, &d.ReadingNote, &d.Refresh.Kept, &d.Refresh.Changed, &d.Refresh.Added, &d.Refresh.Removed); err != nil {
		return nil, err
	}
	d.Current = current != 0
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

// CreateDataset records an uploaded file for a job with the default
// reading options; see CreateDatasetVersion.
func (s *Store) CreateDataset(ctx context.Context, jobID int64, fileName, storedPath string, size int64) (*jobs.Dataset, error) {
	return s.CreateDatasetVersion(ctx, jobID, fileName, storedPath, size, "")
}

// CreateDatasetVersion records an uploaded file as the job's next dataset
// version, with the reading options chosen on the upload form. When the job
// has an imported dataset, that one stays current (and the job keeps its
// results) until the new version is imported completely; a failed new
// version changes nothing. Versions that never became current (an earlier
// upload still importing, or failed) are dropped: the newest upload wins.
func (s *Store) CreateDatasetVersion(ctx context.Context, jobID int64, fileName, storedPath string, size int64, options string) (*jobs.Dataset, error) {
	now := s.now()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const notCurrent = `SELECT id FROM datasets WHERE job_id = ? AND NOT (is_current = 1 AND status = 'imported') AND status <> 'replaced'`
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id IN (`+notCurrent+`)`, jobID); err != nil {
			return fmt.Errorf("remove unfinished versions' rows: %w", err)
		}
		// MariaDB refuses a DELETE whose subquery reads the same table.
		ids, err := queryInt64s(ctx, tx, notCurrent, jobID)
		if err != nil {
			return err
		}
		for _, old := range ids {
			if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE id = ?`, old); err != nil {
				return fmt.Errorf("remove unfinished version: %w", err)
			}
		}
		var current, latest int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(version), 0) FROM datasets WHERE job_id = ? AND is_current = 1`, jobID).Scan(&current, &latest); err != nil {
			return err
		}
		var maxVersion int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM datasets WHERE job_id = ?`, jobID).Scan(&maxVersion); err != nil {
			return err
		}
		isCurrent := boolInt(current == 0)
		res, err := tx.ExecContext(ctx, `INSERT INTO datasets (job_id, file_name, stored_path, size_bytes, encoding, delimiter, has_bom, columns_json, column_stats_json, row_count, status, error, created_at, updated_at, imported_at,
				version, is_current, options_json)
			VALUES (?, ?, ?, ?, '', '', 0, '[]', '[]', 0, ?, '', ?, ?, 0, ?, ?, ?)`, jobID, fileName, storedPath, size, jobs.DatasetUploaded, now, now, maxVersion+1, isCurrent, options)
		if err != nil {
			return fmt.Errorf("record dataset: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if current == 0 {
			_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', updated_at = ? WHERE id = ?`, jobs.JobDraft, now, jobID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Dataset(ctx, id)
}

func queryInt64s(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Dataset loads a dataset by id.
func (s *Store) Dataset(ctx context.Context, id int64) (*jobs.Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The dataset")
	}
	return d, nil
}

// DatasetOfJob loads the job's current dataset version; ENOTFOUND when none
// was uploaded.
func (s *Store) DatasetOfJob(ctx context.Context, jobID int64) (*jobs.Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE job_id = ? AND is_current = 1 ORDER BY version DESC LIMIT 1`, jobID))
	if err != nil {
		return nil, notFound(err, "The job's dataset")
	}
	return d, nil
}

// PendingDataset loads the job's newest version that is not current (being
// imported beside the current one, or failed); nil when there is none.
func (s *Store) PendingDataset(ctx context.Context, jobID int64) (*jobs.Dataset, error) {
	d, err := scanDataset(s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE job_id = ? AND is_current = 0 AND status <> 'replaced' ORDER BY version DESC LIMIT 1`, jobID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the new dataset version: %w", err)
	}
	return d, nil
}

// DatasetVersions lists every version of the job's dataset, newest first.
func (s *Store) DatasetVersions(ctx context.Context, jobID int64) ([]*jobs.Dataset, error) {
	return queryAll(ctx, s.db, scanDataset, "dataset versions", `SELECT `+datasetCols+` FROM datasets WHERE job_id = ? ORDER BY version DESC`, jobID)
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
	return s.execOne(ctx, "The dataset", `UPDATE datasets SET encoding = ?, delimiter = ?, has_bom = ?, columns_json = ?, reading_note = ?, key_column = ?, status = ?, error = '', updated_at = ? WHERE id = ?`,
		d.Encoding, string(d.Delimiter), boolInt(d.HasBOM), string(cols), truncateRunes(d.ReadingNote, 2000), d.KeyColumn, jobs.DatasetImporting, s.now(), d.ID)
}

// AppendRows stores a batch of rows and the new row count in one transaction,
// so after a crash RowCount says exactly which rows are safely stored. Rows
// already present (a batch replayed after a crash) are skipped.
func (s *Store) AppendRows(ctx context.Context, datasetID int64, rows []jobs.Row, rowCount int64) error {
	const perRowParams = 5
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, chunk := range chunkRows(rows, maxParams/perRowParams/10) {
			var b strings.Builder
			b.WriteString(s.d.insertIgnore + " dataset_rows (dataset_id, row_num, cells_json, prev_row_num, row_change) VALUES ")
			args := make([]any, 0, len(chunk)*perRowParams)
			for i, r := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?)")
				cells, err := marshalCells(r.Cells)
				if err != nil {
					return fmt.Errorf("encode row %d: %w", r.Num, err)
				}
				args = append(args, datasetID, r.Num, cells, r.Prev, int(r.Change))
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

// FinishImport marks the dataset imported with its column statistics. A
// first version makes the job ready to map and reconcile; a new version
// replaces the current one (see refresh) in the same transaction, so the job
// has one complete dataset and consistent results at every moment.
func (s *Store) FinishImport(ctx context.Context, d *jobs.Dataset, stats []jobs.ColumnStats) error {
	statsJSON, _ := json.Marshal(stats)
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET status = ?, column_stats_json = ?, row_count = ?, key_column = ?, error = '', updated_at = ?, imported_at = ?,
				n_kept = ?, n_changed = ?, n_added = ?, n_removed = ? WHERE id = ?`,
			jobs.DatasetImported, string(statsJSON), d.RowCount, d.KeyColumn, now, now, d.Refresh.Kept, d.Refresh.Changed, d.Refresh.Added, d.Refresh.Removed, d.ID); err != nil {
			return fmt.Errorf("mark dataset imported: %w", err)
		}
		var oldID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM datasets WHERE job_id = ? AND is_current = 1 AND status = 'imported' AND id <> ?`, d.JobID, d.ID).Scan(&oldID)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.ExecContext(ctx, `UPDATE datasets SET is_current = 1 WHERE id = ?`, d.ID); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', updated_at = ? WHERE id = ?`, jobs.JobReady, now, d.JobID)
			return err
		}
		if err != nil {
			return err
		}
		return s.refresh(ctx, tx, d, oldID, now)
	})
}

// refresh makes version d current in place of version oldID: results of kept
// rows move to their new row numbers; changed rows lose their match and
// decision (they are reconciled again); removed rows leave the results (the
// decision log and the edits written for them stay); reconciliation batches
// are planned anew, done where every row has a result; plans built from the
// old version are made obsolete.
func (s *Store) refresh(ctx context.Context, tx *sql.Tx, d *jobs.Dataset, oldID, now int64) error {
	tables := []string{"row_matches", "decisions", "row_search"}
	if s.d.name == "mysql" {
		tables = append(tables, "row_words")
	}
	for _, table := range tables {
		// Two steps through negative numbers: old and new numbers overlap.
		for _, q := range []string{
			`UPDATE ` + table + ` SET row_num = -(SELECT r.row_num FROM dataset_rows r WHERE r.dataset_id = ? AND r.row_change = 1 AND r.prev_row_num = ` + table + `.row_num)
				WHERE job_id = ? AND row_num IN (SELECT prev_row_num FROM dataset_rows WHERE dataset_id = ? AND row_change = 1)`,
			`DELETE FROM ` + table + ` WHERE job_id = ? AND row_num > 0`,
			`UPDATE ` + table + ` SET row_num = -row_num WHERE job_id = ? AND row_num < 0`,
		} {
			args := []any{d.JobID}
			if strings.Count(q, "?") == 3 {
				args = []any{d.ID, d.JobID, d.ID}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("carry %s over to version %d: %w", table, d.Version, err)
			}
		}
	}
	if s.d.name != "mysql" {
		// SQLite's search rows are keyed by row number (searchKeyJob): the
		// moved ones take their new key, through negative keys, which no
		// row holds, as the numbers overlap.
		for _, q := range []string{
			`UPDATE row_search SET rowid = -(job_id * 4294967296 + row_num) WHERE job_id = ? AND rowid != job_id * 4294967296 + row_num`,
			`UPDATE row_search SET rowid = -rowid WHERE job_id = ? AND rowid < 0`,
		} {
			if _, err := tx.ExecContext(ctx, q, d.JobID); err != nil {
				return fmt.Errorf("carry the search index over to version %d: %w", d.Version, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_rows WHERE dataset_id = ?`, oldID); err != nil {
		return fmt.Errorf("drop the replaced version's rows: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE datasets SET is_current = 0, status = ?, updated_at = ? WHERE id = ?`, jobs.DatasetReplaced, now, oldID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE datasets SET is_current = 1 WHERE id = ?`, d.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE edit_plans SET status = ?, error = ?, updated_at = ? WHERE job_id = ? AND status IN (?, ?, ?)`,
		jobs.PlanObsolete, fmt.Sprintf("Built from dataset version %d, which version %d replaced; build a new plan.", d.Version-1, d.Version), now,
		d.JobID, jobs.PlanBuilding, jobs.PlanReady, jobs.PlanApproved); err != nil {
		return fmt.Errorf("retire plans of the replaced version: %w", err)
	}

	var (
		status    string
		batchSize int
		batches   int64
	)
	if err := tx.QueryRowContext(ctx, `SELECT status, batch_size FROM jobs WHERE id = ?`, d.JobID).Scan(&status, &batchSize); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reconcile_batches WHERE job_id = ?`, d.JobID).Scan(&batches); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reconcile_batches WHERE job_id = ?`, d.JobID); err != nil {
		return err
	}
	if batches == 0 || batchSize <= 0 {
		// Never reconciled: the job is simply ready with its new rows.
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', updated_at = ? WHERE id = ? AND status IN (?, ?)`, jobs.JobReady, now, d.JobID, jobs.JobDraft, jobs.JobReady)
		return err
	}
	pending, err := s.planRefreshBatches(ctx, tx, d.JobID, d.RowCount, batchSize, now)
	if err != nil {
		return err
	}
	next := jobs.JobReconciled
	switch {
	case pending > 0 && jobs.JobStatus(status) == jobs.JobPaused:
		next = jobs.JobPaused
	case pending > 0:
		next = jobs.JobReconciling
	}
	finished := now
	if pending > 0 {
		finished = 0
	}
	_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, error = '', reconcile_finished_at = ?, updated_at = ? WHERE id = ?`, next, finished, now, d.JobID)
	return err
}

// planRefreshBatches splits rows 1..rows into batches: done (with their
// counts) where every row kept its result, pending where a row needs one.
func (s *Store) planRefreshBatches(ctx context.Context, tx *sql.Tx, jobID, rows int64, batchSize int, now int64) (pending int64, err error) {
	have := make(map[int64]jobs.MatchStatus)
	res, err := tx.QueryContext(ctx, `SELECT row_num, status FROM row_matches WHERE job_id = ?`, jobID)
	if err != nil {
		return 0, err
	}
	for res.Next() {
		var (
			n  int64
			st string
		)
		if err := res.Scan(&n, &st); err != nil {
			res.Close()
			return 0, err
		}
		have[n] = jobs.MatchStatus(st)
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, err
	}
	no := int64(0)
	for first := int64(1); first <= rows; first += int64(batchSize) {
		no++
		last := min(first+int64(batchSize)-1, rows)
		var counts [3]int
		missing := false
		for n := first; n <= last; n++ {
			st, ok := have[n]
			switch {
			case !ok:
				missing = true
			case st == jobs.MatchMatched:
				counts[0]++
			case st == jobs.MatchReview:
				counts[1]++
			default:
				counts[2]++
			}
		}
		status, doneAt := jobs.BatchDone, now
		if missing {
			status, doneAt = jobs.BatchPending, 0
			pending++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_batches (job_id, batch_no, first_row, last_row, status, error, n_matched, n_review, n_none, updated_at, done_at)
			VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`, jobID, no, first, last, status, counts[0], counts[1], counts[2], now, doneAt); err != nil {
			return 0, fmt.Errorf("plan batch %d: %w", no, err)
		}
	}
	return pending, nil
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
	return queryAll(ctx, s.db, scanDatasetRow, "rows",
		`SELECT row_num, cells_json FROM dataset_rows WHERE dataset_id = ? AND row_num > ? ORDER BY row_num LIMIT ?`, datasetID, after, limit)
}

// scanDatasetRow reads a (row_num, cells_json) pair.
func scanDatasetRow(sc scanner) (jobs.Row, error) {
	var (
		r     jobs.Row
		cells string
	)
	if err := sc.Scan(&r.Num, &cells); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(cells), &r.Cells); err != nil {
		return r, fmt.Errorf("decode row %d: %w", r.Num, err)
	}
	return r, nil
}

// RowsToReconcile returns the rows first..last of a dataset that have no
// result yet: after a refresh, a batch holds kept rows (whose results were
// carried over) beside changed and added ones.
func (s *Store) RowsToReconcile(ctx context.Context, jobID, datasetID, first, last int64) ([]jobs.Row, error) {
	return queryAll(ctx, s.db, scanDatasetRow, "rows to reconcile", `SELECT r.row_num, r.cells_json FROM dataset_rows r
		WHERE r.dataset_id = ? AND r.row_num >= ? AND r.row_num <= ?
		AND NOT EXISTS (SELECT 1 FROM row_matches m WHERE m.job_id = ? AND m.row_num = r.row_num) ORDER BY r.row_num`, datasetID, first, last, jobID)
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
