package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/sparql/sparqltest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/suggest/suggesttest"
	"partnerhub/wikidata/wikibasetest"
)

// mappingSession is the binary in local mode against a fake wiki (real
// answer shapes, with real properties) and a real SPARQL engine holding
// the properties' format constraints, with a headless Chromium.
type mappingSession struct {
	t     *testing.T
	app   *instance
	ctx   context.Context
	store *store.Store
	user  *jobs.User
	wiki  *wikibasetest.Server
	oxi   *sparqltest.Server
	shots string
}

func newMappingSession(t *testing.T, seed func(s *mappingSession, dataDir string)) *mappingSession {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a browser")
	}
	chromium(t) // skip early without a browser
	oxi := sparqltest.Start(t)
	oxi.Load(t, e2eGraph)
	oxi.Load(t, suggesttest.FormatConstraintsTurtle())
	entities := append(suggesttest.Entities(), suggesttest.Types()...)
	for _, q := range []struct{ id, label string }{{"Q101", "Hilma af Klint"}, {"Q102", "Carl Larsson"}, {"Q103", "Anders Zorn"}} {
		entities = append(entities, &wikidata.Entity{ID: q.id, Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: q.label}}})
	}
	wiki := wikibasetest.New(t, wikibasetest.Options{Entities: entities})
	bin := buildBinary(t)
	dataDir := t.TempDir()
	st, u := localStore(t, "", dataDir)
	s := &mappingSession{t: t, store: st, user: u, wiki: wiki, oxi: oxi}
	seed(s, dataDir)
	s.app = start(t, bin, dataDir, freeAddr(t), "PARTNERHUB_REDIS_ADDR=", "PARTNERHUB_DB_DSN=", "PARTNERHUB_OAUTH_CONSUMER_KEY=", "PARTNERHUB_LOCAL_USER=local",
		"PARTNERHUB_USER_AGENT=Partnerhub-e2e/1.0 (https://partnerhub.example/)",
		// The reconciliation service's default wiki is the fake one, so the
		// mapping page's script may ask its suggest endpoints.
		"PARTNERHUB_DEFAULT_WIKI_API="+wiki.URL(), "PARTNERHUB_DEFAULT_SPARQL_ENDPOINT="+oxi.Endpoint())
	s.ctx = browserContext(t, 1280, 1200)
	s.shots = screenshotDir(t)
	return s
}

// wikibase is the template's wikibase section pointing at the fakes.
func (s *mappingSession) wikibase() string {
	return `"wikibase":{"sparql_endpoint":"` + s.oxi.Endpoint() + `","api_url":"` + s.wiki.URL() + `"}`
}

// importedJob seeds a job with an imported dataset (and a template if given).
func (s *mappingSession) importedJob(title, template string, cols []string, rows [][]string) *jobs.Job {
	s.t.Helper()
	ctx := context.Background()
	j, err := s.store.CreateJob(ctx, s.user.ID, title, "")
	if err != nil {
		s.t.Fatal(err)
	}
	if template != "" {
		if err := s.store.SetJobTemplate(ctx, j.ID, []byte(template)); err != nil {
			s.t.Fatal(err)
		}
	}
	ds, _ := s.store.CreateDataset(ctx, j.ID, title+".csv", "/none", 1)
	ds.Columns, ds.Encoding, ds.Delimiter = cols, "utf-8", ','
	_ = s.store.StartImport(ctx, ds)
	var rs []jobs.Row
	for i, r := range rows {
		rs = append(rs, jobs.Row{Num: int64(i + 1), Cells: r})
	}
	_ = s.store.AppendRows(ctx, ds.ID, rs, int64(len(rs)))
	ds.RowCount = int64(len(rs))
	if err := s.store.FinishImport(ctx, ds, nil); err != nil {
		s.t.Fatal(err)
	}
	return j
}

func (s *mappingSession) jobURL(id int64) string { return fmt.Sprintf("%s/jobs/%d", s.app.base, id) }

func (s *mappingSession) fail(step string, err error) {
	s.t.Helper()
	loc, _ := chromedp.Run(s.ctx, chromedp.Location())
	if buf, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(s.shots, "failed-mapping-"+strings.ReplaceAll(step, " ", "-")+".png"), buf, 0o644)
	}
	s.t.Fatalf("%s (at %s): %v\n%s", step, loc, err, s.app.log.String())
}

func (s *mappingSession) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.fail(step, err)
	}
}

func (s *mappingSession) text(step, sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.fail(step, err)
	}
	return v
}

