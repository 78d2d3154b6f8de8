package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// Limits bound what one upload may hold.
type Limits struct {
	MaxBytes int64 // upload size; enforced while the file is received
	MaxRows  int64 // data rows; enforced while importing
}

// DefaultLimits are used when the configuration sets none.
var DefaultLimits = Limits{MaxBytes: 100 << 20, MaxRows: 2_000_000}

// DefaultBatchRows is how many rows one insert transaction holds.
const DefaultBatchRows = 5000

// Importer moves an uploaded file into the store's dataset rows.
type Importer struct {
	store     *store.Store
	limits    Limits
	batchRows int
	logger    *slog.Logger
}

// NewImporter builds an importer; zero limits take DefaultLimits.
func NewImporter(st *store.Store, limits Limits, logger *slog.Logger) *Importer {
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultLimits.MaxBytes
	}
	if limits.MaxRows <= 0 {
		limits.MaxRows = DefaultLimits.MaxRows
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Importer{store: st, limits: limits, batchRows: DefaultBatchRows, logger: logger}
}

// ErrInputRejected wraps problems with the file itself: retrying cannot help,
// and the dataset has been marked failed with the message for the user.
var ErrInputRejected = errors.New("dataset rejected")

// Import reads the dataset's stored file and inserts its rows in batches. It
// is safe to call again after a crash: rows already committed are skipped (the
// stored row count says how far the last run got), so an import resumes
// rather than starting over. A problem with the file marks the dataset failed,
// removes its rows, and returns an error wrapping ErrInputRejected.
func (im *Importer) Import(ctx context.Context, datasetID int64, opts Options) error {
	d, err := im.store.Dataset(ctx, datasetID)
	if err != nil {
		return err
	}
	log := im.logger.With("dataset_id", d.ID, "job_id", d.JobID)
	switch d.Status {
	case jobs.DatasetImported, jobs.DatasetFailed:
		return nil // done before: a replayed task changes nothing
	}
	f, err := os.Open(d.StoredPath)
	if err != nil {
		return im.reject(ctx, d, "the uploaded file is no longer on the server; upload it again", err)
	}
	defer f.Close()

	if opts == (Options{}) && d.Options != "" {
		if err := json.Unmarshal([]byte(d.Options), &opts); err != nil {
			return im.reject(ctx, d, "the reading options of this upload are unreadable; upload the file again", err)
		}
	}
	if opts.FileName == "" {
		opts.FileName = d.FileName
	}
	rd, err := NewReader(f, opts)
	if err != nil {
		return im.reject(ctx, d, err.Error(), err)
	}
	defer rd.Close()
	keys, err := newRowKeys(ctx, im.store, d, rd.Header())
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return im.reject(ctx, d, ie.Error(), err)
		}
		return err
	}
	resumeAfter := d.RowCount
	if d.Status == jobs.DatasetImporting && !sameColumns(d.Columns, rd.Header()) {
		resumeAfter = 0 // a different file than the one partly imported: start over
		if err := im.store.FailImport(ctx, d.ID, ""); err != nil {
			return err
		}
	}
	d.Columns, d.Encoding, d.Delimiter, d.HasBOM = rd.Header(), rd.Encoding(), rd.Delimiter(), rd.HasBOM()
	d.ReadingNote, d.KeyColumn = rd.Note(), keys.key
	if err := im.store.StartImport(ctx, d); err != nil {
		return err
	}
	if resumeAfter > 0 {
		log.Info("resuming import", "rows_stored", resumeAfter)
	}

	stats := newStatsCollector(rd.Header())
	batch := make([]jobs.Row, 0, im.batchRows)
	var n int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := im.store.AppendRows(ctx, d.ID, batch, n); err != nil {
			return fmt.Errorf("store rows up to %d: %w", n, err)
		}
		batch = batch[:0]
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err // rows so far are committed; the task resumes later
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return im.reject(ctx, d, ie.Error(), err)
			}
			return err
		}
		n++
		if n > im.limits.MaxRows {
			return im.reject(ctx, d, fmt.Sprintf("the file has more than %d rows, the most one job may hold; split it into several jobs", im.limits.MaxRows), nil)
		}
		stats.add(row.Cells)
		// Keys are checked for every row, stored ones too: a resumed import
		// must know the keys seen before the crash.
		if err := keys.add(&row); err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return im.reject(ctx, d, ie.Error(), err)
			}
			return err
		}
		if n <= resumeAfter {
			continue
		}
		batch = append(batch, row)
		if len(batch) >= im.batchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if n == 0 {
		return im.reject(ctx, d, "the file has a header row but no data rows", nil)
	}
	if err := flush(); err != nil {
		return err
	}
	d.RowCount = n
	keys.finish(d, rd.Header())
	if err := im.store.FinishImport(ctx, d, stats.result()); err != nil {
		return err
	}
	log.Info("dataset imported", "rows", n, "version", d.Version, "key", d.KeyColumn, "kept", d.Refresh.Kept, "changed", d.Refresh.Changed, "added", d.Refresh.Added, "removed", d.Refresh.Removed, "columns", len(d.Columns), "encoding", d.Encoding, "delimiter", string(d.Delimiter))
	im.removeUpload(d)
	return nil
}

// reject marks the dataset failed for a reason in the file and drops its rows.
func (im *Importer) reject(ctx context.Context, d *jobs.Dataset, message string, cause error) error {
	// Saving the verdict must not be undone by a cancelled task context.
	if err := im.store.FailImport(context.WithoutCancel(ctx), d.ID, message); err != nil {
		return fmt.Errorf("mark dataset %d failed: %w", d.ID, err)
	}
	im.logger.Info("dataset rejected", "dataset_id", d.ID, "job_id", d.JobID, "reason", message)
	im.removeUpload(d)
	if cause != nil {
		return fmt.Errorf("%w: %s: %w", ErrInputRejected, message, cause)
	}
	return fmt.Errorf("%w: %s", ErrInputRejected, message)
}

// removeUpload deletes the uploaded copy once the rows are in the database
// (or the file was rejected): the database is the source of truth.
func (im *Importer) removeUpload(d *jobs.Dataset) {
	if err := os.Remove(d.StoredPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		im.logger.Warn("could not remove uploaded file", "dataset_id", d.ID, "err", err)
	}
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
