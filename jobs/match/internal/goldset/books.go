package goldset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// BooksTemplate matches a library's list: title, author, year, ISBN.
// ISBNs are stored hyphenated on Wikidata (P212) and written every way in
// catalogues, so the column's spelling is loose.
const BooksTemplate = `{
  "version": 1,
  "languages": ["en", "sv", "de"],
  "type": {"qid": "Q7725634"},
  "columns": {
    "title": {"role": "label", "form": "title"},
    "author": {"property": "P50", "kind": "item"},
    "year": {"property": "P577", "kind": "time"},
    "isbn": {"property": "P212", "kind": "external-id", "spelling": "loose", "strip_prefixes": ["ISBN"]}
  }
}`

type book struct {
	qid, title string
	author     *artist
	year       int
	isbn       string // hyphenated, as on Wikidata
	typ        string
}

// Books is the library set: pseudonyms (an author's alias), namesake
// authors, generic titles ("Poems", "Selected Stories"), leading articles
// in several languages, ISBNs without hyphens or with an "ISBN" prefix,
// uncertain years, and same-titled films.
func Books(seed uint64) Set {
	g := &graph{}
	r := rand.New(rand.NewPCG(1900, seed))
	var rows [][]string
	row := func(title, author, year, isbn, expected string) {
		rows = append(rows, []string{title, author, year, isbn, expected})
	}
	addAuthor := func(a *artist) *artist {
		it := &item{qid: a.qid, labels: lab(a.label), types: []string{"Q5"}, description: "writer", aliases: map[string][]string{}}
		if a.alias != "" {
			it.aliases["en"] = []string{a.alias}
		}
		g.add(it)
		return a
	}
	n := 0
	addBook := func(b *book) *book {
		n++
		if b.qid == "" {
			b.qid = fmt.Sprintf("Q%d", 60000+n)
		}
		if b.typ == "" {
			b.typ = "Q8261"
		}
		it := &item{qid: b.qid, labels: lab(b.title), types: []string{b.typ}}
		if b.author != nil {
			it.claims = append(it.claims, claim{prop: "P50", value: ref(b.author.qid)})
		}
		if b.year != 0 {
			it.claims = append(it.claims, claim{prop: "P577", value: yearTime(b.year)})
		}
		if b.isbn != "" {
			it.claims = append(it.claims, claim{prop: "P212", value: lit(b.isbn)})
		}
		g.add(it)
		return b
	}
	isbn := func() string {
		return fmt.Sprintf("978-91-%d-%05d-%d", 1+r.IntN(9), r.IntN(100000), r.IntN(10))
	}

	// Hand-made hard cases.
	twain := addAuthor(&artist{qid: "Q4001", label: "Samuel Clemens", alias: "Mark Twain"})
	tom := addBook(&book{title: "The Adventures of Tom Sawyer", author: twain, year: 1876, isbn: "978-0-14-035003-2"})
	row("Adventures of Tom Sawyer", "Twain, Mark", "1876", "", tom.qid)
	row("THE ADVENTURES OF TOM SAWYER", "", "", "9780140350032", tom.qid)
	row("The Adventures of Tom Sawyer", "Mark Twain", "c. 1876", "ISBN 978 0 14 035003 2", tom.qid)
	k1 := addAuthor(&artist{qid: "Q4002", label: "Karin Boye"})
	k2 := addAuthor(&artist{qid: "Q4003", label: "Karin Boye", alias: "Karin Boye (journalist)"})
	poems1 := addBook(&book{title: "Poems", author: k1, year: 1922, typ: "Q5185279"})
	poems2 := addBook(&book{title: "Poems", author: k2, year: 1961, typ: "Q5185279"})
	row("Poems", "Boye, Karin", "1922", "", poems1.qid)
	row("Poems", "Karin Boye", "1961?", "", poems2.qid)
	row("Poems", "Karin Boye", "", "", poems1.qid) // two alike: review
	kafka := addAuthor(&artist{qid: "Q4004", label: "Franz Kafka"})
	proc := addBook(&book{title: "Der Process", author: kafka, year: 1925, isbn: "978-3-596-90041-1"})
	g.items[len(g.items)-1].labels["de"] = "Der Process"
	g.items[len(g.items)-1].labels["en"] = "The Trial"
	row("Process", "KAFKA, Franz", "1925", "", proc.qid)
	row("The Trial", "Franz Kafka", "1920s", "", proc.qid)
	row("The Trial", "Franz Kafka", "1952", "", "") // a later edition's year: not the work
	g.add(&item{qid: "Q9200", labels: en("The Trial"), types: []string{"Q11424"}, description: "1962 film"})
	row("The Trial", "", "1962", "", "")

	// Generated authors and books.
	var authors []*artist
	used := map[string]bool{}
	for i := 0; len(authors) < 40; i++ {
		label := pick(r, aGiven) + " " + pick(r, aFamily).name
		if used[label] {
			continue
		}
		used[label] = true
		a := &artist{qid: fmt.Sprintf("Q%d", 4100+i), label: label}
		if r.IntN(6) == 0 {
			a.alias = pick(r, aGiven) + " " + pick(r, []string{"Ek", "Lind", "Rune", "Stjärna", "Vinter"})
		}
		authors = append(authors, addAuthor(a))
	}
	generic := []string{"Poems", "Selected Stories", "Collected Poems", "Letters", "Memoirs", "The Journey", "Summer", "Diaries"}
	words := []string{"Garden", "River", "Winter", "Lighthouse", "Island", "Forest", "Letter", "Stranger", "Harbour", "Silence"}
	var mine []*book
	for _, a := range authors {
		for k := 0; k < 2+r.IntN(6); k++ {
			title := pick(r, generic)
			if r.IntN(10) >= 3 {
				title = pick(r, []string{"The ", "A ", ""}) + pick(r, words) + pick(r, []string{"", " of " + pick(r, words) + "s", " and the " + pick(r, words)})
			}
			b := &book{title: title, author: a, year: 1850 + r.IntN(170)}
			if r.IntN(3) > 0 {
				b.isbn = isbn()
			}
			mine = append(mine, addBook(b))
		}
	}
	for i := 0; i < 150; i++ {
		addBook(&book{title: pick(r, generic), year: 1800 + r.IntN(220), typ: pick(r, []string{"Q8261", "Q5185279", "Q7725634"})})
	}
	for i, b := range mine {
		if r.IntN(10) < 2 {
			continue
		}
		title, author, year, isb, expected := b.title, b.author.label, fmt.Sprint(b.year), "", b.qid
		switch i % 8 {
		case 0:
		case 1:
			title, author = strings.ToUpper(title), strings.ToUpper(b.author.label)
		case 2:
			parts := strings.Fields(b.author.label)
			author = parts[len(parts)-1] + ", " + strings.Join(parts[:len(parts)-1], " ")
			if rest, ok := strings.CutPrefix(title, "The "); ok {
				title = rest
			}
		case 3:
			if b.isbn != "" {
				isb = strings.ReplaceAll(b.isbn, "-", "")
				year = ""
			}
		case 4:
			year = fmt.Sprintf("c. %d", b.year)
		case 5:
			if b.author.alias != "" {
				author = b.author.alias
			}
			year = fmt.Sprintf("%ds", b.year/10*10)
		case 6:
			year = fmt.Sprint(b.year + 1) // off by one
		case 7:
			title = strings.ToLower(title)
		}
		row(title, author, year, isb, expected)
	}
	for i := 0; i < 20; i++ {
		a := authors[r.IntN(len(authors))]
		row(pick(r, generic), a.label, fmt.Sprint(2020+r.IntN(5)), "", "")
	}
	s := Set{Domain: "books", Template: BooksTemplate, Header: []string{"title", "author", "year", "isbn", Expected}, Rows: rows}
	s.TTL = g.ttl(`wd:Q5 rdfs:label "human"@en .
wd:Q7725634 rdfs:label "literary work"@en .
wd:Q8261 rdfs:label "novel"@en ; wdt:P279 wd:Q7725634 .
wd:Q5185279 rdfs:label "poetry collection"@en ; wdt:P279 wd:Q7725634 .
wd:Q11424 rdfs:label "film"@en .
`)
	return s
}