// press clicks a submit button once it can be clicked and waits for the
// next document (the current one is marked first, so nothing on it can pass
// for the answer).
func (s *mappingSession) press(step, button string) {
	s.t.Helper()
	s.do(step, chromedp.WaitVisible(chromedp.CSS(button)), chromedp.WaitEnabled(chromedp.CSS(button)))
	if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](`window.partnerhubE2EOld = true`)); err != nil {
		s.fail(step, err)
	}
	s.do(step, chromedp.Click(chromedp.CSS(button)))
	deadline := time.Now().Add(4 * time.Minute)
	for {
		ok, err := chromedp.Run(s.ctx, chromedp.Poll[bool](`window.partnerhubE2EOld !== true && document.readyState === "complete"`,
			chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || s.ctx.Err() != nil {
			s.fail(step, fmt.Errorf("the browser never reached the next page: %v", err))
		}
	}
}

// flash returns the kind ("ok" or "error") and text of the page's flash.
func (s *mappingSession) flash(step string) (string, string) {
	s.t.Helper()
	s.do(step, chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	ok, _ := chromedp.Run(s.ctx, chromedp.Evaluate[bool](`!!document.querySelector(".flash.ok")`))
	kind := "error"
	if ok {
		kind = "ok"
	}
	return kind, s.text(step, `.flash`)
}

// waitFor waits until the JavaScript condition holds in the page.
func (s *mappingSession) waitFor(step, cond string) {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		s.fail(step, fmt.Errorf("waiting for %s: %w", cond, err))
	}
}

// waitText reloads url until the element's text contains want.
func (s *mappingSession) waitText(step, url, sel, want string) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		got, err := "", error(nil)
		if err = chromedp.Do(s.ctx, chromedp.Navigate(url)); err == nil {
			got, err = chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
		}
		if err == nil && strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			s.fail(step, fmt.Errorf("%q never showed %q (last %q, %v)", sel, want, got, err))
		}
		time.Sleep(300 * time.Millisecond) // between reloads of a page that follows a worker
	}
}

// labelled checks that every form field of the page has a label.
func (s *mappingSession) labelled(step string) {
	s.t.Helper()
	unlabelled, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 120))`))
	if err != nil || len(unlabelled) > 0 {
		s.fail(step, fmt.Errorf("form fields without a label: %v %v", unlabelled, err))
	}
}

func (s *mappingSession) columns(jobID int64) map[string]map[string]string {
	s.t.Helper()
	j, err := s.store.Job(context.Background(), jobID)
	if err != nil {
		s.t.Fatal(err)
	}
	var doc struct {
		Columns map[string]map[string]string `json:"columns"`
	}
	if len(j.Template) > 0 {
		_ = json.Unmarshal(j.Template, &doc)
	}
	return doc.Columns
}

// saveMapping is the mapping form's save button (the search buttons have a name).
const saveMapping = `form[action$="/mapping"] button[type=submit]:not([name])`

// TestBrowserMappingSuggestsAndSearches: the mapping page guesses from the
// columns' names and values, says what each suggestion is and why, and
// finds properties by name with its search buttons (no script needed).
func TestBrowserMappingSuggestsAndSearches(t *testing.T) {
	var job *jobs.Job
	s := newMappingSession(t, func(s *mappingSession, _ string) {
		job = s.importedJob("Artists", `{"version":1,`+s.wikibase()+`,"languages":["en"],"columns":{"Name":{"role":"label"}}}`,
			[]string{"Name", "date_of_birth", "getty", "notes"},
			[][]string{{"Hilma af Klint", "1862-10-26", "500115493", "Solna"}, {"Carl Larsson", "1853", "500012368", "Stockholm"}})
	})
	url := s.jobURL(job.ID) + "/mapping"
	dob := `tr[data-column="date_of_birth"] [data-suggestion="P569"]`
	getty := `tr[data-column="getty"] [data-suggestion="P245"]`
	s.do("mapping page", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(dob)), chromedp.WaitVisible(chromedp.CSS(getty)))
	s.labelled("mapping page")
	if got := s.text("by name", dob); !strings.Contains(got, "date of birth") || !strings.Contains(got, "time") || !strings.Contains(got, "its name “date of birth” matches the column name") {
		t.Fatalf("date_of_birth suggestion: %q", got)
	}
	if got := s.text("by format", getty); !strings.Contains(got, "Union List of Artist Names ID") || !strings.Contains(got, `500\d{6}`) {
		t.Fatalf("getty suggestion: %q", got)
	}
	// Search by name for the notes column, with the page's own button.
	s.do("search", chromedp.SendKeys(chromedp.ID("find_3"), "birthplace"))
	s.press("search", `button[name="find"][value="3"]`)
	s.waitFor("search results", `!!document.querySelector('#properties_3 option[value="P19"]')`)
	if got := s.text("found", `tr[data-column="notes"] .suggestions.found`); !strings.Contains(got, "place of birth") || !strings.Contains(got, "wikibase-item") {
		t.Fatalf("found: %q", got)
	}
	// With script, names typed into a property box are offered in its
	// list from the reconciliation service's suggest endpoint.
	s.do("type a property name", chromedp.SendKeys(chromedp.ID("property_0"), "place of"))
	s.waitFor("suggested properties", `!!document.querySelector('#properties_0 option[data-suggested][value="P19"]')`)
	if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.getElementById("property_0").value = ""`)); err != nil {
		s.fail("clear", err)
	}
	// The type, by name.
	s.do("type search", chromedp.SendKeys(chromedp.ID("find_type"), "person"))
	s.press("type search", `button[name="find"][value="type"]`)
	s.waitFor("type results", `!!document.querySelector('#types option[value="Q5"]')`)
	// With script, a suggestion's "Use" button fills in the column.
	s.do("use a suggestion", chromedp.Click(chromedp.CSS(`tr[data-column="date_of_birth"] button[data-use-property="P569"]`)))
	for id, want := range map[string]string{"role_1": "property", "property_1": "P569", "kind_1": "time"} {
		if v, err := chromedp.Run(s.ctx, chromedp.Value(chromedp.ID(id))); err != nil || v != want {
			t.Fatalf("after Use, %s = %q (%v), want %q", id, v, err, want)
		}
	}
	s.do("choose", chromedp.SetValue(chromedp.ID("role_2"), "property"), chromedp.SetValue(chromedp.ID("property_2"), "P245"), chromedp.SetValue(chromedp.ID("kind_2"), "auto"),
		chromedp.SetValue(chromedp.ID("role_3"), "property"), chromedp.SetValue(chromedp.ID("property_3"), "P19"), chromedp.SetValue(chromedp.ID("kind_3"), "auto"),
		chromedp.SetValue(chromedp.ID("type_qid"), "Q5"))
	// A column's matching options, in a closed disclosure until opened.
	s.do("open the options", chromedp.Click(chromedp.CSS(`tr[data-column="getty"] details.column-options summary`)),
		chromedp.WaitVisible(chromedp.ID("spelling_2")))
	s.do("options", chromedp.SetValue(chromedp.ID("spelling_2"), "loose"), chromedp.SetValue(chromedp.ID("form_0"), "person"))
	s.press("save", saveMapping)
	if kind, text := s.flash("saved"); kind != "ok" {
		t.Fatalf("save: %s", text)
	}
	cols := s.columns(job.ID)
	if cols["date_of_birth"]["kind"] != "time" || cols["getty"]["kind"] != "external-id" || cols["notes"]["kind"] != "item" || cols["notes"]["property"] != "P19" ||
		cols["getty"]["spelling"] != "loose" || cols["Name"]["form"] != "person" {
		t.Fatalf("saved %v", cols)
	}
}

