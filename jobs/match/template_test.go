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
			[]string{"no label column, Wikidata item column or identifier (external-id) column"}},
		{"endpoint not http", `{"wikibase":{"sparql_endpoint":"ftp://x/sparql"},"columns":{"name":{"role":"label"}}}`,
			[]string{`wikibase sparql_endpoint "ftp://x/sparql" is not an http(s) URL`}},
		{"thresholds", `{"auto_accept":{"score":1.5,"margin":"lots"},"columns":{"name":{"role":"label"}}}`,
			[]string{"auto_accept score 1.5 is outside 0..1", `auto_accept.margin must be a number, not a text`}},
		// The cases the template library used to store (issue 14).
		{"languages a number", `{"languages":5,"columns":{"name":{"role":"label"}}}`,
			[]string{`languages must be a list of texts, like ["en", "sv"], not a number`}},
		{"score a word", `{"auto_accept":{"score":"high"},"columns":{"name":{"role":"label"}}}`,
			[]string{`auto_accept.score must be a number, not a text`}},
		{"number out of range", `{"auto_accept":{"margin":1e400},"columns":{"name":{"role":"label"}}}`,
			[]string{`auto_accept.margin: 1e400 is not usable here (want a number)`}},
		{"weird kind", `{"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"weird"}}}`,
			[]string{`column "born": unknown kind "weird"`}},
		{"javascript endpoint", `{"wikibase":{"sparql_endpoint":"javascript:alert(1)"},"columns":{"name":{"role":"label"}}}`,
			[]string{`wikibase sparql_endpoint "javascript:alert(1)" is not an http(s) URL`}},
		{"misspelt endpoint", `{"wikibase":{"endpoint":"https://query.example.org/sparql"},"columns":{"name":{"role":"label"}}}`,
			[]string{`unknown key wikibase.endpoint (check its spelling)`}},
		{"unknown keys at every level", `{"colums":{},"columns":{"name":{"role":"label","langauge":"en"}},"type":{"qid":"Q5","exactly":true}}`,
			[]string{`unknown key colums`, `unknown key columns["name"].langauge`, `unknown key type.exactly`}},
		{"keys are case-sensitive", `{"Columns":{"name":{"role":"label"}},"columns":{"name":{"role":"label"}}}`,
			[]string{`unknown key Columns`}},
		{"whole number", `{"version":1.5,"columns":{"name":{"role":"label"}}}`,
			[]string{`version: 1.5 is not usable here (want a whole number)`}},
		{"key not in dataset", `{"key":"inv","columns":{"name":{"role":"label"}}}`,
			[]string{`key column "inv" is not in the dataset`}},
		{"two item columns", `{"columns":{"name":{"role":"item"},"born":{"role":"item"}}}`,
			[]string{`only one column can hold the rows' Wikidata items (got born, name)`}},
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
	for in, want := range map[string]string{
		``:                     "The template is not valid JSON: it is empty.",
		`{`:                    "The template is not valid JSON: it ends before the JSON is complete (a missing } or ]).",
		`[1]`:                  "The template is not valid JSON: it must be a JSON object { … }, not a list.",
		`{} {}`:                "The template has more data after its JSON object.",
		"{\n  \"columns\" {}}": "The template is not valid JSON: line 2, column 13: invalid character '{' after object key.",
	} {
		_, err := ParseTemplate([]byte(in))
		if jobs.ErrorCode(err) != jobs.EINVALID || jobs.ErrorMessage(err) != want {
			t.Errorf("%q: err %v, want %q", in, err, want)
		}
	}
	// A value of the wrong type is a problem, not a failed parse.
	if _, err := CheckTemplate([]byte(`{"columns":3}`), nil); err == nil || !strings.Contains(jobs.ErrorMessage(err), "columns must be an object { … }, not a number") {
		t.Errorf("columns 3: %v", err)
	}
}

func TestCheckTemplateOneSizeLimit(t *testing.T) {
	big := `{"columns":{"name":{"role":"label"}},"write":{"summary":"` + strings.Repeat("x", 3<<20) + `"}}`
	_, err := CheckTemplate([]byte(big), nil)
	if jobs.ErrorCode(err) != jobs.ETOOLARGE || !strings.Contains(jobs.ErrorMessage(err), "at most 256 KB") {
		t.Fatalf("3 MB template: %v", err)
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

func TestMatchingOptions(t *testing.T) {
	good := `{"type":{"qid":"Q3305213"},"types":[{"qid":"q93184"},{"qid":"Q860861","exact":true}],"columns":{
		"title":{"role":"label","form":"Title"},
		"artist":{"property":"P170","kind":"item"},
		"collection":{"property":"P195","kind":"item","finds":false},
		"inv":{"property":"P217","kind":"external-id","scope":{"property":"p195","column":"collection"},"spelling":"loose","strip_prefixes":["Inv."]}}}`
	tpl, err := ParseTemplate([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate([]string{"title", "artist", "collection", "inv"}); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	if got := tpl.typeConstraints(); len(got) != 3 || got[1].QID != "Q93184" || !got[2].Exact {
		t.Errorf("types %+v", got)
	}
	if tpl.labelForm("title") != FormTitle || tpl.Columns["inv"].Scope.Property != "P195" {
		t.Errorf("options not normalised: %+v", tpl.Columns)
	}
	if p, ok := tpl.statementPrefixes(); !ok || p[2] != "http://www.wikidata.org/prop/qualifier/" {
		t.Errorf("statement prefixes %v %v", p, ok)
	}
	people, _ := ParseTemplate([]byte(`{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"}}}`))
	if people.labelForm("name") != FormPerson {
		t.Error("a template of humans should compare person names")
	}
	if b, d := people.lifeDateProperties("name"); b != "P569" || d != "P570" {
		t.Errorf("life dates on Wikidata: %q %q", b, d)
	}
	other, _ := ParseTemplate([]byte(`{"wikibase":{"property_prefix":"https://wiki.example.org/prop/direct/"},"type":{"qid":"Q5"},"columns":{"name":{"role":"label"}}}`))
	if b, d := other.lifeDateProperties("name"); b != "" || d != "" {
		t.Errorf("another Wikibase has no default life-date properties: %q %q", b, d)
	}

	bad := `{"wikibase":{"property_prefix":"http://example.org/p/"},"types":[{"qid":"painting"}],"columns":{
		"title":{"role":"label","form":"poem","life_dates":{"born":"birth","died":"P570"}},
		"born":{"property":"P569","kind":"time","spelling":"loose","form":"title","life_dates":{"born":"P569"}},
		"artist":{"property":"P170","kind":"string","finds":true},
		"inv":{"property":"P217","kind":"external-id","scope":{"property":"collection","column":"nowhere"},"spelling":"fuzzy","strip_prefixes":[" "]}}}`
	tpl, err = ParseTemplate([]byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	err = tpl.Validate(nil)
	for _, want := range []string{
		`types: "PAINTING" is not an item id`,
		`column "title": unknown form "poem"`,
		`column "born": form is for label columns`,
		`column "title": life_dates property "BIRTH" is not a property id`,
		`column "born": life_dates is for label columns`,
		`column "born": scope, spelling and strip_prefixes are for external-id columns`,
		`column "artist": finds is for item columns`,
		`column "inv": unknown spelling "fuzzy"`,
		`column "inv": strip_prefixes entry " "`,
		`column "inv": scope property "COLLECTION" is not a property id`,
		`column "inv": scope column "nowhere" must be a mapped item column`,
		`column "inv": a scope needs the wiki's statement prefixes`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
