package match

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
)

// CSVOptions tune RunCSV.
type CSVOptions struct {
	BatchSize int       // rows per engine batch; default 200
	Progress  io.Writer // a line per batch; nil for none
}

// Summary counts what RunCSV did.
type Summary struct {
	Rows, Matched, Review, None, Requests int64
	Elapsed                               time.Duration
}

// Columns RunCSV appends to the partner's.
var resultColumns = []string{"match_qid", "match_label", "match_score", "match_status", "match_evidence"}

// RunCSV reconciles a partner CSV (header row; delimiter and encoding
// sniffed) batch by batch, writing the input columns unchanged followed by
// the match columns, with the input's delimiter. For review rows match_qid
// is the best candidate.
func RunCSV(ctx context.Context, in io.Reader, out io.Writer, e *Engine, opts CSVOptions) (Summary, error) {
	start := time.Now()
	var sum Summary
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	r, err := dataset.NewReader(in, dataset.Options{})
	if err != nil {
		return sum, fmt.Errorf("read the CSV: %w", err)
	}
	header := r.Header()
	if err := e.t.Validate(header); err != nil {
		return sum, err
	}
	w := csv.NewWriter(out)
	w.Comma = r.Delimiter()
	if err := w.Write(append(append([]string{}, header...), resultColumns...)); err != nil {
		return sum, fmt.Errorf("write the CSV: %w", err)
	}
	before := e.Requests()
	var batch []jobs.Row
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rows := make([]Row, len(batch))
		for i, b := range batch {
			vals := make(map[string]string, len(header))
			for c, name := range header {
				if c < len(b.Cells) {
					vals[name] = b.Cells[c]
				}
			}
			rows[i] = Row{Num: b.Num, Values: vals}
		}
		results, err := e.MatchBatch(ctx, rows)
		if err != nil {
			return fmt.Errorf("match rows %d–%d: %w", batch[0].Num, batch[len(batch)-1].Num, err)
		}
		for i, res := range results {
			rec := append([]string{}, batch[i].Cells...)
			for len(rec) < len(header) {
				rec = append(rec, "")
			}
			var evidence string
			if len(res.Candidates) > 0 {
				evidence = strings.Join(res.Candidates[0].Evidence, "; ")
			}
			score := ""
			if res.Status != jobs.MatchNone {
				score = strconv.FormatFloat(res.Score, 'f', 3, 64)
			}
			rec = append(rec, res.QID, res.Label, score, string(res.Status), evidence)
			if err := w.Write(rec); err != nil {
				return fmt.Errorf("write the CSV: %w", err)
			}
			switch res.Status {
			case jobs.MatchMatched:
				sum.Matched++
			case jobs.MatchReview:
				sum.Review++
			default:
				sum.None++
			}
			sum.Rows++
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return fmt.Errorf("write the CSV: %w", err)
		}
		sum.Requests = e.Requests() - before
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%d rows: %d matched, %d to review, %d without candidates, %d requests, %s\n",
				sum.Rows, sum.Matched, sum.Review, sum.None, sum.Requests, time.Since(start).Round(time.Millisecond))
		}
		batch = batch[:0]
		return nil
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			sum.Elapsed = time.Since(start)
			return sum, fmt.Errorf("read the CSV: %w", err)
		}
		batch = append(batch, row)
		if len(batch) == opts.BatchSize {
			if err := flush(); err != nil {
				sum.Elapsed = time.Since(start)
				return sum, err
			}
		}
	}
	err = flush()
	sum.Elapsed = time.Since(start)
	return sum, err
}
