// Package suggesttest holds a few real Wikidata properties (labels,
// descriptions, datatypes and format constraints as Wikidata has them) for
// fakes: the entities for wikibasetest and the constraint statements as
// Turtle for sparqltest, so that mapping suggestions are tested against the
// shapes the real services give.
package suggesttest

import "partnerhub/wikidata"

type property struct {
	id, label, description, datatype string
	aliases                          []string
	format                           string // P1793 of the format constraint; "" for none
}

var properties = []property{
	{"P569", "date of birth", "date on which the subject was born", "time", []string{"born on", "birth date", "DOB"}, ""},
	{"P570", "date of death", "date on which the subject died", "time", []string{"died on", "death date"}, ""},
	{"P19", "place of birth", "most specific known birth location of a person, animal or fictional character", "wikibase-item", []string{"birthplace", "born in"}, ""},
	{"P214", "VIAF cluster ID", "identifier for the Virtual International Authority File database", "external-id", []string{"VIAF ID", "VIAF"}, `[1-9]\d(\d{0,7}|\d{17,20})`},
	{"P245", "Union List of Artist Names ID", "identifier from the Getty Union List of Artist Names", "external-id", []string{"ULAN ID", "ULAN"}, `500\d{6}`},
	{"P244", "Library of Congress authority ID", "Library of Congress name authority (persons, families, corporate bodies, events, places, works and expressions) and subject authority identifier", "external-id", []string{"LCNAF ID", "LCAuth ID"}, `(n|nb|nr|no|ns|sh|sj|sn|sp)([4-9][0-9]|00|20[0-2][0-9])[0-9]{6}`},
	// A pattern RE2 cannot compile (a look-ahead), as some Wikidata
	// constraints are: it must be skipped, not break the rest.
	{"P1006", "Nationale Thesaurus voor Auteursnamen ID", "identifier for person names in the Dutch National Thesaurus for Author names", "external-id", []string{"NTA ID"}, `(?!0)\d{8}[\dX]`},
	{"P18", "image", "image of relevant illustration of the subject", "commonsMedia", nil, ""},
}

// Entities are the properties as wbgetentities gives them.
func Entities() []*wikidata.Entity {
	out := make([]*wikidata.Entity, 0, len(properties))
	for i, p := range properties {
		e := &wikidata.Entity{ID: p.id, Type: "property", DataType: p.datatype, PageID: int64(3000000 + i), NS: 120, Title: "Property:" + p.id,
			Labels:       map[string]wikidata.Term{"en": {Language: "en", Value: p.label}},
			Descriptions: map[string]wikidata.Term{"en": {Language: "en", Value: p.description}}}
		for _, a := range p.aliases {
			if e.Aliases == nil {
				e.Aliases = map[string][]wikidata.Term{}
			}
			e.Aliases["en"] = append(e.Aliases["en"], wikidata.Term{Language: "en", Value: a})
		}
		out = append(out, e)
	}
	return out
}

// Types are a few classes to search for as the rows' type.
func Types() []*wikidata.Entity {
	return []*wikidata.Entity{
		{ID: "Q5", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "human"}}, Descriptions: map[string]wikidata.Term{"en": {Language: "en", Value: "any member of Homo sapiens"}},
			Aliases: map[string][]wikidata.Term{"en": {{Language: "en", Value: "person"}, {Language: "en", Value: "people"}}}},
		{ID: "Q3305213", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "painting"}}, Descriptions: map[string]wikidata.Term{"en": {Language: "en", Value: "artwork produced with paint on a surface"}}},
	}
}

// FormatConstraintsTurtle is the format constraint statements as WDQS has
// them (p:P2302 statement nodes with ps:P2302 wd:Q21502404 and a pq:P1793
// qualifier), plus another constraint kind that must be ignored.
func FormatConstraintsTurtle() string {
	s := `@prefix wd: <http://www.wikidata.org/entity/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix wikibase: <http://wikiba.se/ontology#> .
`
	for _, p := range properties {
		if p.format == "" {
			continue
		}
		node := "<http://www.wikidata.org/entity/statement/" + p.id + "-format>"
		s += "wd:" + p.id + " p:P2302 " + node + " .\n" + node + " ps:P2302 wd:Q21502404 ; pq:P1793 " + turtleString(p.format) + " .\n"
		// single-value constraint (Q19474404): not a format
		other := "<http://www.wikidata.org/entity/statement/" + p.id + "-single>"
		s += "wd:" + p.id + " p:P2302 " + other + " .\n" + other + " ps:P2302 wd:Q19474404 .\n"
	}
	return s
}

func turtleString(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '"':
			out = append(out, '\\', s[i])
		default:
			out = append(out, s[i])
		}
	}
	return string(append(out, '"'))
}
