package wikidata_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"partnerhub/wikidata"
)

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1862", "1862-10", "1862-10-26", "-500", "0", "1862-13", "99999999999-01-01", "+1862-02-29T00:00:00Z", "2000-02-29", "1-1-1", " 12 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := wikidata.ParseTime(s)
		if err != nil {
			return
		}
		if v.Precision < wikidata.PrecisionYear || v.Precision > wikidata.PrecisionDay || v.CalendarModel != wikidata.Gregorian || !strings.HasSuffix(v.Time, "T00:00:00Z") {
			t.Fatalf("ParseTime(%q) = %+v", s, v)
		}
		// What ParseTime makes, it reads back the same.
		again, err := wikidata.ParseTime(v.String())
		if err != nil || again != v {
			t.Fatalf("ParseTime(%q) = %+v, but ParseTime(%q) = %+v, %v", s, v, v.String(), again, err)
		}
		if !wikidata.SameValue(wikidata.TimeValue(v), wikidata.TimeValue(again)) {
			t.Fatal("a date differs from itself")
		}
	})
}

func FuzzEntityJSON(f *testing.F) {
	for _, name := range []string{"entity_Q4115189.json", "entity_Q22002395.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"Q1","missing":""}`))
	f.Add([]byte(`{"id":"Q1","claims":{"P1":[{"mainsnak":{"snaktype":"somevalue","property":"P1"},"type":"statement","rank":"normal"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e wikidata.Entity
		if json.Unmarshal(b, &e) != nil {
			return
		}
		out, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("read but cannot write: %v", err)
		}
		var again wikidata.Entity
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("cannot read what it wrote: %v\n%s", err, out)
		}
		out2, _ := json.Marshal(&again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip not stable:\n%s\n%s", out, out2)
		}
		var planned []wikidata.PlannedStatement
		for p, sts := range e.Claims {
			for _, st := range sts {
				if v, ok := st.Value(); ok {
					_ = v.String()
					planned = append(planned, wikidata.PlannedStatement{Property: p, Value: v, SingleValue: true, AddReferenceIfPresent: true})
				}
			}
		}
		d := wikidata.DiffItem(&e, planned, map[string]string{"en": "x"}, nil)
		if len(d.Add) > len(planned) {
			t.Fatalf("diff adds %d of %d planned", len(d.Add), len(planned))
		}
		_, _ = wikidata.EditPayload(d)
	})
}
