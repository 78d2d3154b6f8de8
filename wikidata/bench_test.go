package wikidata_test

import (
	"testing"

	"partnerhub/wikidata"
)

// BenchmarkDiffItem diffs a large real item (Q2112, ~8,000 lines of JSON)
// against a row's worth of planned statements and builds the payload: the
// work done per item when a plan is built.
func BenchmarkDiffItem(b *testing.B) {
	e := loadFixture(b, "entity_Q2112.json")
	var planned []wikidata.PlannedStatement
	for p, sts := range e.Claims {
		if v, ok := sts[0].Value(); ok {
			planned = append(planned, wikidata.PlannedStatement{Property: p, Value: v, SingleValue: true, AddReferenceIfPresent: true,
				References: []wikidata.Reference{museumRef("https://museum.example/p/1")}})
		}
		if len(planned) == 10 {
			break
		}
	}
	planned = append(planned, wikidata.PlannedStatement{Property: "P245", Datatype: "external-id", Value: wikidata.StringValue("500115493")})
	b.ReportAllocs()
	for b.Loop() {
		d := wikidata.DiffItem(e, planned, map[string]string{"en": "x"}, nil)
		if _, err := wikidata.EditPayload(d); err != nil {
			b.Fatal(err)
		}
	}
}
