package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestReconcileMatchesLikeTheWorkers: the command line and the workers'
// Matcher, given the same file, template and wiki, reach the same result
// for every row, search fallback included: one engine, one configuration.
func TestReconcileMatchesLikeTheWorkers(t *testing.T) {
	gold := filepath.Join("..", "..", "jobs", "match", "testdata")
	srv := sparqltest.Start(t, filepath.Join(gold, "gold.ttl"))
	gf, err := os.Open(filepath.Join(gold, "gold.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	goldRecs, err := csv.NewReader(gf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The fake wiki's search knows the people whose labels the rows spell
	// without their accents.
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: []*wikidata.Entity{
		{ID: "Q104", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "René Lefèvre"}}},
		{ID: "Q112", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Selma Lagerlöf"}}},
		{ID: "Q116", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Isaac Grünewald"}}},
		{ID: "Q118", Type: "item", Labels: map[string]wikidata.Term{"mul": {Language: "mul", Value: "Ljubica Marić"}}},
	}})
	raw, _ := json.Marshal(map[string]any{
		"wikibase":  map[string]any{"sparql_endpoint": srv.Endpoint(), "api_url": wiki.URL()},
		"languages": []string{"en", "sv"}, "type": map[string]any{"qid": "Q5"},
		"columns": map[string]any{
			"name": map[string]any{"role": "label"}, "alt_name": map[string]any{"role": "label"},
			"ulan": map[string]any{"property": "P245", "kind": "external-id"},
			"born": map[string]any{"property": "P569", "kind": "time"}, "died": map[string]any{"property": "P570", "kind": "time"},
			"country": map[string]any{"property": "P27", "kind": "item"},
		}})
	dir := t.TempDir()
	tmplPath, in, out := filepath.Join(dir, "t.json"), filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	_ = os.WriteFile(tmplPath, raw, 0o600)
	header := goldRecs[0][:len(goldRecs[0])-1] // without expected_qid
	var rows []jobs.Row
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for i, r := range goldRecs[1:] {
		cells := r[:len(r)-1]
		_ = w.Write(cells)
		rows = append(rows, jobs.Row{Num: int64(i + 1), Cells: cells})
	}
	w.Flush()
	_ = os.WriteFile(in, buf.Bytes(), 0o600)

	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"reconcile", "--input", in, "--template", tmplPath, "--output", out}, io.Discard, &stderr); err != nil {
		t.Fatalf("reconcile: %v\n%s", err, stderr.String())
	}
	f, _ := os.Open(out)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The worker's Matcher, with readers of its own (nil: built from its
	// configuration), as a worker process has.
	m := match.NewMatcher(matcherConfig("partnerhub-test/0", nil, nil, nil, logger))
	job := &jobs.Job{ID: 1, Template: raw}
	var worker []jobs.RowMatch
	for _, chunk := range sparql.Chunk(rows, 200) {
		got, _, err := m.MatchRows(context.Background(), job, header, chunk)
		if err != nil {
			t.Fatal(err)
		}
		worker = append(worker, got...)
	}
	if len(recs)-1 != len(worker) {
		t.Fatalf("%d rows written, %d matched by the worker", len(recs)-1, len(worker))
	}
	found := 0
	for i, res := range worker {
		cli := recs[i+1]
		qid, status := cli[len(header)], cli[len(header)+3]
		if qid != res.QID || status != string(res.Status) {
			t.Errorf("row %d %q: command line %s %s, worker %s %s", i+1, strings.Join(cli[:len(header)], ","), status, qid, res.Status, res.QID)
		}
		// No label is spelt "Rene Lefevre": only the search finds Q104.
		if cli[0] == "Rene Lefevre" && qid == "Q104" && status == "matched" {
			found++
		}
	}
	if found == 0 {
		t.Error(`"Rene Lefevre" was not matched through the search fallback`)
	}
	if wiki.Requests() == 0 {
		t.Error("the search fallback was never asked")
	}
}
