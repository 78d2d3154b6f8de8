package match

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
)

// The benchmark graph: benchItems people with two labels, a description,
// P31, a birth date and a ULAN-like identifier each (about 700,000 triples).
const (
	benchItems    = 100_000
	benchRows     = 10_000
	baselineRows  = 1_000
	benchBatch    = 200
	benchTemplate = `{"languages":["en","sv"],"type":{"qid":"Q5"},"columns":{
		"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"}}}`
)

var (
	benchOnce   sync.Once
	benchServer *sparqltest.Server
	benchErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchServer != nil {
		benchServer.Stop()
	}
	os.Exit(code)
}

var benchGiven = []string{"Agnes", "Albin", "Alma", "Arvid", "Astrid", "Axel", "Bertil", "Birgit", "Britta", "Dagny", "Edvin",
	"Elin", "Elsa", "Emil", "Erland", "Ester", "Folke", "Frida", "Gerda", "Gösta", "Gunnar", "Harald", "Hedvig", "Helmer",
	"Ingeborg", "Ivar", "Jenny", "Johan", "Kerstin", "Lennart", "Linnea", "Magnus", "Märta", "Nanna", "Oskar", "Ragnar",
	"Rut", "Sigrid", "Sixten", "Svea", "Tekla", "Torsten", "Ulla", "Valdemar", "Vera", "Vilhelm", "Åke", "Östen"}

var benchStems = []string{"Ahl", "Alm", "Berg", "Blom", "Dahl", "Ek", "Eng", "Fager", "Fors", "Hall", "Hed", "Holm", "Kjell",
	"Lager", "Lind", "Ljung", "Lund", "Malm", "Nord", "Palm", "Ros", "Sand", "Sjö", "Strand", "Sund", "Söder", "Wall", "Wik",
	"Å", "Ö", "Gran", "Hag", "Asp", "Björk", "Ceder", "Dal", "Ed", "Fri", "Gull", "Hass"}

var benchEndings = []string{"berg", "ström", "qvist", "gren", "lund", "dahl", "man", "sten", "holm", "vall", "ling", "bäck",
	"by", "fors", "hed", "ros", "stam", "blad", "kvist", "näs"}

// benchPerson is item n's name, birth year and identifier.
func benchPerson(n int) (name string, born int, ulan string) {
	g := benchGiven[n%len(benchGiven)]
	s := benchStems[(n/len(benchGiven))%len(benchStems)]
	e := benchEndings[(n/(len(benchGiven)*len(benchStems)))%len(benchEndings)]
	// Past the distinct combinations, a numeral keeps names apart the way
	// second names do.
	name = g + " " + s + e
	if k := n / (len(benchGiven) * len(benchStems) * len(benchEndings)); k > 0 {
		name = fmt.Sprintf("%s %c. %s%s", g, 'A'+rune(k%26), s, e)
	}
	return name, 1700 + (n*37)%300, fmt.Sprintf("%d", 500_000_000+n)
}

func startBenchServer(b *testing.B) *sparqltest.Server {
	benchOnce.Do(func() {
		if err := sparqltest.Available(); err != nil {
			benchErr = err
			return
		}
		path := filepath.Join(os.TempDir(), fmt.Sprintf("partnerhub-match-bench-%d.nt", benchItems))
		if _, err := os.Stat(path); err != nil {
			if benchErr = writeBenchGraph(path); benchErr != nil {
				return
			}
		}
		start := time.Now()
		benchServer, benchErr = sparqltest.StartProcess(path)
		if benchErr == nil {
			fmt.Fprintf(os.Stderr, "benchmark graph of %d items loaded in %s\n", benchItems, time.Since(start).Round(time.Millisecond))
		}
	})
	if benchErr != nil {
		b.Skipf("no SPARQL engine: %v", benchErr)
	}
	return benchServer
}

