package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	pngenc "image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web/wikilogin/oauthfake"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commonstest"
	"partnerhub/wikidata/wikibasetest"
)

// testJPEG is a small JPEG whose pixels (so content and SHA-1) depend on seed.
func testJPEG(t *testing.T, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for k := 0; k < 24*16; k++ {
		img.Set(k%24, k/24, color.RGBA{uint8(k * seed), uint8(seed * 31), uint8(k ^ seed), 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaE2ETemplate is what the user types into the mapping page's JSON
// editor: the write-back settings and the media settings (files from the
// "Image" column, title and description page patterns, licence, captions,
// depicts the row's item).
func mediaE2ETemplate(wikiAPI string) string {
	return `{"version":1,"languages":["en"],"wikibase":{"api_url":"` + wikiAPI + `"},
 "columns":{"Title":{"role":"label"}},
 "write":{"stated_in":"Q1000","add_reference_if_present":true},
 "media":{"source":{"kind":"url","column":"Image"},
  "title":"{Title} ({Inventory}).{ext}",
  "wikitext":"=={{int:filedesc}}==\n{{Artwork\n |title = {Title}\n |accession number = {Inventory}\n |source = {source}\n |credit line = {credit}\n |wikidata = {qid}\n}}\n=={{int:license-header}}==\n{license}\n{categories}\n",
  "license":{"template":"{{PD-Art|PD-old-100}}","qid":"Q6938433","copyright_status":"Q19652"},
  "credit":"Photo: Nationalmuseum",
  "categories":["Paintings in the Nationalmuseum"],
  "captions":{"en":"{Title}, painting in the Nationalmuseum"},
  "relation":"depicts"}}`
}

// mediaUser is the account the fake OAuth provider, the fake Commons and
// the fake Wikibase know (the same tokens on each).
const mediaUser = "Hilma Reviewer"

// mediaSession is the binary with OAuth against the fake Commons and the
// fake Wikibase, a job as reconciliation leaves it, and a headless
// Chromium logged in as mediaUser.
type mediaSession struct {
	*mappingSession
	commons *commonstest.Server
	job     *jobs.Job
	jobURL  string
}

// newMediaSession seeds the job (its template, the dataset's columns and
// rows, each row's match), starts the fakes and the binary, and logs in
// through the wiki's consent page. The wiki takes an image (commonsMedia)
// only if the file is on the fake Commons, as Wikibase checks.
func newMediaSession(t *testing.T, template string, cols []string, rows [][]string, matches []jobs.RowMatch, entities []*wikidata.Entity) *mediaSession {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a browser")
	}
	chromium(t) // skip early without a browser
	bin := buildBinary(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	commons := commonstest.Serve(t, commonstest.Options{ConsumerKey: "ck", ConsumerSecret: "cs", ReplicaLag: 50 * time.Millisecond,
		Accounts: []commonstest.Account{{Name: mediaUser, Token: "tok-4242", Secret: "sec-4242"}}})
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts:    []wikibasetest.Account{{Name: mediaUser, Token: "tok-4242", Secret: "sec-4242"}},
		CommonsFile: func(name string) bool { _, ok := commons.File(name); return ok },
		Entities:    entities})
	st, _ := localStore(t, "", dataDir)
	u, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "4242", Username: mediaUser})
	if err != nil {
		t.Fatal(err)
	}
	s := &mediaSession{mappingSession: &mappingSession{t: t, store: st, user: u, wiki: wiki}, commons: commons}
	seed := storetest.Reconciled{Title: "Nationalmuseum paintings", File: "paintings.csv", Template: strings.ReplaceAll(template, "{wiki}", wiki.URL()),
		Columns: cols, Results: matches}
	for i, r := range rows {
		seed.Rows = append(seed.Rows, jobs.Row{Num: int64(i + 1), Cells: r})
	}
	s.job, _ = storetest.ReconciledJob(t, st, u.ID, seed)

	addr := freeAddr(t)
	meta := httptest.NewServer(oauthfake.New(oauthfake.Options{ConsumerKey: "ck", ConsumerSecret: "cs", CallbackURL: "http://" + addr + "/oauth/callback",
		Users:       []oauthfake.User{{ID: 4242, Name: mediaUser, Groups: []string{"user", "autoconfirmed"}, EditCount: 1200}},
		AccessToken: func(oauthfake.User) (string, string) { return "tok-4242", "sec-4242" }}))
	t.Cleanup(meta.Close)
	s.app = start(t, bin, dataDir, addr, "PARTNERHUB_OAUTH_CONSUMER_KEY=ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET=cs",
		"PARTNERHUB_OAUTH_WIKI="+meta.URL, "PARTNERHUB_OAUTH_ISSUER="+meta.URL, "PARTNERHUB_COMMONS_API="+commons.URL(),
		"PARTNERHUB_MEDIA_ALLOW_PRIVATE=true", "PARTNERHUB_UPLOADS_PER_MINUTE=6000", "PARTNERHUB_EDITS_PER_MINUTE=6000",
		"PARTNERHUB_USER_AGENT=Partnerhub-e2e/1.0 (https://partnerhub.example/)", "PARTNERHUB_REDIS_ADDR=", "PARTNERHUB_DB_DSN=")
	s.ctx = browserContext(t, 1280, 1400)
	s.shots = screenshotDir(t)
	s.jobURL = s.mappingSession.jobURL(s.job.ID)

	s.do("log in", chromedp.Navigate(s.app.base+"/login"))
	s.press("log in", `form[action="/login"] button`)
	s.press("consent", `#allow`)
	s.do("logged in", chromedp.WaitVisible(chromedp.CSS(`.who a[href="/me"]`)))
	return s
}

