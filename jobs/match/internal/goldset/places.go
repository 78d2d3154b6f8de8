package goldset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// PlacesTemplate matches a gazetteer of settlements: name, country,
// GeoNames id, founding year. Population is left out on purpose: it
// changes from census to census, so a different figure is no evidence
// of a different place.
const PlacesTemplate = `{
  "version": 1,
  "languages": ["en", "sv"],
  "type": {"qid": "Q486972"},
  "columns": {
    "name": {"role": "label", "form": "name"},
    "country": {"property": "P17", "kind": "item"},
    "geonames": {"property": "P1566", "kind": "external-id"},
    "founded": {"property": "P571", "kind": "time"}
  }
}`

type place struct {
	qid, name, country, geonames string
	founded                      int
	types                        []string
	aliases                      []string
	mul                          bool
}

// Places is the gazetteer set: namesakes told apart by country (Lund in
// Sweden and Norway), namesakes in one country (review), former names as
// aliases (Christiania), exonyms, names without their diacritics or in
// capitals, parenthetical qualifiers, a ship and a university with a
// city's name, right and wrong GeoNames ids, places not in the graph
// while a namesake is.
func Places(seed uint64) Set {
	g := &graph{}
	var rows [][]string
	row := func(name, country, geonames, founded, expected string) {
		rows = append(rows, []string{name, country, geonames, founded, expected})
	}
	add := func(p place) place {
		if p.types == nil {
			p.types = []string{"Q515"}
		}
		it := &item{qid: p.qid, labels: lab(p.name), types: p.types, aliases: map[string][]string{}}
		if p.mul {
			it.labels = map[string]string{"mul": p.name}
		}
		if len(p.aliases) > 0 {
			it.aliases["en"] = p.aliases
		}
		if p.country != "" {
			it.claims = append(it.claims, claim{prop: "P17", value: ref(p.country)})
		}
		if p.geonames != "" {
			it.claims = append(it.claims, claim{prop: "P1566", value: lit(p.geonames)})
		}
		if p.founded != 0 {
			it.claims = append(it.claims, claim{prop: "P571", value: yearTime(p.founded)})
		}
		g.add(it)
		return p
	}
	// Namesakes in two countries, told apart by the country.
	lse := add(place{qid: "Q201", name: "Lund", country: "Q34", geonames: "2693678", founded: 990})
	lno := add(place{qid: "Q202", name: "Lund", country: "Q20", types: []string{"Q532"}})
	row("Lund", "Sweden", "", "", lse.qid)
	row("Lund", "Norge", "", "", lno.qid)
	row("Lund", "", "", "", lse.qid)   // two Lunds: review
	row("Lund", "Denmark", "", "", "") // a third, not in the graph
	// Namesakes in one country: only an identifier or a date tells.
	v1 := add(place{qid: "Q203", name: "Berga", country: "Q34", geonames: "2720001", types: []string{"Q532"}, founded: 1350})
	v2 := add(place{qid: "Q204", name: "Berga", country: "Q34", geonames: "2720002", types: []string{"Q532"}})
	row("Berga", "Sweden", "", "", v1.qid) // review
	row("Berga", "Sweden", "2720002", "", v2.qid)
	row("Berga", "Sweden", "", "1350", v1.qid)
	// Former names and exonyms as aliases, diacritics, capitals.
	oslo := add(place{qid: "Q205", name: "Oslo", country: "Q20", geonames: "3143244", aliases: []string{"Christiania", "Kristiania"}, founded: 1040})
	gbg := add(place{qid: "Q206", name: "Gothenburg", country: "Q34", geonames: "2711537", aliases: []string{"Göteborg"}, founded: 1621})
	malmo := add(place{qid: "Q207", name: "Malmö", country: "Q34", geonames: "2692969", founded: 1275})
	row("Christiania", "Norway", "", "", oslo.qid)
	row("GÖTEBORG", "Sweden", "", "", gbg.qid)
	row("Malmo", "Sweden", "", "", malmo.qid)
	row("malmö", "", "2692969", "", malmo.qid)
	row("Oslo (city)", "Norway", "", "", oslo.qid)
	// Same name, wrong type: a ship, a university.
	sth := add(place{qid: "Q208", name: "Stockholm", country: "Q34", geonames: "2673730", founded: 1252})
	add(place{qid: "Q209", name: "Stockholm", types: []string{"Q11446"}})
	add(place{qid: "Q210", name: "Uppsala", country: "Q34", types: []string{"Q3918"}})
	row("Stockholm", "Sweden", "", "", sth.qid)
	row("Uppsala", "Sweden", "", "", "") // only the university is in the graph
	// Identifiers right and wrong.
	row("Oslo", "Norway", gbg.geonames, "", oslo.qid) // another place's id: review
	row("", "", sth.geonames, "", sth.qid)
	row("Nowhere", "", "9999999", "", "")
	// A date one year off is weak, two centuries off a conflict.
	row("Gothenburg", "", "", "1622", gbg.qid) // review: the name, the type, a year near
	row("Malmö", "Sweden", "", "1475", "")     // another Malmö's founding

	r := rand.New(rand.NewPCG(1523, seed))
	first := []string{"Ask", "Björk", "Ek", "Gran", "Hass", "Lind", "Mal", "Nor", "Ros", "Sand", "Sol", "Stor", "Väst", "Öster", "Ål", "Hög", "Berg", "Fors", "Kvarn", "Skog"}
	last := []string{"by", "torp", "köping", "holm", "vik", "sund", "dal", "hult", "stad", "ås", "näs", "berga"}
	countryName := map[string]string{"Q34": "Sweden", "Q35": "Denmark", "Q20": "Norway", "Q33": "Finland"}
	used := map[string]bool{}
	name := func() string {
		for {
			n := pick(r, first) + pick(r, last)
			if !used[n] {
				used[n] = true
				return n
			}
		}
	}
	var made []place
	for i := 0; i < 150; i++ {
		p := place{qid: fmt.Sprintf("Q%d", 3000+i), name: name(), country: pick(r, countries), founded: 1100 + r.IntN(800),
			types: []string{pick(r, []string{"Q515", "Q532", "Q3957"})}}
		if i%3 != 0 {
			p.geonames = fmt.Sprintf("26%05d", i)
		}
		p.mul = i%11 == 5
		add(p)
		made = append(made, p)
		if i%7 == 3 {
			// A namesake in another country, so the country counts.
			other := pick(r, countries)
			for other == p.country {
				other = pick(r, countries)
			}
			add(place{qid: fmt.Sprintf("Q%d", 5000+i), name: p.name, country: other, types: []string{"Q532"}})
		}
		if i >= 130 {
			continue // distractors only
		}
		c := countryName[p.country]
		switch i % 8 {
		case 0:
			row(p.name, c, "", "", p.qid)
		case 1:
			row(strings.ToUpper(p.name), c, "", "", p.qid)
		case 2:
			row(p.name, "", p.geonames, "", p.qid)
			if p.geonames == "" {
				rows[len(rows)-1][1] = p.country // the country as a QID
			}
		case 3:
			row(p.name, "", "", "", p.qid) // a name alone: review
		case 4:
			row(p.name+" (municipality)", c, "", "", p.qid)
		case 5:
			row(strings.ToLower(p.name), c, "", fmt.Sprint(p.founded), p.qid)
		case 6:
			row(p.name, c, "", fmt.Sprint(p.founded+150), "") // another place of that name
		case 7:
			row(p.name, "", "", fmt.Sprint(p.founded), p.qid)
		}
	}
	// Places not in the graph: new names, and namesakes of graph places
	// in a country where the graph has none.
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			row(name(), pick(r, []string{"Sweden", "Norway"}), "", "", "")
			continue
		}
		p := made[r.IntN(len(made))]
		row(p.name, "Iceland", "", "", "")
	}
	s := Set{Domain: "places", Template: PlacesTemplate, Header: []string{"name", "country", "geonames", "founded", Expected}, Rows: rows}
	s.TTL = g.ttl(`wd:Q486972 rdfs:label "human settlement"@en, "ort"@sv .
wd:Q515 rdfs:label "city"@en ; wdt:P279 wd:Q486972 .
wd:Q3957 rdfs:label "town"@en ; wdt:P279 wd:Q486972 .
wd:Q532 rdfs:label "village"@en ; wdt:P279 wd:Q486972 .
wd:Q11446 rdfs:label "ship"@en .
wd:Q3918 rdfs:label "university"@en .
wd:Q34 rdfs:label "Sweden"@en, "Sverige"@sv .
wd:Q35 rdfs:label "Denmark"@en, "Danmark"@sv .
wd:Q20 rdfs:label "Norway"@en, "Norge"@sv .
wd:Q33 rdfs:label "Finland"@en, "Finland"@sv .
wd:Q189 rdfs:label "Iceland"@en, "Island"@sv .
`)
	return s
}
