package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
	"partnerhub/web/reconapi"
	"partnerhub/wikidata"
	"partnerhub/wikidata/suggest"
	"partnerhub/wikidata/suggest/suggesttest"
	"partnerhub/wikidata/wikibasetest"
)

// suggestingFixture is a web fixture whose mapping page asks a fake wiki
// (real answer shapes) and a real SPARQL engine holding format constraints.
func suggestingFixture(t *testing.T) (*fixture, *wikibasetest.Server) {
	t.Helper()
	f := newFixture(t, 1<<20, pinger{})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: append(suggesttest.Entities(), suggesttest.Types()...)})
	api, err := wikidata.NewClient(wikidata.Config{APIURL: wiki.URL(), UserAgent: "partnerhub-test/1 (test@example.org)", MaxRetries: 1, Logger: quiet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	oxi := sparqltest.Start(t)
	oxi.Load(t, suggesttest.FormatConstraintsTurtle())
	q, err := sparql.NewClient(sparql.Config{Endpoint: oxi.Endpoint(), UserAgent: "partnerhub-test/1", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	formats, err := suggest.NewFormats(q, "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	deps := f.deps()
	deps.TemplateCheck = match.CheckTemplate
	deps.Suggesters = func(*jobs.Job) (*suggest.Suggester, error) {
		return &suggest.Suggester{Wiki: api, Formats: formats}, nil
	}
	f.serve(t, deps)
	return f, wiki
}

// artistsJob is a job with an imported dataset of artists.
func (f *fixture) artistsJob(t *testing.T) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	j, _ := f.st.CreateJob(ctx, f.alice.ID, "Artists", "")
	ds, _ := f.st.CreateDataset(ctx, j.ID, "artists.csv", "/none", 10)
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"Name", "date_of_birth", "getty", "notes", "year"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{
		{Num: 1, Cells: []string{"Hilma af Klint", "1862-10-26", "500115493", "Swedish painter", "1862"}},
		{Num: 2, Cells: []string{"Carl Larsson", "1853", "500012368", "", "1853"}},
	}, 2)
	ds.RowCount = 2
	_ = f.st.FinishImport(ctx, ds, nil)
	return j
}

// selected returns the value selected in the select named name, or the
// value of the input of that name.
func selected(t *testing.T, body, name string) string {
	t.Helper()
	if m := regexp.MustCompile(`<input id="[^"]*" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body); m != nil {
		return m[1]
	}
	m := regexp.MustCompile(`(?s)<select id="[^"]*" name="` + regexp.QuoteMeta(name) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no select %s", name)
	}
	if o := regexp.MustCompile(`<option value="([^"]*)"[^>]*selected`).FindStringSubmatch(m[1]); o != nil {
		return o[1]
	}
	return ""
}

