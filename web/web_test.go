package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// recordingQueue remembers what the web side enqueued.
type recordingQueue struct {
	mu      sync.Mutex
	imports []int64
}

func (q *recordingQueue) EnqueueImport(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.imports = append(q.imports, id)
	return nil
}

// recordingRunner remembers reconciliation actions.
type recordingRunner struct {
	mu      sync.Mutex
	actions []string
}

func (r *recordingRunner) record(a string, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, fmt.Sprintf("%s %d", a, id))
	return nil
}
func (r *recordingRunner) StartReconciliation(_ context.Context, id int64) error {
	return r.record("start", id)
}
func (r *recordingRunner) PauseReconciliation(_ context.Context, id int64) error {
	return r.record("pause", id)
}
func (r *recordingRunner) ResumeReconciliation(_ context.Context, id int64) error {
	return r.record("resume", id)
}
func (r *recordingRunner) CancelReconciliation(_ context.Context, id int64) error {
	return r.record("cancel", id)
}

// headerAuth identifies users by a test header, so one server can serve two people.
type headerAuth struct{ users map[string]*jobs.User }

func (a headerAuth) CurrentUser(c *gin.Context) (*jobs.User, error) {
	return a.users[c.GetHeader("X-Test-User")], nil
}
func (a headerAuth) LocalMode() bool { return false }

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

type fixture struct {
	st     *store.Store
	srv    *httptest.Server
	queue  *recordingQueue
	alice  *jobs.User
	bob    *jobs.User
	client *http.Client
}

func newFixture(t *testing.T, maxUpload int64, redis web.Pinger) *fixture {
	t.Helper()
	st := storetest.SQLite(t)
	ctx := context.Background()
	alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
	f := &fixture{st: st, queue: &recordingQueue{}, alice: alice, bob: bob}
	deps := f.deps()
	deps.Redis = redis
	f.srv, f.client = testServer(t, newHandler(t, deps, func(c *web.Config) { c.MaxUploadBytes = maxUpload }))
	return f
}

// testConfig is the configuration of a test's server.
func testConfig(t testing.TB) web.Config {
	return web.Config{Version: "test", DataDir: t.TempDir(), MaxUploadBytes: 1 << 20, CSRFKey: bytes.Repeat([]byte{7}, 32)}
}

