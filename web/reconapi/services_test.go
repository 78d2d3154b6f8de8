package reconapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"partnerhub/web/reconapi"
)

// TestTemplateRoot: a template's root reconciles with the template's type,
// column settings and thresholds; a root the resolver does not give is 404
// on every address, like a missing one.
func TestTemplateRoot(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	f.templates["1"] = peopleTemplate
	// Ships, and thresholds no candidate reaches.
	f.templates["2"] = `{"wikibase": {"sparql_endpoint": "SPARQL", "api_url": "API"}, "type": {"qid": "Q11446"},
	  "columns": {"name": {"role": "label", "form": "name"}}, "auto_accept": {"score": 0.99, "margin": 0.5}}`
	queries := `{"klint": {"query": "Hilma af Klint", "properties": [{"pid": "P569", "v": "1862-10-26"}]},
	  "ulan": {"properties": [{"pid": "P245", "v": "500 029 340"}]}}`
	get := func(path string) map[string][]candidate {
		res, body := f.getAt(t, path, url.Values{"queries": {queries}})
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		return results(t, body)
	}
	people, ships, def := get("/templates/1/reconcile"), get("/templates/2/reconcile"), get("/reconcile")
	if c := people["klint"]; len(c) == 0 || c[0].ID != "Q109" || !c[0].Match {
		t.Errorf("people template, klint: %+v", c)
	}
	// The ship template's type puts the ship first; its thresholds accept
	// nothing.
	if c := ships["klint"]; len(c) == 0 || c[0].ID != "Q110" || c[0].Match {
		t.Errorf("ship template, klint: %+v", c)
	}
	// The template's loose spelling of ULAN ids finds "500 029 340"; the
	// default root compares identifiers exactly.
	if c := people["ulan"]; len(c) == 0 || c[0].ID != "Q115" || !c[0].Match {
		t.Errorf("people template, spaced ULAN id: %+v", c)
	}
	if c := def["ulan"]; len(c) != 0 && c[0].Match {
		t.Errorf("default root, spaced ULAN id matched: %+v", c)
	}
	res, body := f.getAt(t, "/templates/1/reconcile", nil)
	var m struct {
		Name         string
		DefaultTypes []struct{ ID string }
	}
	if err := json.Unmarshal(body, &m); err != nil || res.StatusCode != 200 || m.Name != "template 1" || len(m.DefaultTypes) != 1 || m.DefaultTypes[0].ID != "Q5" {
		t.Errorf("template manifest: %d %s", res.StatusCode, body)
	}
	for _, p := range []string{"", "/suggest/entity?prefix=Hilma", "/preview?id=Q109", "/propose_properties?type=Q5", "/v1", "/v1/suggest/type?prefix=ship", "/v1/extend/propose?type=Q5"} {
		res, body := f.getAt(t, "/templates/3/reconcile"+p, nil)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no reconciliation service") || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("missing template %s: %d %s", p, res.StatusCode, body)
		}
	}
}

func TestTypeStrict(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	_, body := f.get(t, url.Values{"queries": {`{"should": {"query": "Hilma af Klint", "type": "Q11446"},
	  "any": {"query": "Hilma af Klint", "type": "Q11446", "type_strict": "any"},
	  "sub": {"query": "Hilma af Klint", "type": "Q11446", "type_strict": "all"}}`}})
	got := results(t, body)
	ids := func(k string) []string {
		var out []string
		for _, c := range got[k] {
			out = append(out, c.ID)
		}
		return out
	}
	if s := ids("should"); len(s) < 2 || s[0] != "Q110" || !slices.Contains(s, "Q109") {
		t.Errorf("should: the ship first, the painter ranked down: %v", s)
	}
	// The ship is a passenger ship, a subclass of ship: it counts.
	for _, k := range []string{"any", "sub"} {
		if s := ids(k); !slices.Equal(s, []string{"Q110"}) {
			t.Errorf("%s: only the ship: %v", k, s)
		}
	}
}

