package wdqs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

// BenchmarkNamed looks up 200 distinct names (half of them places of the
// expected type, a quarter of another type, a quarter unknown) among 5,000
// labelled items, as a plan does for one item column, and reports the
// queries it takes. Run: go test -run '^$' -bench BenchmarkNamed ./wikidata/wdqs/
func BenchmarkNamed(b *testing.B) {
	var ttl strings.Builder
	ttl.WriteString("@prefix wd: <http://www.wikidata.org/entity/> .\n@prefix wdt: <http://www.wikidata.org/prop/direct/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
	ttl.WriteString("wd:Q3624078 wdt:P279 wd:Q6256 .\n")
	for i := 1; i <= 5000; i++ {
		class := "wd:Q3624078"
		if i%4 == 0 {
			class = "wd:Q515"
		}
		fmt.Fprintf(&ttl, "wd:Q%d rdfs:label \"Place %d\"@en ; wdt:P31 %s .\n", 100000+i, i, class)
	}
	srv := sparqltest.Start(b)
	srv.Load(b, ttl.String())
	c, err := sparql.NewClient(sparql.Config{Endpoint: srv.Endpoint(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	r := wdqs.NewReader(c, wdqs.Config{EntityPrefix: "http://www.wikidata.org/entity/", PropertyPrefix: "http://www.wikidata.org/prop/direct/"})
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprint("Place ", i*5+1)
		if i%4 == 3 {
			names[i] = fmt.Sprint("Nowhere ", i)
		}
	}
	b.ResetTimer()
	found := 0
	for b.Loop() {
		got, err := r.Named(context.Background(), names, []string{"en"}, []string{"Q6256"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		found = len(got)
	}
	b.ReportMetric(float64(r.Queries())/float64(b.N), "queries/200names")
	b.ReportMetric(float64(found), "names-found")
}
