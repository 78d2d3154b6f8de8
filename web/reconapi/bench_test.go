package reconapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"partnerhub/web/reconapi"
)

// BenchmarkBatch200 reconciles 200 queries of the people file (cycled if
// it has fewer) through the 0.2 protocol against Oxigraph and the
// fake Action API, in OpenRefine's batches of 10 and in the service's
// largest batches of 50, and reports per 200 queries the SPARQL requests,
// the engines' searches and the Action API requests (searches plus one
// read of the properties' datatypes per request, uncached here):
//
//	go test -run '^$' -bench Batch200 -benchtime 3x ./web/reconapi
func BenchmarkBatch200(b *testing.B) {
	for _, size := range []int{10, 50} {
		b.Run(fmt.Sprintf("batches_of_%d", size), func(b *testing.B) {
			f := newFixture(b, reconapi.Config{Rate: 1e6, Burst: 1e6})
			rows := partnerQueries(b, true)
			for len(rows) < 200 {
				rows = append(rows, rows[:min(len(rows), 200-len(rows))]...)
			}
			var bodies []string
			for start := 0; start < 200; start += size {
				batch := map[string]any{}
				for i, r := range rows[start:min(start+size, 200)] {
					batch[fmt.Sprintf("q%d", i)] = r.query
				}
				raw, err := json.Marshal(batch)
				if err != nil {
					b.Fatal(err)
				}
				bodies = append(bodies, string(raw))
			}
			sparqlBefore, searchesBefore, wikiBefore := f.sparql.Requests(), f.searches.Load(), f.wiki.Requests()
			b.ResetTimer()
			began := time.Now()
			for range b.N {
				for _, body := range bodies {
					if res, out := f.postAt(b, "/reconcile", url.Values{"queries": {body}}); res.StatusCode != 200 {
						b.Fatalf("%d %s", res.StatusCode, out)
					}
				}
			}
			elapsed := time.Since(began)
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(elapsed.Seconds()/n, "s/200queries")
			b.ReportMetric(float64(f.sparql.Requests()-sparqlBefore)/n, "sparql/200queries")
			b.ReportMetric(float64(f.searches.Load()-searchesBefore)/n, "searches/200queries")
			b.ReportMetric(float64(f.wiki.Requests()-wikiBefore)/n, "actionapi/200queries")
		})
	}
}
