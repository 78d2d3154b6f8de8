package wdqs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata/wdqs"
)

func TestReadersShareOneCachePerService(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, graph)
	limiter := sparql.NewLimiter(sparql.LimiterConfig{InFlight: 2})
	rs := wdqs.NewReaders(wdqs.ReadersConfig{UserAgent: "partnerhub-test/0 (test)", Limiter: limiter, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	const wd, wdt = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
	one, err := rs.Reader(srv.Endpoint(), wd, wdt)
	if err != nil {
		t.Fatal(err)
	}
	two, err := rs.Reader(srv.Endpoint(), wd, wdt)
	if err != nil {
		t.Fatal(err)
	}
	if one != two {
		t.Fatal("two Readers for one query service and Wikibase")
	}
	other, err := rs.Reader(srv.Endpoint(), "https://wb.example.org/entity/", "https://wb.example.org/prop/direct/")
	if err != nil {
		t.Fatal(err)
	}
	if other == one {
		t.Error("one Reader for two Wikibases with different prefixes")
	}
	c1, err := rs.Client(srv.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := rs.Client(srv.Endpoint())
	if c1 != c2 || c1.Limiter() != limiter || rs.Limiter() != limiter {
		t.Error("the endpoint's clients are not one, or not paced by the limiter given")
	}
	if _, err := rs.Client("ftp://example.org/sparql"); err == nil {
		t.Error("a client for an endpoint that is not http(s)")
	}

	// What one user of the set has read, another gets without a query.
	ctx := context.Background()
	want := wdqs.Want{Languages: []string{"en"}, Descriptions: true, Properties: []string{"P569"}}
	if _, err := one.Items(ctx, []string{"Q231092"}, want); err != nil {
		t.Fatal(err)
	}
	if _, _, err := one.Subclasses(ctx, "Q838948"); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	got, err := two.Items(ctx, []string{"Q231092"}, want)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := two.Subclasses(ctx, "Q838948"); err != nil {
		t.Fatal(err)
	}
	if got["Q231092"].Label("en") != "Hilma af Klint" || srv.Requests() != before {
		t.Errorf("the second read cost %d queries (label %q), want 0", srv.Requests()-before, got["Q231092"].Label("en"))
	}
}
