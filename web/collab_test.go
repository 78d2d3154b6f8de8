package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/jobs/store"
)

// lockedBuffer collects the server's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// collabFixture is the web fixture with a third user, Carol, who belongs to
// nothing, and a server whose log is kept for inspection.
type collabFixture struct {
	*fixture
	carol *jobs.User
	log   *lockedBuffer
}

func newCollabFixture(t *testing.T) *collabFixture {
	t.Helper()
	f := newFixture(t, 1<<20, pinger{})
	carol, err := f.st.UpsertUser(context.Background(), &jobs.User{WikiUserID: "3", Username: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	deps := f.deps()
	deps.Logger, deps.TemplateCheck = slog.New(slog.NewTextHandler(logs, nil)), match.CheckTemplate
	deps.Auth = headerAuth{users: map[string]*jobs.User{"alice": f.alice, "bob": f.bob, "carol": carol}}
	f.serve(t, deps)
	return &collabFixture{fixture: f, carol: carol, log: logs}
}

// post sends a form with a valid CSRF token of user.
func (f *collabFixture) post(t *testing.T, user, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", f.csrfToken(t, user, "/templates"+"?csrf=1"))
	return f.do(t, user, "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

var flashRE = regexp.MustCompile(`class="flash (ok|error)"[^>]*>([^<]*)`)

// followFlash reads the flash the last redirect left, from the page it leads to.
func (f *collabFixture) followFlash(t *testing.T, user string, resp *http.Response) string {
	t.Helper()
	_, body := f.do(t, user, "GET", resp.Header.Get("Location"), nil, "")
	m := flashRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1] + ": " + html.UnescapeString(m[2])
}

// groupWithBob makes Alice's group with Bob as a member and Alice's
// reconciled job in it.
func (f *collabFixture) groupWithBob(t *testing.T) (*jobs.WorkingGroup, *jobs.Job) {
	t.Helper()
	ctx := context.Background()
	resp, body := f.post(t, "alice", "/groups", url.Values{"name": {"WMSE GLAM"}, "description": {"Museums"}, "wiki_page": {"https://meta.wikimedia.org/wiki/WMSE"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", resp.StatusCode, body)
	}
	gs, _ := f.st.GroupsOf(ctx, f.alice.ID)
	g := gs[0]
	resp, _ = f.post(t, "alice", fmt.Sprintf("/groups/%d/members", g.ID), url.Values{"username": {"bob"}, "role": {"member"}})
	if got := f.followFlash(t, "alice", resp); !strings.Contains(got, "Bob is now a member") {
		t.Fatalf("invite: %q", got)
	}
	j := f.reconciledJobFor(t, f.alice)
	resp, _ = f.post(t, "alice", fmt.Sprintf("/jobs/%d/group", j.ID), url.Values{"group_id": {fmt.Sprint(g.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move job: %d", resp.StatusCode)
	}
	j, _ = f.st.Job(ctx, j.ID)
	if j.GroupID != g.ID {
		t.Fatalf("job not in group: %+v", j)
	}
	return g, j
}

func TestGroupPagesAndMembership(t *testing.T) {
	f := newCollabFixture(t)
	g, j := f.groupWithBob(t)
	gp := fmt.Sprintf("/groups/%d", g.ID)

	// An invalid wiki link is refused with the form shown again.
	resp, body := f.post(t, "alice", "/groups", url.Values{"name": {"X"}, "wiki_page": {"javascript:alert(1)"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "https://") {
		t.Fatalf("bad wiki link: %d", resp.StatusCode)
	}
	// Inviting someone who never logged in says what to do.
	resp, _ = f.post(t, "alice", gp+"/members", url.Values{"username": {"Dora"}, "role": {"member"}})
	if got := f.followFlash(t, "alice", resp); !strings.Contains(got, "log in once") {
		t.Fatalf("unknown invitee: %q", got)
	}

	// Bob sees the group page with the job, its progress and statistics.
	resp, body = f.do(t, "bob", "GET", gp, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("bob group page: %d", resp.StatusCode)
	}
	for _, want := range []string{"WMSE GLAM", "Reviewed", "Alice", "Bob", `role="progressbar"`, `role="img"`, "<title id=\"group-outcome-title\">"} {
		if !strings.Contains(body, want) {
			t.Errorf("group page lacks %q", want)
		}
	}
	if strings.Contains(body, "Invite by wiki username") {
		t.Error("a member is shown the owner's forms")
	}
	// Bob works on the group job: job page, review, a decision.
	for _, p := range []string{"", "/review", "/status.json", "/stats", "/export/csv"} {
		if resp, _ := f.do(t, "bob", "GET", fmt.Sprintf("/jobs/%d%s", j.ID, p), nil, ""); resp.StatusCode != 200 {
			t.Errorf("bob GET job%s: %d", p, resp.StatusCode)
		}
	}
	resp, _ = f.post(t, "bob", fmt.Sprintf("/jobs/%d/review/row/2", j.ID), url.Values{"action": {"accept"}, "qid": {"Q100"}, "version": {"0"}})
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != 200 {
		t.Fatalf("bob decides: %d", resp.StatusCode)
	}
	if d, _ := f.st.Decision(context.Background(), j.ID, 2); d == nil || d.UserID != f.bob.ID {
		t.Fatalf("bob's decision not saved: %+v", d)
	}
	// …but what belongs to the owner stays with the owner.
	for _, p := range []string{"/delete", "/group", "/share", "/publish"} {
		if resp, _ := f.post(t, "bob", fmt.Sprintf("/jobs/%d%s", j.ID, p), url.Values{"group_id": {"0"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob POST job%s: %d, want 403", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/members", "/delete", "/edit", fmt.Sprintf("/members/%d/remove", f.alice.ID)} {
		if resp, _ := f.post(t, "bob", gp+p, url.Values{"username": {"Carol"}, "role": {"owner"}, "name": {"Mine"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("bob POST group%s: %d, want 403", p, resp.StatusCode)
		}
	}
	// "My jobs" data: the group job is among Bob's visible jobs.
	if list, _ := f.st.JobsVisibleTo(context.Background(), f.bob.ID, 10); len(list) != 1 || list[0].ID != j.ID {
		t.Fatalf("bob's jobs %+v", list)
	}

	// The last owner cannot leave or be demoted; after promoting Bob she can.
	resp, _ = f.post(t, "alice", gp+"/leave", nil)
	if got := f.followFlash(t, "alice", resp); !strings.Contains(got, "last owner") {
		t.Fatalf("last owner left: %q", got)
	}
	resp, _ = f.post(t, "alice", fmt.Sprintf("%s/members/%d/role", gp, f.alice.ID), url.Values{"role": {"member"}})
	if got := f.followFlash(t, "alice", resp); !strings.Contains(got, "last owner") {
		t.Fatalf("last owner demoted: %q", got)
	}
	resp, _ = f.post(t, "alice", fmt.Sprintf("%s/members/%d/role", gp, f.bob.ID), url.Values{"role": {"owner"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("promote bob: %d", resp.StatusCode)
	}
	// Bob leaves; he loses the group and its job at once.
	resp, _ = f.post(t, "bob", gp+"/leave", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/groups" {
		t.Fatalf("bob leaves: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{gp, fmt.Sprintf("/jobs/%d", j.ID), fmt.Sprintf("/api/v1/jobs/%d", j.ID)} {
		if resp, _ := f.do(t, "bob", "GET", p, nil, ""); resp.StatusCode != 404 {
			t.Errorf("bob after leaving GET %s: %d", p, resp.StatusCode)
		}
	}
}

func TestNonMembersGet404Everywhere(t *testing.T) {
	f := newCollabFixture(t)
	g, j := f.groupWithBob(t)
	_ = f.st.SetJobStatus(context.Background(), j.ID, jobs.JobReconciled, "")
	gp, jp := fmt.Sprintf("/groups/%d", g.ID), fmt.Sprintf("/jobs/%d", j.ID)
	gets := []string{gp, jp, jp + "/status.json", jp + "/review", jp + "/dataset", jp + "/mapping", jp + "/export.csv", jp + "/template", jp + "/columns",
		jp + "/stats", jp + "/export/csv", jp + "/export/json", jp + "/group", jp + "/share", jp + "/publish", gp + "/publish",
		"/api/v1/jobs/" + fmt.Sprint(j.ID), "/api/v1/jobs/" + fmt.Sprint(j.ID) + "/results", "/api/v1/jobs/" + fmt.Sprint(j.ID) + "/stats",
		"/api/v1/groups/" + fmt.Sprint(g.ID) + "/stats"}
	for _, p := range gets {
		resp, body := f.do(t, "carol", "GET", p, nil, "")
		if resp.StatusCode != 404 {
			t.Errorf("carol GET %s: %d, want 404", p, resp.StatusCode)
		}
		if strings.HasPrefix(p, "/api/") && !strings.Contains(body, `"code":"not_found"`) {
			t.Errorf("carol GET %s: not a JSON error: %s", p, body)
		}
	}
	posts := []string{gp + "/leave", gp + "/members", gp + "/delete", gp + "/edit", gp + "/publish", fmt.Sprintf("%s/members/%d/remove", gp, f.alice.ID),
		jp + "/delete", jp + "/group", jp + "/share", jp + "/share/1/revoke", jp + "/publish", jp + "/template", jp + "/columns", jp + "/review/row/1", jp + "/mapping"}
	for _, p := range posts {
		if resp, _ := f.post(t, "carol", p, url.Values{"username": {"Carol"}, "role": {"owner"}, "group_id": {fmt.Sprint(g.ID)}}); resp.StatusCode != 404 {
			t.Errorf("carol POST %s: %d, want 404", p, resp.StatusCode)
		}
	}
	// Moving one's own job into someone else's group is no back door.
	own := f.importedJobFor(t, f.carol)
	if resp, _ := f.post(t, "carol", fmt.Sprintf("/jobs/%d/group", own.ID), url.Values{"group_id": {fmt.Sprint(g.ID)}}); resp.StatusCode != 404 {
		t.Errorf("carol moves her job into alice's group: %d", resp.StatusCode)
	}
	if ms, _ := f.st.Members(context.Background(), g.ID); len(ms) != 2 {
		t.Fatalf("members changed: %+v", ms)
	}
}

// uploadTemplate posts a template file to the import form.
func (f *collabFixture) uploadTemplate(t *testing.T, user, name string, content []byte, fields url.Values) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = w.Close()
	token := f.csrfToken(t, user, "/templates/import")
	return f.do(t, user, "POST", "/templates/import?csrf_token="+url.QueryEscape(token), &b, w.FormDataContentType())
}

func TestTemplateLibraryThroughTheWeb(t *testing.T) {
	f := newCollabFixture(t)
	ctx := context.Background()
	j := f.reconciledJobFor(t, f.alice) // template maps name (label) and born (P569)
	_ = f.st.SetJobTemplate(ctx, j.ID, []byte(`{"version":1,"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`))

	resp, _ := f.post(t, "alice", fmt.Sprintf("/jobs/%d/template", j.ID), url.Values{"name": {"Painters"}, "description": {"artists with birth years"}, "visibility": {"public"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/templates/") {
		t.Fatalf("save template: %d", resp.StatusCode)
	}
	tp := resp.Header.Get("Location")
	// Public: Carol and anonymous visitors find it by type and property.
	for _, user := range []string{"carol", ""} {
		_, body := f.do(t, user, "GET", "/templates?type=Q5&property=P569", nil, "")
		if !strings.Contains(body, "Painters") {
			t.Errorf("%q does not find the public template", user)
		}
	}
	_, body := f.do(t, "carol", "GET", "/templates?property=P18", nil, "")
	if strings.Contains(body, "Painters") {
		t.Error("property filter ignored")
	}
	// Carol may not edit it; Alice saves version 2.
	if resp, _ := f.post(t, "carol", tp+"/versions", url.Values{"body": {`{"columns":{"x":{"role":"label"}}}`}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("carol edits: %d", resp.StatusCode)
	}
	resp, _ = f.post(t, "alice", tp+"/versions", url.Values{"body": {`{"columns":{"Name":{"role":"label"},"Born":{"property":"P569","kind":"time"},"ULAN":{"property":"P245","kind":"external-id"}}}`}, "note": {"capitalised"}})
	if got := f.followFlash(t, "alice", resp); !strings.Contains(got, "version 2") {
		t.Fatalf("new version: %q", got)
	}
	resp, _ = f.post(t, "alice", tp+"/versions", url.Values{"body": {`{"columns": [}`}})
	if got := f.followFlash(t, "alice", resp); !strings.HasPrefix(got, "error") {
		t.Fatalf("invalid JSON version: %q", got)
	}
	_, body = f.do(t, "carol", "GET", tp, nil, "")
	if !strings.Contains(body, "version 2 of 2") || !strings.Contains(body, "capitalised") || !strings.Contains(body, tp+"/versions/1") {
		t.Fatal("template page lacks versions")
	}

	// Export version 1 and import it back as Carol's private template.
	resp, exported := f.do(t, "carol", "GET", tp+"/export.json?version=1", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(exported, `"partnerhub_template": "1"`) {
		t.Fatalf("export: %d %s", resp.StatusCode, exported)
	}
	resp, body = f.uploadTemplate(t, "carol", "painters.json", []byte(exported), url.Values{"visibility": {"private"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	var mine []*jobs.JobTemplate
	found, _ := f.st.SearchTemplates(ctx, f.carol.ID, store.TemplateQuery{Text: "painters"})
	for _, t := range found {
		if t.Visibility == jobs.VisibilityPrivate {
			mine = append(mine, t)
		}
	}
	if len(mine) != 1 || mine[0].Name != "Painters" || mine[0].OwnerID != f.carol.ID {
		t.Fatalf("imported %+v", mine)
	}
	if resp, _ := f.do(t, "bob", "GET", fmt.Sprintf("/templates/%d", mine[0].ID), nil, ""); resp.StatusCode != 404 {
		t.Errorf("bob sees carol's private template: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		content []byte
		status  int
	}{
		{[]byte(`{"columns":`), http.StatusUnprocessableEntity},
		{[]byte(`{"partnerhub_template":"9","template":{"columns":{"a":{}}}}`), http.StatusUnprocessableEntity},
		{append([]byte(`{"columns":{"a":{"role":"label"}},"pad":"`), append(bytes.Repeat([]byte("x"), 300<<10), '"', '}')...), http.StatusRequestEntityTooLarge},
	} {
		if resp, _ := f.uploadTemplate(t, "carol", "bad.json", c.content, nil); resp.StatusCode != c.status {
			t.Errorf("import %.30q: %d, want %d", c.content, resp.StatusCode, c.status)
		}
	}
	b, ct := multipartBody(t, "x.json", `{"columns":{"a":{"role":"label"}}}`)
	if resp, _ := f.do(t, "carol", "POST", "/templates/import", b, ct); resp.StatusCode != http.StatusForbidden {
		t.Errorf("import without CSRF token: %d", resp.StatusCode)
	}

	// Carol starts a job from version 2; her file renamed the columns.
	resp, _ = f.post(t, "carol", tp+"/start", url.Values{"version": {"2"}, "title": {"Carol's painters"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start from template: %d", resp.StatusCode)
	}
	var jobID int64
	fmt.Sscanf(resp.Header.Get("Location"), "/jobs/%d", &jobID)
	v2, _ := f.st.TemplateVersionByNumber(ctx, mustID(t, tp), 2)
	if got, _ := f.st.JobTemplateVersion(ctx, jobID); got != v2.ID {
		t.Fatalf("job records version %d, want %d", got, v2.ID)
	}
	ds, _ := f.st.CreateDataset(ctx, jobID, "c.csv", "/none", 1)
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"name", "birth year", "ulan id", "notes"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{{Num: 1, Cells: []string{"Ada", "1815", "500", ""}}}, 1)
	ds.RowCount = 1
	_ = f.st.FinishImport(ctx, ds, nil)
	cp := fmt.Sprintf("/jobs/%d/columns", jobID)
	_, body = f.do(t, "carol", "GET", cp, nil, "")
	for _, want := range []string{"<code>Born</code>", "<code>ULAN</code>", "perhaps renamed to <code>ulan id</code>", "<code>notes</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("columns page lacks %q", want)
		}
	}
	// Columns are Born, Name, ULAN in sorted order: map_0 = Born, map_1 = Name, map_2 = ULAN.
	resp, _ = f.post(t, "carol", cp, url.Values{"map_0": {"birth year"}, "map_1": {"name"}})
	if got := f.followFlash(t, "carol", resp); !strings.HasPrefix(got, "error") {
		t.Fatalf("unmapped ULAN accepted: %q", got)
	}
	if j2, _ := f.st.Job(ctx, jobID); len(j2.Template) != 0 {
		t.Fatal("a mapping was stored while a column was missing")
	}
	resp, _ = f.post(t, "carol", cp, url.Values{"map_0": {"birth year"}, "map_1": {"name"}, "map_2": {"ulan id"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply columns: %d", resp.StatusCode)
	}
	j2, _ := f.st.Job(ctx, jobID)
	var stored struct {
		Columns map[string]map[string]string `json:"columns"`
	}
	_ = json.Unmarshal(j2.Template, &stored)
	if stored.Columns["birth year"]["property"] != "P569" || stored.Columns["ulan id"]["property"] != "P245" || stored.Columns["name"]["role"] != "label" {
		t.Fatalf("renamed template %s", j2.Template)
	}
}

func mustID(t *testing.T, path string) int64 {
	var id int64
	if _, err := fmt.Sscanf(path, "/templates/%d", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestShareLinkLifecycleAndAPI(t *testing.T) {
	f := newCollabFixture(t)
	ctx := context.Background()
	g, j := f.groupWithBob(t)
	other := f.reconciledJobFor(t, f.alice)
	_, _ = f.st.Decide(ctx, j.ID, 2, jobs.DecisionAccept, "Q100", f.bob.ID, 0)

	resp, body := f.post(t, "alice", fmt.Sprintf("/jobs/%d/share", j.ID), url.Values{"label": {"museum registrar"}})
	m := regexp.MustCompile(`value="(https?://[^"]+/share/([A-Za-z0-9_-]{43}))"`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create share link: %d", resp.StatusCode)
	}
	token := m[2]
	// Anyone with the link, no account: summary, statistics, downloads.
	resp, body = f.do(t, "", "GET", "/share/"+token, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Reviewed") || !strings.Contains(body, `data-stat="linked"`) || !strings.Contains(body, "/export/csv") {
		t.Fatalf("share page: %d", resp.StatusCode)
	}
	if strings.Contains(body, "Bob") || strings.Contains(body, "Alice") {
		t.Error("share page names people")
	}
	resp, body = f.do(t, "", "GET", "/share/"+token+"/export/csv", nil, "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 4 {
		t.Fatalf("share CSV: %d %v %q", resp.StatusCode, err, body)
	}
	if recs[2][0] != `'=HYPERLINK("http://evil")` || recs[2][2] != "Q100" || recs[1][2] != "Q231092" || strings.Contains(body, "Bob") {
		t.Fatalf("share CSV rows %q", recs)
	}
	resp, body = f.do(t, "", "GET", "/share/"+token+"/export/jsonl", nil, "")
	if resp.StatusCode != 200 || strings.Count(body, "\n") != 3 || !strings.Contains(body, `"wikidata_qid":"Q100"`) {
		t.Fatalf("share JSON Lines: %d %s", resp.StatusCode, body)
	}

	// The API with the token sees that job only, read-only.
	api := func(path, auth string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	if code, out := api("/api/v1/jobs", "Bearer "+token); code != 200 || len(out["jobs"].([]any)) != 1 {
		t.Fatalf("token job list: %d %v", code, out)
	}
	if code, _ := api(fmt.Sprintf("/api/v1/jobs/%d", other.ID), "Bearer "+token); code != 404 {
		t.Fatalf("token opens another job: %d", code)
	}
	if code, _ := api(fmt.Sprintf("/api/v1/groups/%d/stats", g.ID), "Bearer "+token); code != 404 {
		t.Fatalf("token opens group stats: %d", code)
	}
	code, out := api(fmt.Sprintf("/api/v1/jobs/%d/stats?token=%s", j.ID, token), "")
	if code != 200 || out["linked"].(float64) != 2 || out["decisions_by_reviewer"] != nil {
		t.Fatalf("token stats: %d %v", code, out)
	}
	// Results by keyset: 3 rows in pages of 2.
	code, out = api(fmt.Sprintf("/api/v1/jobs/%d/results?limit=2", j.ID), "Bearer "+token)
	if code != 200 || len(out["results"].([]any)) != 2 || out["next_after"].(float64) != 2 {
		t.Fatalf("results page 1: %d %v", code, out)
	}
	code, out = api(fmt.Sprintf("/api/v1/jobs/%d/results?limit=2&after=2", j.ID), "Bearer "+token)
	if code != 200 || len(out["results"].([]any)) != 1 || out["next_after"] != nil {
		t.Fatalf("results page 2: %d %v", code, out)
	}
	if code, _ := api(fmt.Sprintf("/api/v1/jobs/%d/results?limit=5000", j.ID), "Bearer "+token); code != 422 {
		t.Fatalf("oversized page: %d", code)
	}
	if code, _ := api("/api/v1/jobs", ""); code != 401 {
		t.Fatalf("anonymous API: %d", code)
	}
	if code, _ := api("/api/v1/jobs", "Basic abc"); code != 403 {
		t.Fatalf("basic auth: %d", code)
	}

	// Revoked: page, downloads and API all answer 404.
	links, _ := f.st.ShareLinks(ctx, j.ID)
	resp, _ = f.post(t, "alice", fmt.Sprintf("/jobs/%d/share/%d/revoke", j.ID, links[0].ID), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	for _, p := range []string{"/share/" + token, "/share/" + token + "/export/csv", "/share/nonsense"} {
		if resp, _ := f.do(t, "", "GET", p, nil, ""); resp.StatusCode != 404 {
			t.Errorf("after revoke GET %s: %d", p, resp.StatusCode)
		}
	}
	if code, _ := api("/api/v1/jobs", "Bearer "+token); code != 404 {
		t.Fatalf("revoked token in API: %d", code)
	}
	// The page managing links shows no token, and no log line holds one.
	_, body = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/share", j.ID), nil, "")
	if strings.Contains(body, token) || !strings.Contains(body, "revoked") {
		t.Error("links page shows the token or not its state")
	}
	if strings.Contains(f.log.String(), token) || !strings.Contains(f.log.String(), "/share/[token]") {
		t.Errorf("token in the log, or share requests not logged:\n%s", f.log.String())
	}
}

func TestAPIWithSession(t *testing.T) {
	f := newCollabFixture(t)
	_, j := f.groupWithBob(t)
	own := f.importedJobFor(t, f.bob)
	_, body := f.do(t, "bob", "GET", "/api/v1/jobs", nil, "")
	var list struct {
		Jobs []struct {
			ID     int64
			Status string
		}
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Jobs) != 2 || list.Jobs[0].ID != own.ID || list.Jobs[1].ID != j.ID {
		t.Fatalf("bob's API jobs: %s", body)
	}
	resp, body := f.do(t, "bob", "GET", fmt.Sprintf("/api/v1/jobs/%d", j.ID), nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"matched":1`) || !strings.Contains(body, `"columns":["name","born"]`) {
		t.Fatalf("job status: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "bob", "GET", fmt.Sprintf("/api/v1/jobs/%d/stats", j.ID), nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"decisions_by_reviewer":[]`) {
		t.Fatalf("member stats: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "carol", "GET", "/api/v1/jobs", nil, ""); resp.StatusCode != 200 {
		t.Fatalf("carol's empty list: %d", resp.StatusCode)
	}
}

func TestShowcasePublishing(t *testing.T) {
	f := newCollabFixture(t)
	ctx := context.Background()
	g, j := f.groupWithBob(t)
	jp := fmt.Sprintf("/jobs/%d/publish", j.ID)
	form := url.Values{"title": {"Swedish painters"}, "partner_name": {"Nationalmuseum"}, "partner_type": {"museum"}, "country": {"se"}, "subject_qid": {"Q3305213"}, "dataset_summary": {"3 painters"}}
	if resp, _ := f.post(t, "alice", jp, form); resp.StatusCode != http.StatusConflict {
		t.Fatalf("unfinished job published: %d", resp.StatusCode)
	}
	_ = f.st.SetJobStatus(ctx, j.ID, jobs.JobReconciled, "")
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("country", "Sweden")
	if resp, body := f.post(t, "alice", jp, bad); resp.StatusCode != 422 || !strings.Contains(body, "two-letter") {
		t.Fatalf("bad country: %d", resp.StatusCode)
	}
	resp, _ := f.post(t, "alice", jp, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	cp := resp.Header.Get("Location")
	resp, body := f.do(t, "", "GET", cp, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Nationalmuseum") || !strings.Contains(body, `role="img"`) || strings.Contains(body, "Bob") {
		t.Fatalf("case study page: %d", resp.StatusCode)
	}
	if resp, _ := f.post(t, "alice", fmt.Sprintf("/groups/%d/publish", g.ID), url.Values{"title": {"WMSE"}, "partner_name": {"Many archives"}, "partner_type": {"archive"}, "country": {"DE"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish group: %d", resp.StatusCode)
	}
	for q, want := range map[string]string{"": "Swedish painters|WMSE", "?type=museum": "Swedish painters", "?country=de": "WMSE", "?subject=Q3305213": "Swedish painters", "?country=FR": ""} {
		_, body := f.do(t, "", "GET", "/showcase"+q, nil, "")
		for _, title := range []string{"Swedish painters", "WMSE"} {
			if strings.Contains(want, title) != strings.Contains(body, ">"+title+"</a>") {
				t.Errorf("showcase%s: %q listed=%v", q, title, !strings.Contains(want, title))
			}
		}
	}
	var cid int64
	fmt.Sscanf(cp, "/showcase/%d", &cid)
	if resp, _ := f.post(t, "bob", cp+"/unpublish", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob unpublishes: %d", resp.StatusCode)
	}
	if resp, _ := f.post(t, "alice", cp+"/unpublish", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unpublish: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "", "GET", cp, nil, ""); resp.StatusCode != 404 {
		t.Fatalf("unpublished case study still shown: %d", resp.StatusCode)
	}
	_, body = f.do(t, "", "GET", "/stats", nil, "")
	if !strings.Contains(body, `data-stat="rows">3<`) || strings.Contains(body, "Bob") {
		t.Fatal("tool statistics")
	}
}

// TestCollabPagesRender opens every page of this feature as the people who
// may see it: each renders, with a heading and labelled form fields.
func TestCollabPagesRender(t *testing.T) {
	f := newCollabFixture(t)
	ctx := context.Background()
	g, j := f.groupWithBob(t)
	tmpl, err := f.st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: f.alice.ID, GroupID: g.ID, Name: "Group mapping", Visibility: jobs.VisibilityGroup}, j.Template)
	if err != nil {
		t.Fatal(err)
	}
	started, _ := f.st.CreateJobFromTemplate(ctx, f.bob.ID, g.ID, "From template", "", tmpl.VersionID)
	inputRE := regexp.MustCompile(`<(input|select|textarea)\b[^>]*\bid="([^"]+)"`)
	for _, c := range []struct{ user, path string }{
		{"alice", "/groups"}, {"bob", fmt.Sprintf("/groups/%d", g.ID)}, {"alice", fmt.Sprintf("/groups/%d", g.ID)}, {"alice", fmt.Sprintf("/groups/%d/publish", g.ID)},
		{"alice", "/templates"}, {"", "/templates"}, {"bob", fmt.Sprintf("/templates/%d", tmpl.ID)}, {"alice", "/templates/import"},
		{"alice", fmt.Sprintf("/jobs/%d", j.ID)}, {"bob", fmt.Sprintf("/jobs/%d", j.ID)}, {"alice", fmt.Sprintf("/jobs/%d/template", j.ID)},
		{"bob", fmt.Sprintf("/jobs/%d/template", started.ID)}, {"alice", fmt.Sprintf("/jobs/%d/group", j.ID)}, {"alice", fmt.Sprintf("/jobs/%d/share", j.ID)},
		{"alice", fmt.Sprintf("/jobs/%d/publish", j.ID)}, {"bob", fmt.Sprintf("/jobs/%d/stats", j.ID)}, {"", "/showcase"}, {"", "/stats"},
	} {
		resp, body := f.do(t, c.user, "GET", c.path, nil, "")
		if resp.StatusCode != 200 {
			t.Errorf("%s GET %s: %d", c.user, c.path, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, "<h1") {
			t.Errorf("%s: no heading", c.path)
		}
		for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+m[2]+`"`) {
				t.Errorf("%s: field %s has no label", c.path, m[2])
			}
		}
	}
	// Bob's page of the job he started names the template it came from.
	_, body := f.do(t, "bob", "GET", fmt.Sprintf("/jobs/%d/template", started.ID), nil, "")
	if !strings.Contains(body, "Group mapping, version 1") {
		t.Error("job template page does not name its origin")
	}
}

func TestExpiredShareLinkIs404(t *testing.T) {
	f := newCollabFixture(t)
	j := f.reconciledJobFor(t, f.alice)
	// Expiry is against the clock: the link works while the clock says it
	// is valid and not once the clock has passed it, however slow the machine.
	expires := time.Now().Add(time.Second)
	token, _, err := f.st.CreateShareLink(context.Background(), j.ID, f.alice.ID, "", expires)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.do(t, "", "GET", "/share/"+token, nil, ""); resp.StatusCode != 200 && time.Now().Before(expires) {
		t.Fatalf("before expiry: %d", resp.StatusCode)
	}
	for time.Now().Before(expires.Add(time.Millisecond)) {
		time.Sleep(time.Until(expires) + time.Millisecond) // until the clock has passed the expiry
	}
	for _, p := range []string{"/share/" + token, "/share/" + token + "/export/json", "/api/v1/jobs?token=" + token} {
		if resp, _ := f.do(t, "", "GET", p, nil, ""); resp.StatusCode != 404 {
			t.Errorf("expired GET %s: %d", strings.Replace(p, token, "…", 1), resp.StatusCode)
		}
	}
	// The owner's form refuses an expiry date in the past.
	resp, body := f.post(t, "alice", fmt.Sprintf("/jobs/%d/share", j.ID), url.Values{"expires": {"2001-01-01"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "future") {
		t.Fatalf("past expiry: %d", resp.StatusCode)
	}
}

// TestOneTemplateCheckEverywhere: the library's import, its new versions and
// a job's mapping refuse the same templates with the same sentences, and
// store nothing (issue 14).
func TestOneTemplateCheckEverywhere(t *testing.T) {
	f := newCollabFixture(t)
	ctx := context.Background()
	j := f.importedJobFor(t, f.alice)
	good := `{"columns":{"name":{"role":"label"}}}`
	tmpl, err := f.st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: f.alice.ID, Visibility: jobs.VisibilityPrivate, Name: "Base"}, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	tp := fmt.Sprintf("/templates/%d", tmpl.ID)
	cases := []struct{ name, body, want string }{
		{"languages 5", `{"languages":5,"columns":{"name":{"role":"label"}}}`, `languages must be a list of texts, like ["en", "sv"], not a number`},
		{"score high", `{"auto_accept":{"score":"high"},"columns":{"name":{"role":"label"}}}`, "auto_accept.score must be a number, not a text"},
		{"1e400", `{"auto_accept":{"score":1e400},"columns":{"name":{"role":"label"}}}`, "auto_accept.score: 1e400 is not usable here (want a number)"},
		{"kind weird", `{"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"weird"}}}`, `column "born": unknown kind "weird"`},
		{"javascript endpoint", `{"wikibase":{"sparql_endpoint":"javascript:alert(1)"},"columns":{"name":{"role":"label"}}}`, `wikibase sparql_endpoint "javascript:alert(1)" is not an http(s) URL`},
		{"misspelt endpoint", `{"wikibase":{"endpoint":"https://query.example.org/sparql"},"columns":{"name":{"role":"label"}}}`, "unknown key wikibase.endpoint (check its spelling)"},
		{"misspelt write key", `{"columns":{"name":{"role":"label"}},"write":{"stated_in":"Q1","refrence_url":"https://x.example/{name}"}}`, "unknown key write.refrence_url (check its spelling)"},
		{"write stated_in 5", `{"columns":{"name":{"role":"label"}},"write":{"stated_in":5}}`, "write.stated_in must be"},
		{"write stated_in not an item", `{"columns":{"name":{"role":"label"}},"write":{"stated_in":"database"}}`, `"stated_in" must be the item of the partner's database, like Q123`},
		{"3 MB", `{"columns":{"name":{"role":"label"}},"write":{"summary":"` + strings.Repeat("x", 3<<20) + `"}}`, "256 KB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Library import.
			resp, body := f.uploadTemplate(t, "alice", "t.json", []byte(c.body), url.Values{"visibility": {"private"}, "name": {"Bad " + c.name}})
			if resp.StatusCode < 400 || !strings.Contains(html.UnescapeString(body), c.want) {
				t.Errorf("import: %d, page lacks %q", resp.StatusCode, c.want)
			}
			if strings.Contains(body, "json: ") || strings.Contains(body, "Go struct") {
				t.Errorf("import shows Go's error text")
			}
			// New version.
			resp, _ = f.post(t, "alice", tp+"/versions", url.Values{"body": {c.body}})
			if got := f.followFlash(t, "alice", resp); !strings.HasPrefix(got, "error") || !strings.Contains(got, c.want) {
				t.Errorf("new version: flash %.200q lacks %q", got, c.want)
			}
			// The job's mapping.
			form := url.Values{"use_json": {"on"}, "template_json": {c.body}, "csrf_token": {f.csrfToken(t, "alice", fmt.Sprintf("/jobs/%d/mapping", j.ID))}}
			resp, body = f.do(t, "alice", "POST", fmt.Sprintf("/jobs/%d/mapping", j.ID), strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
			if resp.StatusCode < 400 || !strings.Contains(html.UnescapeString(body), c.want) {
				t.Errorf("mapping: %d, page lacks %q", resp.StatusCode, c.want)
			}
		})
	}
	// Write settings that name columns a dataset will have are a library
	// template's business: they are checked once it is applied to one.
	fits := `{"columns":{"name":{"role":"label"},"inv":{"property":"P217","kind":"external-id"}},"write":{"stated_in":"Q1","reference_url":"https://x.example/{inv}","labels":{"column":"name","languages":["en"]}}}`
	if resp, body := f.uploadTemplate(t, "alice", "t.json", []byte(fits), url.Values{"visibility": {"private"}, "name": {"Fits later"}}); resp.StatusCode >= 400 {
		t.Errorf("library import of a template with write settings: %d %.300s", resp.StatusCode, body)
	}
	found, _ := f.st.SearchTemplates(ctx, f.alice.ID, store.TemplateQuery{Text: "Bad"})
	if len(found) != 0 {
		t.Errorf("refused templates stored: %d", len(found))
	}
	if got, _ := f.st.Template(ctx, tmpl.ID); got.Version != 1 {
		t.Errorf("refused versions stored: now version %d", got.Version)
	}
	if got, _ := f.st.Job(ctx, j.ID); strings.Contains(string(got.Template), "weird") || strings.Contains(string(got.Template), "endpoint\"") {
		t.Errorf("refused mapping stored: %s", got.Template)
	}
}