// TestBrowserStartFromTemplate: the template is applied once the file is
// imported; a template column the file lacks is mapped to another column.
func TestBrowserStartFromTemplate(t *testing.T) {
	var fits, lacks *jobs.Job
	s := newMappingSession(t, func(s *mappingSession, _ string) {
		ctx := context.Background()
		body := `{"version":1,` + s.wikibase() + `,"languages":["en"],"columns":{"name":{"role":"label"},"Date of birth":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}}}`
		tm, err := s.store.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: s.user.ID, Name: "Painters", Visibility: jobs.VisibilityPrivate}, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := s.store.TemplateVersionByNumber(ctx, tm.ID, 1)
		fits, _ = s.store.CreateJobFromTemplate(ctx, s.user.ID, 0, "Fits", "", v.ID)
		lacks, _ = s.store.CreateJobFromTemplate(ctx, s.user.ID, 0, "Lacks a column", "", v.ID)
	})
	dir := t.TempDir()
	upload := func(j *jobs.Job, name, content string) {
		path := filepath.Join(dir, name)
		_ = os.WriteFile(path, []byte(content), 0o600)
		s.do("job page", chromedp.Navigate(s.jobURL(j.ID)), chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}))
		s.press("upload "+name, `form[enctype="multipart/form-data"] button`)
		s.waitText("import "+name, s.jobURL(j.ID), `[data-field="dataset-status"]`, "imported")
	}
	// Every template column is in the file ("Date of birth" as date_of_birth).
	upload(fits, "fits.csv", "name,date_of_birth,ulan\nHilma af Klint,1862-10-26,500115493\n")
	if cols := s.columns(fits.ID); cols["date_of_birth"]["property"] != "P569" || cols["ulan"]["property"] != "P245" {
		t.Fatalf("not applied on import: %v", cols)
	}
	s.do("mapping shows the template", chromedp.Navigate(s.jobURL(fits.ID)+"/mapping"), chromedp.WaitVisible(chromedp.ID("property_2")))
	if v, _ := chromedp.Run(s.ctx, chromedp.Value(chromedp.ID("property_1"))); v != "P569" {
		t.Fatalf("mapping page shows %q for date_of_birth", v)
	}
	// The file lacks "ulan": the rest is filled in, and ulan can go to getty.
	upload(lacks, "lacks.csv", "name,date_of_birth,getty\nHilma af Klint,1862-10-26,500115493\n")
	if cols := s.columns(lacks.ID); len(cols) != 0 {
		t.Fatalf("applied although a column is missing: %v", cols)
	}
	s.do("missing column", chromedp.Navigate(s.jobURL(lacks.ID)+"/mapping"), chromedp.WaitVisible(chromedp.CSS(`[data-missing="ulan"]`)))
	s.labelled("missing column")
	if v, _ := chromedp.Run(s.ctx, chromedp.Value(chromedp.ID("property_1"))); v != "P569" {
		t.Fatalf("mapping page shows %q for date_of_birth", v)
	}
	s.do("map it", chromedp.SetValue(chromedp.ID("missing_0"), "getty"))
	s.press("save", saveMapping)
	if kind, text := s.flash("saved"); kind != "ok" {
		t.Fatalf("save: %s", text)
	}
	if cols := s.columns(lacks.ID); cols["getty"]["property"] != "P245" || cols["date_of_birth"]["property"] != "P569" || cols["name"]["role"] != "label" {
		t.Fatalf("saved %v", cols)
	}
}

