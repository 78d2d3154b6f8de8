package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestReconcileCommand runs the command-line reconciliation on the gold
// set against a real SPARQL engine: the output is the input's columns
// unchanged plus the match columns, and the known matches come out matched,
// including one only the search fallback (the template's wikibase.api_url,
// as the workers use) finds.
func TestReconcileCommand(t *testing.T) {
	srv := sparqltest.Start(t, filepath.Join("..", "..", "jobs", "match", "testdata", "gold.ttl"))
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: []*wikidata.Entity{{ID: "Q104", Type: "item",
		Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "René Lefèvre"}}}}})
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.json")
	_ = os.WriteFile(tmpl, []byte(`{"wikibase":{"api_url":"`+wiki.URL()+`"},"languages":["en","sv"],"type":{"qid":"Q5"},"columns":{
		"name":{"role":"label"},"alt_name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"},
		"born":{"property":"P569","kind":"time"},"died":{"property":"P570","kind":"time"}}}`), 0o600)
	in := filepath.Join(dir, "in.csv")
	_ = os.WriteFile(in, []byte("name,alt_name,ulan,born,died\nAnna Berg,,,1850,\nNobody Atall Xyz,,,1700,\nRene Lefevre,,,1879,\n"), 0o600)
	out := filepath.Join(dir, "out.csv")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"reconcile", "--input", in, "--template", tmpl, "--output", out, "--endpoint", srv.Endpoint()}, &bytes.Buffer{}, &stderr)
	if err != nil {
		t.Fatalf("reconcile: %v\n%s", err, stderr.String())
	}
	f, _ := os.Open(out)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "name,alt_name,ulan,born,died,match_qid,match_label,match_score,match_status,match_evidence" {
		t.Fatalf("header %v", recs[0])
	}
	if recs[1][0] != "Anna Berg" || recs[1][5] != "Q101" || recs[1][8] != "matched" {
		t.Fatalf("row 1: %v", recs[1])
	}
	if recs[2][8] != "none" || recs[2][5] != "" {
		t.Fatalf("row 2: %v", recs[2])
	}
	if recs[3][5] != "Q104" || recs[3][8] != "matched" {
		t.Fatalf("row 3, found by the search fallback: %v", recs[3])
	}
	if wiki.Requests() == 0 {
		t.Fatal("the search fallback was never asked")
	}
	if !strings.Contains(stderr.String(), "3 rows") {
		t.Fatalf("summary: %s", stderr.String())
	}
	// A template that does not fit the file fails before any query.
	_ = os.WriteFile(tmpl, []byte(`{"columns":{"nom":{"role":"label"}}}`), 0o600)
	before := srv.Requests()
	err = run(context.Background(), []string{"reconcile", "--input", in, "--template", tmpl, "--output", out}, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), `"nom"`) || srv.Requests() != before {
		t.Fatalf("bad template: %v", err)
	}
}

// TestReconcileHelp: asking for help is not a failure.
func TestReconcileHelp(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"reconcile", "--help"}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatalf("reconcile --help: %v", err)
	}
	if !strings.Contains(stderr.String(), "-api-url") || !strings.Contains(stderr.String(), "-no-search") {
		t.Fatalf("help does not list the search flags:\n%s", stderr.String())
	}
}