// newHandler builds a server on deps with testConfig, changed by change
// (nil: as it is), and returns its handler.
func newHandler(t testing.TB, deps web.Deps, change func(*web.Config)) http.Handler {
	t.Helper()
	cfg := testConfig(t)
	if change != nil {
		change(&cfg)
	}
	s, err := web.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// testServer serves h for the test, with a client that keeps cookies and
// does not follow redirects.
func testServer(t testing.TB, h http.Handler) (*httptest.Server, *http.Client) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return srv, &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// deps are the fixture's server's dependencies: its store and queue, a
// recording runner, a Redis that answers, and Alice and Bob known by the
// X-Test-User header.
func (f *fixture) deps() web.Deps {
	return web.Deps{Store: f.st, Queue: f.queue, Runner: &recordingRunner{}, Redis: pinger{},
		Auth: headerAuth{users: map[string]*jobs.User{"alice": f.alice, "bob": f.bob}}}
}

// serve replaces the fixture's server by one built on deps.
func (f *fixture) serve(t testing.TB, deps web.Deps) {
	t.Helper()
	f.srv.Config.Handler = newHandler(t, deps, nil)
}

func (f *fixture) do(t *testing.T, user, method, path string, body io.Reader, contentType string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfToken loads a page with a form and returns its token.
func (f *fixture) csrfToken(t *testing.T, user, path string) string {
	t.Helper()
	_, body := f.do(t, user, "GET", path, nil, "")
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", path)
	}
	return html.UnescapeString(m[1])
}

func (f *fixture) createJob(t *testing.T, user, title string) string {
	t.Helper()
	form := url.Values{"title": {title}, "description": {"from the test"}, "csrf_token": {f.csrfToken(t, user, "/jobs/new")}}
	resp, body := f.do(t, user, "POST", "/jobs", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create job: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

func multipartBody(t *testing.T, name, content string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = io.WriteString(fw, content)
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func TestCreateJobAndUpload(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	loc := f.createJob(t, "alice", "Painters")
	if !regexp.MustCompile(`^/jobs/\d+$`).MatchString(loc) {
		t.Fatalf("redirect to %q", loc)
	}
	resp, body := f.do(t, "alice", "GET", loc, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Painters") || !strings.Contains(body, "Job created") {
		t.Fatalf("job page: %d, flash or title missing", resp.StatusCode)
	}
	// The upload form carries its token in the action URL (see web.csrf).
	m := regexp.MustCompile(`action="(/jobs/\d+/dataset\?csrf_token=[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no upload form")
	}
	action := html.UnescapeString(m[1])
	b, ct := multipartBody(t, "people.csv", "name,born\nAda,1815\n")
	resp, body = f.do(t, "alice", "POST", action, b, ct)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	if len(f.queue.imports) != 1 {
		t.Fatalf("imports queued: %v", f.queue.imports)
	}
	ds, err := f.st.Dataset(context.Background(), f.queue.imports[0])
	if err != nil || ds.FileName != "people.csv" || ds.SizeBytes != 19 || ds.Status != jobs.DatasetUploaded {
		t.Fatalf("dataset %+v, %v", ds, err)
	}
	// Status JSON for the page's progress.
	resp, body = f.do(t, "alice", "GET", loc+"/status.json", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"uploaded"`) {
		t.Fatalf("status.json: %d %s", resp.StatusCode, body)
	}
}

func TestUploadTooLargeIsRefusedClearly(t *testing.T) {
	f := newFixture(t, 1024, pinger{})
	loc := f.createJob(t, "alice", "Big")
	token := f.csrfToken(t, "alice", loc)
	b, ct := multipartBody(t, "big.csv", "a,b\n"+strings.Repeat("1,2\n", 2000))
	resp, body := f.do(t, "alice", "POST", loc+"/dataset?csrf_token="+url.QueryEscape(token), b, ct)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 1 KB") {
		t.Fatalf("too large: %d %s", resp.StatusCode, body)
	}
	if len(f.queue.imports) != 0 {
		t.Fatal("a refused upload was queued")
	}
}

func TestCSRFRequiredOnStateChanges(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	loc := f.createJob(t, "alice", "Keep me")
	for _, c := range []struct{ path, body, ct string }{
		{"/jobs", "title=x", "application/x-www-form-urlencoded"},
		{loc + "/delete", "", "application/x-www-form-urlencoded"},
		{loc + "/delete", "csrf_token=forged", "application/x-www-form-urlencoded"},
	} {
		resp, _ := f.do(t, "alice", "POST", c.path, strings.NewReader(c.body), c.ct)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a valid token: %d, want 403", c.path, resp.StatusCode)
		}
	}
	b, ct := multipartBody(t, "x.csv", "a,b\n1,2\n")
	if resp, _ := f.do(t, "alice", "POST", loc+"/dataset", b, ct); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := f.do(t, "alice", "GET", loc, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("job vanished after refused deletes: %d", resp.StatusCode)
	}
}

func TestOtherUsersGet404OnJobRoutes(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	loc := f.createJob(t, "alice", "Alice's job")
	token := f.csrfToken(t, "bob", "/jobs/new")
	b, ct := multipartBody(t, "x.csv", "a,b\n1,2\n")
	for _, c := range []struct {
		method, path string
		body         io.Reader
		ct           string
	}{
		{"GET", loc, nil, ""},
		{"GET", loc + "/status.json", nil, ""},
		{"GET", loc + "/dataset", nil, ""},
		{"POST", loc + "/delete", strings.NewReader("csrf_token=" + url.QueryEscape(token)), "application/x-www-form-urlencoded"},
		{"POST", loc + "/dataset?csrf_token=" + url.QueryEscape(token), b, ct},
	} {
		resp, _ := f.do(t, "bob", c.method, c.path, c.body, c.ct)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob %s %s: %d, want 404", c.method, c.path, resp.StatusCode)
		}
	}
	resp, _ := f.do(t, "", "GET", loc, nil, "")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d to %q, want redirect to login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := f.do(t, "alice", "GET", loc, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("owner lost access: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "alice", "GET", "/jobs/99999", nil, ""); resp.StatusCode != 404 {
		t.Fatalf("missing job: %d", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	resp, body := f.do(t, "", "GET", "/healthz", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	down := newFixture(t, 1<<20, pinger{err: errors.New("connection refused")})
	resp, body = down.do(t, "", "GET", "/healthz", nil, "")
	if resp.StatusCode != 503 || !strings.Contains(body, `"redis":"down"`) || strings.Contains(body, "refused") {
		t.Fatalf("healthz with Redis down: %d %s", resp.StatusCode, body)
	}
}

func TestPreviewShowsRowsAndColumnStats(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	ctx := context.Background()
	j, _ := f.st.CreateJob(ctx, f.alice.ID, "Preview", "")
	ds, _ := f.st.CreateDataset(ctx, j.ID, "p.csv", "/none", 10)
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"name", "born"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	var rows []jobs.Row
	for i := int64(1); i <= 120; i++ {
		rows = append(rows, jobs.Row{Num: i, Cells: []string{fmt.Sprintf("<b>Person %d</b>", i), "1900"}})
	}
	_ = f.st.AppendRows(ctx, ds.ID, rows, 120)
	ds.RowCount = 120
	_ = f.st.FinishImport(ctx, ds, []jobs.ColumnStats{{Name: "name", Filled: 120, Distinct: 120, Samples: []string{"<b>Person 1</b>"}}, {Name: "born", Filled: 60, Distinct: 1}})
	resp, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/dataset", j.ID), nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	for _, want := range []string{"Rows 1–50", "&lt;b&gt;Person 50&lt;/b&gt;", "50%", "after=50"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>Person") {
		t.Error("cell HTML was not escaped")
	}
	_, body = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/dataset?after=100", j.ID), nil, "")
	if !strings.Contains(body, "Rows 101–120") || strings.Contains(body, "Next rows") {
		t.Error("last page wrong")
	}
}

// importedJobFor makes a job of user u with an imported two-column dataset.
func (f *fixture) importedJobFor(t *testing.T, u *jobs.User) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	j, _ := f.st.CreateJob(ctx, u.ID, "Mapped", "")
	ds, _ := f.st.CreateDataset(ctx, j.ID, "m.csv", "/none", 10)
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"name", "born"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{{Num: 1, Cells: []string{"Ada", "1815"}}}, 1)
	ds.RowCount = 1
	_ = f.st.FinishImport(ctx, ds, nil)
	return j
}

func TestMappingFormWritesTemplate(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.importedJobFor(t, f.alice)
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	form := url.Values{
		"csrf_token": {f.csrfToken(t, "alice", path)},
		"role_0":     {"label"},
		"role_1":     {"property"}, "property_1": {"p569"}, "kind_1": {"time"},
		"languages": {"en, sv"}, "type_qid": {"q5"}, "auto_accept": {"0.92"},
		"stated_in": {"q1000"}, "reference_url": {"https://museum.example/p/{name}"}, "add_labels": {"on"},
	}
	resp, body := f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save mapping: %d %s", resp.StatusCode, body)
	}
	got, _ := f.st.Job(context.Background(), j.ID)
	var tmpl struct {
		Languages  []string                     `json:"languages"`
		Type       struct{ QID string }         `json:"type"`
		Columns    map[string]map[string]string `json:"columns"`
		AutoAccept struct{ Score float64 }      `json:"auto_accept"`
		Write      struct {
			StatedIn string `json:"stated_in"`
			Labels   struct {
				Column    string   `json:"column"`
				Languages []string `json:"languages"`
			} `json:"labels"`
		} `json:"write"`
	}
	if err := json.Unmarshal(got.Template, &tmpl); err != nil {
		t.Fatalf("stored template %s: %v", got.Template, err)
	}
	if strings.Join(tmpl.Languages, ",") != "en,sv" || tmpl.Type.QID != "Q5" || tmpl.Columns["name"]["role"] != "label" ||
		tmpl.Columns["born"]["property"] != "P569" || tmpl.Columns["born"]["kind"] != "time" || tmpl.AutoAccept.Score != 0.92 ||
		tmpl.Write.StatedIn != "Q1000" || tmpl.Write.Labels.Column != "name" || strings.Join(tmpl.Write.Labels.Languages, ",") != "en" {
		t.Fatalf("template %s", got.Template)
	}
	// The page shows the saved mapping back.
	_, body = f.do(t, "alice", "GET", path, nil, "")
	if !strings.Contains(body, `value="P569"`) || !strings.Contains(body, `value="Q5"`) || !strings.Contains(body, `value="Q1000"`) {
		t.Fatal("mapping page does not show the saved template")
	}
	// A write section that does not fit the dataset is refused with the reason.
	form.Set("reference_url", "https://museum.example/p/{nope}")
	form.Set("csrf_token", f.csrfToken(t, "alice", path))
	resp, body = f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), "column {nope} is not in the dataset") {
		t.Fatalf("bad reference URL: %d", resp.StatusCode)
	}
}

