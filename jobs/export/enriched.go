package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"partnerhub/jobs"
)

// Format is a file format of the enriched export.
type Format string

const (
	FormatCSV       Format = "csv"
	FormatTSV       Format = "tsv"
	FormatJSONLines Format = "jsonl" // one JSON object per line
	FormatJSON      Format = "json"  // one JSON array, streamed
)

// ContentType is the MIME type of a format.
func (f Format) ContentType() string {
	switch f {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatTSV:
		return "text/tab-separated-values; charset=utf-8"
	case FormatJSONLines:
		return "application/jsonl; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// ParseFormat reads a format name as it appears in URLs.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatCSV, FormatTSV, FormatJSONLines, FormatJSON:
		return f, nil
	}
	return "", jobs.Errorf(jobs.EINVALID, "Choose an export format: csv, tsv, jsonl or json.")
}

// ItemFact is what the wiki says about one item, read at export time.
type ItemFact struct {
	Labels       map[string]string   // language → label
	Descriptions map[string]string   // language → description
	Claims       map[string][]string // property → values (item ids, strings, dates, file names …)
}

// ItemFacts reads labels, descriptions and property values of items from
// the wiki (through SPARQL in production). Items it does not know are left
// out of the map.
type ItemFacts interface {
	Facts(ctx context.Context, qids []string, languages []string, properties []string) (map[string]ItemFact, error)
}

// MaxFactsBatch is the most items asked for in one Facts call, so that one
// SPARQL query's VALUES list stays small.
const MaxFactsBatch = 200

// Limits on what a partner may ask to add per row.
const (
	MaxExportLanguages  = 10
	MaxExportProperties = 20
)

