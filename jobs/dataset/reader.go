// Package dataset reads partner files (CSV or TSV) and imports them into the
// store. Files are streamed: only a sniffing window and one batch of rows are
// in memory at a time, whatever the file's size. Every problem is reported
// with the line, row and column it was found at, in words a data volunteer
// can act on.
package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"partnerhub/jobs"
)

// Encodings the importer understands.
const (
	EncodingAuto        = ""
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
)

// Options steer reading; the zero value sniffs everything. They are the
// choices of the upload form, stored with the dataset as JSON.
type Options struct {
	Encoding  string `json:"encoding,omitempty"`  // EncodingAuto, EncodingUTF8 or EncodingWindows1252
	Delimiter rune   `json:"delimiter,omitempty"` // 0 to sniff
	FileName  string `json:"-"`                   // a .tsv name makes tab the preferred delimiter
	Sheet     string `json:"sheet,omitempty"`     // XLSX: the worksheet; "" for the first
}

// Shape limits: a file's columns become a mapping form, statistics and a
// preview, so their number and size are bounded (a 0.6 MB file of 100,000
// columns made a 105 MB mapping page).
const (
	MaxColumns     = 1000
	MaxHeaderRunes = 300      // a column name
	MaxCellBytes   = 64 << 10 // one cell
)

// sniffWindow is how much of the file delimiter and encoding detection look at.
const sniffWindow = 64 << 10

// Reader yields a file's data rows after checking its header.
type Reader struct {
	csv       *csv.Reader
	header    []string
	encoding  string
	delimiter rune
	hasBOM    bool
	rowNum    int64
	note      string
	sheet     *sheetReader // XLSX; nil for CSV and TSV
}

// InputError is a problem with the partner's file, located as precisely as
// the problem allows. Row counts data rows from 1 (the header is not a row);
// Line is the line of the file, which differs when quoted cells span lines.
type InputError struct {
	Line    int64
	Row     int64
	Column  int // 1-based; 0 when the problem is not in one column
	Name    string
	Problem string
}

func (e *InputError) Error() string {
	var where []string
	if e.Row > 0 {
		where = append(where, fmt.Sprintf("row %d", e.Row))
	}
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.Column > 0 {
		if e.Name != "" {
			where = append(where, fmt.Sprintf("column %d (%q)", e.Column, e.Name))
		} else {
			where = append(where, fmt.Sprintf("column %d", e.Column))
		}
	}
	if len(where) == 0 {
		return e.Problem
	}
	return strings.Join(where, ", ") + ": " + e.Problem
}

