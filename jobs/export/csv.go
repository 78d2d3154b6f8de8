package export

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// pageRows is how many rows one database round trip reads.
const pageRows = 5000

// DecisionColumns are appended to the partner's columns in a decisions export.
var DecisionColumns = []string{"wikidata_qid", "match_status", "match_qid", "match_label", "match_score", "decision", "decided_by", "match_note"}

// WriteDecisionsCSV streams the dataset with its current results and
// decisions as CSV. Every cell is defused against formula injection.
func WriteDecisionsCSV(ctx context.Context, w io.Writer, st *store.Store, job *jobs.Job, ds *jobs.Dataset, comma rune) error {
	cw := NewCSVWriter(w, comma)
	header := append(append([]string{}, ds.Columns...), DecisionColumns...)
	if err := cw.Write(header); err != nil {
		return err
	}
	var after int64
	rec := make([]string, 0, len(header))
	for {
		page, err := st.ExportPage(ctx, job.ID, ds.ID, after, pageRows)
		if err != nil {
			return fmt.Errorf("export after row %d: %w", after, err)
		}
		for _, r := range page {
			rec = append(rec[:0], r.Cells...)
			score := ""
			if r.Match.Status != "" {
				score = strconv.FormatFloat(r.Match.Score, 'f', 3, 64)
			}
			decision, by := "", ""
			if r.Decision != nil {
				decision, by = string(r.Decision.Kind), r.Decision.UserName
			}
			rec = append(rec, r.FinalQID(), string(r.Match.Status), r.Match.QID, r.Match.Label, score, decision, by, r.Match.Note)
			if err := cw.Write(rec); err != nil {
				return err
			}
			after = r.Row
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(page) < pageRows {
			return nil
		}
	}
}