func TestMappingPageSuggestsFromNamesAndValues(t *testing.T) {
	f, _ := suggestingFixture(t)
	j := f.artistsJob(t)
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	resp, body := f.do(t, "alice", "GET", path, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mapping page: %d", resp.StatusCode)
	}
	text := html.UnescapeString(body)
	for name, want := range map[string]string{
		"role_0": "label", "property_0": "",
		"role_1": "property", "property_1": "P569", "kind_1": "time", // by label, kind from the datatype
		"role_2": "property", "property_2": "P245", "kind_2": "external-id", // by format constraint
		"role_3": "", "property_3": "", "kind_3": "",
		"role_4": "", "property_4": "", "kind_4": "time", // years: time, whatever property is chosen
	} {
		if got := selected(t, body, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, want := range []string{
		"date of birth (P569) · time", "its name “date of birth” matches the column name",
		"Union List of Artist Names ID (P245) · external-id", `every example value fits its format 500\d{6}`,
		"identifier from the Getty Union List of Artist Names", "Values look like time: every example value is a year or an ISO date",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("mapping page lacks %q", want)
		}
	}
	if got, _ := f.st.Job(context.Background(), j.ID); len(got.Template) != 0 {
		t.Fatal("showing suggestions saved a mapping")
	}
}

func TestMappingSearchesWithoutJavaScriptAndSavesAutoKinds(t *testing.T) {
	f, _ := suggestingFixture(t)
	j := f.artistsJob(t)
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	post := func(form url.Values) (*http.Response, string) {
		form.Set("csrf_token", f.csrfToken(t, "alice", path))
		return f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	}
	form := url.Values{"role_0": {"label"}, "role_1": {"property"}, "property_1": {"P569"}, "kind_1": {"time"},
		"role_3": {"property"}, "languages": {"en"}}
	// A property search by name for the notes column: the page comes back
	// with the results as choices and what was chosen so far, nothing saved.
	form.Set("find", "3")
	form.Set("find_3", "place of birth")
	resp, body := post(form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `<datalist id="properties_3"><option value="P19">place of birth (P19) · wikibase-item</option>`) ||
		!strings.Contains(html.UnescapeString(body), "most specific known birth location") || selected(t, body, "property_1") != "P569" ||
		!strings.Contains(body, `value="place of birth"`) {
		t.Fatalf("search results missing: %s", body)
	}
	if strings.Contains(body, "(Q5)") {
		t.Fatal("an item came back from the property search")
	}
	// The type, by name.
	form.Set("find", "type")
	form.Set("find_type", "person")
	_, body = post(form)
	if !strings.Contains(body, `<option value="Q5">human (Q5)</option>`) || !strings.Contains(body, "any member of Homo sapiens") {
		t.Fatalf("type search: %s", body)
	}
	form.Set("find", "1")
	form.Set("find_1", "no such thing")
	_, body = post(form)
	if !strings.Contains(html.UnescapeString(body), "No property with a mappable kind is called “no such thing”") {
		t.Fatal("an empty search says nothing")
	}
	if got, _ := f.st.Job(context.Background(), j.ID); len(got.Template) != 0 {
		t.Fatal("a search saved the mapping")
	}
	// Names typed where ids belong are looked up; the first match is
	// filled in for the user to check, and nothing is saved yet.
	form.Del("find")
	form.Set("property_3", "birthplace")
	form.Set("type_qid", "person")
	resp, body = post(form)
	if resp.StatusCode != http.StatusUnprocessableEntity || selected(t, body, "property_3") != "P19" || selected(t, body, "type_qid") != "Q5" ||
		!strings.Contains(body, "Check them and save again") {
		t.Fatalf("typed names: %d %s", resp.StatusCode, body)
	}
	if got, _ := f.st.Job(context.Background(), j.ID); len(got.Template) != 0 {
		t.Fatal("typed names saved the mapping unchecked")
	}
	// Saved with "as the property says": the wiki's datatype decides.
	form.Del("find")
	form.Set("property_3", "P19")
	form.Set("kind_3", "auto")
	form.Set("type_qid", "Q5")
	if resp, body := post(form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	got, _ := f.st.Job(context.Background(), j.ID)
	var tmpl struct {
		Columns map[string]map[string]string `json:"columns"`
		Type    struct{ QID string }         `json:"type"`
	}
	if err := json.Unmarshal(got.Template, &tmpl); err != nil {
		t.Fatal(err)
	}
	if tmpl.Columns["notes"]["kind"] != "item" || tmpl.Columns["notes"]["property"] != "P19" || tmpl.Type.QID != "Q5" {
		t.Fatalf("template %s", got.Template)
	}
	// A property the wiki does not have, or one whose values a mapping cannot hold.
	for p, want := range map[string]string{"P9999": "P9999 is not a property on the wiki", "P18": ""} {
		form.Set("property_3", p)
		resp, body := post(form)
		if want == "" {
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), want) {
			t.Fatalf("%s: %d, want the message %q", p, resp.StatusCode, want)
		}
	}
}

// templateJob starts a job from a library template and imports a file
// with the given columns (one row of cells).
func (f *fixture) templateJob(t *testing.T, body string, cols, cells []string) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	tm, err := f.st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: f.alice.ID, Name: "Painters", Visibility: jobs.VisibilityPrivate}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.st.TemplateVersionByNumber(ctx, tm.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	j, err := f.st.CreateJobFromTemplate(ctx, f.alice.ID, 0, "From the template", "", v.ID)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := f.st.CreateDataset(ctx, j.ID, "new.csv", "/none", 10)
	ds.Columns, ds.Encoding, ds.Delimiter = cols, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{{Num: 1, Cells: cells}}, 1)
	ds.RowCount = 1
	_ = f.st.FinishImport(ctx, ds, nil)
	return j
}

const paintersTemplate = `{"version":1,"languages":["sv","en"],"type":{"qid":"Q5"},"auto_accept":{"score":0.95,"margin":0.2},
 "columns":{"name":{"role":"label"},"Date of birth":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}}}`