func TestReconcileActionsReachRunnerAndAreOwnerOnly(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	runner := &recordingRunner{}
	deps := f.deps()
	deps.Runner = runner
	f.serve(t, deps)
	j := f.importedJobFor(t, f.alice)
	for _, action := range []string{"start", "pause", "resume", "cancel"} {
		path := fmt.Sprintf("/jobs/%d/reconcile/%s", j.ID, action)
		bobToken := f.csrfToken(t, "bob", "/jobs/new")
		if resp, _ := f.do(t, "bob", "POST", path, strings.NewReader("csrf_token="+url.QueryEscape(bobToken)), "application/x-www-form-urlencoded"); resp.StatusCode != 404 {
			t.Errorf("bob %s: %d, want 404", action, resp.StatusCode)
		}
		token := f.csrfToken(t, "alice", fmt.Sprintf("/jobs/%d", j.ID))
		if resp, _ := f.do(t, "alice", "POST", path, strings.NewReader("csrf_token="+url.QueryEscape(token)), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("alice %s: %d", action, resp.StatusCode)
		}
	}
	want := fmt.Sprintf("start %d,pause %d,resume %d,cancel %d", j.ID, j.ID, j.ID, j.ID)
	if got := strings.Join(runner.actions, ","); got != want {
		t.Fatalf("runner saw %q, want %q", got, want)
	}
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
