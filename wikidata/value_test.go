package wikidata_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"partnerhub/wikidata"
)

func loadFixture(t testing.TB, name string) *wikidata.Entity {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e wikidata.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &e
}

// generic decodes JSON into maps and slices, for comparing documents.
func generic(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFixturesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/entity_*.json")
	if len(files) < 5 {
		t.Fatalf("fixtures: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			orig, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e := loadFixture(t, filepath.Base(f))
			if e.ID == "" || len(e.Claims) == 0 {
				t.Fatalf("not read: id %q claims %d", e.ID, len(e.Claims))
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			want, got := generic(t, orig), generic(t, b)
			// Everything the model keeps must come back unchanged.
			for _, key := range []string{"id", "type", "lastrevid", "labels", "descriptions", "aliases", "claims", "sitelinks"} {
				if m, ok := want[key].(map[string]any); ok && len(m) == 0 && got[key] == nil {
					continue // an empty object and none mean the same to Wikibase
				}
				if !reflect.DeepEqual(want[key], got[key]) {
					t.Errorf("%s changed in the round trip", key)
				}
			}
		})
	}
	b, _ := os.ReadFile("testdata/wbgetentities_Q3235026.json")
	var answer struct {
		Entities map[string]*wikidata.Entity `json:"entities"`
	}
	if err := json.Unmarshal(b, &answer); err != nil || answer.Entities["Q3235026"] == nil || answer.Entities["Q3235026"].Missing {
		t.Fatalf("wbgetentities answer: %v", err)
	}
}

func TestFixtureValuesRead(t *testing.T) {
	e := loadFixture(t, "entity_Q4115189.json")
	st := e.Claims["P569"][0]
	v, ok := st.Value()
	if !ok {
		t.Fatal("no value")
	}
	tm, ok := v.AsTime()
	if !ok || tm.Time != "+1291-00-00T00:00:00Z" || tm.Precision != wikidata.PrecisionYear || tm.String() != "1291" {
		t.Fatalf("time: %+v", tm)
	}
	if e.Claims["P135"][0].Rank != wikidata.RankDeprecated {
		t.Fatal("rank not read")
	}
	id, ok := e.Claims["P135"][1].MainSnak.DataValue.AsEntityID()
	if !ok || id.Key() != "Q2044250" {
		t.Fatalf("entity id: %+v", id)
	}
	// Every value of every fixture reads as its type says.
	files, _ := filepath.Glob("testdata/entity_*.json")
	seen := map[string]bool{}
	for _, f := range files {
		for _, sts := range loadFixture(t, filepath.Base(f)).Claims {
			for _, st := range sts {
				v, ok := st.Value()
				if !ok {
					continue
				}
				seen[v.Type] = true
				var read bool
				switch v.Type {
				case wikidata.TypeString:
					_, read = v.AsString()
				case wikidata.TypeEntityID:
					x, ok := v.AsEntityID()
					read = ok && x.Key() != ""
				case wikidata.TypeTime:
					_, read = v.AsTime()
				case wikidata.TypeQuantity:
					_, read = v.AsQuantity()
				case wikidata.TypeMonolingualText:
					_, read = v.AsMonolingual()
				case wikidata.TypeGlobeCoordinate:
					_, read = v.AsCoordinate()
				default:
					read = true
				}
				if !read || !wikidata.SameValue(v, v) {
					t.Errorf("%s %s: %s value not read", f, st.ID, v.Type)
				}
			}
		}
	}
	for _, typ := range []string{wikidata.TypeString, wikidata.TypeEntityID, wikidata.TypeTime, wikidata.TypeQuantity, wikidata.TypeMonolingualText} {
		if !seen[typ] {
			t.Errorf("no fixture has a %s value", typ)
		}
	}
}

func mustTime(t testing.TB, s string) wikidata.DataValue {
	t.Helper()
	v, err := wikidata.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return wikidata.TimeValue(v)
}

