package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"partnerhub/jobs"
)

// sheetReader streams the rows of one worksheet of an XLSX workbook.
type sheetReader struct {
	file *excelize.File
	rows *excelize.Rows
	line int64 // the worksheet's row number, for messages
}

// unzipLimit bounds what a workbook may expand to: XLSX is compressed XML,
// and a small upload can unpack to gigabytes.
const unzipLimit = 1 << 30

// openWorkbook opens an XLSX upload and positions a Reader on the first data
// row of the chosen sheet (the first when none is chosen).
func openWorkbook(br io.Reader, opts Options, rd *Reader) error {
	f, err := excelize.OpenReader(br, excelize.Options{UnzipSizeLimit: unzipLimit})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return &InputError{Problem: "this is a ZIP archive, not a CSV, TSV or XLSX file; upload the table itself"}
		}
		return &InputError{Problem: fmt.Sprintf("this looks like an XLSX workbook but it cannot be read (%v); open it in a spreadsheet program and save it again, or save it as CSV UTF-8", err)}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return &InputError{Problem: "the workbook has no worksheet"}
	}
	sheet := sheets[0]
	if opts.Sheet != "" {
		found := false
		for _, s := range sheets {
			if s == opts.Sheet {
				sheet, found = s, true
			}
		}
		if !found {
			f.Close()
			return &InputError{Problem: fmt.Sprintf("the workbook has no sheet %q; its sheets are %s", opts.Sheet, quoteList(sheets))}
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return &InputError{Problem: fmt.Sprintf("sheet %q cannot be read: %v", sheet, err)}
	}
	sr := &sheetReader{file: f, rows: rows}
	rd.sheet, rd.encoding, rd.delimiter = sr, EncodingUTF8, 0
	note := fmt.Sprintf("Worksheet %q", sheet)
	switch {
	case opts.Sheet != "":
		note += ", as chosen on the upload form."
	case len(sheets) > 1:
		note += fmt.Sprintf(", the first of %d (%s); choose another on the upload form.", len(sheets), quoteList(sheets))
	default:
		note += ", the workbook's only sheet."
	}
	rd.note = note + " Blank rows are skipped."
	header, err := sr.next()
	if errors.Is(err, io.EOF) {
		rd.Close()
		return &InputError{Problem: fmt.Sprintf("sheet %q is empty", sheet)}
	}
	if err != nil {
		rd.Close()
		return err
	}
	if err := rd.setHeader(header, sr.line); err != nil {
		rd.Close()
		return err
	}
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// next returns the next non-blank worksheet row.
func (s *sheetReader) next() ([]string, error) {
	for s.rows.Next() {
		s.line++
		cells, err := s.rows.Columns()
		if err != nil {
			return nil, &InputError{Line: s.line, Problem: fmt.Sprintf("this row cannot be read: %v", err)}
		}
		blank := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if !blank {
			return cells, nil
		}
	}
	if err := s.rows.Error(); err != nil {
		return nil, &InputError{Line: s.line, Problem: fmt.Sprintf("the worksheet cannot be read: %v", err)}
	}
	return nil, io.EOF
}

// nextSheetRow is Next for a worksheet: rows shorter than the header are
// padded (spreadsheets drop trailing empty cells); a value beyond the header
// is an error, as in a CSV file.
func (r *Reader) nextSheetRow() (jobs.Row, error) {
	rec, err := r.sheet.next()
	if err != nil {
		return jobs.Row{}, err
	}
	r.rowNum++
	cells := make([]string, len(r.header))
	for i, v := range rec {
		if i >= len(r.header) {
			if strings.TrimSpace(v) != "" {
				return jobs.Row{}, &InputError{Line: r.sheet.line, Row: r.rowNum, Column: i + 1,
					Problem: fmt.Sprintf("has a value in column %s but the header has %d columns; give the column a header or clear the cell", columnLetters(i+1), len(r.header))}
			}
			continue
		}
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		if len(v) > MaxCellBytes {
			return jobs.Row{}, r.cellTooLarge(r.sheet.line, i, len(v))
		}
		cells[i] = v
	}
	return jobs.Row{Num: r.rowNum, Cells: cells}, nil
}

func columnLetters(n int) string {
	s, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return fmt.Sprint(n)
	}
	return s
}

// isWorkbook says whether a ZIP sample looks like an Office Open XML file.
func isWorkbook(sample []byte, fileName string) bool {
	return bytes.Contains(sample, []byte("[Content_Types].xml")) || bytes.Contains(sample, []byte("xl/")) ||
		strings.HasSuffix(strings.ToLower(fileName), ".xlsx")
}
