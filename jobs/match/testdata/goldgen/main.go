// Command goldgen writes the gold set for the matcher's TestGoldSet:
// testdata/gold.ttl, a Wikidata-shaped graph, and testdata/gold.csv, partner
// rows with the item each should match (expected_qid, empty when the
// entity is not in the graph). The hard cases are written out by hand
// below; a seeded generator adds ordinary people around them.
//
//	cd jobs/match && go run ./testdata/goldgen
package main

import (
	"encoding/csv"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

type person struct {
	qid         string
	labels      map[string]string // lang → label
	aliases     map[string]string
	description string
	types       []string
	born, died  string // YYYY-MM-DD
	ulan, viaf  string
	country     string
}

type row struct {
	name, alt, ulan, born, died, country, expected string
}

var (
	items []person
	rows  []row
)

func add(p person) person {
	if p.types == nil {
		p.types = []string{"Q5"}
	}
	items = append(items, p)
	return p
}

func lab(s string) map[string]string { return map[string]string{"en": s, "sv": s} }

func year(d string) string { return d[:4] }

func main() {
	dir := "testdata"
	if _, err := os.Stat(dir); err != nil {
		log.Fatal("run from jobs/match: ", err)
	}
	handMade()
	generated()
	if err := writeTTL(filepath.Join(dir, "gold.ttl")); err != nil {
		log.Fatal(err)
	}
	if err := writeCSV(filepath.Join(dir, "gold.csv")); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d items, %d rows\n", len(items), len(rows))
}

func handMade() {
	// Namesakes told apart by their dates.
	a1 := add(person{qid: "Q101", labels: lab("Anna Berg"), description: "Swedish painter", born: "1850-03-02", died: "1911-07-01", ulan: "500100101", country: "Q34"})
	a2 := add(person{qid: "Q102", labels: lab("Anna Berg"), description: "Swedish politician", born: "1920-11-12", died: "1999-01-30", country: "Q34"})
	rows = append(rows,
		row{name: "Anna Berg", born: "1850", expected: a1.qid},
		row{name: "Anna Berg", born: "1920-11-12", expected: a2.qid},
		row{name: "Berg, Anna", born: "1920", died: "1999", expected: a2.qid},
		row{name: "Anna Berg", expected: a1.qid},           // ambiguous: must go to review
		row{name: "Anna Berg", born: "1877", expected: ""}, // a third Anna Berg, not in the graph
	)
	// A namesake in the graph, the row's person not.
	add(person{qid: "Q103", labels: lab("Erik Lund"), description: "Danish sculptor", born: "1850-01-01", country: "Q35"})
	rows = append(rows, row{name: "Erik Lund", born: "1901", died: "1960", expected: ""})
	// Diacritics in the graph, none in the row (search fallback), and back.
	r := add(person{qid: "Q104", labels: map[string]string{"en": "René Lefèvre", "fr": "René Lefèvre"}, born: "1879-03-14", country: "Q142"})
	rows = append(rows, row{name: "Rene Lefevre", born: "1879", expected: r.qid})
	s := add(person{qid: "Q105", labels: lab("Soren Kjaer"), aliases: map[string]string{"en": "Søren Kjær"}, born: "1802-05-05", country: "Q35"})
	rows = append(rows, row{name: "Søren Kjær", born: "1802", expected: s.qid})
	z := add(person{qid: "Q106", labels: lab("Zoë Östlund"), born: "1888-08-08", country: "Q34"})
	rows = append(rows, row{name: "ZOE OSTLUND", born: "1888", expected: z.qid})
	// Parenthetical qualifiers and "Surname, Given".
	k := add(person{qid: "Q107", labels: lab("Karl Nilsson"), description: "Swedish painter", born: "1840-02-02", died: "1900-12-12", country: "Q34"})
	add(person{qid: "Q108", labels: lab("Karl Nilsson"), description: "Swedish footballer", born: "1990-02-02", country: "Q34"})
	rows = append(rows,
		row{name: "Karl Nilsson (painter)", born: "1840", expected: k.qid},
		row{name: "Nilsson, Karl (1840-1900)", born: "1840", died: "1900", expected: k.qid},
	)
	// Same label, wrong type: a ship and a street named after people.
	h := add(person{qid: "Q109", labels: lab("Hilma af Klint"), description: "Swedish painter", born: "1862-10-26", died: "1944-10-21", ulan: "500115493", country: "Q34"})
	add(person{qid: "Q110", labels: lab("Hilma af Klint"), description: "passenger ship", types: []string{"Q2055880"}})
	add(person{qid: "Q111", labels: lab("Selma Lagerlöfs gata"), types: []string{"Q79007"}})
	sl := add(person{qid: "Q112", labels: lab("Selma Lagerlöf"), description: "Swedish writer", born: "1858-11-20", died: "1940-03-16", country: "Q34"})
	add(person{qid: "Q113", labels: lab("Selma Lagerlöf"), description: "street in Gothenburg", types: []string{"Q79007"}})
	add(person{qid: "Q114", labels: lab("Greta Garbo"), description: "ship", types: []string{"Q11446"}})
	rows = append(rows,
		row{name: "Hilma af Klint", born: "1862", expected: h.qid},
		row{name: "hilma af klint", died: "1944-10-21", expected: h.qid},
		row{name: "Selma Lagerlöf", born: "1858", expected: sl.qid},
		row{name: "Selma Lagerlof", born: "1858-11-20", expected: sl.qid},
		row{name: "Greta Garbo", born: "1905", expected: ""}, // only the ship is in the graph
	)
	// Identifiers: right, wrong (another person's), and missing.
	nd := add(person{qid: "Q115", labels: lab("Nils Dardel"), born: "1888-10-25", died: "1943-05-25", ulan: "500029340", country: "Q34"})
	ig := add(person{qid: "Q116", labels: lab("Isaac Grünewald"), born: "1889-09-02", died: "1946-04-26", ulan: "500013389", country: "Q34"})
	rows = append(rows,
		row{name: "Nils Dardel", ulan: ig.ulan, expected: nd.qid}, // wrong identifier: review, never matched to Grünewald
		row{name: "Isaac Grunewald", ulan: ig.ulan, expected: ig.qid},
		row{ulan: nd.ulan, expected: nd.qid},
		row{name: "Dardel, Nils", born: "1888", expected: nd.qid},
		row{name: "Nils von Dardel", ulan: nd.ulan, born: "1888", expected: nd.qid},
		row{name: "Unknown Person", ulan: "500999999", expected: ""},
	)
	// Names only an alias has.
	az := add(person{qid: "Q117", labels: lab("Anders Zorn"), aliases: map[string]string{"sv": "Anders Leonard Zorn", "en": "Zorn"}, born: "1860-02-18", died: "1920-08-22", ulan: "500021944", country: "Q34"})
	rows = append(rows,
		row{name: "Anders Leonard Zorn", born: "1860", expected: az.qid},
		row{name: "A. L. Zorn", alt: "Anders Leonard Zorn", born: "1860-02-18", expected: az.qid},
	)
	// Labels only in mul.
	ml := add(person{qid: "Q118", labels: map[string]string{"mul": "Ljubica Marić"}, born: "1909-03-18", died: "2003-09-17"})
	mm := add(person{qid: "Q119", labels: map[string]string{"mul": "Ōgai Mori", "ja": "森鷗外"}, born: "1862-02-17", died: "1922-07-08"})
	rows = append(rows,
		row{name: "Ljubica Marić", born: "1909", expected: ml.qid},
		row{name: "Ljubica Maric", born: "1909", expected: ml.qid},
		row{name: "Ōgai Mori", born: "1862", died: "1922", expected: mm.qid},
	)
	// An instance of a subclass of human (made-up class, for the P279* path).
	sc := add(person{qid: "Q120", labels: lab("Tove Jansson"), types: []string{"Q1900"}, born: "1914-08-09", died: "2001-06-27", country: "Q33"})
	rows = append(rows, row{name: "Tove Jansson", born: "1914", expected: sc.qid})
	// A birth date that disagrees at the row's precision, and one that agrees.
	bd := add(person{qid: "Q121", labels: lab("Olof Sager"), born: "1840-06-15", died: "1900-01-01", country: "Q34"})
	rows = append(rows,
		row{name: "Olof Sager", born: "1840-07-15", expected: ""}, // different day: another Olof Sager
		row{name: "Olof Sager", born: "1840-06", died: "1900", expected: bd.qid},
	)
	// Near-namesakes that are not the person.
	add(person{qid: "Q122", labels: lab("Karin Lindqvist"), born: "1901-01-05", country: "Q34"})
	rows = append(rows,
		row{name: "Karin Lindqvista", born: "1901", expected: ""},
		row{name: "Lindqvist, Karin", born: "1901-01-05", expected: "Q122"},
		row{name: "Karin Lindqvist", born: "1931", expected: ""},
	)
	// A country given as a name.
	rows = append(rows, row{name: "Anna Berg", country: "Sweden", born: "1850-03-02", expected: a1.qid})
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

func generated() {
	rnd := rand.New(rand.NewPCG(2026, 11))
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
		add(p)
		if i >= 130 {
			continue // in the graph, not in the dataset: extra distractors
		}
		g, f, _ := strings.Cut(name, " ")
		r := row{expected: p.qid}
		switch i % 8 {
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
		}
		rows = append(rows, r)
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
		rows = append(rows, row{name: name, born: fmt.Sprint(1700 + rnd.IntN(250))})
	}
}

func writeTTL(path string) error {
	var b strings.Builder
	b.WriteString(`@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

# Generated by testdata/goldgen; edit the generator, not this file.
wd:Q5 rdfs:label "human"@en, "människa"@sv .
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
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	for _, p := range items {
		fmt.Fprintf(&b, "wd:%s", p.qid)
		for _, l := range sortedKeys(p.labels) {
			fmt.Fprintf(&b, " rdfs:label %s@%s ;", q(p.labels[l]), l)
		}
		for _, l := range sortedKeys(p.aliases) {
			fmt.Fprintf(&b, " skos:altLabel %s@%s ;", q(p.aliases[l]), l)
		}
		if p.description != "" {
			fmt.Fprintf(&b, " schema:description %s@en ;", q(p.description))
		}
		for _, t := range p.types {
			fmt.Fprintf(&b, " wdt:P31 wd:%s ;", t)
		}
		if p.born != "" {
			fmt.Fprintf(&b, " wdt:P569 \"%sT00:00:00Z\"^^xsd:dateTime ;", p.born)
		}
		if p.died != "" {
			fmt.Fprintf(&b, " wdt:P570 \"%sT00:00:00Z\"^^xsd:dateTime ;", p.died)
		}
		if p.ulan != "" {
			fmt.Fprintf(&b, " wdt:P245 %s ;", q(p.ulan))
		}
		if p.country != "" {
			fmt.Fprintf(&b, " wdt:P27 wd:%s ;", p.country)
		}
		s := strings.TrimSuffix(b.String(), " ;")
		b.Reset()
		b.WriteString(s + " .\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"name", "alt_name", "ulan", "born", "died", "country", "expected_qid"})
	for _, r := range rows {
		_ = w.Write([]string{r.name, r.alt, r.ulan, r.born, r.died, r.country, r.expected})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