var (
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{1,8})*$`)
	propertyCode = regexp.MustCompile(`^P[1-9][0-9]{0,9}$`)
)

// EnrichedOptions say what an enriched export holds.
type EnrichedOptions struct {
	Format     Format
	Languages  []string  // label_xx and description_xx columns; needs Facts
	Properties []string  // one column per property; needs Facts
	Facts      ItemFacts // nil: no wiki columns, whatever was asked
	// Watched, when set, adds the wikidata_status column: what the latest
	// watch run found of the edits each row led to.
	Watched WikidataStatus
	// Media are the rows' files on Commons (store.RowMedia); when the job
	// has any, the export gets commons_file and commons_url columns.
	Media map[int64]jobs.RowMedia
}

// MediaColumns follow the result columns when the job has files on Commons.
var MediaColumns = []string{"commons_file", "commons_url"}

// MediaByRow indexes a job's files on Commons by row.
func MediaByRow(list []jobs.RowMedia) map[int64]jobs.RowMedia {
	out := make(map[int64]jobs.RowMedia, len(list))
	for _, m := range list {
		out[m.Row] = m
	}
	return out
}

// WikidataStatus says, for rows of a job, what the latest watch found of
// the items their edits went to: still there, changed, removed, item merged
// into Qx, deleted; rows without a watched edit are left out (*store.Store
// does).
type WikidataStatus interface {
	RowWikidataStatus(ctx context.Context, jobID int64, rows []int64) (map[int64]string, error)
}

// WikidataStatusColumn is the column of the watch's finding per row.
const WikidataStatusColumn = "wikidata_status"

// ParseWikiColumns checks the languages and properties a partner asks for
// (comma- or space-separated lists), normalised and without duplicates.
func ParseWikiColumns(languages, properties string) ([]string, []string, error) {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '|' })
	}
	var langs, props []string
	seen := map[string]bool{}
	for _, l := range split(strings.ToLower(languages)) {
		if !languageCode.MatchString(l) {
			return nil, nil, jobs.Errorf(jobs.EINVALID, "%q is not a language code like en or pt-br.", l)
		}
		if !seen[l] {
			seen[l] = true
			langs = append(langs, l)
		}
	}
	for _, p := range split(strings.ToUpper(properties)) {
		if !propertyCode.MatchString(p) {
			return nil, nil, jobs.Errorf(jobs.EINVALID, "%q is not a property id like P18.", p)
		}
		if !seen[p] {
			seen[p] = true
			props = append(props, p)
		}
	}
	if len(langs) > MaxExportLanguages || len(props) > MaxExportProperties {
		return nil, nil, jobs.Errorf(jobs.EINVALID, "Ask for at most %d languages and %d properties.", MaxExportLanguages, MaxExportProperties)
	}
	return langs, props, nil
}

// RowPages reads a job's rows with their results page by page
// (*store.Store does).
type RowPages interface {
	ExportPage(ctx context.Context, jobID, datasetID, after int64, limit int) ([]jobs.ReviewRow, error)
}

// ResultColumns follow the partner's columns in an enriched export. The
// reviewer's name is left out on purpose: exports travel to partners.
var ResultColumns = []string{"wikidata_qid", "match_status", "match_score", "decision"}

// EnrichedHeader is the header of an enriched export.
func EnrichedHeader(columns []string, opts EnrichedOptions) []string {
	h := append(append([]string{}, columns...), ResultColumns...)
	if opts.Watched != nil {
		h = append(h, WikidataStatusColumn)
	}
	if len(opts.Media) > 0 {
		h = append(h, MediaColumns...)
	}
	if opts.Facts == nil {
		return h
	}
	for _, l := range opts.Languages {
		h = append(h, "label_"+l, "description_"+l)
	}
	return append(h, opts.Properties...)
}

// WriteEnriched streams a dataset with its final QIDs, match status and
// score, and, when opts.Facts is set, labels, descriptions and property
// values read from the wiki in batches of at most MaxFactsBatch items. Memory
// stays at one page of rows whatever the dataset's size. CSV and TSV cells
// are defused against formula injection; JSON needs no such care.
func WriteEnriched(ctx context.Context, w io.Writer, src RowPages, jobID int64, ds *jobs.Dataset, opts EnrichedOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	rw, err := newRowWriter(bw, ds.Columns, opts)
	if err != nil {
		return err
	}
	var after int64
	wiki := opts.Facts != nil && (len(opts.Languages) > 0 || len(opts.Properties) > 0)
	for {
		page, err := src.ExportPage(ctx, jobID, ds.ID, after, pageRows)
		if err != nil {
			return fmt.Errorf("export after row %d: %w", after, err)
		}
		var status map[int64]string
		if opts.Watched != nil && len(page) > 0 {
			nums := make([]int64, len(page))
			for i, r := range page {
				nums[i] = r.Row
			}
			if status, err = opts.Watched.RowWikidataStatus(ctx, jobID, nums); err != nil {
				return fmt.Errorf("read the watch's findings after row %d: %w", after, err)
			}
		}
		var facts map[string]ItemFact
		if wiki {
			if facts, err = pageFacts(ctx, opts, page); err != nil {
				return fmt.Errorf("read item facts after row %d: %w", after, err)
			}
		}
		for _, r := range page {
			if err := rw.write(r, status[r.Row], facts); err != nil {
				return err
			}
			after = r.Row
		}
		if err := rw.flush(); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if len(page) < pageRows {
			break
		}
	}
	if err := rw.end(); err != nil {
		return err
	}
	return bw.Flush()
}

// pageFacts asks for the facts of a page's distinct final QIDs, in batches.
func pageFacts(ctx context.Context, opts EnrichedOptions, page []jobs.ReviewRow) (map[string]ItemFact, error) {
	seen := map[string]bool{}
	var qids []string
	for _, r := range page {
		if q := r.FinalQID(); q != "" && !seen[q] {
			seen[q] = true
			qids = append(qids, q)
		}
	}
	out := make(map[string]ItemFact, len(qids))
	for len(qids) > 0 {
		batch := qids[:min(len(qids), MaxFactsBatch)]
		qids = qids[len(batch):]
		got, err := opts.Facts.Facts(ctx, batch, opts.Languages, opts.Properties)
		if err != nil {
			return nil, err
		}
		for q, f := range got {
			out[q] = f
		}
	}
	return out, nil
}

type rowWriter interface {
	write(r jobs.ReviewRow, status string, facts map[string]ItemFact) error
	flush() error
	end() error
}

func newRowWriter(w *bufio.Writer, columns []string, opts EnrichedOptions) (rowWriter, error) {
	switch opts.Format {
	case FormatCSV, FormatTSV:
		comma := ','
		if opts.Format == FormatTSV {
			comma = '\t'
		}
		cw := NewCSVWriter(w, comma)
		t := &tableWriter{cw: cw, opts: opts, width: len(columns)}
		if err := cw.Write(EnrichedHeader(columns, opts)); err != nil {
			return nil, err
		}
		return t, nil
	case FormatJSONLines, FormatJSON:
		j := &jsonWriter{w: w, opts: opts, columns: columns, array: opts.Format == FormatJSON}
		if j.array {
			if _, err := w.WriteString("["); err != nil {
				return nil, err
			}
		}
		return j, nil
	}
	return nil, jobs.Errorf(jobs.EINVALID, "Unknown export format %q.", opts.Format)
}

// factValues are the wiki columns of one row, in header order.
func factValues(opts EnrichedOptions, f ItemFact, out []string) []string {
	if opts.Facts == nil {
		return out
	}
	for _, l := range opts.Languages {
		out = append(out, f.Labels[l], f.Descriptions[l])
	}
	for _, p := range opts.Properties {
		out = append(out, strings.Join(f.Claims[p], "|"))
	}
	return out
}

func decisionOf(r jobs.ReviewRow) string {
	if r.Decision != nil {
		return string(r.Decision.Kind)
	}
	return ""
}

func scoreOf(r jobs.ReviewRow) string {
	if r.Match.Status == "" {
		return ""
	}
	return strconv.FormatFloat(r.Match.Score, 'f', 3, 64)
}

type tableWriter struct {
	cw    *CSVWriter
	opts  EnrichedOptions
	width int
	rec   []string
}

func (t *tableWriter) write(r jobs.ReviewRow, status string, facts map[string]ItemFact) error {
	t.rec = append(t.rec[:0], r.Cells...)
	// Ragged rows are padded so that the added columns stay under their headers.
	for len(t.rec) < t.width {
		t.rec = append(t.rec, "")
	}
	q := r.FinalQID()
	t.rec = append(t.rec, q, string(r.Match.Status), scoreOf(r), decisionOf(r))
	if t.opts.Watched != nil {
		t.rec = append(t.rec, status)
	}
	if len(t.opts.Media) > 0 {
		m := t.opts.Media[r.Row]
		t.rec = append(t.rec, m.FileTitle, m.URL)
	}
	t.rec = factValues(t.opts, facts[q], t.rec)
	return t.cw.Write(t.rec)
}

func (t *tableWriter) flush() error { t.cw.Flush(); return t.cw.Error() }
func (t *tableWriter) end() error   { return t.flush() }

// jsonRow is one row of a JSON export: the partner's cells by column name
// (the first of duplicate names wins), then what Partnerhub added.
type jsonRow struct {
	Row          int64               `json:"row"`
	Cells        map[string]string   `json:"cells"`
	QID          string              `json:"wikidata_qid"`
	Status       string              `json:"match_status"`
	Score        *float64            `json:"match_score"`
	Decision     string              `json:"decision,omitempty"`
	Wikidata     string              `json:"wikidata_status,omitempty"`
	CommonsFile  string              `json:"commons_file,omitempty"`
	CommonsURL   string              `json:"commons_url,omitempty"`
	Labels       map[string]string   `json:"labels,omitempty"`
	Descriptions map[string]string   `json:"descriptions,omitempty"`
	Claims       map[string][]string `json:"properties,omitempty"`
}

type jsonWriter struct {
	w       *bufio.Writer
	opts    EnrichedOptions
	columns []string
	array   bool
	n       int64
}

func (j *jsonWriter) write(r jobs.ReviewRow, status string, facts map[string]ItemFact) error {
	out := jsonRow{Row: r.Row, Cells: make(map[string]string, len(j.columns)), QID: r.FinalQID(), Status: string(r.Match.Status), Decision: decisionOf(r), Wikidata: status}
	for i, c := range j.columns {
		if i < len(r.Cells) {
			if _, dup := out.Cells[c]; !dup {
				out.Cells[c] = r.Cells[i]
			}
		}
	}
	if r.Match.Status != "" {
		s := r.Match.Score
		out.Score = &s
	}
	if m, ok := j.opts.Media[r.Row]; ok {
		out.CommonsFile, out.CommonsURL = m.FileTitle, m.URL
	}
	if j.opts.Facts != nil && out.QID != "" {
		f := facts[out.QID]
		out.Labels = pick(f.Labels, j.opts.Languages)
		out.Descriptions = pick(f.Descriptions, j.opts.Languages)
		if len(j.opts.Properties) > 0 {
			out.Claims = map[string][]string{}
			for _, p := range j.opts.Properties {
				if v := f.Claims[p]; len(v) > 0 {
					out.Claims[p] = v
				}
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if j.array {
		sep := ",\n"
		if j.n == 0 {
			sep = "\n"
		}
		if _, err := j.w.WriteString(sep); err != nil {
			return err
		}
	}
	j.n++
	if _, err := j.w.Write(b); err != nil {
		return err
	}
	if !j.array {
		return j.w.WriteByte('\n')
	}
	return nil
}

func pick(m map[string]string, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (j *jsonWriter) flush() error { return nil }

func (j *jsonWriter) end() error {
	var err error
	if j.array {
		_, err = j.w.WriteString("\n]\n")
	}
	return err
}