// NewReader sniffs the encoding and delimiter from the start of r, reads and
// validates the header row, and returns a Reader positioned on the first data row.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	br := bufio.NewReaderSize(r, sniffWindow)
	sample, err := br.Peek(sniffWindow)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if len(bytes.TrimSpace(sample)) == 0 {
		return nil, &InputError{Problem: "the file is empty"}
	}
	rd := &Reader{}
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		rd.hasBOM = true
		_, _ = br.Discard(3)
		sample = sample[3:]
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}), bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return nil, &InputError{Problem: "the file is encoded as UTF-16; save it as \"CSV UTF-8\" and upload it again"}
	}
	if isZIP(sample) && isWorkbook(sample, opts.FileName) {
		if err := openWorkbook(br, opts, rd); err != nil {
			return nil, err
		}
		return rd, nil
	}
	if kind := binaryKind(sample); kind != "" {
		return nil, &InputError{Problem: fmt.Sprintf("this is %s, not a CSV or TSV file; upload the table as CSV (UTF-8), TSV or XLSX", kind)}
	}

	rd.encoding = opts.Encoding
	var notes []string
	if rd.encoding == EncodingAuto {
		var why string
		rd.encoding, why = sniffEncoding(sample, len(sample) < sniffWindow)
		notes = append(notes, "Encoding "+why+".")
	} else {
		notes = append(notes, "Encoding "+rd.encoding+", as chosen on the upload form.")
	}
	var text io.Reader = br
	switch rd.encoding {
	case EncodingUTF8:
	case EncodingWindows1252:
		text = charmap.Windows1252.NewDecoder().Reader(br)
		sample, _ = charmap.Windows1252.NewDecoder().Bytes(sample)
	default:
		return nil, &InputError{Problem: fmt.Sprintf("unknown encoding %q (want utf-8 or windows-1252)", rd.encoding)}
	}

	rd.delimiter = opts.Delimiter
	if rd.delimiter == 0 {
		rd.delimiter = sniffDelimiter(sample, strings.HasSuffix(strings.ToLower(opts.FileName), ".tsv"))
		notes = append(notes, "Delimiter "+DelimiterWord(rd.delimiter)+": it splits the first lines into the same number of cells most consistently.")
	} else {
		notes = append(notes, "Delimiter "+DelimiterWord(rd.delimiter)+", as chosen on the upload form.")
	}
	rd.note = strings.Join(notes, " ")

	if n := firstLineFields(sample, rd.delimiter); n > MaxColumns {
		// Refuse before encoding/csv holds a million-cell header in memory.
		return nil, &InputError{Line: 1, Problem: fmt.Sprintf("the header has at least %d columns; at most %d are allowed. Is the delimiter right? Otherwise remove columns you do not need", n, MaxColumns)}
	}
	c := csv.NewReader(text)
	c.Comma = rd.delimiter
	c.ReuseRecord = true
	c.FieldsPerRecord = 0 // the header fixes the count
	rd.csv = c

	header, err := c.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &InputError{Problem: "the file is empty"}
		}
		return nil, rd.locate(err, 0, len(header))
	}
	if err := rd.setHeader(header, 1); err != nil {
		return nil, err
	}
	if len(rd.header) < 2 && opts.Delimiter == 0 && rd.delimiter == ',' && bytes.ContainsAny(sample, ";\t|") {
		// One column is legal but more often a delimiter we could not tell.
		return nil, &InputError{Line: 1, Problem: "found only one column; if the file uses another delimiter, choose it in the upload form"}
	}
	return rd, nil
}

// setHeader checks and keeps the column names (trimmed) of header row line.
func (rd *Reader) setHeader(header []string, line int64) error {
	if len(header) > MaxColumns {
		return &InputError{Line: line, Problem: fmt.Sprintf("the header has %d columns; at most %d are allowed. Remove columns you do not need", len(header), MaxColumns)}
	}
	rd.header = make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return &InputError{Line: line, Column: i + 1, Problem: "the header is not valid UTF-8; choose the file's encoding (e.g. windows-1252) or save it as UTF-8"}
		}
		if h == "" {
			return &InputError{Line: line, Column: i + 1, Problem: "this column has no header; every column needs a name"}
		}
		if n := utf8.RuneCountInString(h); n > MaxHeaderRunes {
			return &InputError{Line: line, Column: i + 1, Problem: fmt.Sprintf("this column's name is %d characters long; at most %d are allowed (is the first row really a header?)", n, MaxHeaderRunes)}
		}
		if j, dup := seen[h]; dup {
			return &InputError{Line: line, Column: i + 1, Name: h, Problem: fmt.Sprintf("the header %q is used twice (columns %d and %d); column names must be unique", h, j+1, i+1)}
		}
		seen[h] = i
		rd.header[i] = h
	}
	return nil
}

// firstLineFields counts the cells of the sample's first line (roughly:
// delimiters outside quotes, plus one).
func firstLineFields(sample []byte, d rune) int {
	n, quoted := 1, false
	for _, r := range string(sample) {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '\n' && !quoted:
			return n
		case r == d && !quoted:
			n++
		}
	}
	return n
}

func (r *Reader) cellTooLarge(line int64, col, size int) error {
	return &InputError{Line: line, Row: r.rowNum, Column: col + 1, Name: r.header[col],
		Problem: fmt.Sprintf("this cell holds %s; at most %s are allowed in one cell (an unclosed quote can swallow the rest of the file)", HumanBytes(int64(size)), HumanBytes(MaxCellBytes))}
}

// Close releases what reading a workbook holds (temporary files).
func (r *Reader) Close() error {
	if r.sheet != nil {
		_ = r.sheet.rows.Close()
		return r.sheet.file.Close()
	}
	return nil
}

// Header returns the column names (trimmed).
func (r *Reader) Header() []string { return r.header }

// Encoding is the encoding the file was read with.
func (r *Reader) Encoding() string { return r.encoding }

