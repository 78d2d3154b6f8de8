package plan

import (
	"strings"
	"testing"
)

var cols = []string{"name", "born", "ulan", "country"}

const base = `{"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"},"country":{"property":"P27","kind":"item"}},`

func TestParseTemplateWriteSettings(t *testing.T) {
	tm, err := ParseTemplate([]byte(base+`"write":{"stated_in":"Q1000","reference_url":"https://museum.example/p/{ulan}","new_items":{"enabled":true},"labels":{"column":"name","languages":["en","sv"]}}}`), cols)
	if err != nil {
		t.Fatal(err)
	}
	w := tm.Write
	if strings.Join(w.Columns, ",") != "born,country,ulan" || !w.RetrievedOn() || w.NewItems.InstanceOf != "Q5" {
		t.Fatalf("defaults: %+v %+v", w, w.NewItems)
	}
	if strings.Join(w.SingleValue, ",") != "P569,P245" {
		t.Fatalf("single value default: %v", w.SingleValue)
	}
	if got := w.ReferenceURLFor(func(c string) string { return map[string]string{"ulan": "500 115/493"}[c] }); got != "https://museum.example/p/500%20115%2F493" {
		t.Fatalf("reference URL %q", got)
	}
	if got := w.ReferenceURLFor(func(string) string { return "" }); got != "" {
		t.Fatalf("reference URL with an empty cell: %q", got)
	}
	if tm.Wikibase.APIURL != "https://www.wikidata.org/w/api.php" {
		t.Fatalf("API default %q", tm.Wikibase.APIURL)
	}
}

func TestParseTemplateListsEveryProblem(t *testing.T) {
	_, err := ParseTemplate([]byte(base+`"write":{"stated_in":"museum","columns":["born","nope"],"reference_url":"ftp://x/{missing}","single_value":["569"],"labels":{"column":"title","languages":["EN"]},"new_items":{"enabled":true,"instance_of":"human"}}}`), cols)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`"stated_in"`, `column "nope" is written but not mapped`, "column {missing}", "not an http(s) URL", `"569" is not a property id`, `column "title"`, `"EN" is not a language code`, "new_items"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ParseTemplate([]byte(base+`"x":1}`), cols); err == nil || !strings.Contains(err.Error(), "stated_in") {
		t.Fatalf("no write section: %v", err)
	}
	if _, err := ParseTemplate([]byte(`{`), cols); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

// TestCheckWrite: the one check of a template's write section. Without a
// dataset (a library template) the columns it names are not asked for;
// with one they are; types, ids and unknown keys are checked either way.
func TestCheckWrite(t *testing.T) {
	later := []byte(base + `"write":{"stated_in":"Q1000","reference_url":"https://museum.example/p/{inv}","labels":{"column":"title","languages":["en"]}}}`)
	if err := CheckWrite(later, nil); err != nil {
		t.Errorf("library template refused: %v", err)
	}
	if err := CheckWrite(later, cols); err == nil || !strings.Contains(err.Error(), "column {inv} is not in the dataset") || !strings.Contains(err.Error(), `labels: column "title" is not in the dataset`) {
		t.Errorf("applied to a dataset without those columns: %v", err)
	}
	if err := CheckWrite([]byte(base+`"languages":["en"]}`), nil); err != nil {
		t.Errorf("no write section: %v", err)
	}
	for body, want := range map[string]string{
		`"write":{"stated_in":5}}`:                          "write.stated_in must be",
		`"write":{"stated_in":"Q1","labels":{"column":7}}}`: "write.labels.column must be",
		`"write":{"stated_in":"x"}}`:                        `"stated_in" must be the item`,
		`"write":{"stated_in":"Q1","sumary":"x"}}`:          "unknown key write.sumary",
	} {
		err := CheckWrite([]byte(base+body), nil)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "Go struct") {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
