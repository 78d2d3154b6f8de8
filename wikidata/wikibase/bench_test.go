package wikibase

import (
	"os"
	"testing"
)

// BenchmarkParseLargeEntity parses Q2112 (228 kB), about the size of a well-kept museum item.
func BenchmarkParseLargeEntity(b *testing.B) {
	raw, err := os.ReadFile("testdata/entity_Q2112.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var e Entity
		if err := e.UnmarshalJSON(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffItem diffs 20 planned statements against the large entity.
func BenchmarkDiffItem(b *testing.B) {
	e := loadEntity(b, "entity_Q2112.json")
	var planned []PlannedStatement
	for p, ss := range e.Claims {
		if len(planned) == 20 {
			break
		}
		if ss[0].MainSnak.DataValue != nil {
			planned = append(planned, PlannedStatement{Property: p, Datatype: ss[0].MainSnak.Datatype, Value: *ss[0].MainSnak.DataValue,
				References: []Reference{Reference{}.StatedIn("Q1")}, AddReferenceIfPresent: true})
		}
	}
	for b.Loop() {
		if d := DiffItem(e, planned, nil, nil); len(d.AlreadyPresent) != len(planned) {
			b.Fatalf("present %d of %d", len(d.AlreadyPresent), len(planned))
		}
	}
}