func TestSuggest(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	suggestions := func(path string) []string {
		t.Helper()
		res, body := f.getAt(t, path, nil)
		var out struct {
			Result []struct{ ID, Name, Description string }
		}
		if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		var ids []string
		for _, r := range out.Result {
			if r.Name == "" {
				t.Errorf("%s: %+v has no name", path, r)
			}
			ids = append(ids, r.ID+" "+r.Name)
		}
		return ids
	}
	for _, root := range []string{"/reconcile", "/reconcile/v1"} {
		if got := suggestions(root + "/suggest/entity?prefix=hilma+af"); !slices.Contains(got, "Q109 Hilma af Klint") || !slices.Contains(got, "Q110 Hilma af Klint") {
			t.Errorf("%s entity: %v", root, got)
		}
		all := suggestions(root + "/suggest/entity?prefix=Karl")
		if next := suggestions(root + "/suggest/entity?prefix=Karl&cursor=1"); len(all) < 2 || !slices.Equal(next, all[1:]) {
			t.Errorf("%s cursor: %v then %v", root, all, next)
		}
		if got := suggestions(root + "/suggest/property?prefix=date+of"); !slices.Contains(got, "P569 date of birth") || !slices.Contains(got, "P570 date of death") {
			t.Errorf("%s property: %v", root, got)
		}
		if got := suggestions(root + "/suggest/type?prefix=ship"); len(got) == 0 || got[0] != "Q11446 ship" {
			t.Errorf("%s type: %v", root, got)
		}
		if got := suggestions(root + "/suggest/type?prefix=fartyg&lang=sv"); len(got) == 0 || got[0] != "Q11446 fartyg" {
			t.Errorf("%s type in Swedish: %v", root, got)
		}
		if got := suggestions(root + "/suggest/type?prefix="); len(got) != 0 {
			t.Errorf("%s empty prefix: %v", root, got)
		}
		for _, bad := range []string{"/suggest/entity?prefix=x&cursor=-1", "/suggest/entity?prefix=x&cursor=z", "/suggest/entity?prefix=" + strings.Repeat("x", 600)} {
			if res, body := f.getAt(t, root+bad, nil); res.StatusCode != 400 || !strings.Contains(string(body), `"status":"error"`) {
				t.Errorf("%s%s: %d %s", root, bad, res.StatusCode, body)
			}
		}
		if res, _ := f.getAt(t, root+"/suggest/place?prefix=x", nil); res.StatusCode != 404 {
			t.Errorf("%s unknown suggest service: %d", root, res.StatusCode)
		}
	}
}

