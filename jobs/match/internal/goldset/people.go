package goldset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// PeopleTemplate matches the people set: names, ULAN, life dates, country.
const PeopleTemplate = `{
  "version": 1,
  "languages": ["en", "sv"],
  "type": {"qid": "Q5"},
  "columns": {
    "name": {"role": "label"}, "alt_name": {"role": "label"},
    "ulan": {"property": "P245", "kind": "external-id"},
    "born": {"property": "P569", "kind": "time"}, "died": {"property": "P570", "kind": "time"},
    "country": {"property": "P27", "kind": "item"}
  }
}`

type person struct {
	qid         string
	labels      map[string]string // lang → label
	aliases     map[string]string
	description string
	types       []string
	born, died  string // YYYY-MM-DD
	ulan        string
	country     string
}

type row struct {
	name, alt, ulan, born, died, country, expected string
}

type people struct {
	g               graph
	rows            []row
	generatedPeople []person
}

func year4(d string) int {
	var y int
	fmt.Sscanf(d[:4], "%d", &y)
	return y
}

func (ps *people) add(p person) person {
	if p.types == nil {
		p.types = []string{"Q5"}
	}
	it := &item{qid: p.qid, labels: p.labels, description: p.description, types: p.types, aliases: map[string][]string{}}
	for l, a := range p.aliases {
		it.aliases[l] = []string{a}
	}
	if p.born != "" {
		it.claims = append(it.claims, claim{prop: "P569", value: dateTime(p.born)})
	}
	if p.died != "" {
		it.claims = append(it.claims, claim{prop: "P570", value: dateTime(p.died)})
	}
	if p.ulan != "" {
		it.claims = append(it.claims, claim{prop: "P245", value: lit(p.ulan)})
	}
	if p.country != "" {
		it.claims = append(it.claims, claim{prop: "P27", value: ref(p.country)})
	}
	ps.g.add(it)
	return p
}

func year(d string) string { return d[:4] }

// People is the people set: namesakes told apart by dates, names in
// every order, case and accent, identifiers right and wrong, labels only
// in mul or an alias, items of the wrong type with the same label.
// Seed 11 is the set in testdata/gold.csv.
func People(seed uint64) Set {
	ps := &people{}
	ps.handMade()
	ps.generated(seed)
	s := Set{Domain: "people", Template: PeopleTemplate,
		Header: []string{"name", "alt_name", "ulan", "born", "died", "country", Expected}}
	s.TTL = ps.g.ttl(`wd:Q5 rdfs:label "human"@en, "människa"@sv .
wd:Q1900 rdfs:label "Finnish-Swedish human (test subclass)"@en ; wdt:P279 wd:Q5 .
wd:Q11446 rdfs:label "ship"@en, "fartyg"@sv .
wd:Q2055880 rdfs:label "passenger ship"@en ; wdt:P279 wd:Q11446 .
wd:Q79007 rdfs:label "street"@en, "gata"@sv .
wd:Q34 rdfs:label "Sweden"@en, "Sverige"@sv .
wd:Q35 rdfs:label "Denmark"@en, "Danmark"@sv .
wd:Q20 rdfs:label "Norway"@en, "Norge"@sv .
wd:Q33 rdfs:label "Finland"@en, "Finland"@sv .
wd:Q142 rdfs:label "France"@en, "Frankrike"@sv .
`)
	for _, r := range ps.rows {
		s.Rows = append(s.Rows, []string{r.name, r.alt, r.ulan, r.born, r.died, r.country, r.expected})
	}
	return s
}

