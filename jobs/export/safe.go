// Package export writes a job's enriched dataset for partners: the partner's
// columns unchanged plus what reconciliation and review found, streamed page
// by page so a million-row export never holds the file in memory, and safe to
// open in a spreadsheet.
package export

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
)

// plainNumber matches cells a spreadsheet reads as a number, never as a
// formula; they keep their sign so round-tripped data stays intact.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+([.,][0-9]+)?([eE][+-]?[0-9]+)?$`)

// SafeCell defuses spreadsheet formula injection: a cell starting with =, +,
// -, @, tab or carriage return is prefixed with a single quote (OWASP's advice),
// unless it is a plain number.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if (s[0] == '+' || s[0] == '-') && plainNumber.MatchString(s) {
			return s
		}
		return "'" + s
	}
	// Full-width look-alikes are read as formulas by some spreadsheets.
	if strings.HasPrefix(s, "＝") || strings.HasPrefix(s, "＋") || strings.HasPrefix(s, "－") || strings.HasPrefix(s, "＠") {
		return "'" + s
	}
	return s
}

// CSVWriter is encoding/csv's writer with every cell passed through SafeCell:
// the one writer for every CSV Partnerhub writes (web exports and the
// command line alike), so no path can forget to defuse a cell.
type CSVWriter struct {
	cw  *csv.Writer
	rec []string
}

// NewCSVWriter writes records separated by comma (',' or '\t', say) to w.
func NewCSVWriter(w io.Writer, comma rune) *CSVWriter {
	cw := csv.NewWriter(w)
	cw.Comma = comma
	return &CSVWriter{cw: cw}
}

// Write writes one record, defused; rec itself is left as it was.
func (w *CSVWriter) Write(rec []string) error {
	w.rec = w.rec[:0]
	for _, c := range rec {
		w.rec = append(w.rec, SafeCell(c))
	}
	return w.cw.Write(w.rec)
}

// Flush writes buffered data out; Error reports what went wrong, if anything.
func (w *CSVWriter) Flush() { w.cw.Flush() }

// Error is the first error of a Write or Flush.
func (w *CSVWriter) Error() error { return w.cw.Error() }