func TestPreview(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	for _, root := range []string{"/reconcile", "/reconcile/v1"} {
		res, body := f.getAt(t, root+"/preview", url.Values{"id": {"Q109"}})
		page := string(body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s preview: %d %s", root, res.StatusCode, body)
		}
		for _, want := range []string{"Hilma af Klint", "Swedish painter", "date of birth", "1862-10-26", "country of citizenship", "Sweden", "occupation", "painter", "Q109",
			`href="https://www.wikidata.org/wiki/Q109"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s preview lacks %q: %s", root, want, page)
			}
		}
		if strings.Contains(page, "<script") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
			t.Errorf("%s preview: %v %s", root, res.Header, page)
		}
	}
	// Swedish when asked.
	_, body := f.getAt(t, "/reconcile/preview", url.Values{"id": {"Q109"}, "lang": {"sv"}})
	if !strings.Contains(string(body), "Sverige") || !strings.Contains(string(body), "målare") {
		t.Errorf("Swedish preview: %s", body)
	}
	// Every label and description is escaped.
	_, body = f.getAt(t, "/reconcile/preview", url.Values{"id": {"Q990"}})
	if page := string(body); strings.Contains(page, "<script>") || strings.Contains(page, "<b>co") || strings.Contains(page, "<i>") ||
		!strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;") {
		t.Errorf("hostile label not escaped: %s", page)
	}
	for id, status := range map[string]int{"Q999999": 404, "Q1 or 1=1": 400, "": 400} {
		if res, body := f.getAt(t, "/reconcile/preview", url.Values{"id": {id}}); res.StatusCode != status {
			t.Errorf("preview %q: %d %s, want %d", id, res.StatusCode, body, status)
		}
	}
}

// extension02 is a 0.2 data extension answer.
type extension02 struct {
	Meta []struct{ ID, Name string }
	Rows map[string]map[string][]map[string]any
}

func TestExtend(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	ext := `{"ids": ["Q109", "Q115", "Q999999"], "properties": [{"id": "P27"}, {"id": "P27/P297"}, {"id": "P569"}, {"id": "P245"}, {"id": "P31", "settings": {"limit": "1"}}]}`
	for _, how := range []string{"GET", "POST"} {
		var res *http.Response
		var body []byte
		if how == "GET" {
			res, body = f.get(t, url.Values{"extend": {ext}})
		} else {
			res, body = f.post(t, url.Values{"extend": {ext}})
		}
		var got extension02
		if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s extend: %d %s", how, res.StatusCode, body)
		}
		if len(got.Meta) != 5 || got.Meta[0].Name != "country of citizenship" || got.Meta[1].ID != "P27/P297" ||
			got.Meta[1].Name != "country of citizenship / ISO 3166-1 alpha-2 code" {
			t.Errorf("%s meta: %+v", how, got.Meta)
		}
		want := map[string]map[string]string{
			"Q109":    {"P27": `[{"id":"Q34","name":"Sweden"}]`, "P27/P297": `[{"str":"SE"}]`, "P569": `[{"date":"1862-10-26T00:00:00Z"}]`, "P245": `[{"str":"500115493"}]`, "P31": `[{"id":"Q5","name":"human"}]`},
			"Q115":    {"P27": `[{"id":"Q34","name":"Sweden"}]`, "P27/P297": `[{"str":"SE"}]`, "P569": `[{"date":"1888-10-25T00:00:00Z"}]`, "P245": `[{"str":"500029340"}]`, "P31": `[{"id":"Q5","name":"human"}]`},
			"Q999999": {"P27": `[]`, "P27/P297": `[]`, "P569": `[]`, "P245": `[]`, "P31": `[]`},
		}
		for id, props := range want {
			for p, w := range props {
				b, _ := json.Marshal(got.Rows[id][p])
				if string(b) != w {
					t.Errorf("%s %s %s: %s, want %s", how, id, p, b, w)
				}
			}
		}
	}
	// Ids and properties that are not this wiki's get no values (and
	// never reach the query).
	sent := f.sparql.Requests()
	res, body := f.get(t, url.Values{"extend": {`{"ids": ["wd:Q1 } ?x ?y", "10662041X"], "properties": [{"id": "P17 } ?x ?y"}, {"id": "variantName"}]}`}})
	if res.StatusCode != 200 || f.sparql.Requests() != sent ||
		string(body) != `{"meta":[{"id":"P17 } ?x ?y","name":"P17 } ?x ?y"},{"id":"variantName","name":"variantName"}],"rows":{"10662041X":{"P17 } ?x ?y":[],"variantName":[]},"wd:Q1 } ?x ?y":{"P17 } ?x ?y":[],"variantName":[]}}}` {
		t.Errorf("foreign ids: %d %s", res.StatusCode, body)
	}
	// Names in the language asked for.
	_, body = f.get(t, url.Values{"extend": {`{"ids": ["Q109"], "properties": [{"id": "P27"}]}`}, "lang": {"sv"}})
	if !strings.Contains(string(body), `"name":"Sverige"`) {
		t.Errorf("extension in Swedish: %s", body)
	}
	for _, bad := range []struct{ ext, says string }{
		{`{"ids": ["Q1"]}`, "needs ids and properties"},
		{`{"ids": ["Q1"], "properties": [{"id": "P17", "settings": {"limit": -1}}]}`, "whole number"},
		{`{"ids": ["Q1"], "properties": [{"id": "P1/P2/P3/P4/P5"}]}`, "more than 4 steps"},
		{`[]`, "not a JSON object"},
	} {
		res, body := f.get(t, url.Values{"extend": {bad.ext}})
		if res.StatusCode != 400 || !strings.Contains(string(body), bad.says) {
			t.Errorf("extend %s: %d %s, want 400 saying %q", bad.ext, res.StatusCode, body, bad.says)
		}
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = `"Q1"`
	}
	if res, body := f.get(t, url.Values{"extend": {`{"ids": [` + strings.Join(many, ",") + `], "properties": [{"id": "P17"}]}`}}); res.StatusCode != 413 {
		t.Errorf("51 ids: %d %s", res.StatusCode, body)
	}

	// 1.0-draft: the same values, as lists.
	res, body = f.postJSON(t, "/reconcile/v1/extend", `{"ids": ["Q109"], "properties": [{"id": "P27/P297"}, {"id": "P570"}]}`)
	var v1 struct {
		Meta []struct{ ID, Name string }
		Rows []struct {
			ID         string
			Properties []struct {
				ID     string
				Values []map[string]any
			}
		}
	}
	if err := json.Unmarshal(body, &v1); err != nil || res.StatusCode != 200 || len(v1.Rows) != 1 || v1.Rows[0].ID != "Q109" || len(v1.Rows[0].Properties) != 2 ||
		v1.Rows[0].Properties[0].Values[0]["str"] != "SE" || v1.Rows[0].Properties[1].Values[0]["date"] != "1944-10-21T00:00:00Z" {
		t.Errorf("v1 extend: %d %s", res.StatusCode, body)
	}
	if res, body := f.postAt(t, "/reconcile/v1/extend", url.Values{"ids": {"Q1"}}); res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("v1 extend as a form: %d %s", res.StatusCode, body)
	}
}

func TestProposeProperties(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	f.templates["1"] = peopleTemplate
	propose := func(path string) (string, []string) {
		t.Helper()
		res, body := f.getAt(t, path, nil)
		var out struct {
			Type       string
			Limit      int
			Properties []struct{ ID, Name string }
		}
		if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		var ids []string
		for _, p := range out.Properties {
			ids = append(ids, p.ID+" "+p.Name)
		}
		return out.Type, ids
	}
	// The people's most used properties: nearly every human has a birth
	// date and a country; fewer a death date; a ULAN id fewer still.
	typ, got := propose("/reconcile/propose_properties?type=Q5&limit=3")
	if typ != "Q5" || len(got) != 3 || !slices.Contains(got[:2], "P27 country of citizenship") || !slices.Contains(got[:2], "P569 date of birth") ||
		got[2] != "P570 date of death" {
		t.Errorf("propose for Q5: %s %v", typ, got)
	}
	// A template's root proposes its own mapped properties first (by
	// column name), for its type, then the most used others.
	typ, got = propose("/templates/1/reconcile/v1/extend/propose")
	if typ != "Q5" || len(got) != 5 || !slices.Equal(got[:4], []string{"P569 date of birth", "P27 country of citizenship", "P570 date of death", "P245 Union List of Artist Names ID"}) ||
		got[4] != "P106 occupation" {
		t.Errorf("template propose: %s %v", typ, got)
	}
	if res, body := f.getAt(t, "/reconcile/propose_properties?type=human", nil); res.StatusCode != 400 {
		t.Errorf("bad type: %d %s", res.StatusCode, body)
	}
}

// TestOneBudget: every query the service sends (matching, previews,
// extensions, proposals) goes through the limiter the workers use.
func TestOneBudget(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000})
	ctx := context.Background()
	pace := func() int64 {
		p, err := f.limiter.Pace(ctx, f.sparql.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		return p.Requests
	}
	before, sent := pace(), f.sparql.Requests()
	f.get(t, url.Values{"queries": {`{"q": {"query": "Hilma af Klint", "type": "Q5"}}`}})
	f.getAt(t, "/reconcile/preview", url.Values{"id": {"Q109"}})
	f.get(t, url.Values{"extend": {`{"ids": ["Q109"], "properties": [{"id": "P27"}]}`}})
	f.getAt(t, "/reconcile/propose_properties", url.Values{"type": {"Q5"}})
	paced, reached := pace()-before, f.sparql.Requests()-sent
	if reached < 4 || paced != reached {
		t.Errorf("%d queries reached the query service, %d went through the shared limiter", reached, paced)
	}
}

// TestMatchV1: 1.0-draft batches answer in the queries' order, with names,
// ids and properties as conditions; malformed ones are 400.
func TestMatchV1(t *testing.T) {
	f := newFixture(t, reconapi.Config{Rate: 1000, Burst: 1000, MaxQueries: 5})
	res, body := f.postJSON(t, "/reconcile/v1/match", `{"queries": [
	  {"type": "Q5", "conditions": [{"matchType": "name", "propertyValue": "Hilma af Klint"}, {"matchType": "property", "propertyId": "P569", "propertyValue": "1862-10-26"}]},
	  {"conditions": [{"matchType": "property", "propertyId": "P245", "propertyValue": "500029340"}]},
	  {"type": "Q11446", "conditions": [{"matchType": "name", "propertyValue": "Hilma af Klint"}]},
	  {"conditions": [{"matchType": "name", "propertyValue": "Hilma af Klint", "matchQualifier": "WildcardMatch"}]}]}`)
	var out struct {
		Results []struct{ Candidates []candidate }
	}
	if err := json.Unmarshal(body, &out); err != nil || res.StatusCode != 200 || len(out.Results) != 4 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	first := func(i int) candidate {
		if len(out.Results[i].Candidates) == 0 {
			t.Fatalf("query %d: no candidates: %s", i, body)
		}
		return out.Results[i].Candidates[0]
	}
	if c := first(0); c.ID != "Q109" || !c.Match {
		t.Errorf("painter: %+v", c)
	}
	if c := first(1); c.ID != "Q115" || !c.Match {
		t.Errorf("ULAN id: %+v", c)
	}
	if c := first(2); c.ID != "Q110" || c.Match {
		t.Errorf("ship: %+v", c)
	}
	if n := len(out.Results[3].Candidates); n != 0 {
		t.Errorf("a match qualifier the service does not have: %d candidates", n)
	}
	for _, bad := range []struct {
		body   string
		status int
		says   string
	}{
		{`{"queries": [{"query": "x"}]}`, 400, `unknown field \"query\"`},
		{`{"queries": [{"conditions": []}]}`, 400, "at least one condition"},
		{`{"queries": [{"conditions": [{"matchType": "label", "propertyValue": "x"}]}]}`, 400, "matchType must be"},
		{`{"queries": [{"conditions": [{"matchType": "property", "propertyValue": "x"}]}]}`, 400, "needs a propertyId"},
		{`{"queries": [{"conditions": [{"matchType": "id", "propertyValue": "x"}]}]}`, 400, "not an entity id"},
		{`{"queries": [{"conditions": [{"matchType": "name", "propertyValue": "x"}], "limit": 1.5}]}`, 400, "limit must be"},
		{`{"q0": {"query": "x"}}`, 400, "not a JSON object {"},
		{`{"queries": [` + strings.Repeat(`{"conditions": [{"matchType": "name", "propertyValue": "x"}]},`, 5) + `{"conditions": [{"matchType": "name", "propertyValue": "x"}]}]}`, 413, "6 queries"},
	} {
		res, body := f.postJSON(t, "/reconcile/v1/match", bad.body)
		if res.StatusCode != bad.status || !strings.Contains(string(body), bad.says) {
			t.Errorf("%s: %d %s, want %d saying %q", bad.body, res.StatusCode, body, bad.status, bad.says)
		}
	}
	if res, body := f.postAt(t, "/reconcile/v1/match", url.Values{"queries": {"{}"}}); res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a form to /v1/match: %d %s", res.StatusCode, body)
	}
}