func storedColumns(t *testing.T, f *fixture, id int64) map[string]map[string]string {
	t.Helper()
	j, _ := f.st.Job(context.Background(), id)
	var doc struct {
		Columns map[string]map[string]string `json:"columns"`
	}
	if len(j.Template) > 0 {
		if err := json.Unmarshal(j.Template, &doc); err != nil {
			t.Fatal(err)
		}
	}
	return doc.Columns
}

func TestTemplateAppliedOnImport(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	// Every template column is in the file, one under a recognisable new name.
	j := f.templateJob(t, paintersTemplate, []string{"name", "date_of_birth", "ulan"}, []string{"Ada", "1815", "500115493"})
	_, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d", j.ID), nil, "")
	if !strings.Contains(body, "the template&#39;s mapping is applied") {
		t.Fatalf("job page does not say the template was applied")
	}
	cols := storedColumns(t, f, j.ID)
	if cols["date_of_birth"]["property"] != "P569" || cols["ulan"]["property"] != "P245" || cols["name"]["role"] != "label" || len(cols) != 3 {
		t.Fatalf("applied %v", cols)
	}
	// The mapping page shows the template's mapping right away.
	_, body = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/mapping", j.ID), nil, "")
	if selected(t, body, "property_1") != "P569" || selected(t, body, "role_0") != "label" || selected(t, body, "type_qid") != "Q5" {
		t.Fatalf("mapping page after import: %s", body)
	}
}

func TestTemplateColumnMissingFromFileDoesNotBlock(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.templateJob(t, paintersTemplate, []string{"name", "date_of_birth", "getty"}, []string{"Ada", "1815", "500115493"})
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d", j.ID), nil, "")
	if len(storedColumns(t, f, j.ID)) != 0 {
		t.Fatal("a template with a column the file lacks was applied unasked")
	}
	_, body := f.do(t, "alice", "GET", path, nil, "")
	text := html.UnescapeString(body)
	// The rest of the template's mapping is filled in; the missing column is asked about.
	if selected(t, body, "property_1") != "P569" || selected(t, body, "kind_1") != "time" || selected(t, body, "role_2") != "" ||
		!strings.Contains(text, "Template column <code>ulan</code> (P245, external-id)") || selected(t, body, "missing_0") != "" ||
		!strings.Contains(text, `From the template “Painters” (version 1)`) {
		t.Fatalf("mapping page: %s", body)
	}
	form := url.Values{"role_0": {"label"}, "role_1": {"property"}, "property_1": {"P569"}, "kind_1": {"time"}, "languages": {"sv, en"}, "type_qid": {"Q5"},
		"auto_accept": {"0.95"}, "margin": {"0.2"}}
	post := func(v url.Values) *http.Response {
		v.Set("csrf_token", f.csrfToken(t, "alice", path))
		resp, body := f.do(t, "alice", "POST", path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", resp.StatusCode, body)
		}
		return resp
	}
	// Mapped to another column of the file: it takes the template's mapping.
	form.Set("missing_0", "getty")
	post(form)
	cols := storedColumns(t, f, j.ID)
	if cols["getty"]["property"] != "P245" || cols["getty"]["kind"] != "external-id" || cols["date_of_birth"]["property"] != "P569" || cols["ulan"] != nil {
		t.Fatalf("mapped to getty: %v", cols)
	}
	// The template's other settings came along.
	got, _ := f.st.Job(context.Background(), j.ID)
	if !strings.Contains(string(got.Template), `"score": 0.95`) {
		t.Fatalf("template settings lost: %s", got.Template)
	}
}

func TestTemplateColumnLeftOut(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.templateJob(t, paintersTemplate, []string{"name", "date_of_birth", "getty"}, []string{"Ada", "1815", "500115493"})
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	form := url.Values{"role_0": {"label"}, "role_1": {"property"}, "property_1": {"P569"}, "kind_1": {"time"}, "languages": {"sv"}, "missing_0": {""},
		"csrf_token": {f.csrfToken(t, "alice", path)}}
	if resp, body := f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	if cols := storedColumns(t, f, j.ID); len(cols) != 2 || cols["getty"] != nil {
		t.Fatalf("left out: %v", cols)
	}
	// The columns page offers leaving a column out too.
	j = f.templateJob(t, paintersTemplate, []string{"name", "date_of_birth", "getty"}, []string{"Ada", "1815", "500115493"})
	cp := fmt.Sprintf("/jobs/%d/columns", j.ID)
	// Template columns sorted: Date of birth (0), name (1), ulan (2).
	v := url.Values{"map_0": {"date_of_birth"}, "map_2": {"-"}, "csrf_token": {f.csrfToken(t, "alice", cp)}}
	if resp, body := f.do(t, "alice", "POST", cp, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply with a column left out: %d %s", resp.StatusCode, body)
	}
	if cols := storedColumns(t, f, j.ID); len(cols) != 2 || cols["date_of_birth"]["property"] != "P569" {
		t.Fatalf("columns page left out: %v", cols)
	}
}