// shot saves a screenshot of the page.
func (s *mediaSession) shot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(s.shots, "media-"+name+".png"), buf, 0o644)
	}
}

// flashOK: the page the last form led to confirms it worked.
func (s *mediaSession) flashOK(step string) {
	s.t.Helper()
	if kind, text := s.flash(step); kind != "ok" {
		s.fail(step, fmt.Errorf("the page says: %s", text))
	}
}

// imageServer serves the partner's images at /img/<name> (a loopback
// address: allowed here only), with a Content-Type that is never believed.
func imageServer(t *testing.T, images map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, ok := images[strings.TrimPrefix(r.URL.Path, "/img/")]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/octet-stream")
		_, _ = rw.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func label(v string) map[string]wikidata.Term {
	return map[string]wikidata.Term{"en": {Language: "en", Value: v}}
}

func image18(file string) map[string][]wikidata.Statement {
	return map[string][]wikidata.Statement{"P18": {wikidata.NewStatement("P18", "commonsMedia", wikidata.StringValue(file))}}
}

// TestBrowserMediaUpload drives the media upload in headless Chromium
// against the built binary, the fake Commons and the fake Wikibase: the
// user logs in, adds media settings to the job's template in the mapping
// page's JSON editor, plans the upload from the column of image URLs with
// P18 opted in, sees the preview (titles, description page, statements, a
// row without an accepted item blocked), approves it, and follows the
// worker's upload to each file's Commons link. The files are on the fake
// Commons once each with their structured data; the one already there (same
// content) is linked, not uploaded; the one whose title someone took after
// the preview is left at Commons' warning for a person, nothing published. Then the edit plan proposes P18 only
// for the item without an image, the write-back adds it exactly once with
// its reference, the statistics count the files and the items now
// illustrated, and the partner's export carries commons_file and
// commons_url.
func TestBrowserMediaUpload(t *testing.T) {
	images := map[string][]byte{}
	for i := 1; i <= 5; i++ {
		images[fmt.Sprintf("%d.jpg", i)] = testJPEG(t, i)
	}
	img := imageServer(t, images).URL + "/img/"
	// Rows 1-3 and 5 matched, row 4 waiting for review (no accepted item);
	// Q102 has another image, Q103 this very one (row 3's, on Commons).
	s := newMediaSession(t, `{"version":1,"languages":["en"],"wikibase":{"api_url":"{wiki}"},"columns":{"Title":{"role":"label"}},"write":{"stated_in":"Q1000"}}`,
		[]string{"Title", "Inventory", "Image"}, [][]string{
			{"Midsommardans", "NM 1", img + "1.jpg"},
			{"Portrait", "NM 2", img + "2.jpg"},
			{"Old scan", "NM 3", img + "3.jpg"},
			{"Unknown work", "NM 4", img + "4.jpg"},
			{"Still life", "NM 5", img + "5.jpg"},
		}, []jobs.RowMatch{
			{Row: 1, Status: jobs.MatchMatched, QID: "Q101", Score: 1}, {Row: 2, Status: jobs.MatchMatched, QID: "Q102", Score: 1},
			{Row: 3, Status: jobs.MatchMatched, QID: "Q103", Score: 1}, {Row: 4, Status: jobs.MatchNone},
			{Row: 5, Status: jobs.MatchMatched, QID: "Q105", Score: 1},
		}, []*wikidata.Entity{
			{ID: "Q101", Type: "item", Labels: label("Midsummer Dance")},
			{ID: "Q102", Type: "item", Labels: label("Portrait of a Lady"), Claims: image18("Some other painting.jpg")},
			{ID: "Q103", Type: "item", Labels: label("Old Scan"), Claims: image18("Old scan (NM 3).jpg")},
			{ID: "Q105", Type: "item", Labels: label("Still Life")},
		})
	commons, wiki, jobURL, shot, flashOK := s.commons, s.wiki, s.jobURL, s.shot, s.flashOK
	// Row 3's scan was uploaded by hand long ago, under the title the plan
	// would give it.
	oldScanID := commons.AddFile("Old scan (NM 3).jpg", "Archivist", images["3.jpg"])
	commons.AddFile("Some other painting.jpg", "Archivist", testJPEG(t, 99))
	const user = mediaUser

	// Before any settings, the media page says what is missing.
	s.do("media page", chromedp.Navigate(jobURL+"/media"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if page := s.text("media page", `main`); !strings.Contains(page, `The template has no "media" settings`) {
		s.fail("media page", fmt.Errorf("no word on the missing settings: %q", page))
	}

	// Set up media in the template's JSON editor.
	s.do("mapping", chromedp.Navigate(jobURL+"/mapping"), chromedp.WaitVisible(chromedp.ID("template_json")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector('#template_json').closest('details').open = true`)(ctx, tg)
			return err
		}),
		chromedp.SetValue(chromedp.ID("template_json"), mediaE2ETemplate(wiki.URL())),
		chromedp.Click(chromedp.CSS(`input[name="use_json"]`)))
	s.press("save template", saveMapping)
	flashOK("save template")

	// Plan the upload with P18 opted in; the worker fetches the files.
	s.do("media page", chromedp.Navigate(jobURL+"/media"), chromedp.WaitVisible(chromedp.CSS(`input[name="propose_p18"]`)),
		chromedp.Click(chromedp.CSS(`input[name="propose_p18"]`)))
	s.labelled("media page")
	s.press("plan", `form[action$="/media"] button`)
	flashOK("plan")
	s.waitText("plan ready", jobURL+"/media", `.meta .status`, "ready")
	s.do("preview", shot("01-preview"))
	preview := s.text("preview", `main`)
	for _, want := range []string{
		"File:Midsommardans (NM 1).jpg", "File:Portrait (NM 2).jpg", "File:Unknown work (NM 4).jpg",
		"+ caption (en): Midsommardans, painting in the Nationalmuseum", "+ P180 (depicts): Q101", "+ P275 (copyright license): Q6938433",
		"+ P6216 (copyright status): Q19652", "24×16", "P18 proposed on the items",
		"blocked: Row 4 has no accepted item",
		"Commons has this file already as File:Old scan (NM 3).jpg: it will be linked",
		"Approve and upload the 4 files",
	} {
		if !strings.Contains(preview, want) {
			s.fail("preview", fmt.Errorf("the preview lacks %q:\n%s", want, preview))
		}
	}
	wikitext, err := chromedp.Run(s.ctx, chromedp.TextContent(chromedp.CSS(`#file-1 pre.wikitext`)))
	if err != nil {
		s.fail("preview", err)
	}
	for _, want := range []string{"{{Artwork\n", " |wikidata = Q101\n", " |accession number = NM 1\n", "{{PD-Art|PD-old-100}}"} {
		if !strings.Contains(wikitext, want) {
			s.fail("preview", fmt.Errorf("description page of file 1 lacks %q:\n%s", want, wikitext))
		}
	}
	if !strings.Contains(wikitext, "[[Category:Paintings in the Nationalmuseum]]") || !strings.Contains(wikitext, "Photo: Nationalmuseum") {
		s.fail("preview", fmt.Errorf("description page of file 1 lacks the category or credit:\n%s", wikitext))
	}
	if n := len(commons.Uploads()); n != 2 { // the two files added by hand
		s.fail("preview", fmt.Errorf("%d uploads on Commons before approval", n-2))
	}

	// Someone else uploads another file under row 5's title after the
	// preview: Commons warns (exists), and the warning waits for a person.
	commons.AddFile("Still life (NM 5).jpg", "Someone else", testJPEG(t, 55))

	// Approve: the worker uploads in the user's name.
	s.press("approve", `form[action$="/media/approve"]:not(#select-form) button`)
	flashOK("approve")
	s.waitText("uploaded", jobURL+"/media", `.meta .status`, "done")
	s.do("uploaded", shot("02-uploaded"))
	for _, c := range []struct {
		no           int
		status, link string
	}{
		{1, "done", "File:Midsommardans (NM 1).jpg"}, {2, "done", "File:Portrait (NM 2).jpg"},
		{3, "linked", "File:Old scan (NM 3).jpg"}, {4, "blocked", ""}, {5, "warning", ""},
	} {
		sel := fmt.Sprintf(`#file-%d`, c.no)
		if got := s.text("results", sel+` header .status`); got != c.status {
			s.fail("results", fmt.Errorf("file %d is %q, want %q", c.no, got, c.status))
		}
		href, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(document.querySelector('`+sel+` header a[href^="https://commons.wikimedia.org/wiki/"]') || {}).textContent || ""`))
		if err != nil || href != c.link {
			s.fail("results", fmt.Errorf("file %d links %q, want %q (%v)", c.no, href, c.link, err))
		}
	}
	if msg := s.text("results", `#file-5`); !strings.Contains(msg, "Commons warned, nothing was uploaded") || !strings.Contains(msg, "exists") {
		s.fail("results", fmt.Errorf("file 5's warning is not shown: %q", msg))
	}
	if n := commons.UploadsOf(commonstest.SHA1(images["5.jpg"])); n != 0 {
		t.Fatalf("the file Commons warned about was published %d times", n)
	}
	// On Commons: each new file once, in the user's name, with its whole
	// structured data in one edit; the old scan untouched (not ours).
	for i, want := range map[int]struct {
		title, qid string
	}{1: {"Midsommardans (NM 1).jpg", "Q101"}, 2: {"Portrait (NM 2).jpg", "Q102"}} {
		body := images[fmt.Sprintf("%d.jpg", i)]
		if n := commons.UploadsOf(commonstest.SHA1(body)); n != 1 {
			t.Fatalf("file %d uploaded %d times", i, n)
		}
		fv, ok := commons.File(want.title)
		if !ok || fv.User != user || !strings.Contains(fv.Text, "{{Artwork") || !strings.Contains(fv.Comment, "editgroups-commons/b/") {
			t.Fatalf("File:%s on Commons: %+v (found %v)", want.title, fv, ok)
		}
		labels, stmts := commons.MediaInfo(fv.PageID)
		if got := labels["en"].Value; !strings.HasSuffix(got, ", painting in the Nationalmuseum") {
			t.Errorf("M%d caption %q", fv.PageID, got)
		}
		for prop, v := range map[string]string{"P180": want.qid, "P275": "Q6938433", "P6216": "Q19652"} {
			if len(stmts[prop]) != 1 {
				t.Errorf("M%d has %d %s statements, want 1 (%s)", fv.PageID, len(stmts[prop]), prop, v)
				continue
			}
			if id, ok := stmts[prop][0].MainSnak.DataValue.AsEntityID(); !ok || id.ID != v {
				t.Errorf("M%d %s = %+v, want %s", fv.PageID, prop, stmts[prop][0].MainSnak.DataValue, v)
			}
		}
	}
	if n := commons.UploadsOf(commonstest.SHA1(images["4.jpg"])); n != 0 {
		t.Fatalf("the blocked file was uploaded %d times", n)
	}
	if n := len(commons.MediaEdits()); n != 2 {
		t.Fatalf("%d structured-data edits, want 2 (one per uploaded file; none on the linked file)", n)
	}
	if _, stmts := commons.MediaInfo(oldScanID); len(stmts) != 0 {
		t.Fatalf("the linked file (someone else's) got statements: %v", stmts)
	}
	if d := commons.Duplicates(); len(d) > 0 {
		t.Fatalf("duplicates on Commons: %v", d)
	}

	// The edit plan proposes P18 for the item without an image only.
	s.do("edit plan", chromedp.Navigate(jobURL+"/plan"))
	s.press("build plan", `form[action$="/plan"] button`)
	flashOK("build plan")
	s.waitText("plan ready", jobURL+"/plan", `.meta .status`, "ready")
	s.do("edit plan", shot("03-edit-plan"))
	planPage := s.text("edit plan", `main`)
	for _, want := range []string{"+ P18: Midsommardans (NM 1).jpg", "≠ P18: row says Portrait (NM 2).jpg, item has Some other painting.jpg"} {
		if !strings.Contains(planPage, want) {
			s.fail("edit plan", fmt.Errorf("the edit plan lacks %q:\n%s", want, planPage))
		}
	}
	if strings.Contains(planPage, "+ P18: Portrait") || strings.Contains(planPage, "+ P18: Old scan") || strings.Contains(planPage, "+ P18: Still life") || strings.Contains(planPage, "+ reference on P18") {
		s.fail("edit plan", fmt.Errorf("P18 proposed on an item that has an image:\n%s", planPage))
	}
	s.press("approve plan", `form[action$="/plan/approve"]:not(#select-form) button`)
	flashOK("approve plan")
	s.press("start write-back", `form[action$="/plan/write/start"] button`)
	flashOK("start write-back")
	s.waitText("written", jobURL+"/plan", `.meta .status`, "done")
	images18 := func(q string) []string {
		var out []string
		for _, st := range wiki.Entity(q).Claims["P18"] {
			v, _ := st.Value()
			out = append(out, v.String())
		}
		return out
	}
	if got := images18("Q101"); len(got) != 1 || got[0] != "Midsommardans (NM 1).jpg" {
		t.Fatalf("Q101 images %q, want the uploaded file once", got)
	}
	if refs := wiki.Entity("Q101").Claims["P18"][0].References; len(refs) == 0 || len(refs[0].Snaks["P248"]) == 0 {
		t.Fatalf("Q101's image is not referenced (stated in): %+v", refs)
	}
	if got := images18("Q102"); len(got) != 1 || got[0] != "Some other painting.jpg" {
		t.Fatalf("Q102 images %q: an item's image is never replaced or doubled", got)
	}
	if got := images18("Q103"); len(got) != 1 || got[0] != "Old scan (NM 3).jpg" {
		t.Fatalf("Q103 images %q", got)
	}
	if per := wiki.EditsPer(); per["Q101"] != 1 || per["Q102"] != 0 || per["Q103"] != 0 || per["Q105"] != 0 {
		t.Fatalf("edits per item %v, want one on Q101 only", per)
	}
	// Planning again proposes nothing more: the image is there now.
	s.do("edit plan again", chromedp.Navigate(jobURL+"/plan"))
	s.press("build plan again", `form[action$="/plan"] button`)
	s.waitText("plan ready again", jobURL+"/plan", `.meta .status`, "ready")
	if again := s.text("edit plan again", `main`); strings.Contains(again, "+ P18:") {
		s.fail("edit plan again", fmt.Errorf("P18 proposed again after the write-back:\n%s", again))
	}

	// Statistics: the files and the items now illustrated.
	s.do("stats", chromedp.Navigate(jobURL+"/stats"), chromedp.WaitVisible(chromedp.CSS(`[data-stat="files-uploaded"]`)), shot("04-stats"))
	if got := s.text("stats", `[data-stat="files-uploaded"]`); !strings.HasPrefix(strings.TrimSpace(got), "2") || !strings.Contains(got, "+1") {
		s.fail("stats", fmt.Errorf("files uploaded: %q, want 2 (+1 linked)", got))
	}
	if got := strings.TrimSpace(s.text("stats", `[data-stat="items-illustrated"]`)); got != "3" {
		s.fail("stats", fmt.Errorf("items illustrated: %q, want 3", got))
	}

	// The partner's export, through a share link.
	s.do("share", chromedp.Navigate(jobURL+"/share"), chromedp.SendKeys(chromedp.ID("sl-label"), "Museum registrar"))
	s.press("share", `form[action$="/share"] button`)
	s.do("share link", chromedp.WaitVisible(chromedp.ID("new-link")))
	shareURL, err := chromedp.Run(s.ctx, chromedp.Value(chromedp.ID("new-link")))
	if err != nil {
		s.fail("share link", err)
	}
	s.do("partner view", chromedp.Navigate(shareURL), chromedp.WaitVisible(chromedp.CSS(`a[href*="/export/csv"]`)))
	attr, err := chromedp.Run(s.ctx, chromedp.AttributeValue(chromedp.CSS(`a[href*="/export/csv"]`), "href"))
	if err != nil {
		s.fail("partner view", err)
	}
	resp, err := http.Get(s.app.base + attr.Value)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(recs) != 6 {
		t.Fatalf("export: %d records, %v", len(recs), err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	fileCol, urlCol := col["commons_file"], col["commons_url"]
	if fileCol == 0 || urlCol == 0 {
		t.Fatalf("export header %q lacks commons_file / commons_url", recs[0])
	}
	for row, want := range map[int]string{1: "File:Midsommardans (NM 1).jpg", 2: "File:Portrait (NM 2).jpg", 3: "File:Old scan (NM 3).jpg", 4: "", 5: ""} {
		r := recs[row]
		if r[fileCol] != want || (want != "" && !strings.HasPrefix(r[urlCol], "https://commons.wikimedia.org/wiki/File:")) || (want == "" && r[urlCol] != "") {
			t.Errorf("export row %d: commons_file %q commons_url %q, want %q", row, r[fileCol], r[urlCol], want)
		}
	}
}

// TestBrowserMediaUploadFromZip plans a media upload from a ZIP archive
// chosen in the browser's file field (a multipart form, its CSRF token in
// the query): entries are found by path or, in another folder and letter
// case, by file name; a row naming a file the archive lacks is blocked;
// the files go to Commons with their structured data; and without the P18
// box ticked the edit plan proposes no image.
func TestBrowserMediaUploadFromZip(t *testing.T) {
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 30, 20))
	for k := 0; k < 600; k++ {
		img.Set(k%30, k/30, color.RGBA{uint8(k), 200, uint8(k / 3), 255})
	}
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{"scans/nm10.png": png.Bytes(), "photos/nm11.jpg": testJPEG(t, 11)}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, b := range entries {
		w, _ := zw.Create(name)
		_, _ = w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "photos.zip")
	if err := os.WriteFile(zipPath, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newMediaSession(t, `{"version":1,"languages":["en"],"wikibase":{"api_url":"{wiki}"},"columns":{"Title":{"role":"label"}},"write":{"stated_in":"Q1000"},
		"media":{"source":{"kind":"zip","column":"File"},"title":"{Title} ({Inventory}).{ext}","license":{"template":"{{cc-by-4.0}}","qid":"Q20007257"},
		"captions":{"en":"{Title}"},"relation":"digital_representation"}}`,
		[]string{"Title", "Inventory", "File"}, [][]string{
			{"Vase", "NM 10", "scans/nm10.png"},
			{"Bowl", "NM 11", "NM11.JPG"},
			{"Cup", "NM 12", "missing.jpg"},
		}, []jobs.RowMatch{
			{Row: 1, Status: jobs.MatchMatched, QID: "Q201", Score: 1}, {Row: 2, Status: jobs.MatchMatched, QID: "Q202", Score: 1},
			{Row: 3, Status: jobs.MatchMatched, QID: "Q203", Score: 1},
		}, []*wikidata.Entity{
			{ID: "Q201", Type: "item", Labels: label("Vase")}, {ID: "Q202", Type: "item", Labels: label("Bowl")}, {ID: "Q203", Type: "item", Labels: label("Cup")},
		})

	s.do("media page", chromedp.Navigate(s.jobURL+"/media"), chromedp.WaitVisible(chromedp.ID("archive")),
		chromedp.SetUploadFiles(chromedp.ID("archive"), []string{zipPath}))
	s.labelled("media page")
	s.press("plan", `form[enctype="multipart/form-data"] button`)
	s.flashOK("plan")
	s.waitText("plan ready", s.jobURL+"/media", `.meta .status`, "ready")
	s.do("preview", s.shot("zip-01-preview"))
	preview := s.text("preview", `main`)
	for _, want := range []string{"files from the archive photos.zip", "File:Vase (NM 10).png", "Source: scans/nm10.png", "30×20",
		"File:Bowl (NM 11).jpg", "Source: photos/nm11.jpg", "+ P6243 (digital representation of): Q201",
		`blocked: The archive holds no file named "missing.jpg"`, "Approve and upload the 2 files"} {
		if !strings.Contains(preview, want) {
			s.fail("preview", fmt.Errorf("the preview lacks %q:\n%s", want, preview))
		}
	}
	if strings.Contains(preview, "P18 proposed") {
		s.fail("preview", fmt.Errorf("P18 proposed without the box ticked:\n%s", preview))
	}
	s.press("approve", `form[action$="/media/approve"]:not(#select-form) button`)
	s.flashOK("approve")
	s.waitText("uploaded", s.jobURL+"/media", `.meta .status`, "done")
	s.do("uploaded", s.shot("zip-02-uploaded"))
	for name, q := range map[string]string{"Vase (NM 10).png": "Q201", "Bowl (NM 11).jpg": "Q202"} {
		fv, ok := s.commons.File(name)
		if !ok || fv.User != mediaUser {
			t.Fatalf("File:%s on Commons: %+v (found %v)", name, fv, ok)
		}
		if got := s.text("results", `main`); !strings.Contains(got, "File:"+name) {
			t.Fatalf("the page does not link File:%s", name)
		}
		labels, stmts := s.commons.MediaInfo(fv.PageID)
		if len(stmts["P6243"]) != 1 || len(stmts["P275"]) != 1 || labels["en"].Value != strings.SplitN(name, " ", 2)[0] {
			t.Fatalf("M%d: captions %v statements %v", fv.PageID, labels, stmts)
		}
		if id, _ := stmts["P6243"][0].MainSnak.DataValue.AsEntityID(); id.ID != q {
			t.Fatalf("M%d represents %s, want %s", fv.PageID, id.ID, q)
		}
	}
	for name, b := range entries {
		if n := s.commons.UploadsOf(commonstest.SHA1(b)); n != 1 {
			t.Fatalf("%s uploaded %d times", name, n)
		}
	}
	// P18 was not opted in: the edit plan proposes no image.
	s.do("edit plan", chromedp.Navigate(s.jobURL+"/plan"))
	s.press("build plan", `form[action$="/plan"] button`)
	s.flashOK("build plan")
	s.waitText("plan ready", s.jobURL+"/plan", `.meta .status`, "ready")
	if planPage := s.text("edit plan", `main`); strings.Contains(planPage, "P18") {
		s.fail("edit plan", fmt.Errorf("an image was proposed without opting in:\n%s", planPage))
	}
}
