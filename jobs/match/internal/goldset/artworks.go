package goldset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// ArtworksTemplate matches a museum's catalogue: title, artist, date,
// inventory number within its collection. Its type is the parent class
// (visual artwork): paintings, drawings, prints and sculptures count.
const ArtworksTemplate = `{
  "version": 1,
  "languages": ["en", "sv"],
  "type": {"qid": "Q4502142"},
  "columns": {
    "title": {"role": "label", "form": "title"},
    "artist": {"property": "P170", "kind": "item"},
    "date": {"property": "P571", "kind": "time"},
    "inventory": {"property": "P217", "kind": "external-id", "spelling": "loose", "strip_prefixes": ["Inv. no.", "Inv."],
      "scope": {"property": "P195", "column": "collection"}},
    "collection": {"property": "P195", "kind": "item"}
  }
}`

type artist struct {
	qid, label, given, family, particle string
	born, died                          int
	alias                               string
}

type work struct {
	qid, title, svTitle string
	artist              *artist
	year                int // 0: no date on the item
	collection          *museum
	inventory           string
	typ                 string
}

type museum struct{ qid, name, prefix string }

type artworks struct {
	g     graph
	rows  [][]string
	works []*work
	next  int
}

func (a *artworks) qid() string {
	a.next++
	return fmt.Sprintf("Q%d", 30000+a.next)
}

func (a *artworks) addArtist(ar *artist) *artist {
	it := &item{qid: ar.qid, labels: lab(ar.label), types: []string{"Q5"}, description: "painter", aliases: map[string][]string{}}
	if ar.alias != "" {
		it.aliases["en"] = []string{ar.alias}
	}
	if ar.born > 0 {
		it.claims = append(it.claims, claim{prop: "P569", value: yearTime(ar.born)}, claim{prop: "P570", value: yearTime(ar.died)})
	}
	a.g.add(it)
	return ar
}

func (a *artworks) addWork(w *work) *work {
	if w.qid == "" {
		w.qid = a.qid()
	}
	if w.typ == "" {
		w.typ = "Q3305213"
	}
	labels := en(w.title)
	if w.svTitle != "" {
		labels["sv"] = w.svTitle
	}
	it := &item{qid: w.qid, labels: labels, types: []string{w.typ}}
	if w.artist != nil {
		it.claims = append(it.claims, claim{prop: "P170", value: ref(w.artist.qid)})
		it.description = "painting by " + w.artist.label
	}
	if w.year != 0 {
		it.claims = append(it.claims, claim{prop: "P571", value: yearTime(w.year)})
	}
	if w.collection != nil {
		it.claims = append(it.claims, claim{prop: "P195", value: ref(w.collection.qid)})
		if w.inventory != "" {
			it.claims = append(it.claims, claim{prop: "P217", value: lit(w.inventory), quals: [][2]string{{"P195", ref(w.collection.qid)}}})
		}
	}
	a.g.add(it)
	a.works = append(a.works, w)
	return w
}

// row: title, artist, date, inventory, collection, expected.
func (a *artworks) row(title, artistCell, date, inv, coll, expected string) {
	a.rows = append(a.rows, []string{title, artistCell, date, inv, coll, expected})
}

var (
	museums = []*museum{
		{"Q8001", "Nationalmuseum", "NM "}, {"Q8002", "Rijksmuseum", "SK-A-"}, {"Q8003", "Statens Museum for Kunst", "KMS"},
		{"Q8004", "Göteborgs konstmuseum", "GKM "}, {"Q8005", "Hallwylska museet", ""},
	}
	genericTitles = []string{"Portrait of a Man", "Portrait of a Woman", "Winter Landscape", "Still Life with Flowers",
		"Self-Portrait", "Landscape with Cattle", "Madonna and Child", "River Landscape", "Seascape", "Interior"}
	subjects  = []string{"Haarlem", "the Dunes", "Delft", "Uppsala", "a Mill", "the Old Church", "Dordrecht", "the Sound", "Stockholm", "Skagen", "a Frozen River", "the Harbour"}
	subjects2 = []string{"View of", "Evening near", "Morning at", "Storm over", "Road to", "Skaters near", "Fishermen at", "Moonlight over"}
	aGiven    = []string{"Jan", "Pieter", "Willem", "Cornelis", "Adriaen", "Jacob", "Hendrick", "Frans", "Aert", "Salomon", "Gerard", "Nicolaes", "Carl", "Anna", "Maria", "Elias", "Johan", "Sofia"}
	aFamily   = []struct{ particle, name string }{{"van", "Goyen"}, {"de", "Heem"}, {"", "Claesz"}, {"", "Hals"}, {"van", "Ruysdael"}, {"van der", "Neer"}, {"", "Steen"}, {"", "Bol"},
		{"", "Flinck"}, {"", "Maes"}, {"de", "Hooch"}, {"", "Metsu"}, {"", "Dou"}, {"", "Hobbema"}, {"", "Cuyp"}, {"", "Potter"}, {"", "Wouwerman"}, {"van", "Ostade"},
		{"", "Hillerström"}, {"", "Krafft"}, {"", "Pasch"}, {"", "Lundberg"}, {"", "Roslin"}, {"", "Wertmüller"}, {"", "Sergel"}, {"", "Ehrenstrahl"}}
	attributions = []string{"circle of", "attributed to", "workshop of", "school of", "follower of", "manner of", "after", "copy after",
		"Umkreis von", "zugeschrieben", "atelier de", "d'après", "toegeschreven aan", "kring van", "tillskriven", "kopia efter", "bottega di", "cerchia di"}
)

