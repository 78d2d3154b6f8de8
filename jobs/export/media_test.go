package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"partnerhub/jobs"
)

func TestEnrichedExportCarriesCommonsFiles(t *testing.T) {
	src := &fakePages{n: 3, cells: func(i int64) []string { return []string{fmt.Sprint("Name ", i), "1900"} }}
	media := MediaByRow([]jobs.RowMedia{
		{Row: 1, QID: "Q1", FileTitle: "File:Name 1.jpg", URL: "https://commons.wikimedia.org/wiki/File:Name_1.jpg"},
		{Row: 3, QID: "Q3", FileTitle: "File:=cmd.jpg", URL: "https://commons.wikimedia.org/wiki/File:%3Dcmd.jpg"},
	})
	var buf bytes.Buffer
	if err := WriteEnriched(context.Background(), &buf, src, 1, twoCols, EnrichedOptions{Format: FormatCSV, Media: media}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "name,year,wikidata_qid,match_status,match_score,decision,commons_file,commons_url" {
		t.Fatalf("header %s", got)
	}
	if recs[1][6] != "File:Name 1.jpg" || recs[2][6] != "" || recs[2][7] != "" || recs[3][7] != "https://commons.wikimedia.org/wiki/File:%3Dcmd.jpg" {
		t.Fatalf("rows %q", recs[1:])
	}
	// a job without files keeps the export's columns as they were
	buf.Reset()
	_ = WriteEnriched(context.Background(), &buf, src, 1, twoCols, EnrichedOptions{Format: FormatCSV})
	if strings.Contains(buf.String(), "commons_file") {
		t.Fatal("media columns without media")
	}
	buf.Reset()
	if err := WriteEnriched(context.Background(), &buf, src, 1, twoCols, EnrichedOptions{Format: FormatJSONLines, Media: media}); err != nil {
		t.Fatal(err)
	}
	var first jsonRow
	_ = json.Unmarshal([]byte(strings.SplitN(buf.String(), "\n", 2)[0]), &first)
	if first.CommonsFile != "File:Name 1.jpg" || !strings.HasPrefix(first.CommonsURL, "https://commons.wikimedia.org/") {
		t.Fatalf("json row %+v", first)
	}
}
