package wikibase

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in, time string
		prec     int
		err      string
	}{
		{"1879", "+1879-00-00T00:00:00Z", 9, ""},
		{"1879-03", "+1879-03-00T00:00:00Z", 10, ""},
		{"1879-03-14", "+1879-03-14T00:00:00Z", 11, ""},
		{"+1879-03-14T00:00:00Z", "+1879-03-14T00:00:00Z", 11, ""},
		{"+1879-00-00T00:00:00Z", "+1879-00-00T00:00:00Z", 9, ""},
		{"-0500", "-0500-00-00T00:00:00Z", 9, ""},
		{"2000-02-29", "+2000-02-29T00:00:00Z", 11, ""},
		{"1900-02-29", "", 0, "day 29"},
		{"1879-13", "", 0, "month 13"},
		{"1879-03-32", "", 0, "day 32"},
		{"March 1879", "", 0, "not a date"},
		{"", "", 0, "not a date"},
		{"0", "", 0, "no year 0"},
		{"1879-3-1", "", 0, "two digits"},
		{"+1879-03-14T12:00:00Z", "", 0, "midnight"},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTime(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Time != tc.time || got.Precision != tc.prec || got.CalendarModel != GregorianCalendar {
			t.Errorf("ParseTime(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestSameValue(t *testing.T) {
	y := func(s string) DataValue { tm, _ := ParseTime(s); return TimeValue(tm) }
	julian := y("1879")
	jt := julian.Value.(Time)
	jt.CalendarModel = "http://www.wikidata.org/entity/Q1985786"
	julian.Value = jt
	loose := func(prec float64, lat float64) DataValue {
		return DataValue{Type: TypeGlobeCoordinate, Value: GlobeCoordinate{Latitude: lat, Longitude: 2, Precision: prec, Globe: "http://www.wikidata.org/entity/Q2"}}
	}
	tests := []struct {
		name string
		a, b DataValue
		want bool
	}{
		{"same item", ItemValue("Q5"), ItemValue("Q5"), true},
		{"item by numeric id only", ItemValue("Q5"), DataValue{Type: TypeEntityID, Value: EntityID{EntityType: "item", NumericID: 5}}, true},
		{"other item", ItemValue("Q5"), ItemValue("Q6"), false},
		{"string exact", StringValue("abc"), StringValue("abc"), true},
		{"string case", StringValue("abc"), StringValue("ABC"), false},
		{"string vs item", StringValue("Q5"), ItemValue("Q5"), false},
		{"same day", y("1879-03-14"), y("+1879-03-14T00:00:00Z"), true},
		{"year vs day", y("1879"), y("1879-01-01"), false},
		{"other year", y("1879"), y("1880"), false},
		{"calendar", y("1879"), julian, false},
		{"quantity plus sign", QuantityValue("12", ""), QuantityValue("+12", "1"), true},
		{"quantity trailing zeros", QuantityValue("12.50", ""), QuantityValue("12.5", ""), true},
		{"quantity unit", QuantityValue("12", "http://www.wikidata.org/entity/Q11573"), QuantityValue("12", ""), false},
		{"monolingual", MonolingualValue("Haus", "de"), MonolingualValue("Haus", "de"), true},
		{"monolingual lang", MonolingualValue("Haus", "de"), MonolingualValue("Haus", "nl"), false},
		{"coordinates within precision", loose(0.01, 48.001), loose(0.01, 48.0), true},
		{"coordinates beyond precision", loose(0.0001, 48.001), loose(0.0001, 48.0), false},
		{"coordinates precision differs", loose(0.01, 48), loose(0.001, 48), false},
	}
	for _, tc := range tests {
		if got := SameValue(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: SameValue = %v, want %v", tc.name, got, tc.want)
		}
		if got := SameValue(tc.b, tc.a); got != tc.want {
			t.Errorf("%s (swapped): SameValue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1879", "1879-03", "1879-03-14", "+1879-03-14T00:00:00Z", "-0500", "1879-13", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			return
		}
		again, err := ParseTime(tm.Time)
		if err != nil || again.Time != tm.Time || again.Precision != tm.Precision {
			t.Fatalf("%q -> %+v does not parse back: %+v %v", s, tm, again, err)
		}
	})
}

func FuzzEntityJSON(f *testing.F) {
	f.Add([]byte(`{"id":"Q1","claims":{"P1":[{"mainsnak":{"snaktype":"value","property":"P1","datavalue":{"type":"time","value":{"time":"+1879-00-00T00:00:00Z","precision":9}}}}]}}`))
	f.Add([]byte(`{"id":"Q9","missing":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entity
		if json.Unmarshal(b, &e) != nil {
			return
		}
		out, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("marshal parsed entity: %v", err)
		}
		var back Entity
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-parse %s: %v", out, err)
		}
	})
}