// Delimiter is the field delimiter in use.
func (r *Reader) Delimiter() rune { return r.delimiter }

// HasBOM says whether the file started with a UTF-8 byte order mark.
func (r *Reader) HasBOM() bool { return r.hasBOM }

// Next returns the next data row, or io.EOF after the last. The returned
// cells are a fresh slice the caller may keep.
func (r *Reader) Next() (jobs.Row, error) {
	if r.sheet != nil {
		return r.nextSheetRow()
	}
	rec, err := r.csv.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return jobs.Row{}, io.EOF
		}
		return jobs.Row{}, r.locate(err, r.rowNum+1, len(rec))
	}
	r.rowNum++
	cells := make([]string, len(rec))
	for i, v := range rec {
		if !utf8.ValidString(v) {
			line, _ := r.csv.FieldPos(i)
			return jobs.Row{}, &InputError{Line: int64(line), Row: r.rowNum, Column: i + 1, Name: r.header[i],
				Problem: "this cell is not valid UTF-8; choose the file's encoding (e.g. windows-1252) or save it as UTF-8"}
		}
		if len(v) > MaxCellBytes {
			line, _ := r.csv.FieldPos(i)
			return jobs.Row{}, r.cellTooLarge(int64(line), i, len(v))
		}
		cells[i] = v
	}
	return jobs.Row{Num: r.rowNum, Cells: cells}, nil
}

// locate turns encoding/csv's errors into InputErrors with row and column.
// fields is the length of the record encoding/csv returned with the error
// (it returns the record along with ErrFieldCount).
func (r *Reader) locate(err error, row int64, fields int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("read the file: %w", err)
	}
	ie := &InputError{Line: int64(pe.StartLine), Row: row}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		ie.Line = int64(pe.Line)
		n := fields
		ie.Problem = fmt.Sprintf("has %d %s but the header has %d; every row needs one cell per column (check for a stray %s or an unclosed quote)",
			n, plural(n, "cell", "cells"), len(r.header), DelimiterWord(r.delimiter))
	case errors.Is(pe.Err, csv.ErrBareQuote):
		ie.Line = int64(pe.Line)
		ie.Problem = fmt.Sprintf("a quote (\") at character %d of the line stands inside an unquoted cell; quote the whole cell and double the quotes inside it", pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		ie.Problem = fmt.Sprintf("a quoted cell opened here is never closed, or has text after its closing quote (line %d, character %d)", pe.Line, pe.Column)
	default:
		ie.Problem = pe.Err.Error()
	}
	return ie
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// DelimiterWord names a delimiter for messages.
func DelimiterWord(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "pipe"
	}
	return fmt.Sprintf("%q", d)
}

// candidates are the delimiters sniffing chooses from, in order of preference.
var candidates = []rune{',', '\t', ';', '|'}

// sniffDelimiter picks the delimiter that splits the sample's records into the
// same number of fields (more than one) most consistently.
func sniffDelimiter(sample []byte, preferTab bool) rune {
	// Leave out the last, possibly cut, line of the window.
	if i := bytes.LastIndexByte(sample, '\n'); i > 0 && len(sample) >= sniffWindow {
		sample = sample[:i]
	}
	best, bestScore := ',', -1.0
	for _, d := range candidates {
		score := delimiterScore(sample, d)
		if d == '\t' && preferTab && score > 0 {
			score += 0.5
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// delimiterScore is 0 when d splits nothing, else the share of records that
// have the header's field count, plus a little for more fields.
func delimiterScore(sample []byte, d rune) float64 {
	c := csv.NewReader(bytes.NewReader(sample))
	c.Comma = d
	c.FieldsPerRecord = -1
	c.LazyQuotes = true
	var counts []int
	for len(counts) < 50 {
		rec, err := c.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0
		}
		counts = append(counts, len(rec))
	}
	if len(counts) == 0 || counts[0] < 2 {
		return 0
	}
	same := 0
	for _, n := range counts {
		if n == counts[0] {
			same++
		}
	}
	return float64(same)/float64(len(counts)) + float64(min(counts[0], 50))/1000
}

// Note says what the reader chose and why, for the upload's page.
func (r *Reader) Note() string { return r.note }