func TestMissingTemplateColumnMappedFollowsTheWriteSection(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	body := `{"version":1,"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"}},
	 "write":{"stated_in":"Q1000","reference_url":"https://museum.example/p/{ulan}"}}`
	j := f.templateJob(t, body, []string{"name", "getty"}, []string{"Ada", "500115493"})
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	_, page := f.do(t, "alice", "GET", path, nil, "")
	if !strings.Contains(page, `value="https://museum.example/p/{ulan}"`) {
		t.Fatalf("the template's reference URL is not shown: %s", page)
	}
	// The form as the page shows it, with ulan mapped to getty.
	form := url.Values{"role_0": {"label"}, "languages": {"en"}, "stated_in": {"Q1000"}, "reference_url": {"https://museum.example/p/{ulan}"},
		"missing_0": {"getty"}, "csrf_token": {f.csrfToken(t, "alice", path)}}
	if resp, body := f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	got, _ := f.st.Job(context.Background(), j.ID)
	if !strings.Contains(string(got.Template), `"reference_url": "https://museum.example/p/{getty}"`) || storedColumns(t, f, j.ID)["getty"]["property"] != "P245" {
		t.Fatalf("template %s", got.Template)
	}
}

// TestMappingPageOffersTheSuggestService: the mapping page's script asks
// the reconciliation service's suggest endpoints when the service serves
// the job's wiki, and those answer what the form's own searches find; for
// a job on another wiki the page does not point the script at them.
func TestMappingPageOffersTheSuggestService(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: append(suggesttest.Entities(), suggesttest.Types()...)})
	api, err := wikidata.NewClient(wikidata.Config{APIURL: wiki.URL(), UserAgent: "partnerhub-test/1 (test@example.org)", MaxRetries: 1, Logger: quiet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The service's default wiki is Wikidata (its client reaches the fake).
	svc, err := reconapi.New(reconapi.Config{Engines: match.NewMatcher(match.MatcherConfig{Logger: quiet}), Wiki: api, Rate: 1000, Burst: 1000, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	deps := f.deps()
	deps.Auth = headerAuth{users: map[string]*jobs.User{"alice": f.alice}}
	deps.Suggesters = func(*jobs.Job) (*suggest.Suggester, error) { return &suggest.Suggester{Wiki: api}, nil }
	deps.Reconcile = svc
	f.serve(t, deps)
	j := f.artistsJob(t)
	_, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/mapping", j.ID), nil, "")
	if !strings.Contains(body, `data-suggest="/reconcile/suggest"`) || !strings.Contains(body, "mapping.js") {
		t.Fatalf("the mapping page does not offer the suggest service")
	}
	resp, sug := f.do(t, "", "GET", "/reconcile/suggest/property?prefix=date+of+birth", nil, "")
	var out struct{ Result []struct{ ID, Name string } }
	if err := json.Unmarshal([]byte(sug), &out); err != nil || resp.StatusCode != 200 || len(out.Result) == 0 || out.Result[0].ID != "P569" {
		t.Errorf("property suggest: %d %s", resp.StatusCode, sug)
	}
	resp, sug = f.do(t, "", "GET", "/reconcile/suggest/type?prefix=human", nil, "")
	if err := json.Unmarshal([]byte(sug), &out); err != nil || resp.StatusCode != 200 || len(out.Result) == 0 || out.Result[0].ID != "Q5" {
		t.Errorf("type suggest: %d %s", resp.StatusCode, sug)
	}
	// A job on another wiki: the form's searches only.
	if err := f.st.SetJobTemplate(context.Background(), j.ID, []byte(`{"wikibase": {"api_url": "https://wiki.example.org/w/api.php", "sparql_endpoint": "https://wiki.example.org/sparql"}, "columns": {"Name": {"role": "label"}}}`)); err != nil {
		t.Fatal(err)
	}
	_, body = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/mapping", j.ID), nil, "")
	if !strings.Contains(body, "Map the columns") || strings.Contains(body, "data-suggest=") {
		t.Errorf("a job on another wiki points the script at the default wiki's suggest service")
	}
}

// TestMappingFormMatchingOptions: the form sets and shows the matching
// options of the template (further types, a label column's form, an
// identifier's spelling, prefixes and scope, an item column's finds)
// without JavaScript; saving again keeps them and what the form does not
// show (life_dates), and a wrong option is said in words.
func TestMappingFormMatchingOptions(t *testing.T) {
	f, _ := suggestingFixture(t)
	j := f.artistsJob(t)
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	post := func(form url.Values) (*http.Response, string) {
		form.Set("csrf_token", f.csrfToken(t, "alice", path))
		return f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	}
	// Columns: Name, date_of_birth, getty, notes, year.
	form := url.Values{"languages": {"en"}, "type_qid": {"Q4502142"}, "more_types": {"q93184, Q860861"},
		"role_0": {"label"}, "form_0": {"title"},
		"role_2": {"property"}, "property_2": {"P217"}, "kind_2": {"external-id"}, "spelling_2": {"loose"},
		"strip_2": {"Inv. no., Inv."}, "scope_property_2": {"p195"}, "scope_column_2": {"notes"},
		"role_3": {"property"}, "property_3": {"P195"}, "kind_3": {"item"}, "finds_3": {"no"},
		"role_4": {"property"}, "property_4": {"P170"}, "kind_4": {"item"}, "finds_4": {""}}
	if resp, body := post(form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	type column struct {
		Role, Property, Kind, Form, Spelling string
		StripPrefixes                        []string `json:"strip_prefixes"`
		Scope                                *struct{ Property, Column string }
		Finds                                *bool
		LifeDates                            *struct{ Born, Died string } `json:"life_dates"`
	}
	var doc struct {
		Types   []struct{ QID string }
		Columns map[string]column
	}
	read := func() {
		got, _ := f.st.Job(context.Background(), j.ID)
		doc.Types, doc.Columns = nil, nil
		if err := json.Unmarshal(got.Template, &doc); err != nil {
			t.Fatal(err)
		}
	}
	read()
	inv, coll, artist := doc.Columns["getty"], doc.Columns["notes"], doc.Columns["year"]
	if len(doc.Types) != 2 || doc.Types[0].QID != "Q93184" || doc.Types[1].QID != "Q860861" || doc.Columns["Name"].Form != "title" ||
		inv.Spelling != "loose" || strings.Join(inv.StripPrefixes, "|") != "Inv. no.|Inv." || inv.Scope == nil ||
		inv.Scope.Property != "P195" || inv.Scope.Column != "notes" || coll.Finds == nil || *coll.Finds || artist.Finds != nil {
		t.Fatalf("template %+v", doc)
	}
	// The page shows them again.
	_, body := f.do(t, "alice", "GET", path, nil, "")
	for name, want := range map[string]string{"more_types": "Q93184, Q860861", "form_0": "title", "spelling_2": "loose",
		"strip_2": "Inv. no., Inv.", "scope_property_2": "P195", "scope_column_2": "notes", "finds_3": "no", "finds_4": ""} {
		if got := selected(t, body, name); got != want {
			t.Errorf("%s shows %q, want %q", name, got, want)
		}
	}
	// life_dates, set in the JSON, survives a save of the form.
	got, _ := f.st.Job(context.Background(), j.ID)
	withLife := strings.Replace(string(got.Template), `"role": "label"`, `"life_dates": {"born": "P569", "died": ""}, "role": "label"`, 1)
	if resp, body := post(url.Values{"use_json": {"on"}, "template_json": {withLife}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save JSON: %d %s", resp.StatusCode, body)
	}
	form.Set("form_0", "person")
	if resp, body := post(form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save again: %d %s", resp.StatusCode, body)
	}
	read()
	if n := doc.Columns["Name"]; n.Form != "person" || n.LifeDates == nil || n.LifeDates.Born != "P569" || doc.Columns["getty"].Scope == nil {
		t.Fatalf("options lost on a second save: %+v", doc.Columns)
	}
	// A scope whose column holds no item, and options of another kind.
	form.Set("scope_column_2", "date_of_birth")
	form.Set("role_1", "property")
	form.Set("property_1", "P569")
	form.Set("kind_1", "time")
	form.Set("spelling_1", "loose")
	resp, body := post(form)
	text := html.UnescapeString(body)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text, `scope column "date_of_birth" must be a mapped item column`) ||
		!strings.Contains(text, `column "date_of_birth": scope, spelling and strip_prefixes are for external-id columns`) {
		t.Fatalf("bad options: %d %s", resp.StatusCode, text)
	}
}
