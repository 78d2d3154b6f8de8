package jobs

import "time"

// DatasetStatus is where a dataset's import stands.
type DatasetStatus string

const (
	DatasetUploaded  DatasetStatus = "uploaded"  // file stored, import queued
	DatasetImporting DatasetStatus = "importing" // rows being inserted
	DatasetImported  DatasetStatus = "imported"
	DatasetFailed    DatasetStatus = "failed" // Error says which row/column and why; no rows are kept
)

// Dataset is the partner file attached to a job.
type Dataset struct {
	ID          int64
	JobID       int64
	FileName    string // as uploaded, for display only
	StoredPath  string // where the upload lies in the data directory
	SizeBytes   int64
	Encoding    string // "utf-8" or "windows-1252"
	Delimiter   rune
	HasBOM      bool
	Columns     []string
	ColumnStats []ColumnStats
	RowCount    int64 // rows imported so far (the total once imported)
	Status      DatasetStatus
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ImportedAt  time.Time
}

// ColumnStats summarise one column for the preview page.
type ColumnStats struct {
	Name     string
	Filled   int64    // rows with a non-blank value
	Distinct int64    // distinct non-blank values, capped at DistinctCap
	Capped   bool     // Distinct reached DistinctCap
	Samples  []string // a few distinct values in order of appearance
}

// DistinctCap bounds the memory used to count distinct values per column.
const DistinctCap = 10000

// FillRate is the share of rows with a value, 0..1.
func (c ColumnStats) FillRate(rows int64) float64 {
	if rows == 0 {
		return 0
	}
	return float64(c.Filled) / float64(rows)
}

// Row is one data row of a dataset; Num counts from 1 (the header is not a row).
type Row struct {
	Num   int64
	Cells []string
}
