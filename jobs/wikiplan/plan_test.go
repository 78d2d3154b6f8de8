package wikiplan_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/plan/plantest"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestBuildAgainstFakeWikibase plans against the Wikibase JSON of real
// items: nothing already present is planned, conflicts are flagged, dates
// carry the right precision and the Gregorian calendar, every statement
// has its reference, and new items appear only when switched on.
func TestBuildAgainstFakeWikibase(t *testing.T) {
	for _, newItems := range []bool{false, true} {
		st := storetest.SQLite(t)
		p := plantest.Seed(t, st, newItems)
		srv := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs"})
		w := srv.Wiki
		// Q231092 exists with its birth date; Q187310 exists with another ULAN id.
		for _, js := range []string{
			`{"id":"Q231092","type":"item","labels":{"sv":{"language":"sv","value":"Hilma af Klint"}},"claims":{"P569":[{"id":"Q231092$1","type":"statement","rank":"preferred","mainsnak":{"snaktype":"value","property":"P569","datatype":"time","datavalue":{"type":"time","value":{"time":"+1862-10-26T00:00:00Z","timezone":0,"before":0,"after":0,"precision":11,"calendarmodel":"http://www.wikidata.org/entity/Q1985727"}}}}]}}`,
			`{"id":"Q187310","type":"item","claims":{"P245":[{"id":"Q187310$1","type":"statement","rank":"normal","mainsnak":{"snaktype":"value","property":"P245","datatype":"external-id","datavalue":{"type":"string","value":"500000000"}}}]}}`,
		} {
			if err := w.AddEntityJSON([]byte(js)); err != nil {
				t.Fatal(err)
			}
		}
		for i := 6; i <= 120; i++ {
			_ = w.AddEntityJSON([]byte(`{"id":"Q` + strconv.Itoa(5000+i) + `","type":"item"}`))
		}
		// Row 7's name is the item's mul label (in other case); row 8's is not.
		for _, js := range []string{
			`{"id":"Q5007","type":"item","labels":{"mul":{"language":"mul","value":"p7"}}}`,
			`{"id":"Q5008","type":"item","labels":{"mul":{"language":"mul","value":"Somebody Else"}}}`,
		} {
			if err := w.AddEntityJSON([]byte(js)); err != nil {
				t.Fatal(err)
			}
		}
		client, err := wikidata.NewClient(wikidata.Config{APIURL: srv.URL(), UserAgent: "Partnerhub-test/1.0 (https://partnerhub.example/)", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return wikiplan.Wikibase{R: client}, nil }, nil)
		if err := b.Build(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		items, _ := st.PlanItems(context.Background(), p.ID, "", 0, 1000)
		got, _ := st.Plan(context.Background(), p.ID)
		if got.Status != jobs.PlanReady {
			t.Fatalf("plan %s %s", got.Status, got.Error)
		}
		byQID := map[string]*jobs.PlanItem{}
		for _, it := range items {
			byQID[it.QID] = it
		}
		h, _ := plan.DecodeChange(byQID["Q231092"].Diff)
		// Row 1's exact date is there (preferred rank); row 3's year agrees with it; the ULAN id is added; the label exists in sv, added in en.
		if len(h.Present) != 2 || len(h.Add) != 1 || h.Add[0].Property != "P245" || h.Labels["en"] != "Hilma af Klint" || len(h.Conflicts) != 0 {
			t.Fatalf("Q231092 change: %+v", h)
		}
		data := string(h.Data)
		for _, want := range []string{`"P248"`, `"Q1000"`, `"P813"`, `"precision":11`, `"500115493"`} {
			if !strings.Contains(data, want) {
				t.Errorf("edit data lacks %s: %s", want, data)
			}
		}
		c, _ := plan.DecodeChange(byQID["Q187310"].Diff)
		if len(c.Conflicts) != 1 || c.Conflicts[0].Existing[0] != "500000000" || len(c.Add) != 0 {
			t.Fatalf("Q187310 change: %+v", c)
		}
		// Its label is added; the conflicting id is not sent.
		if c.Labels["en"] != "Carl Larsson" || strings.Contains(string(c.Data), "500011045") || len(c.Skipped) != 1 {
			t.Fatalf("Q187310 data %s skipped %v", c.Data, c.Skipped)
		}
		one, _ := plan.DecodeChange(byQID["Q5006"].Diff)
		if len(one.Add) != 1 || !strings.Contains(string(one.Data), `"time":"+1900-00-00T00:00:00Z"`) || !strings.Contains(string(one.Data), `"precision":9`) ||
			!strings.Contains(string(one.Data), wikidata.Gregorian) {
			t.Fatalf("year-precision date: %s", one.Data)
		}
		seven, _ := plan.DecodeChange(byQID["Q5007"].Diff)
		if _, ok := seven.Labels["en"]; ok || strings.Contains(string(seven.Data), `"labels"`) {
			t.Fatalf("a label the mul label already says is planned: %+v %s", seven, seven.Data)
		}
		if len(seven.Present) != 1 || seven.Present[0].Property != "label (en)" {
			t.Fatalf("the label left out is not shown as already there: %+v", seven.Present)
		}
		if eight, _ := plan.DecodeChange(byQID["Q5008"].Diff); eight.Labels["en"] != "P8" {
			t.Fatalf("a label the mul label does not say is left out: %+v", eight)
		}
		_, hasNew := byQID[""]
		if hasNew != newItems {
			t.Fatalf("new items on=%v, planned=%v", newItems, hasNew)
		}
		if newItems {
			n, _ := plan.DecodeChange(byQID[""].Diff)
			if !n.New || !strings.Contains(string(n.Data), `"Q5"`) || n.Labels["en"] != "Olof Hilma Brännsten" {
				t.Fatalf("new item change: %+v %s", n, n.Data)
			}
		}
	}
}
