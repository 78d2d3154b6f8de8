package match

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/export"
)

// CSVOptions tune RunCSV.
type CSVOptions struct {
	BatchSize int // rows per engine batch; default 200
	// Concurrent is how many batches are matched at once (their queries
	// still pass the client's limiter); default 1. Output keeps the input's
	// order.
	Concurrent int
	Progress   io.Writer // a line per batch; nil for none
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
	// The same formula-safe writer as the web exports: labels and partner
	// cells come from strangers, and spreadsheets run what looks like a formula.
	w := export.NewCSVWriter(out, r.Delimiter())
	if err := w.Write(append(append([]string{}, header...), resultColumns...)); err != nil {
		return sum, fmt.Errorf("write the CSV: %w", err)
	}
	before := e.Requests()
	if opts.Concurrent <= 0 {
		opts.Concurrent = 1
	}
	// Batches are matched by up to Concurrent goroutines; pending keeps
	// them in input order for writing.
	type matched struct {
		batch   []jobs.Row
		results []jobs.RowMatch
		err     error
	}
	pending := make(chan chan matched, opts.Concurrent)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	match := func(batch []jobs.Row) chan matched {
		done := make(chan matched, 1)
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
		go func() {
			results, err := e.MatchBatch(ctx, rows)
			if err != nil {
				err = fmt.Errorf("match rows %d–%d: %w", batch[0].Num, batch[len(batch)-1].Num, err)
			}
			done <- matched{batch, results, err}
		}()
		return done
	}
	write := func(m matched) error {
		if m.err != nil {
			return m.err
		}
		batch := m.batch
		for i, res := range m.results {
			rec := append([]string{}, batch[i].Cells...)
			for len(rec) < len(header) {
				rec = append(rec, "")
			}
			var evidence string
			if len(res.Candidates) > 0 {
				evidence = strings.Join(res.Candidates[0].Evidence, "; ")
			}
			if res.Note != "" && !strings.Contains(evidence, res.Note) {
				evidence = strings.TrimPrefix(evidence+"; "+res.Note, "; ")
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
		return nil
	}
	// drain writes finished batches until fewer than keep are pending.
	drain := func(keep int) error {
		for len(pending) > keep {
			if err := write(<-<-pending); err != nil {
				return err
			}
		}
		return nil
	}
	fail := func(err error) (Summary, error) {
		cancel()
		for len(pending) > 0 {
			<-<-pending // let running batches end before returning
		}
		sum.Elapsed = time.Since(start)
		return sum, err
	}
	var batch []jobs.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("read the CSV: %w", err))
		}
		batch = append(batch, row)
		if len(batch) == opts.BatchSize {
			if err := drain(opts.Concurrent - 1); err != nil {
				return fail(err)
			}
			pending <- match(batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		if err := drain(opts.Concurrent - 1); err != nil {
			return fail(err)
		}
		pending <- match(batch)
	}
	if err := drain(0); err != nil {
		return fail(err)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}
