package match

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

func TestMatcherMatchRows(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph)
	tpl := `{"wikibase":{"sparql_endpoint":"` + srv.Endpoint() + `"},"languages":["sv"],"type":{"qid":"Q5"},
		"columns":{"Namn":{"role":"label"},"Född":{"property":"P569","kind":"time"}}}`
	m := NewMatcher(MatcherConfig{UserAgent: "partnerhub-test/0 (test)", Limiter: sparql.NewLimiter(sparql.LimiterConfig{InFlight: 2}), Logger: quiet})
	job := &jobs.Job{ID: 42, Template: json.RawMessage(tpl)}
	cols := []string{"Id", "Namn", "Född"}
	rows := []jobs.Row{{Num: 11, Cells: []string{"a", "Carl Larsson", "1853"}}, {Num: 12, Cells: []string{"b", "Nobody"}}}
	got, requests, err := m.MatchRows(context.Background(), job, cols, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].JobID != 42 || got[0].Row != 11 || got[0].Status != jobs.MatchMatched || got[0].QID != "Q2" || got[1].Status != jobs.MatchNone {
		t.Fatalf("results %+v", got)
	}
	if requests != 3 || srv.Requests() != 3 {
		t.Errorf("requests %d (server saw %d), want 3: labels, the type's subclasses, facts", requests, srv.Requests())
	}
	// The type's subclasses and the candidates' facts are read once for
	// all jobs and batches (the Matcher's wdqs.Reader and its cache).
	if _, requests, err = m.MatchRows(context.Background(), &jobs.Job{ID: 43, Template: json.RawMessage(tpl)}, cols, rows); err != nil || requests != 1 {
		t.Errorf("second batch: %d requests (%v), want 1: labels", requests, err)
	}
	if _, _, err := m.MatchRows(context.Background(), job, []string{"Id"}, rows); jobs.ErrorCode(err) != jobs.EINVALID {
		t.Errorf("a template naming missing columns: %v", err)
	}
	// A Matcher given the process's Readers reads through them: what
	// another user of them has read (the type's subclasses, here) costs
	// its batches nothing.
	readers := wdqs.NewReaders(wdqs.ReadersConfig{Logger: quiet, Reader: ReaderConfig()})
	r, err := readers.Reader(srv.Endpoint(), DefaultEntityPrefix, DefaultPropertyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Subclasses(context.Background(), "Q5"); err != nil {
		t.Fatal(err)
	}
	shared := NewMatcher(MatcherConfig{Readers: readers, Logger: quiet})
	before := srv.Requests()
	if _, requests, err = shared.MatchRows(context.Background(), job, cols, rows); err != nil || requests != 2 || srv.Requests()-before != 2 {
		t.Errorf("a Matcher on shared Readers: %d requests (server saw %d, %v), want 2: labels, facts", requests, srv.Requests()-before, err)
	}
	limited := NewMatcher(MatcherConfig{AllowedEndpoints: []string{DefaultSPARQLEndpoint}, Logger: quiet})
	if _, _, err := limited.MatchRows(context.Background(), job, cols, rows); jobs.ErrorCode(err) != jobs.EFORBIDDEN {
		t.Errorf("an endpoint not allowed: %v", err)
	}
}

func TestRunCSV(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph)
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, smallTemplate(t), quiet)
	in := "name;born;note;ulan;country\nHilma af Klint;1862;x;;\nCarl Larsson;;\"a;b\";;\nNobody;;;;\n"
	var out, progress bytes.Buffer
	sum, err := RunCSV(context.Background(), strings.NewReader(in), &out, e, CSVOptions{BatchSize: 2, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 3 || sum.Matched != 1 || sum.Review != 1 || sum.None != 1 || sum.Requests != 4 {
		t.Errorf("summary %+v", sum)
	}
	r := csv.NewReader(&out)
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "name,born,note,ulan,country,match_qid,match_label,match_score,match_status,match_evidence" {
		t.Errorf("header %q", recs[0])
	}
	if got := recs[1]; got[0] != "Hilma af Klint" || got[5] != "Q1" || got[7] != "0.900" || got[8] != "matched" || !strings.Contains(got[9], "born 1862 agrees") {
		t.Errorf("row 1 %q", got)
	}
	if got := recs[2]; got[2] != "a;b" || got[8] != "review" || got[5] == "" {
		t.Errorf("row 2 %q", got)
	}
	if got := recs[3]; got[8] != "none" || got[5] != "" || got[7] != "" {
		t.Errorf("row 3 %q", got)
	}
	if lines := strings.Count(progress.String(), "\n"); lines != 2 {
		t.Errorf("progress %q", progress.String())
	}
	// Batches matched at once are written in the input's order.
	var one, many bytes.Buffer
	if _, err := RunCSV(context.Background(), strings.NewReader(in), &one, e, CSVOptions{BatchSize: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := RunCSV(context.Background(), strings.NewReader(in), &many, e, CSVOptions{BatchSize: 1, Concurrent: 3}); err != nil {
		t.Fatal(err)
	}
	if one.String() != many.String() || strings.Count(one.String(), "\n") != 4 {
		t.Errorf("concurrent batches wrote\n%s\none at a time\n%s", many.String(), one.String())
	}
}
