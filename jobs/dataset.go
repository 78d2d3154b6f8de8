package jobs

import "time"

// DatasetStatus is where a dataset's import stands.
type DatasetStatus string

const (
	DatasetUploaded  DatasetStatus = "uploaded"  // file stored, import queued
	DatasetImporting DatasetStatus = "importing" // rows being inserted
	DatasetImported  DatasetStatus = "imported"
	DatasetFailed    DatasetStatus = "failed"   // Error says which row/column and why; no rows are kept
	DatasetReplaced  DatasetStatus = "replaced" // an earlier version; its rows are gone, its counts stay
)

// Dataset is one version of the partner file attached to a job. A job has
// one current version; a new upload is imported beside it and replaces it
// only once it is complete (see Refresh).
type Dataset struct {
	ID          int64
	JobID       int64
	Version     int    // 1 for the first upload
	Current     bool   // the version the job works on
	KeyColumn   string // identifies rows across versions; "" by row position
	Options     string // the reading choices made on the upload form (JSON)
	ReadingNote string // what the reader chose (encoding, delimiter, sheet) and why
	Refresh     RefreshCounts
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

// RefreshCounts say what a new version changed against the one it replaced.
type RefreshCounts struct {
	Kept, Changed, Added, Removed int64
}

// Any says whether the version replaced another.
func (r RefreshCounts) Any() bool { return r.Kept+r.Changed+r.Added+r.Removed > 0 }

// RowChange is how a row of a new version relates to the version before.
type RowChange int

const (
	RowFirst   RowChange = 0 // a row of a first version
	RowKept    RowChange = 1 // same key, same mapped cells: results carried over
	RowChanged RowChange = 2 // same key, a mapped cell differs: reconciled again
	RowAdded   RowChange = 3 // a key the version before did not have
)

// Row is one data row of a dataset; Num counts from 1 (the header is not a row).
type Row struct {
	Num   int64
	Cells []string
	// Prev is the row of the version before with the same key (kept or
	// changed rows), 0 otherwise.
	Prev   int64
	Change RowChange
}
