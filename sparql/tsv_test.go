package sparql_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"partnerhub/sparql"
)

const xsd = "http://www.w3.org/2001/XMLSchema#"

func TestParseTSV(t *testing.T) {
	body := "?item\t?label\t?n\t?b\n" +
		"<http://www.wikidata.org/entity/Q42>\t\"Douglas \\\"D\\\" Adams\\tx\\n\\\\\"@en-GB\t42\t_:b0\n" +
		"<http://x/\\u00E9>\t\t-1.5\t\n" +
		"\t\"1952-03-11T00:00:00Z\"^^<" + xsd + "dateTime>\t1.0e3\ttrue\n" +
		"\t'single'\t\"\"\"long \"quoted\" \"\"\"\t\"\\U0001F600\"\r\n"
	got, err := sparql.ParseTSV([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := &sparql.Results{Vars: []string{"item", "label", "n", "b"}, Rows: []map[string]sparql.Term{
		{"item": {Type: "uri", Value: "http://www.wikidata.org/entity/Q42"}, "label": {Type: "literal", Value: "Douglas \"D\" Adams\tx\n\\", Lang: "en-GB"},
			"n": {Type: "literal", Value: "42", Datatype: xsd + "integer"}, "b": {Type: "bnode", Value: "b0"}},
		{"item": {Type: "uri", Value: "http://x/é"}, "n": {Type: "literal", Value: "-1.5", Datatype: xsd + "decimal"}},
		{"label": {Type: "literal", Value: "1952-03-11T00:00:00Z", Datatype: xsd + "dateTime"}, "n": {Type: "literal", Value: "1.0e3", Datatype: xsd + "double"},
			"b": {Type: "literal", Value: "true", Datatype: xsd + "boolean"}},
		{"label": {Type: "literal", Value: "single"}, "n": {Type: "literal", Value: `long "quoted" `}, "b": {Type: "literal", Value: "😀"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for body, rows := range map[string]int{"?a\n": 0, "?a\n\n": 1, "\n\n": 1, "\n": 0, "?a\t?b\n\t\n\t\n": 2, "?a\n<http://x>": 1} {
		res, err := sparql.ParseTSV([]byte(body))
		if err != nil || len(res.Rows) != rows {
			t.Errorf("%q: %v, %v", body, res, err)
		}
	}
	for _, bad := range []string{
		"",                         // no line of variables
		"a\n",                      // not a variable
		"?a\n<http://x>\t<y>\n",    // two fields, one variable
		"?a\n<http://x\n",          // unterminated IRI
		"?a\n<http://x y>\n",       // space in an IRI
		"?a\n\"x\n",                // unterminated literal
		"?a\n\"x\"@\n",             // empty language tag
		"?a\n\"x\"@en-\n",          // bad language tag
		"?a\n\"x\"^^xsd:string\n",  // prefixed datatype
		"?a\n\"x\" junk\n",         // junk after a literal
		"?a\n\"\\q\"\n",            // bad escape
		"?a\n\"\\uD800\"\n",        // a surrogate
		"?a\nfoo\n",                // bare word
		"?a\n1.\n",                 // not a number
		"?a\n<< <a> <b> <c> >>\n",  // quoted triple
		"?a\n_:\n",                 // empty blank node
		"?a\n\"\xff\"\n",           // not UTF-8
		"\nx\n",                    // a value without variables
		"?a\t?a\n",                 // a variable twice
		"?a\n<http://x/\\u0020>\n", // an escape for what IRIs forbid
	} {
		if res, err := sparql.ParseTSV([]byte(bad)); err == nil {
			t.Errorf("%q accepted as %+v", bad, res)
		}
	}
}

// TestTSVMatchesJSON: the same queries against the real engine, answered
// in TSV (what Select asks for) and in JSON, give the same results.
func TestTSVMatchesJSON(t *testing.T) {
	engine(t)
	seen := &answerTypes{}
	c, err := sparql.NewClient(sparql.Config{Endpoint: fuzzServer.Endpoint(), Logger: quiet, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: seen}})
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := sparql.NewClient(sparql.Config{Endpoint: fuzzServer.Endpoint(), Logger: quiet, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: acceptOnly{"application/sparql-results+json"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT ?a ?b ?c ?d ?e ?f ?g ?h ?i ?j WHERE { BIND(1 AS ?a) BIND(-1.50 AS ?b) BIND(1e3 AS ?c) BIND(true AS ?d)
			BIND("x\ty\n\"\\z\u0001\u2028 ' \"\"\""@en-GB AS ?e) BIND(BNODE() AS ?f) BIND("2020"^^<` + xsd + `gYear> AS ?g)
			BIND(<http://x/é?a=b#c> AS ?h) BIND(STRDT("x", <` + xsd + `string>) AS ?i) BIND("" AS ?j) }`,
		`SELECT ?a ?b WHERE { VALUES (?a ?b) { (UNDEF 1) (2 UNDEF) (UNDEF UNDEF) ("😀\u0000" <urn:x>) } }`,
		`SELECT * WHERE { }`,
		`SELECT ?a WHERE { FILTER(false) }`,
		`SELECT ?ü_1 WHERE { BIND(" lead and trail " AS ?ü_1) }`,
	} {
		got, err := c.Select(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := asJSON.Select(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		// Blank node labels are the engine's to choose per answer.
		for _, res := range []*sparql.Results{got, want} {
			for _, row := range res.Rows {
				for k, term := range row {
					if term.Type == "bnode" {
						row[k] = sparql.Term{Type: "bnode"}
					}
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s\nTSV  %+v\nJSON %+v", q, got, want)
		}
	}
	if len(seen.types) != 1 || !seen.types[sparql.TSVType] {
		t.Errorf("the engine answered Select in %v, not TSV alone", seen.types)
	}
}

// answerTypes records the Content-Type of the answers.
type answerTypes struct {
	mu    sync.Mutex
	types map[string]bool
}

func (a *answerTypes) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		a.mu.Lock()
		if a.types == nil {
			a.types = map[string]bool{}
		}
		a.types[resp.Header.Get("Content-Type")] = true
		a.mu.Unlock()
	}
	return resp, err
}

// acceptOnly sends every request with one Accept header.
type acceptOnly struct{ accept string }

func (a acceptOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", a.accept)
	return http.DefaultTransport.RoundTrip(r)
}

// TestSelectReadsTheAnswersFormat: an endpoint that ignores the Accept
// header and answers JSON is read as JSON; broken TSV is a malformed answer.
func TestSelectReadsTheAnswersFormat(t *testing.T) {
	answers := map[string][2]string{
		"/json": {"application/sparql-results+json", `{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"j"}}]}}`},
		"/tsv":  {"text/tab-separated-values; charset=utf-8", "?x\n\"t\"\n"},
		"/bad":  {"text/tab-separated-values", "?x\n\"t\n"},
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Accept"), sparql.TSVType+",") {
			http.Error(w, "TSV first, please", http.StatusNotAcceptable)
			return
		}
		a := answers[r.URL.Path]
		w.Header().Set("Content-Type", a[0])
		fmt.Fprint(w, a[1])
	}))
	defer ts.Close()
	for path, want := range map[string]string{"/json": "j", "/tsv": "t"} {
		res, err := newClient(t, ts.URL+path, sparql.Config{}).Select(context.Background(), "SELECT ?x {}")
		if err != nil || len(res.Rows) != 1 || res.Rows[0]["x"].Value != want {
			t.Errorf("%s: %+v %v", path, res, err)
		}
	}
	if _, err := newClient(t, ts.URL+"/bad", sparql.Config{}).Select(context.Background(), "SELECT ?x {}"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("broken TSV: %v", err)
	}
}

// FuzzParseTSV: any input is refused or read; what is read, written again
// as TSV, reads back the same.
func FuzzParseTSV(f *testing.F) {
	for _, s := range []string{"?a\n<http://x>\n", "?a\t?b\n\"x\"@en\t1\n", "?a\n'\\u0041'\n", "?a\n\"\"\"a\"b\"\"\"\n", "\n\n", "?a\n_:b\n",
		"?a\n\"1\"^^<http://x/\\U0001F600>\n", "?a\n+.5e-3\n", "?a\r\n\"x\"\r\n", "\ufeff?a\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := sparql.ParseTSV(body)
		if err != nil {
			return
		}
		again, err := sparql.ParseTSV([]byte(writeTSV(res)))
		if err != nil {
			t.Fatalf("%q read as %+v, written as %q: %v", body, res, writeTSV(res), err)
		}
		if !reflect.DeepEqual(res, again) {
			t.Fatalf("%q read as %+v, then as %+v", body, res, again)
		}
		for _, row := range res.Rows {
			for _, term := range row {
				if !utf8.ValidString(term.Value) {
					t.Fatalf("%q: invalid UTF-8 in %+v", body, term)
				}
			}
		}
	})
}

// writeTSV writes results as TSV, every literal quoted and escaped.
func writeTSV(res *sparql.Results) string {
	var b strings.Builder
	for i, v := range res.Vars {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString("?" + v)
	}
	b.WriteByte('\n')
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	for _, row := range res.Rows {
		for i, v := range res.Vars {
			if i > 0 {
				b.WriteByte('\t')
			}
			term, ok := row[v]
			switch {
			case !ok:
			case term.Type == "uri":
				b.WriteString("<" + term.Value + ">")
			case term.Type == "bnode":
				b.WriteString("_:" + term.Value)
			default:
				b.WriteString(`"` + esc.Replace(term.Value) + `"`)
				if term.Lang != "" {
					b.WriteString("@" + term.Lang)
				} else if term.Datatype != "" {
					b.WriteString("^^<" + term.Datatype + ">")
				}
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