func writeBenchGraph(path string) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	const wd, wdt = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
	fmt.Fprintf(w, "<%sQ5> <%s> %s .\n", wd, rdfsNS+"label", `"human"@en`)
	for n := 0; n < benchItems; n++ {
		name, born, ulan := benchPerson(n)
		s := fmt.Sprintf("<%sQ%d>", wd, 1000+n)
		lit := sparql.Literal(name)
		fmt.Fprintf(w, "%s <%slabel> %s@en .\n%s <%slabel> %s@sv .\n", s, rdfsNS, lit, s, rdfsNS, lit)
		fmt.Fprintf(w, "%s <%sdescription> \"test person %d\"@en .\n", s, schemaNS, n)
		fmt.Fprintf(w, "%s <%sP31> <%sQ5> .\n", s, wdt, wd)
		fmt.Fprintf(w, "%s <%sP569> \"%04d-03-01T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n", s, wdt, born)
		fmt.Fprintf(w, "%s <%sP245> \"%s\" .\n", s, wdt, ulan)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// benchRowsFor picks rows spread over the graph: by identifier only, or by
// name (as partners write them) and birth year.
func benchRowsFor(kind string, n int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		item := (i * 9973) % benchItems
		name, born, ulan := benchPerson(item)
		v := map[string]string{}
		if kind == "identifiers" {
			v["ulan"] = ulan
		} else {
			v["name"], v["born"] = name, fmt.Sprint(born)
			// Partner spellings: a third "Surname, Given", a third lower case.
			switch i % 3 {
			case 1:
				if g, f, ok := strings.Cut(name, " "); ok {
					v["name"] = f + ", " + g
				}
			case 2:
				v["name"] = strings.ToLower(name)
			}
		}
		rows[i] = Row{Num: int64(i + 1), Values: v}
	}
	return rows
}

func BenchmarkMatch(b *testing.B) {
	srv := startBenchServer(b)
	tpl, err := ParseTemplate([]byte(benchTemplate))
	if err != nil {
		b.Fatal(err)
	}
	client, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: quiet, Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"identifiers", "labels"} {
		b.Run(kind, func(b *testing.B) {
			rows := benchRowsFor(kind, benchRows)
			e := NewEngine(client, nil, tpl, quiet)
			matched := 0
			b.ResetTimer()
			for b.Loop() {
				for _, chunk := range sparql.Chunk(rows, benchBatch) {
					res, err := e.MatchBatch(context.Background(), chunk)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range res {
						if r.Status == "matched" {
							matched++
						}
					}
				}
			}
			reportRows(b, len(rows), e.Requests())
			b.ReportMetric(float64(matched)/float64(b.N*len(rows)), "matched/row")
		})
		b.Run(kind+"-baseline-per-row", func(b *testing.B) {
			rows := benchRowsFor(kind, baselineRows)
			var requests int64
			b.ResetTimer()
			for b.Loop() {
				for _, r := range rows {
					requests++
					if _, err := client.Select(context.Background(), baselineQuery(r)); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRows(b, len(rows), requests)
		})
	}
}

func reportRows(b *testing.B, rows int, requests int64) {
	total := float64(b.N * rows)
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(requests)*1000/total, "requests/1000rows")
}

// baselineQuery is the one-query-per-row way this is often written: the
// row's candidates and their facts in one query.
func baselineQuery(r Row) string {
	pattern := "?item wdt:P245 " + sparql.Literal(r.Values["ulan"]) + " ."
	if r.Values["ulan"] == "" {
		lit, _ := sparql.LangLiteral(r.Values["name"], "en")
		pattern = "?item rdfs:label " + lit + " ."
	}
	return `PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
SELECT ?item ?label ?description ?born ?type WHERE {
  ` + pattern + `
  OPTIONAL { ?item rdfs:label ?label FILTER(lang(?label) = "en") }
  OPTIONAL { ?item schema:description ?description FILTER(lang(?description) = "en") }
  OPTIONAL { ?item wdt:P569 ?born }
  OPTIONAL { ?item wdt:P31 ?type }
}`
}
