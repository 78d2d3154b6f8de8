package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub/sparql/sparqltest"
	"partnerhub/web/wikilogin/oauthfake"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

const e2eGraph = `
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
wd:Q5 rdfs:label "human"@en .
wd:Q101 rdfs:label "Hilma af Klint"@en ; schema:description "Swedish painter"@en ; wdt:P31 wd:Q5 ;
  wdt:P569 "1862-10-26T00:00:00Z"^^xsd:dateTime ; wdt:P245 "500115493" .
wd:Q102 rdfs:label "Carl Larsson"@en ; schema:description "Swedish painter"@en ; wdt:P31 wd:Q5 ; wdt:P569 "1853-05-28T00:00:00Z"^^xsd:dateTime .
wd:Q103 rdfs:label "Anders Zorn"@en ; schema:description "Swedish artist"@en ; wdt:P31 wd:Q5 .
`

// chromium finds Debian's Chromium.
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required in CI (.ci/run installs Debian's chromium)")
	}
	t.Skip("no Chromium installed")
	return ""
}

// browserContext starts a headless Chromium for a test, with a generous
// safety deadline for a loaded machine (steps wait for conditions, this
// only ends a test that hangs).
func browserContext(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel := context.WithTimeout(bctx, 15*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// screenshotDir is where browser tests leave their screenshots.
func screenshotDir(t *testing.T) string {
	dir := filepath.Join(os.TempDir(), "partnerhub-e2e-screenshots")
	_ = os.MkdirAll(dir, 0o755)
	t.Logf("screenshots in %s", dir)
	return dir
}

// TestBrowserJourney drives headless Chromium through the whole journey
// against the built binary: log in through the fake OAuth provider, create
// a job, upload a CSV, map the columns, reconcile against a real SPARQL
// engine, review with the keyboard, approve the plan, write back to the
// fake Wikibase, and look at the statistics, the export and the partner's
// share link. Screenshots of the main pages go to a temp directory.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	chromium(t) // skip early without a browser
	oxi := sparqltest.Start(t)
	oxi.Load(t, e2eGraph)
	bin := buildBinary(t)
	addr := freeAddr(t)
	base := "http://" + addr

	fake := oauthfake.New(oauthfake.Options{ConsumerKey: "ck", ConsumerSecret: "cs", CallbackURL: base + "/oauth/callback",
		Users:       []oauthfake.User{{ID: 4242, Name: "Hilma Reviewer", Groups: []string{"user", "autoconfirmed"}, EditCount: 1200}},
		AccessToken: func(u oauthfake.User) (string, string) { return "tok-" + fmt.Sprint(u.ID), "sec-" + fmt.Sprint(u.ID) }})
	meta := httptest.NewServer(fake)
	defer meta.Close()
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Hilma Reviewer", Token: "tok-4242", Secret: "sec-4242"}},
		Entities: []*wikidata.Entity{
			{ID: "Q101", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Hilma af Klint"}}},
			{ID: "Q102", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Carl Larsson"}}},
			{ID: "Q103", Type: "item", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Anders Zorn"}}},
		}})
	dataDir := t.TempDir()
	app := start(t, bin, dataDir, addr, "PARTNERHUB_OAUTH_CONSUMER_KEY=ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET=cs",
		"PARTNERHUB_OAUTH_WIKI="+meta.URL, "PARTNERHUB_OAUTH_ISSUER="+meta.URL, "PARTNERHUB_EDITS_PER_MINUTE=6000",
		"PARTNERHUB_USER_AGENT=Partnerhub-e2e/1.0 (https://partnerhub.example/)", "PARTNERHUB_REDIS_ADDR=", "PARTNERHUB_DB_DSN=")

	csvPath := filepath.Join(t.TempDir(), "nationalmuseum.csv")
	_ = os.WriteFile(csvPath, []byte("name,born,ulan\nHilma af Klint,1862-10-26,500115493\nCarl Larsson,1853-05-28,500011045\n\"Zorn, Anders\",1860-02-18,\nUnknown Person,1900,\n"), 0o600)
	shots := screenshotDir(t)
	ctx := browserContext(t, 1200, 1400)

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			// Accessibility basics on every page we look at: each form field
			// has a label, the page has one h1 and a main landmark.
			unlabelled, err := chromedp.Evaluate[[]string](`[...document.querySelectorAll('input:not([type=hidden]),select,textarea')]
				.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.outerHTML.slice(0, 120))`)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			if len(unlabelled) > 0 && !strings.HasPrefix(name, "failed") {
				return chromedp.Void{}, fmt.Errorf("page %s has form fields without a label: %v", name, unlabelled)
			}
			landmarks, err := chromedp.Evaluate[int](`document.querySelectorAll('h1').length * 10 + document.querySelectorAll('main').length`)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			if landmarks != 11 && !strings.HasPrefix(name, "failed") {
				return chromedp.Void{}, fmt.Errorf("page %s needs exactly one h1 and one main (got code %d)", name, landmarks)
			}
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		}
	}
	fail := func(step string, err error) {
		t.Helper()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		_ = chromedp.Do(ctx, shot("failed-"+strings.ReplaceAll(step, " ", "-")))
		t.Fatalf("%s (at %s): %v\n%s", step, loc, err, app.log.String())
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			fail(step, err)
		}
	}
	get := func(step string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			fail(step, err)
		}
		return v
	}
	// waitText reloads url until the element's text contains want: the
	// server-side state the page shows (a worker's progress) is the condition.
	waitText := func(step, url, sel, want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			// Pages that follow progress refresh themselves, which may
			// abort a navigation: such errors just mean "look again".
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if nerr := chromedp.Do(ctx, chromedp.Navigate(url)); nerr == nil {
				got, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			}
			if err == nil && strings.Contains(got, want) {
				return
			}
			if time.Now().After(deadline) {
				fail(step, fmt.Errorf("%q never showed %q (last %q, %v)", sel, want, got, err))
			}
			time.Sleep(300 * time.Millisecond) // between reloads of a page that follows a worker
		}
	}
	// submits does act (a click on a submit button, a form submission) and
	// waits for the page the browser goes to: the current document is marked
	// first, so nothing on it (its flash, its buttons) can pass for the
	// answer, and no later navigation can abort a request still in flight.
	submits := func(step string, act chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.partnerhubE2EOld = true`)); err != nil {
			fail(step, err)
		}
		do(step, act)
		deadline := time.Now().Add(4 * time.Minute)
		for {
			// A poll does not survive a navigation: its error means the old
			// document went away, and the next poll runs on the new one.
			ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.partnerhubE2EOld !== true && document.readyState === "complete"`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline))))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				fail(step, fmt.Errorf("the browser never reached the next page: %v", err))
			}
		}
	}
	// flashOK: the page the last form led to confirms it worked.
	flashOK := func(step string) {
		t.Helper()
		do(step, chromedp.WaitVisible(chromedp.CSS(`.flash`)))
		if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector(".flash.ok")`)); !ok {
			fail(step, fmt.Errorf("the page says: %s", get(step, chromedp.Text(chromedp.CSS(`.flash`)))))
		}
	}
	// press clicks a submit button once it can be clicked, and waits for the
	// page the form leads to.
	press := func(step, button string) {
		t.Helper()
		do(step, chromedp.WaitVisible(chromedp.CSS(button)), chromedp.WaitEnabled(chromedp.CSS(button)))
		submits(step, chromedp.Click(chromedp.CSS(button)))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Log in: the wiki's consent page, then back.
	do("log in", chromedp.Navigate(base+"/login"), shot("01-login"))
	press("log in", `form[action="/login"] button`)
	press("consent", `#allow`)
	do("logged in", chromedp.WaitVisible(css(`.who a[href="/me"]`)))
	if who := get("who", chromedp.Text(css(`.who a[href="/me"]`))); who != "Hilma Reviewer" {
		t.Fatalf("logged in as %q", who)
	}

	// A job and its dataset.
	do("create job", chromedp.Navigate(base+"/jobs/new"), chromedp.SendKeys(chromedp.ID("title"), "Nationalmuseum painters"))
	press("create job", `form[action="/jobs"] button`)
	do("job page", chromedp.WaitVisible(chromedp.ID("file")))
	jobURL := get("job url", chromedp.Location())
	do("upload", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csvPath}))
	press("upload", `form[enctype="multipart/form-data"] button`)
	do("uploaded", chromedp.WaitVisible(css(`[data-field="dataset-status"]`)))
	waitText("import", jobURL, `[data-field="dataset-status"]`, "imported")
	do("preview", chromedp.Navigate(jobURL+"/dataset"), chromedp.WaitVisible(css(`table.rows`)), shot("02-preview"))

	// Map the columns to Wikidata, with the local engine and fake wiki.
	do("mapping", chromedp.Navigate(jobURL+"/mapping"),
		chromedp.SetValue(chromedp.ID("role_0"), "label"),
		chromedp.SetValue(chromedp.ID("role_1"), "property"), chromedp.SetValue(chromedp.ID("property_1"), "P569"), chromedp.SetValue(chromedp.ID("kind_1"), "time"),
		chromedp.SetValue(chromedp.ID("role_2"), "property"), chromedp.SetValue(chromedp.ID("property_2"), "P245"), chromedp.SetValue(chromedp.ID("kind_2"), "external-id"),
		chromedp.SetValue(chromedp.ID("type_qid"), "Q5"), chromedp.SetValue(chromedp.ID("stated_in"), "Q1000"),
		chromedp.SetValue(chromedp.ID("endpoint"), oxi.Endpoint()), chromedp.SetValue(chromedp.ID("api_url"), wiki.URL()),
		shot("03-mapping"))
	submits("save mapping", chromedp.Submit(css(`form[action$="/mapping"]`)))
	flashOK("save mapping")
	press("start reconciliation", `form[action$="/reconcile/start"] button`)
	flashOK("start reconciliation")
	waitText("reconcile", jobURL, `[data-field="job-status"]`, "reconciled")
	do("job page", chromedp.Navigate(jobURL), shot("04-job"))

	// Review with the keyboard: the row to review gets candidate 1.
	do("review", chromedp.Navigate(jobURL+"/review?status=review"), chromedp.WaitVisible(css(`.review-row`)), shot("05-review"),
		chromedp.KeyEvent("j"), chromedp.KeyEvent("1"),
		chromedp.WaitVisible(css(`.review-row [data-decision][role="status"]`)), shot("05b-after-keys"))
	if decided := get("decision", chromedp.Text(css(`.review-row [data-decision]`))); !strings.HasPrefix(decided, "Accepted Q") {
		t.Fatalf("keyboard decision shows %q", decided)
	}
	do("bulk accept", chromedp.Navigate(jobURL+"/review"))
	press("bulk accept", `form.bulk button[value="matched"]`)
	press("bulk confirm", `form.bulk-confirm button`) // the confirmation page: how many rows, which threshold
	flashOK("bulk accept")

	// Plan, approve, write back.
	do("build plan", chromedp.Navigate(jobURL+"/plan"))
	press("build plan", `form[action$="/plan"] button`)
	flashOK("build plan")
	waitText("plan ready", jobURL+"/plan", `.meta .status`, "ready")
	do("plan page", shot("06-plan"))
	press("approve", `form[action$="/plan/approve"]:not(#select-form) button`)
	flashOK("approve")
	press("start write-back", `form[action$="/plan/write/start"] button`)
	flashOK("start write-back")
	waitText("write-back", jobURL+"/plan", `.meta .status`, "done")
	do("written", chromedp.Navigate(jobURL+"/plan"), shot("07-written"))
	for _, q := range []string{"Q101", "Q102", "Q103"} {
		e := wiki.Entity(q)
		if len(e.Claims["P245"])+len(e.Claims["P569"]) == 0 {
			t.Errorf("%s got no statements", q)
		}
	}
	if n := len(wiki.Edits()); n != 3 {
		t.Fatalf("%d edits on the wiki, want 3 (one per item)", n)
	}
	// My write-backs, through the header link: the batch just written.
	submits("my write-backs", chromedp.Click(css(`nav a[href="/me/writebacks"]`)))
	do("my write-backs", chromedp.WaitVisible(css(`tr[id^="writeback-"]`)), shot("07b-writebacks"))
	if row := get("my write-backs", chromedp.Text(css(`tr[id^="writeback-"]`))); !strings.Contains(row, "3 edited, 0 created") ||
		!strings.Contains(row, "Nationalmuseum painters") || !strings.Contains(row, "Hilma Reviewer") {
		t.Fatalf("my write-backs row: %q", row)
	}

	// Statistics, export and the partner's share link.
	do("stats", chromedp.Navigate(jobURL+"/stats"), shot("08-stats"))
	if stats := get("stats", chromedp.Text(css(`[data-stat="items-edited"]`))); strings.TrimSpace(stats) != "3" {
		t.Fatalf("items edited: %q", stats)
	}
	do("share", chromedp.Navigate(jobURL+"/share"), chromedp.SendKeys(chromedp.ID("sl-label"), "Museum registrar"))
	press("share", `form[action$="/share"] button`)
	do("share link", chromedp.WaitVisible(chromedp.ID("new-link")))
	shareURL := get("share url", chromedp.Value(chromedp.ID("new-link")))
	do("partner view", chromedp.Navigate(shareURL), shot("09-share"))
	sharePage := get("share page", chromedp.Text(css(`main`)))
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(css(`a[href*="/export/csv"]`), "href"))
	if err != nil || !strings.Contains(sharePage, "Nationalmuseum painters") || attr.Value == "" {
		t.Fatalf("share page: %q, export %q %v", sharePage, attr.Value, err)
	}
	// The browser would save the export as a download; fetch what it would save.
	resp, err := http.Get(base + attr.Value)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csvText := string(body); resp.StatusCode != 200 || !strings.Contains(csvText, "Q101") || !strings.Contains(csvText, "Hilma af Klint") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", resp.StatusCode, csvText)
	}
}