func TestSameValue(t *testing.T) {
	julian := wikidata.TimeValue(wikidata.Time{Time: "+1862-10-26T00:00:00Z", Precision: 11, CalendarModel: "http://www.wikidata.org/entity/Q1985786"})
	wikiYear := wikidata.TimeValue(wikidata.Time{Time: "+1862-00-00T00:00:00Z", Precision: 9, CalendarModel: wikidata.Gregorian})
	httpsCal := wikidata.TimeValue(wikidata.Time{Time: "+1862-00-00T00:00:00Z", Precision: 9, CalendarModel: "https://www.wikidata.org/entity/Q1985727"})
	oldItem := wikidata.DataValue{Type: "wikibase-entityid", Value: json.RawMessage(`{"entity-type":"item","numeric-id":5}`)}
	coord := func(lat, lon, prec float64) wikidata.DataValue { return wikidata.CoordinateValue(lat, lon, prec) }
	cases := []struct {
		name string
		a, b wikidata.DataValue
		same bool
	}{
		{"same item", wikidata.ItemValue("Q5"), wikidata.ItemValue("Q5"), true},
		{"numeric-id only", wikidata.ItemValue("Q5"), oldItem, true},
		{"other item", wikidata.ItemValue("Q5"), wikidata.ItemValue("Q6"), false},
		{"same string", wikidata.StringValue("500115493"), wikidata.StringValue("500115493"), true},
		{"strings are case-sensitive", wikidata.StringValue("a"), wikidata.StringValue("A"), false},
		{"string vs item", wikidata.StringValue("Q5"), wikidata.ItemValue("Q5"), false},
		{"same day", mustTime(t, "1862-10-26"), mustTime(t, "1862-10-26"), true},
		{"year written two ways", mustTime(t, "1862"), wikiYear, true},
		{"year, http vs https calendar", wikiYear, httpsCal, true},
		{"year vs day", mustTime(t, "1862"), mustTime(t, "1862-10-26"), false},
		{"other month", mustTime(t, "1862-10"), mustTime(t, "1862-11"), false},
		{"Gregorian vs Julian", mustTime(t, "1862-10-26"), julian, false},
		{"same amount written two ways", wikidata.QuantityValue("12.50", ""), wikidata.QuantityValue("+12.5", "1"), true},
		{"other unit", wikidata.QuantityValue("12", ""), wikidata.QuantityValue("12", "http://www.wikidata.org/entity/Q11573"), false},
		{"other amount", wikidata.QuantityValue("12", ""), wikidata.QuantityValue("-12", ""), false},
		{"zero written two ways", wikidata.QuantityValue("-0.0", ""), wikidata.QuantityValue("+0", ""), true},
		{"leading zeros", wikidata.QuantityValue("007.10", ""), wikidata.QuantityValue("7.1", ""), true},
		{"exponents are not parsed", wikidata.QuantityValue("1e999999999", ""), wikidata.QuantityValue("1e999999998", ""), false},
		{"same text", wikidata.MonolingualValue("Mona Lisa", "en"), wikidata.MonolingualValue("Mona Lisa", "en"), true},
		{"other language", wikidata.MonolingualValue("Mona Lisa", "en"), wikidata.MonolingualValue("Mona Lisa", "fr"), false},
		{"coordinates within precision", coord(52.5, 13.4, 0.01), coord(52.503, 13.401, 0.01), true},
		{"coordinates apart", coord(52.5, 13.4, 0.0001), coord(52.503, 13.401, 0.0001), false},
		{"empty values", wikidata.DataValue{}, wikidata.DataValue{}, false},
	}
	for _, c := range cases {
		if got := wikidata.SameValue(c.a, c.b); got != c.same {
			t.Errorf("%s: SameValue(%s, %s) = %v", c.name, c.a, c.b, got)
		}
		if got := wikidata.SameValue(c.b, c.a); got != c.same {
			t.Errorf("%s: not symmetric", c.name)
		}
	}
	if !wikidata.CompatibleTime(mustTime(t, "1862"), mustTime(t, "1862-10-26")) || wikidata.CompatibleTime(mustTime(t, "1862"), mustTime(t, "1863-01-01")) {
		t.Fatal("CompatibleTime")
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in        string
		time      string
		precision int
		ok        bool
	}{
		{"1879", "+1879-00-00T00:00:00Z", 9, true},
		{" 1879 ", "+1879-00-00T00:00:00Z", 9, true},
		{"1879-03", "+1879-03-00T00:00:00Z", 10, true},
		{"1879-03-14", "+1879-03-14T00:00:00Z", 11, true},
		{"+1879-03-14T00:00:00Z", "+1879-03-14T00:00:00Z", 11, true},
		{"879", "+0879-00-00T00:00:00Z", 9, true},
		{"-44", "-0044-00-00T00:00:00Z", 9, true},
		{"2000-02-29", "+2000-02-29T00:00:00Z", 11, true},
		{"1900-02-29", "", 0, false},
		{"1879-02-30", "", 0, false},
		{"1879-13", "", 0, false},
		{"1879-3-14", "", 0, false},
		{"0", "", 0, false},
		{"", "", 0, false},
		{"14 March 1879", "", 0, false},
		{"03/14/1879", "", 0, false},
		{"1879-03-14-01", "", 0, false},
		{"123456789012", "", 0, false},
	}
	for _, c := range cases {
		got, err := wikidata.ParseTime(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseTime(%q): err %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && (got.Time != c.time || got.Precision != c.precision || got.CalendarModel != wikidata.Gregorian) {
			t.Errorf("ParseTime(%q) = %+v", c.in, got)
		}
	}
}