func (ps *people) handMade() {
	// Namesakes told apart by their dates.
	a1 := ps.add(person{qid: "Q101", labels: lab("Anna Berg"), description: "Swedish painter", born: "1850-03-02", died: "1911-07-01", ulan: "500100101", country: "Q34"})
	a2 := ps.add(person{qid: "Q102", labels: lab("Anna Berg"), description: "Swedish politician", born: "1920-11-12", died: "1999-01-30", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Anna Berg", born: "1850", expected: a1.qid},
		row{name: "Anna Berg", born: "1920-11-12", expected: a2.qid},
		row{name: "Berg, Anna", born: "1920", died: "1999", expected: a2.qid},
		row{name: "Anna Berg", expected: a1.qid},           // ambiguous: must go to review
		row{name: "Anna Berg", born: "1877", expected: ""}, // a third Anna Berg, not in the graph
	)
	// A namesake in the graph, the row's person not.
	ps.add(person{qid: "Q103", labels: lab("Erik Lund"), description: "Danish sculptor", born: "1850-01-01", country: "Q35"})
	ps.rows = append(ps.rows, row{name: "Erik Lund", born: "1901", died: "1960", expected: ""})
	// Diacritics in the graph, none in the row (search fallback), and back.
	r := ps.add(person{qid: "Q104", labels: map[string]string{"en": "René Lefèvre", "fr": "René Lefèvre"}, born: "1879-03-14", country: "Q142"})
	ps.rows = append(ps.rows, row{name: "Rene Lefevre", born: "1879", expected: r.qid})
	s := ps.add(person{qid: "Q105", labels: lab("Soren Kjaer"), aliases: map[string]string{"en": "Søren Kjær"}, born: "1802-05-05", country: "Q35"})
	ps.rows = append(ps.rows, row{name: "Søren Kjær", born: "1802", expected: s.qid})
	z := ps.add(person{qid: "Q106", labels: lab("Zoë Östlund"), born: "1888-08-08", country: "Q34"})
	ps.rows = append(ps.rows, row{name: "ZOE OSTLUND", born: "1888", expected: z.qid})
	// Parenthetical qualifiers and "Surname, Given".
	k := ps.add(person{qid: "Q107", labels: lab("Karl Nilsson"), description: "Swedish painter", born: "1840-02-02", died: "1900-12-12", country: "Q34"})
	ps.add(person{qid: "Q108", labels: lab("Karl Nilsson"), description: "Swedish footballer", born: "1990-02-02", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Karl Nilsson (painter)", born: "1840", expected: k.qid},
		row{name: "Nilsson, Karl (1840-1900)", born: "1840", died: "1900", expected: k.qid},
	)
	// Same label, wrong type: a ship and a street named after people.
	h := ps.add(person{qid: "Q109", labels: lab("Hilma af Klint"), description: "Swedish painter", born: "1862-10-26", died: "1944-10-21", ulan: "500115493", country: "Q34"})
	ps.add(person{qid: "Q110", labels: lab("Hilma af Klint"), description: "passenger ship", types: []string{"Q2055880"}})
	ps.add(person{qid: "Q111", labels: lab("Selma Lagerlöfs gata"), types: []string{"Q79007"}})
	sl := ps.add(person{qid: "Q112", labels: lab("Selma Lagerlöf"), description: "Swedish writer", born: "1858-11-20", died: "1940-03-16", country: "Q34"})
	ps.add(person{qid: "Q113", labels: lab("Selma Lagerlöf"), description: "street in Gothenburg", types: []string{"Q79007"}})
	ps.add(person{qid: "Q114", labels: lab("Greta Garbo"), description: "ship", types: []string{"Q11446"}})
	ps.rows = append(ps.rows,
		row{name: "Hilma af Klint", born: "1862", expected: h.qid},
		row{name: "hilma af klint", died: "1944-10-21", expected: h.qid},
		row{name: "Selma Lagerlöf", born: "1858", expected: sl.qid},
		row{name: "Selma Lagerlof", born: "1858-11-20", expected: sl.qid},
		row{name: "Greta Garbo", born: "1905", expected: ""}, // only the ship is in the graph
	)
	// Identifiers: right, wrong (another person's), and missing.
	nd := ps.add(person{qid: "Q115", labels: lab("Nils Dardel"), born: "1888-10-25", died: "1943-05-25", ulan: "500029340", country: "Q34"})
	ig := ps.add(person{qid: "Q116", labels: lab("Isaac Grünewald"), born: "1889-09-02", died: "1946-04-26", ulan: "500013389", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Nils Dardel", ulan: ig.ulan, expected: nd.qid}, // wrong identifier: review, never matched to Grünewald
		row{name: "Isaac Grunewald", ulan: ig.ulan, expected: ig.qid},
		row{ulan: nd.ulan, expected: nd.qid},
		row{name: "Dardel, Nils", born: "1888", expected: nd.qid},
		row{name: "Nils von Dardel", ulan: nd.ulan, born: "1888", expected: nd.qid},
		row{name: "Unknown Person", ulan: "500999999", expected: ""},
	)
	// Names only an alias has.
	az := ps.add(person{qid: "Q117", labels: lab("Anders Zorn"), aliases: map[string]string{"sv": "Anders Leonard Zorn", "en": "Zorn"}, born: "1860-02-18", died: "1920-08-22", ulan: "500021944", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Anders Leonard Zorn", born: "1860", expected: az.qid},
		row{name: "A. L. Zorn", alt: "Anders Leonard Zorn", born: "1860-02-18", expected: az.qid},
	)
	// Labels only in mul.
	ml := ps.add(person{qid: "Q118", labels: map[string]string{"mul": "Ljubica Marić"}, born: "1909-03-18", died: "2003-09-17"})
	mm := ps.add(person{qid: "Q119", labels: map[string]string{"mul": "Ōgai Mori", "ja": "森鷗外"}, born: "1862-02-17", died: "1922-07-08"})
	ps.rows = append(ps.rows,
		row{name: "Ljubica Marić", born: "1909", expected: ml.qid},
		row{name: "Ljubica Maric", born: "1909", expected: ml.qid},
		row{name: "Ōgai Mori", born: "1862", died: "1922", expected: mm.qid},
	)
	// An instance of a subclass of human (made-up class, for the P279* path).
	sc := ps.add(person{qid: "Q120", labels: lab("Tove Jansson"), types: []string{"Q1900"}, born: "1914-08-09", died: "2001-06-27", country: "Q33"})
	ps.rows = append(ps.rows, row{name: "Tove Jansson", born: "1914", expected: sc.qid})
	// A birth date that disagrees at the row's precision, and one that agrees.
	bd := ps.add(person{qid: "Q121", labels: lab("Olof Sager"), born: "1840-06-15", died: "1900-01-01", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Olof Sager", born: "1840-07-15", expected: ""}, // different day: another Olof Sager
		row{name: "Olof Sager", born: "1840-06", died: "1900", expected: bd.qid},
	)
	// Near-namesakes that are not the person.
	ps.add(person{qid: "Q122", labels: lab("Karin Lindqvist"), born: "1901-01-05", country: "Q34"})
	ps.rows = append(ps.rows,
		row{name: "Karin Lindqvista", born: "1901", expected: ""},
		row{name: "Lindqvist, Karin", born: "1901-01-05", expected: "Q122"},
		row{name: "Karin Lindqvist", born: "1931", expected: ""},
	)
	// A country given as a name.
	ps.rows = append(ps.rows, row{name: "Anna Berg", country: "Sweden", born: "1850-03-02", expected: a1.qid})
}

var (
	given = []string{"Agnes", "Albin", "Alma", "Arvid", "Astrid", "Axel", "Bertil", "Birgit", "Britta", "Dagny", "Edvin",
		"Elin", "Elsa", "Emil", "Erland", "Ester", "Folke", "Frida", "Gerda", "Gösta", "Gunnar", "Harald", "Hedvig", "Helmer",
		"Ingeborg", "Ivar", "Jenny", "Johan", "Kerstin", "Lennart", "Linnea", "Magnus", "Märta", "Nanna", "Oskar", "Ragnar",
		"Rut", "Sigrid", "Sixten", "Svea", "Tekla", "Torsten", "Ulla", "Valdemar", "Vera", "Vilhelm", "Åke", "Östen"}
	family = []string{"Ahlberg", "Almqvist", "Bergström", "Blomqvist", "Dahl", "Ekström", "Engström", "Fagerlund", "Forsberg",
		"Hallström", "Hedlund", "Holm", "Jansson", "Kjellberg", "Lagerkvist", "Lindahl", "Ljungberg", "Lundgren", "Malmsten",
		"Nordin", "Norén", "Palm", "Rosén", "Sandberg", "Sjöberg", "Strand", "Sundqvist", "Söderlund", "Wallin", "Wikström",
		"Åberg", "Öberg", "Ångström", "Hägg", "Grönvall"}
	countries = []string{"Q34", "Q35", "Q20", "Q33"}
)

func (ps *people) generated(seed uint64) {
	rnd := rand.New(rand.NewPCG(2026, seed))
	used := map[string]bool{}
	for i := 0; i < 160; i++ {
		var name string
		for {
			name = given[rnd.IntN(len(given))] + " " + family[rnd.IntN(len(family))]
			if !used[name] {
				used[name] = true
				break
			}
		}
		by := 1700 + rnd.IntN(250)
		p := person{
			qid: fmt.Sprintf("Q%d", 1000+i), labels: lab(name), description: "Nordic artist",
			born:    fmt.Sprintf("%d-%02d-%02d", by, 1+rnd.IntN(12), 1+rnd.IntN(28)),
			died:    fmt.Sprintf("%d-%02d-%02d", by+30+rnd.IntN(60), 1+rnd.IntN(12), 1+rnd.IntN(28)),
			country: countries[rnd.IntN(len(countries))],
		}
		if i%3 != 0 {
			p.ulan = fmt.Sprintf("5002%05d", i)
		}
		if i%10 == 7 {
			p.labels = map[string]string{"mul": name}
		}
		ps.add(p)
		ps.generatedPeople = append(ps.generatedPeople, p)
		if i >= 130 {
			continue // in the graph, not in the dataset: extra distractors
		}
		g, f, _ := strings.Cut(name, " ")
		r := row{expected: p.qid}
		switch i % 10 {
		case 0:
			r.name, r.born = name, year(p.born)
		case 1:
			r.name, r.born, r.died = f+", "+g, year(p.born), year(p.died)
		case 2:
			r.name, r.ulan = name, p.ulan
		case 3:
			r.name, r.born = strings.ToLower(name), p.born
		case 4:
			r.name = name // a name alone: review, with the right item among the candidates
		case 5:
			r.name, r.died, r.country = name+" (artist)", year(p.died), p.country
		case 6:
			r.ulan = p.ulan
			if r.ulan == "" {
				r.name, r.born = name, year(p.born)
			}
		case 7:
			r.name, r.born = name, year(p.born)
			if by%2 == 0 {
				r.born = fmt.Sprint(by + 3) // wrong year: the person is someone else
				r.expected = ""
			}
		case 8:
			// Life dates written with the name, no date columns.
			r.name = fmt.Sprintf("%s (%s–%s)", name, year(p.born), year(p.died))
		case 9:
			// The library heading: "Surname, Given, born-died".
			r.name = fmt.Sprintf("%s, %s, %s-%s", f, g, year(p.born), year(p.died))
		}
		ps.rows = append(ps.rows, r)
	}
	// Namesakes of people in the graph who are not in it: the same name
	// alone, or with other life dates. Neither may be matched.
	for i := 0; i < 11; i++ {
		p := ps.generatedPeople[rnd.IntN(len(ps.generatedPeople))]
		name := p.labels["en"]
		if name == "" {
			name = p.labels["mul"]
		}
		by := 1700 + rnd.IntN(250)
		for by/10 == year4(p.born)/10 {
			by = 1700 + rnd.IntN(250)
		}
		if i%2 == 0 {
			ps.rows = append(ps.rows, row{name: name})
		} else {
			ps.rows = append(ps.rows, row{name: fmt.Sprintf("%s (%d–%d)", name, by, by+40+rnd.IntN(30))})
		}
	}
	// People not in the graph at all, with names built the same way.
	for i := 0; i < 25; i++ {
		var name string
		for {
			name = given[rnd.IntN(len(given))] + " " + family[rnd.IntN(len(family))]
			if !used[name] {
				used[name] = true
				break
			}
		}
		ps.rows = append(ps.rows, row{name: name, born: fmt.Sprint(1700 + rnd.IntN(250))})
	}
}
