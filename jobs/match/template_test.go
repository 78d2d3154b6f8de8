package match

import (
	"bytes"
	"strings"
	"testing"

	"partnerhub/jobs"
)

const exampleTemplate = `{
  "version": 1,
  "languages": ["en", "SV", "en"],
  "type": {"qid": "q5"},
  "columns": {
    "name": {"role": "label"},
    "ulan": {"property": "p245", "kind": "external-id"},
    "born": {"property": "P569", "kind": "time"}
  },
  "write": {"summary": "kept  as is", "n": [1,2]}
}`

func TestParseTemplateDefaults(t *testing.T) {
	tpl, err := ParseTemplate([]byte(exampleTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Wikibase.SPARQLEndpoint != DefaultSPARQLEndpoint || tpl.Wikibase.EntityPrefix != DefaultEntityPrefix {
		t.Errorf("wikibase defaults not filled: %+v", tpl.Wikibase)
	}
	if strings.Join(tpl.Languages, ",") != "en,sv" {
		t.Errorf("languages %v", tpl.Languages)
	}
	if tpl.Type.QID != "Q5" || tpl.Columns["ulan"].Property != "P245" {
		t.Errorf("ids not normalised: %+v %+v", tpl.Type, tpl.Columns["ulan"])
	}
	if tpl.AutoAccept != (AutoAccept{DefaultAutoAcceptScore, DefaultAutoAcceptMargin}) {
		t.Errorf("auto_accept %+v", tpl.AutoAccept)
	}
	if err := tpl.Validate([]string{"name", "ulan", "born", "other"}); err != nil {
		t.Fatal(err)
	}
	if got := tpl.searchLanguages(); strings.Join(got, ",") != "en,sv,mul" {
		t.Errorf("search languages %v", got)
	}
}

func TestCheckTemplateStableAndKeepsWrite(t *testing.T) {
	cols := []string{"name", "ulan", "born"}
	out, err := CheckTemplate([]byte(exampleTemplate), cols)
	if err != nil {
		t.Fatal(err)
	}
	again, err := CheckTemplate(out, cols)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, again) {
		t.Errorf("not stable:\n%s\n%s", out, again)
	}
	if !bytes.Contains(out, []byte(`"summary": "kept  as is"`)) {
		t.Errorf("write section not kept:\n%s", out)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name, template string
		want           []string
	}{
		{"unknown kind", `{"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"date"}}}`,
			[]string{`column "born": unknown kind "date" (want external-id, time, item, string, quantity, url)`}},
		{"column missing", `{"columns":{"name":{"role":"label"},"x":{"property":"P1","kind":"string"}}}`,
			[]string{`column "x" is not in the dataset`}},
		{"bad ids", `{"type":{"qid":"Z5"},"columns":{"name":{"role":"label"},"born":{"property":"569","kind":"time"}}}`,
			[]string{`type "Z5" is not an item id like Q5`, `column "born": "569" is not a property id like P569`}},
		{"bad language", `{"languages":["en","english!"],"columns":{"name":{"role":"label"}}}`,
			[]string{`language "english!" is not a language code`}},
		{"nothing to find by", `{"columns":{"born":{"property":"P569","kind":"time"}}}`,
			[]string{"no label column and no identifier (external-id) column"}},
		{"endpoint not http", `{"wikibase":{"sparql_endpoint":"ftp://x/sparql"},"columns":{"name":{"role":"label"}}}`,
			[]string{`wikibase sparql_endpoint "ftp://x/sparql" is not an http(s) URL`}},
		{"thresholds", `{"auto_accept":{"score":1.5,"margin":"lots"},"columns":{"name":{"role":"label"}}}`,
			[]string{"auto_accept score 1.5 is outside 0..1", `auto_accept margin "lots" is not a number`}},
		{"all at once", `{"version":2,"languages":["??"],"columns":{"born":{"property":"Px","kind":"date"}}}`,
			[]string{"version 2 is not supported", `language "??"`, `"PX" is not a property id`, `unknown kind "date"`, "no label column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckTemplate([]byte(tt.template), []string{"name", "born"})
			if err == nil {
				t.Fatal("no error")
			}
			if jobs.ErrorCode(err) != jobs.EINVALID {
				t.Errorf("code %q", jobs.ErrorCode(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(jobs.ErrorMessage(err), w) {
					t.Errorf("message %q lacks %q", jobs.ErrorMessage(err), w)
				}
			}
		})
	}
}

func TestParseTemplateRejectsNonJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `[1]`, `{"columns":3}`, `{} {}`} {
		if _, err := ParseTemplate([]byte(in)); jobs.ErrorCode(err) != jobs.EINVALID {
			t.Errorf("%q: err %v", in, err)
		}
	}
}

func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(exampleTemplate))
	f.Add([]byte(`{"auto_accept":{"score":"x"},"languages":[""]}`))
	f.Add([]byte(`{"columns":{"a":{"role":"LABEL "}},"type":{"qid":" "}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := ParseTemplate(data)
		if err != nil {
			return
		}
		if tpl.Validate(nil) != nil {
			return
		}
		out, err := tpl.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := CheckTemplate(out, nil)
		if err != nil {
			t.Fatalf("a valid template no longer valid after normalising: %v\n%s", err, out)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("normalising is not stable:\n%s\n%s", out, again)
		}
	})
}