// Artworks is the museum set: generic titles shared by hundreds of items
// (found and narrowed by the artist), artists written "Surname, Given",
// in capitals, with life dates or by an alias, namesake artists, works
// attributed to, after or in the circle of an artist (never a match),
// catalogue dates (c., decades, ranges, centuries, off by one), inventory
// numbers spelt differently and repeated across collections, drawings and
// sculptures beside paintings, same-titled items of other kinds.
func Artworks(seed uint64) Set {
	a := &artworks{}
	r := rand.New(rand.NewPCG(1650, seed))
	nm, rijks, smk := museums[0], museums[1], museums[2]
	for _, m := range museums {
		a.g.add(&item{qid: m.qid, labels: lab(m.name), types: []string{"Q33506"}})
	}

	// Hand-made hard cases.
	verm := a.addArtist(&artist{qid: "Q2001", label: "Hendrick Vermaelen", given: "Hendrick", family: "Vermaelen", born: 1606, died: 1669, alias: "Vermaelen"})
	p1 := a.addWork(&work{title: "Portrait of a Man", artist: verm, year: 1632, collection: nm, inventory: "NM 1001"})
	p2 := a.addWork(&work{title: "Portrait of a Man", artist: verm, year: 1641, collection: nm, inventory: "NM 1002"})
	p3 := a.addWork(&work{title: "Portrait of a Man", artist: verm, year: 1655, collection: rijks, inventory: "SK-A-3383"})
	mill := a.addWork(&work{title: "The Mill", artist: verm, year: 1654, collection: nm, inventory: "NM 3383"})
	a.row("Portrait of a Man", "Vermaelen, Hendrick", "1641", "NM1002", "Nationalmuseum", p2.qid)
	a.row("Portrait of a Man", "VERMAELEN", "c. 1655", "", "", p3.qid)
	a.row("PORTRAIT OF A MAN", "Hendrick Vermaelen (1606–1669)", "1632", "", "", p1.qid)
	a.row("Portrait of a Man", "Hendrick Vermaelen", "", "", "", p1.qid) // three alike: review
	a.row("Mill", "Hendrick Vermaelen", "1650s", "", "", mill.qid)
	a.row("THE MILL", "Vermaelen, Hendrick (1606-1669)", "", "Inv. 3383", "Nationalmuseum", mill.qid)
	a.row("The Mill", "Hendrick Vermaelen", "", "3383", "Rijksmuseum", mill.qid) // the number is another work's there
	a.row("Portrait of a Man", "circle of Hendrick Vermaelen", "1641", "", "", "")
	a.row("The Mill", "attributed to Hendrick Vermaelen", "1654", "", "", "")
	a.row("The Mill", "after Hendrick Vermaelen", "", "", "", "")
	a.row("The Mill", "Hendrick Vermaelen (copy after)", "", "", "", "")
	a.row("Portrait of a Man", "Hendrick Vermaelen", "1699", "", "", "") // a portrait not in the graph

	// Namesake artists.
	jb1 := a.addArtist(&artist{qid: "Q2002", label: "Jan Berg", born: 1620, died: 1680})
	jb2 := a.addArtist(&artist{qid: "Q2003", label: "Jan Berg", born: 1820, died: 1890})
	w1 := a.addWork(&work{title: "Winter Landscape", svTitle: "Vinterlandskap", artist: jb1, year: 1650, collection: smk, inventory: "KMS1650"})
	w2 := a.addWork(&work{title: "Winter Landscape", svTitle: "Vinterlandskap", artist: jb2, year: 1861, collection: nm, inventory: "NM 7001"})
	a.row("Winter Landscape", "Jan Berg", "1650", "", "", w1.qid)
	a.row("Vinterlandskap", "Berg, Jan", "1860s", "", "", w2.qid)
	a.row("Winter Landscape", "Jan Berg", "", "", "", w1.qid) // two alike: review
	a.row("Winter Landscape", "Jan Berg", "17th century", "KMS 1650", "Statens Museum for Kunst", w1.qid)

	// Names written as catalogues write them.
	lot := a.addArtist(&artist{qid: "Q2004", label: "Lavinia Lottileschi", born: 1552, died: 1614})
	mad := a.addWork(&work{title: "Madonna and Child", artist: lot, year: 1590, collection: rijks, inventory: "SK-A-4100"})
	a.row("Madonna and Child", "Lottileschi, Lavinia", "ca. 1590", "", "", mad.qid)
	pb := a.addArtist(&artist{qid: "Q2005", label: "Pehr Bergsten", born: 1576, died: 1650})
	herring := a.addWork(&work{title: "Still Life with Herring", artist: pb, year: 1640, collection: nm, inventory: "NM 512"})
	a.row("Still life with herring", "Bergsten, Pehr (1576–1650)", "1640?", "", "", herring.qid)
	ob := a.addArtist(&artist{qid: "Q2006", label: "Olof Brännsten", born: 1620, died: 1690})
	wife := a.addWork(&work{title: "Portrait of the Artist's Wife", artist: ob, year: 1650, collection: nm, inventory: "NM 880"})
	a.row("Portrait of the artist's wife", "Olof BRÄNNSTEN", "1648–1652", "", "", wife.qid)
	a.row("Portrait of the Artist's Wife", "Olof Brannsten", "1651", "", "", wife.qid) // off by one: weak
	// A drawing and a sculpture in a painting catalogue; an oil painting
	// (a subclass of painting) too.
	dr := a.addWork(&work{title: "Study of Hands", artist: ob, year: 1660, typ: "Q93184", collection: nm, inventory: "NMH 12/1960"})
	a.row("Study of Hands", "Olof Brännsten", "c. 1660", "NMH 12/1960", "Nationalmuseum", dr.qid)
	sc := a.addWork(&work{title: "Bust of a Girl", artist: pb, year: 1630, typ: "Q860861"})
	a.row("Bust of a girl", "Pehr Bergsten", "before 1640", "", "", sc.qid)
	op := a.addWork(&work{title: "Harbour at Dusk", artist: jb2, year: 1870, typ: "Q9000001"})
	a.row("Harbour at Dusk", "Jan Berg", "1870", "", "", op.qid)
	// Same title, other kinds of item: a song and a ship.
	a.g.add(&item{qid: "Q9100", labels: en("Harbour at Dusk"), types: []string{"Q207628"}, description: "song"})
	a.g.add(&item{qid: "Q9101", labels: en("The Mill"), types: []string{"Q11446"}, description: "ship"})
	a.row("Harbour at Dusk", "", "", "", "", op.qid) // title alone among a song: review

	// Generated artists and works.
	var artists []*artist
	usedName := map[string]bool{}
	for i := 0; len(artists) < 40; i++ {
		g, f := pick(r, aGiven), pick(r, aFamily)
		label := strings.TrimSpace(g + " " + f.particle + " " + f.name)
		label = strings.Join(strings.Fields(label), " ")
		if usedName[label] {
			continue
		}
		usedName[label] = true
		born := 1550 + r.IntN(300)
		ar := &artist{qid: fmt.Sprintf("Q%d", 2100+i), label: label, given: g, family: f.name, particle: f.particle, born: born, died: born + 35 + r.IntN(45)}
		artists = append(artists, a.addArtist(ar))
	}
	var mine []*work
	for _, ar := range artists {
		n := 2 + r.IntN(8)
		for k := 0; k < n; k++ {
			var title string
			if r.IntN(10) < 4 {
				title = pick(r, genericTitles)
			} else {
				title = pick(r, subjects2) + " " + pick(r, subjects)
			}
			m := pick(r, museums)
			w := &work{title: title, artist: ar, collection: m, typ: pick(r, []string{"Q3305213", "Q3305213", "Q3305213", "Q9000001", "Q93184", "Q11060274"})}
			if r.IntN(8) > 0 {
				w.year = ar.born + 20 + r.IntN(max(1, ar.died-ar.born-20))
			}
			if r.IntN(4) > 0 {
				w.inventory = fmt.Sprintf("%s%d", m.prefix, 100+r.IntN(9000))
			}
			if r.IntN(6) == 0 {
				w.svTitle = title
			}
			mine = append(mine, a.addWork(w))
		}
	}
	// Generic titles by many other hands: "Portrait of a Man" has over 400
	// items, as on Wikidata.
	others := []*artist{}
	for i := 0; i < 120; i++ {
		ar := &artist{qid: fmt.Sprintf("Q%d", 2500+i), label: fmt.Sprintf("%s %s%d", pick(r, aGiven), pick(r, aFamily).name, i)}
		others = append(others, a.addArtist(ar))
	}
	for i := 0; i < 430; i++ {
		a.addWork(&work{title: "Portrait of a Man", artist: others[r.IntN(len(others))], year: 1500 + r.IntN(400)})
	}
	for i := 0; i < 180; i++ {
		a.addWork(&work{title: pick(r, genericTitles[1:]), artist: others[r.IntN(len(others))], year: 1500 + r.IntN(400)})
	}

	// Rows for most of the generated works, written in the many ways
	// catalogues write them.
	for i, w := range mine {
		if r.IntN(10) < 2 {
			continue // in the graph, not in the catalogue
		}
		ar := w.artist
		surnameFirst := strings.TrimSpace(ar.family + ", " + ar.given + " " + ar.particle)
		artistCell, title, date, inv, coll := ar.label, w.title, "", "", ""
		yr := func() string {
			if w.year == 0 {
				return ""
			}
			return fmt.Sprint(w.year)
		}
		expected := w.qid
		switch i % 10 {
		case 0:
			date = yr()
		case 1:
			title, artistCell, date = strings.ToUpper(title), surnameFirst, yr()
		case 2:
			artistCell = fmt.Sprintf("%s (%d–%d)", ar.label, ar.born, ar.died)
			if w.year != 0 {
				date = fmt.Sprintf("c. %d", w.year+r.IntN(3)-1)
			}
		case 3:
			if w.inventory != "" {
				inv, coll = strings.ReplaceAll(w.inventory, " ", ""), w.collection.name
				if r.IntN(2) == 0 {
					inv = "Inv. " + w.inventory
				}
			}
			date = yr()
		case 4:
			title = strings.ToLower(title)
		case 5:
			if w.year != 0 {
				date = fmt.Sprintf("%ds", w.year/10*10)
			}
		case 6:
			if w.year != 0 {
				date = fmt.Sprint(w.year + 1) // off by one: weak disagreement
			}
		case 7:
			artistCell = pick(r, attributions) + " " + ar.label
			date = yr()
			expected = "" // a work after, or in the circle of, the artist: never this item
		case 8:
			artistCell, title = strings.ToUpper(ar.label), upperWords(title)
			if w.year != 0 {
				date = fmt.Sprintf("%d–%d", w.year-1, w.year+2)
			}
		case 9:
			if w.year != 0 {
				date = fmt.Sprintf("%dth century", w.year/100+1)
			}
			if w.inventory != "" {
				inv, coll = w.inventory, w.collection.name
			}
		}
		a.row(title, artistCell, date, inv, coll, expected)
	}
	// Works of the catalogue not in the graph: an artist's generic title
	// with a date none of theirs has, and made-up titles.
	for i := 0; i < 25; i++ {
		ar := artists[r.IntN(len(artists))]
		a.row(pick(r, genericTitles), ar.label, fmt.Sprint(ar.died+30+r.IntN(50)), "", "", "")
	}
	for i := 0; i < 10; i++ {
		ar := artists[r.IntN(len(artists))]
		a.row(fmt.Sprintf("Allegory of %s", pick(r, subjects)), ar.label, "", "", "", "")
	}

	s := Set{Domain: "artworks", Template: ArtworksTemplate,
		Header: []string{"title", "artist", "date", "inventory", "collection", Expected}, Rows: a.rows}
	s.TTL = a.g.ttl(`wd:Q5 rdfs:label "human"@en .
wd:Q4502142 rdfs:label "visual artwork"@en .
wd:Q3305213 rdfs:label "painting"@en ; wdt:P279 wd:Q4502142 .
wd:Q9000001 rdfs:label "oil painting (test subclass)"@en ; wdt:P279 wd:Q3305213 .
wd:Q93184 rdfs:label "drawing"@en ; wdt:P279 wd:Q4502142 .
wd:Q11060274 rdfs:label "print"@en ; wdt:P279 wd:Q4502142 .
wd:Q860861 rdfs:label "sculpture"@en ; wdt:P279 wd:Q4502142 .
wd:Q207628 rdfs:label "musical composition"@en .
wd:Q11446 rdfs:label "ship"@en .
wd:Q33506 rdfs:label "museum"@en .
`)
	return s
}

// upperWords writes every word with a capital ("Portrait Of A Man").
func upperWords(s string) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(ws, " ")
}
