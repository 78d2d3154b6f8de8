package jobs

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSummariseTemplate(t *testing.T) {
	cases := []struct {
		name, body string
		code       string
		cols       string
		props      string
		typ        string
	}{
		{"ok", `{"type":{"qid":"q5"},"columns":{"name":{"role":"label"},"born":{"property":"p569","kind":"time"},"died":{"property":"P570"},"again":{"property":"P569"}}}`, "", "again,born,died,name", "P569,P570", "Q5"},
		{"not json", `{"columns":`, EINVALID, "", "", ""},
		{"array", `[1]`, EINVALID, "", "", ""},
		{"no columns", `{"languages":["en"]}`, EINVALID, "", "", ""},
		{"columns not object", `{"columns":["a"]}`, EINVALID, "", "", ""},
		{"columns null", `{"columns":null}`, EINVALID, "", "", ""},
		{"empty columns", `{"columns":{}}`, EINVALID, "", "", ""},
		{"blank column", `{"columns":{" ":{"role":"label"}}}`, EINVALID, "", "", ""},
		{"too large", `{"columns":{"a":{"role":"label"}},"x":"` + strings.Repeat("x", MaxTemplateBodySize) + `"}`, ETOOLARGE, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := SummariseTemplate([]byte(c.body))
			if c.code != "" {
				if ErrorCode(err) != c.code {
					t.Fatalf("error %v, want code %s", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(s.Columns, ",") != c.cols || strings.Join(s.Properties, ",") != c.props || s.TypeQID != c.typ {
				t.Fatalf("summary %+v", s)
			}
		})
	}
}

func TestCheckColumns(t *testing.T) {
	cases := []struct {
		name           string
		tmpl, file     []string
		missing, unuse string // missing as col>suggestion
	}{
		{"same", []string{"a", "b"}, []string{"b", "a"}, "", ""},
		{"renamed by case and spacing", []string{"Date of birth", "Name"}, []string{"name", "date_of_birth", "notes"}, "Date of birth>date_of_birth,Name>name", "notes"},
		{"typo", []string{"inventory number"}, []string{"inventry number"}, "inventory number>inventry number", ""},
		{"name kept inside the new one", []string{"ULAN"}, []string{"ulan id", "id"}, "ULAN>ulan id", "id"},
		{"gone", []string{"ulan"}, []string{"title", "year"}, "ulan>", "title,year"},
		{"one file column for one template column", []string{"Name", "NAME "}, []string{"name"}, "Name>name,NAME >", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CheckColumns(c.tmpl, c.file)
			var miss []string
			for _, m := range got.Missing {
				miss = append(miss, m.Column+">"+m.Suggested)
			}
			if strings.Join(miss, ",") != c.missing || strings.Join(got.Unused, ",") != c.unuse {
				t.Fatalf("missing %q unused %q", miss, got.Unused)
			}
			if got.OK() != (c.missing == "") {
				t.Fatal("OK disagrees with Missing")
			}
		})
	}
}

func TestRenameTemplateColumns(t *testing.T) {
	body := []byte(`{"version":1,"languages":["sv"],"columns":{"Name":{"role":"label"},"Born":{"property":"P569","kind":"time"}}}`)
	file := []string{"namn", "född", "övrigt"}
	out, err := RenameTemplateColumns(body, map[string]string{"Name": "namn", "Born": "född"}, file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Languages []string                     `json:"languages"`
		Columns   map[string]map[string]string `json:"columns"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Columns["född"]["property"] != "P569" || doc.Columns["namn"]["role"] != "label" || len(doc.Columns) != 2 || doc.Languages[0] != "sv" {
		t.Fatalf("renamed %s", out)
	}
	for _, bad := range []map[string]string{
		{"Name": "namn"},                   // Born has no column in the file
		{"Name": "namn", "Born": "namn"},   // one column twice
		{"Name": "namn", "Born": "absent"}, // not a file column
	} {
		if _, err := RenameTemplateColumns(body, bad, file); ErrorCode(err) != EINVALID {
			t.Errorf("renames %v: %v", bad, err)
		}
	}
}

// FuzzSummariseTemplate: any input gives a summary or a domain error, and a
// summary's columns can be renamed onto themselves.
func FuzzSummariseTemplate(f *testing.F) {
	for _, s := range []string{`{"columns":{"a":{"role":"label"}}}`, `{"columns":{"a":{"property":"P1"}},"type":{"qid":"Q5"}}`, `[]`, `{"columns":1}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := SummariseTemplate(body)
		if err != nil {
			if ErrorCode(err) == EINTERNAL {
				t.Fatalf("non-domain error %v", err)
			}
			return
		}
		if len(s.Columns) == 0 {
			t.Fatal("summary without columns")
		}
		if _, err := RenameTemplateColumns(body, nil, s.Columns); err != nil {
			t.Fatalf("identity rename: %v", err)
		}
	})
}