// TestBrowserFailedRowsShowAndRetry: a reconciliation whose batches all
// failed shows as failed with the rows and reasons; a retry first checks
// the wiki and names it when it refuses, then reconciles the failed rows.
func TestBrowserFailedRowsShowAndRetry(t *testing.T) {
	var job *jobs.Job
	s := newMappingSession(t, func(s *mappingSession, _ string) {
		job = s.importedJob("Failing", `{"version":1,`+s.wikibase()+`,"languages":["en"],"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`,
			[]string{"name", "born"}, [][]string{{"Hilma af Klint", "1862-10-26"}, {"Carl Larsson", "1853-05-28"}, {"Anders Zorn", "1860"}})
		ctx := context.Background()
		if err := s.store.StartReconciliation(ctx, job.ID, 3, 2); err != nil {
			t.Fatal(err)
		}
		for _, b := range []struct {
			no   int64
			rows string
		}{{1, "1–2"}, {2, "3–3"}} {
			_ = s.store.FailBatchAttempt(ctx, job.ID, b.no, "rows "+b.rows+": search the wiki: the wiki answered HTTP 500: Internal Server Error", 1, true)
		}
		if done, err := s.store.FinishReconciliationIfDone(ctx, job.ID); !done || err != nil {
			t.Fatalf("finish: %v %v", done, err)
		}
	})
	url := s.jobURL(job.ID)
	s.do("job page", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`section.failed-rows`)))
	if st := s.text("status", `[data-field="job-status"]`); st != "failed" {
		t.Fatalf("status %q, want failed", st)
	}
	if got := s.text("failed rows", `section.failed-rows`); !strings.Contains(got, "1–2") || !strings.Contains(got, "HTTP 500") {
		t.Fatalf("failed rows: %q", got)
	}
	// The wiki still refuses search: the retry says so and starts nothing.
	s.wiki.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 1000})
	s.press("retry refused", `form[action$="/reconcile/retry"] button`)
	if kind, text := s.flash("retry refused"); kind != "error" || !strings.Contains(text, "refused a test search") || !strings.Contains(text, s.wiki.URL()) ||
		!strings.Contains(text, "HTTP 500") {
		t.Fatalf("retry with a refusing wiki: %s %q", kind, text)
	}
	if st := s.text("still failed", `[data-field="job-status"]`); st != "failed" {
		t.Fatalf("status %q after a refused retry", st)
	}
	// Working again: the failed rows are reconciled.
	s.wiki.ClearFaults()
	s.press("retry", `form[action$="/reconcile/retry"] button`)
	if kind, text := s.flash("retry"); kind != "ok" {
		t.Fatalf("retry: %s", text)
	}
	s.waitText("reconciled", url, `[data-field="job-status"]`, "reconciled")
	if got := s.text("done", `[data-field="done"]`); got != "3" {
		t.Fatalf("rows reconciled after the retry: %q", got)
	}
	if ok, _ := chromedp.Run(s.ctx, chromedp.Evaluate[bool](`!document.querySelector('section.failed-rows')`)); !ok {
		t.Fatal("failed rows still listed after a successful retry")
	}
}
