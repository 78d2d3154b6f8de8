package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// fakeWatched says what a watch found of some rows, counting its calls.
type fakeWatched struct {
	calls int
	rows  []int64
}

func (f *fakeWatched) RowWikidataStatus(_ context.Context, _ int64, rows []int64) (map[int64]string, error) {
	f.calls++
	f.rows = append(f.rows, rows...)
	return map[int64]string{1: "still there", 2: "item merged into Q9", 4: "removed"}, nil
}

// TestExportSaysWhatBecameOfEachRow: the wikidata_status column follows the
// result columns, is empty for rows without a watched edit, is asked once
// per page, and is left out entirely without a watch source.
func TestExportSaysWhatBecameOfEachRow(t *testing.T) {
	src := func() *fakePages { return &fakePages{n: 5, cells: func(int64) []string { return []string{"a", "b"} }} }
	watched := &fakeWatched{}
	var buf bytes.Buffer
	if err := WriteEnriched(context.Background(), &buf, src(), 1, twoCols, EnrichedOptions{Format: FormatCSV, Watched: watched}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "name,year,wikidata_qid,match_status,match_score,decision,wikidata_status" {
		t.Fatalf("header %s", got)
	}
	want := []string{"still there", "item merged into Q9", "", "removed", ""}
	for i, w := range want {
		if recs[i+1][6] != w {
			t.Errorf("row %d: %q, want %q", i+1, recs[i+1][6], w)
		}
	}
	if watched.calls != 1 || len(watched.rows) != 5 {
		t.Fatalf("asked %d times for %v", watched.calls, watched.rows)
	}
	buf.Reset()
	if err := WriteEnriched(context.Background(), &buf, src(), 1, twoCols, EnrichedOptions{Format: FormatJSONLines, Watched: watched}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.Contains(lines[1], `"wikidata_status":"item merged into Q9"`) || strings.Contains(lines[2], "wikidata_status") {
		t.Fatalf("JSON Lines:\n%s", buf.String())
	}
	buf.Reset()
	_ = WriteEnriched(context.Background(), &buf, src(), 1, twoCols, EnrichedOptions{Format: FormatCSV})
	if strings.Contains(buf.String(), "wikidata_status") {
		t.Fatal("a status column without a watch source")
	}
}