func TestFitTemplate(t *testing.T) {
	body := []byte(`{"languages":["sv"],"columns":{"name":{"role":"label"},"Date of birth":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}}}`)
	// "Date of birth" is recognised as date_of_birth; ulan is not in the
	// file and is left out, reported as missing.
	out, missing, err := FitTemplate(body, []string{"name", "date_of_birth", "getty_id"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Languages []string                     `json:"languages"`
		Columns   map[string]map[string]string `json:"columns"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Columns) != 2 || doc.Columns["date_of_birth"]["property"] != "P569" || doc.Columns["name"]["role"] != "label" || doc.Languages[0] != "sv" {
		t.Fatalf("fitted %s", out)
	}
	if len(missing) != 1 || missing[0].Column != "ulan" {
		t.Fatalf("missing %+v", missing)
	}
	// A file with none of the template's columns gets no mapping, and every
	// column is reported.
	out, missing, err = FitTemplate(body, []string{"x", "y"})
	if err != nil || out != nil || len(missing) != 3 {
		t.Fatalf("nothing fits: %s %+v %v", out, missing, err)
	}
	// Leaving out a column through RenameTemplateColumns.
	out, err = RenameTemplateColumns(body, map[string]string{"ulan": "", "Date of birth": "date_of_birth"}, []string{"name", "date_of_birth"})
	if err != nil || strings.Contains(string(out), "ulan") {
		t.Fatalf("left out: %s %v", out, err)
	}
	if _, err := RenameTemplateColumns(body, map[string]string{"ulan": "", "Date of birth": "", "name": ""}, []string{"name"}); ErrorCode(err) != EINVALID {
		t.Fatalf("leaving out every column: %v", err)
	}
}

func TestRenameFollowsTheWriteSection(t *testing.T) {
	body := []byte(`{"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"}},
		"write":{"stated_in":"Q1","columns":["ulan","born"],"reference_url":"https://m.example/{ulan}?n={name}","labels":{"column":"name","languages":["en"]}}}`)
	out, err := RenameTemplateColumns(body, map[string]string{"ulan": "getty", "name": "Namn", "born": ""}, []string{"getty", "Namn"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Write struct {
			Columns      []string                `json:"columns"`
			ReferenceURL string                  `json:"reference_url"`
			Labels       struct{ Column string } `json:"labels"`
		} `json:"write"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Join(doc.Write.Columns, ",") != "getty" || doc.Write.ReferenceURL != "https://m.example/{getty}?n={Namn}" || doc.Write.Labels.Column != "Namn" {
		t.Fatalf("write section %s", out)
	}
}

// TestRenameFollowsTheMediaSettings: a job started from a library template
// for a file whose columns have other names gets the template's media
// settings pointing at its own columns.
func TestRenameFollowsTheMediaSettings(t *testing.T) {
	body := []byte(`{"columns":{"title":{"role":"label"},"inv":{"property":"P217"}},
		"media":{"source":{"kind":"zip","column":"image"},"title":"{title} ({inv}).{ext}","captions":{"en":"{title}"},
			"categories":["Paintings in {museum}","{inv} scans"],"license":{"template":"{{cc-zero}}"}}}`)
	out, err := RenameTemplateColumns(body, map[string]string{"title": "inv", "inv": "Inventory", "image": "File"}, []string{"inv", "Inventory", "File"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Media struct {
			Source     struct{ Column string }   `json:"source"`
			Title      string                    `json:"title"`
			Captions   map[string]string         `json:"captions"`
			Categories []string                  `json:"categories"`
			License    struct{ Template string } `json:"license"`
		} `json:"media"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Media
	// "title" became "inv" and "inv" became "Inventory" in one pass.
	if m.Source.Column != "File" || m.Title != "{inv} ({Inventory}).{ext}" || m.Captions["en"] != "{inv}" ||
		strings.Join(m.Categories, "|") != "Paintings in {museum}|{Inventory} scans" || m.License.Template != "{{cc-zero}}" {
		t.Fatalf("media settings %s", out)
	}
}
