package wikidata

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestQuickStatements(t *testing.T) {
	ref := NewReference(StatedIn("Q1000"), ReferenceURL("https://m.example/p/500115493"), Retrieved(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)))
	old := NewReference(StatedIn("Q36578"))
	old.Hash = "abc123"
	existing := NewStringStatement("P245", "external-id", "500115493").WithReferences(old)
	existing.ID = "Q1$1"
	d := ItemDiff{
		QID:    "Q1",
		Labels: map[string]string{"sv": "Hilma af Klint", "en": `Hilma "the mystic" af Klint`},
		Add: []Statement{
			NewTimeStatement("P569", Time{Time: "+1862-10-26T00:00:00Z", Precision: PrecisionDay}).WithReferences(ref),
			NewTimeStatement("P570", Time{Time: "+1944-00-00T00:00:00Z", Precision: PrecisionYear}).WithReferences(ref),
			NewItemStatement("P27", "Q34").WithReferences(ref),
			NewQuantityStatement("P2048", "1.62", "http://www.wikidata.org/entity/Q11573").WithReferences(ref),
		},
		AddReferences: []ReferenceAddition{{StatementID: "Q1$1", Property: "P245", References: []Reference{ref}, Statement: existing.WithReferences(ref)}},
	}
	data, err := EditPayload(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := QuickStatements("Q1", data)
	if err != nil {
		t.Fatal(err)
	}
	src := "\tS248\tQ1000\tS854\t\"https://m.example/p/500115493\"\tS813\t+2026-11-24T00:00:00Z/11"
	want := []string{
		"Q1\tLen\t\"Hilma \"the mystic\" af Klint\"",
		"Q1\tLsv\t\"Hilma af Klint\"",
		"Q1\tP2048\t+1.62U11573" + src,
		"Q1\tP245\t\"500115493\"" + src, // only the reference the statement gains
		"Q1\tP27\tQ34" + src,
		"Q1\tP569\t+1862-10-26T00:00:00Z/11" + src,
		"Q1\tP570\t+1944-00-00T00:00:00Z/9" + src,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("QuickStatements:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	nd, err := NewItemPayload(map[string]string{"en": "Olof Hilma Brännsten"}, map[string]string{"en": "Swedish painter"},
		[]Statement{NewItemStatement("P31", "Q5").WithReferences(NewReference(StatedIn("Q1000")))})
	if err != nil {
		t.Fatal(err)
	}
	got, err = QuickStatements("", nd)
	want = []string{"CREATE", "LAST\tLen\t\"Olof Hilma Brännsten\"", "LAST\tDen\t\"Swedish painter\"", "LAST\tP31\tQ5\tS248\tQ1000"}
	if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("new item: %q, %v", got, err)
	}
	if got, err := QuickStatements("Q1", nil); err != nil || got != nil {
		t.Fatalf("no data: %q, %v", got, err)
	}
}

// What QuickStatements cannot say exactly is refused, never written as
// something else.
func TestQuickStatementsRefusesWhatItCannotSay(t *testing.T) {
	julian := NewTimeStatement("P569", Time{Time: "+1650-00-00T00:00:00Z", Precision: PrecisionYear, CalendarModel: "http://www.wikidata.org/entity/Q1985786"})
	tab := NewStringStatement("P1476", "string", "a\tb")
	qual := NewItemStatement("P27", "Q34")
	qual.Qualifiers = map[string][]Snak{"P580": {ValueSnak("P580", "time", TimeValue(Time{Time: "+1900-00-00T00:00:00Z", Precision: 9}))}}
	for name, st := range map[string]Statement{"julian": julian, "tab": tab, "qualifier": qual} {
		b, _ := json.Marshal(editData{Claims: []Statement{st}})
		if _, err := QuickStatements("Q1", b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := QuickStatements("Q1", []byte(`{"claims":`)); err == nil {
		t.Error("broken data: no error")
	}
}

// FuzzQuickStatements: whatever the text of a label or a string value, the
// export either refuses it or writes one command per line whose columns are
// exactly the ones meant, with the text intact between the quotes.
func FuzzQuickStatements(f *testing.F) {
	for _, s := range []string{"Hilma af Klint", `say "hi"`, "a\tb", "line\nbreak", "\r", `"`, "", "\x00", "S248"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, err := EditPayload(ItemDiff{Labels: map[string]string{"en": s}, Add: []Statement{
			NewStringStatement("P1476", "string", s).WithReferences(NewReference(StatedIn("Q1000"), ReferenceURL("https://m.example/"+s))),
		}})
		if err != nil {
			return
		}
		lines, err := QuickStatements("Q1", data)
		if err != nil {
			if !strings.ContainsAny(s, "\t\r\n") {
				t.Fatalf("%q refused: %v", s, err)
			}
			return
		}
		// What the wiki is sent: JSON turns invalid UTF-8 into U+FFFD.
		b, _ := json.Marshal(s)
		_ = json.Unmarshal(b, &s)
		want := [][]string{{"Q1", "Len", `"` + s + `"`}, {"Q1", "P1476", `"` + s + `"`, "S248", "Q1000", "S854", `"https://m.example/` + s + `"`}}
		if len(lines) != len(want) {
			t.Fatalf("%q: %d lines %q", s, len(lines), lines)
		}
		for i, l := range lines {
			if strings.ContainsAny(l, "\r\n") || strings.Join(strings.Split(l, "\t"), "\x00") != strings.Join(want[i], "\x00") {
				t.Fatalf("%q: line %q, want columns %q", s, l, want[i])
			}
		}
	})
}
