package sparqltest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/sparql/sparqltest"
)

// query sends q the way the SPARQL 1.1 protocol allows and returns the
// status and body.
func query(t *testing.T, s *sparqltest.Server, method, q string) (int, string) {
	t.Helper()
	var req *http.Request
	var err error
	switch method {
	case "GET":
		req, err = http.NewRequest("GET", s.Endpoint()+"?"+url.Values{"query": {q}}.Encode(), nil)
	case "POST":
		req, err = http.NewRequest("POST", s.Endpoint(), strings.NewReader(url.Values{"query": {q}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case "POST-direct":
		req, err = http.NewRequest("POST", s.Endpoint(), strings.NewReader(q))
		req.Header.Set("Content-Type", "application/sparql-query")
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProtocolLoadAndHooks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "start.nt")
	if err := os.WriteFile(file, []byte("<http://example.org/a> <http://example.org/name> \"from a file\"@en .\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := sparqltest.Start(t, file)
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %s is not on loopback", s.Endpoint())
	}
	s.Load(t, `@prefix ex: <http://example.org/> . ex:b ex:name "loaded"^^<http://example.org/type> .`)

	for _, method := range []string{"GET", "POST", "POST-direct"} {
		status, body := query(t, s, method, `SELECT ?n WHERE { ?s <http://example.org/name> ?n } ORDER BY ?n`)
		var res struct {
			Results struct {
				Bindings []map[string]map[string]string
			}
		}
		if status != 200 || json.Unmarshal([]byte(body), &res) != nil || len(res.Results.Bindings) != 2 {
			t.Fatalf("%s: %d %s", method, status, body)
		}
		if n := res.Results.Bindings[0]["n"]; n["value"] != "from a file" || n["xml:lang"] != "en" {
			t.Errorf("%s: first row %v", method, n)
		}
		if n := res.Results.Bindings[1]["n"]; n["value"] != "loaded" || n["datatype"] != "http://example.org/type" {
			t.Errorf("%s: second row %v", method, n)
		}
	}
	if status, body := query(t, s, "GET", `ASK { <http://example.org/b> ?p ?o }`); status != 200 || !strings.Contains(body, `"boolean":true`) {
		t.Errorf("ASK: %d %s", status, body)
	}
	if status, body := query(t, s, "GET", `CONSTRUCT WHERE { <http://example.org/b> ?p ?o }`); status != 200 || !strings.Contains(body, `"loaded"`) {
		t.Errorf("CONSTRUCT: %d %s", status, body)
	}
	if status, body := query(t, s, "GET", `SELEC ?x`); status != 400 || !strings.Contains(body, "1:") {
		t.Errorf("syntax error: %d %s", status, body)
	}
	if got := s.Requests(); got != 6 {
		t.Errorf("server counted %d queries, want 6", got)
	}

	s.InjectFailures(t, 429, "7", 2)
	s.InjectMalformed(t, 1)
	for i, want := range []int{429, 429, 200} {
		req, _ := http.NewRequest("GET", s.Endpoint()+"?query="+url.QueryEscape("ASK {}"), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("injected answer %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "7" {
			t.Errorf("injected 429 without Retry-After: %v", resp.Header)
		}
		if want == 200 && json.Valid(body) {
			t.Errorf("injected malformed answer is valid JSON: %s", body)
		}
	}
	if status, _ := query(t, s, "GET", `ASK {}`); status != 200 {
		t.Errorf("after the injected failures: %d", status)
	}
	if got := s.Requests(); got != 10 {
		t.Errorf("server counted %d queries, want 10", got)
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	s := sparqltest.Start(t)
	if err := s.LoadFile(filepath.Join(t.TempDir(), "missing.ttl")); err == nil {
		t.Error("a missing file loaded")
	}
	bad := filepath.Join(t.TempDir(), "bad.ttl")
	if err := os.WriteFile(bad, []byte("<http://x> <http://y> ."), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadFile(bad); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("bad Turtle: %v", err)
	}
}

// BenchmarkStart100kItems measures starting an engine with a graph shaped
// like the reconciliation benchmark's: 100,000 items with a label, an
// instance-of and an external id each (300,000 triples).
func BenchmarkStart100kItems(b *testing.B) {
	path := filepath.Join(b.TempDir(), "items.nt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= 100_000; i++ {
		fmt.Fprintf(w, "<http://www.wikidata.org/entity/Q%d> <http://www.w3.org/2000/01/rdf-schema#label> \"Person %d\"@en .\n", i, i)
		fmt.Fprintf(w, "<http://www.wikidata.org/entity/Q%d> <http://www.wikidata.org/prop/direct/P31> <http://www.wikidata.org/entity/Q5> .\n", i)
		fmt.Fprintf(w, "<http://www.wikidata.org/entity/Q%d> <http://www.wikidata.org/prop/direct/P245> \"%d\" .\n", i, 500000000+i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		s := sparqltest.Start(b, path)
		b.ReportMetric(time.Since(start).Seconds(), "s/start")
		b.StopTimer()
		req, _ := http.NewRequest("GET", s.Endpoint()+"?query="+url.QueryEscape(`SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }`), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"300000"`) {
			b.Fatalf("count: %s", body)
		}
		s.Stop()
		b.StartTimer()
	}
}
