package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/web"
)

// recordingMedia creates plans in the store (as tasks.Runner does) and
// records the other actions.
type recordingMedia struct {
	mu      sync.Mutex
	actions []string
	st      interface {
		CreateMediaPlan(ctx context.Context, p *jobs.MediaPlan) (*jobs.MediaPlan, error)
		ApproveMediaPlan(ctx context.Context, planID, userID int64, fileNos []int64) error
	}
}

func (r *recordingMedia) rec(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, s)
}
func (r *recordingMedia) BuildMediaPlan(ctx context.Context, p *jobs.MediaPlan) (*jobs.MediaPlan, error) {
	r.rec(fmt.Sprintf("build %d %s %s p18=%v", p.JobID, p.SourceKind, p.SourceColumn, p.ProposeP18))
	return r.st.CreateMediaPlan(ctx, p)
}
func (r *recordingMedia) ApproveMediaPlan(ctx context.Context, planID int64, u *jobs.User, files []int64) error {
	r.rec(fmt.Sprintf("approve %d %v %s", planID, files, u.Username))
	return r.st.ApproveMediaPlan(ctx, planID, u.ID, files)
}
func (r *recordingMedia) StartMediaUpload(_ context.Context, planID int64, u *jobs.User) error {
	r.rec(fmt.Sprintf("start %d %s", planID, u.Username))
	return nil
}
func (r *recordingMedia) PauseMediaUpload(_ context.Context, planID int64) error {
	r.rec(fmt.Sprintf("pause %d", planID))
	return nil
}
func (r *recordingMedia) CancelMediaUpload(_ context.Context, planID int64) error {
	r.rec(fmt.Sprintf("cancel %d", planID))
	return nil
}

func (f *fixture) mediaJobFor(t *testing.T, u *jobs.User, kind string) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	j, _ := f.st.CreateJob(ctx, u.ID, "Paintings", "")
	tmpl := `{"version":1,"columns":{"name":{"role":"label"}},"media":{"source":{"kind":"` + kind + `","column":"image"},
		"title":"{name}.{ext}","license":{"template":"{{cc-zero}}","qid":"Q6938433"},"captions":{"en":"{name}"}}}`
	if err := f.st.SetJobTemplate(ctx, j.ID, []byte(tmpl)); err != nil {
		t.Fatal(err)
	}
	f.mediaDataset(t, j.ID)
	return j
}

// mediaDataset imports a one-row dataset (name, image URL) into a job.
func (f *fixture) mediaDataset(t *testing.T, jobID int64) *jobs.Dataset {
	t.Helper()
	ctx := context.Background()
	ds, err := f.st.CreateDataset(ctx, jobID, "p.csv", "/none", 10)
	if err != nil {
		t.Fatal(err)
	}
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"name", "image"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{{Num: 1, Cells: []string{"Portrait", "https://example.org/1.jpg"}}}, 1)
	ds.RowCount = 1
	_ = f.st.FinishImport(ctx, ds, nil)
	ds, err = f.st.DatasetOfJob(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func mediaServer(t *testing.T, f *fixture, dataDir string) *recordingMedia {
	rm := &recordingMedia{st: f.st}
	mediaServerWith(t, f, dataDir, rm)
	return rm
}

// mediaServerWith serves the fixture with runner for media plans.
func mediaServerWith(t *testing.T, f *fixture, dataDir string, rm web.MediaRunner) {
	d := f.deps()
	d.Media = rm
	f.srv.Config.Handler = newHandler(t, d, func(c *web.Config) { c.DataDir, c.MaxArchiveBytes = dataDir, 64<<10 })
}

func TestMediaPlanPage(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	rm := mediaServer(t, f, t.TempDir())
	j := f.mediaJobFor(t, f.alice, "url")
	ctx := context.Background()
	path := fmt.Sprintf("/jobs/%d/media", j.ID)

	resp, body := f.do(t, "alice", "GET", path, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "Plan the media upload from the column") {
		t.Fatalf("media page %d:\n%s", resp.StatusCode, body)
	}
	// others see nothing, and change nothing
	token := f.csrfToken(t, "alice", path)
	bobToken := f.csrfToken(t, "bob", "/jobs/new")
	for _, c := range []struct{ method, path, body string }{
		{"GET", path, ""}, {"POST", path, "csrf_token=" + url.QueryEscape(bobToken)},
		{"POST", path + "/approve", "plan=1&csrf_token=" + url.QueryEscape(bobToken)},
		{"POST", path + "/upload/cancel", "plan=1&csrf_token=" + url.QueryEscape(bobToken)},
	} {
		if resp, _ := f.do(t, "bob", c.method, c.path, strings.NewReader(c.body), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob %s %s: %d, want 404", c.method, c.path, resp.StatusCode)
		}
	}
	// state changes need the CSRF token
	for _, p := range []string{path, path + "/approve", path + "/upload/pause"} {
		if resp, _ := f.do(t, "alice", "POST", p, strings.NewReader("plan=1"), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without token: %d, want 403", p, resp.StatusCode)
		}
	}
	if len(rm.actions) != 0 {
		t.Fatalf("refused requests reached the runner: %v", rm.actions)
	}
	post := func(p string, form url.Values) *http.Response {
		form.Set("csrf_token", token)
		resp, _ := f.do(t, "alice", "POST", p, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		return resp
	}
	if resp := post(path, url.Values{"propose_p18": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("build: %d", resp.StatusCode)
	}
	p, err := f.st.LatestMediaPlan(ctx, j.ID)
	if err != nil || !p.ProposeP18 || p.SourceColumn != "image" || !strings.Contains(string(p.Settings), "{name}.{ext}") {
		t.Fatalf("plan %+v %v", p, err)
	}
	// the builder's result, as the page shows it
	s, _ := media.ParseSettings(p.Settings, []string{"name", "image"})
	good := s.PlanFile(1, media.Row{Num: 1, QID: "Q42", Values: map[string]string{"name": "<b>Portrait</b> | {{x}}"}}, "https://example.org/1.jpg",
		media.FileInfo{SHA1: "ab", Size: 2048, ContentType: "image/jpeg", Width: 3, Height: 4}, nil, 1<<20)
	bad := s.PlanFile(2, media.Row{Num: 2, Values: map[string]string{"name": "X"}}, "https://example.org/2.jpg",
		media.FileInfo{Size: 10, ContentType: "image/jpeg"}, nil, 1<<20)
	if err := f.st.AddMediaFiles(ctx, p.ID, []jobs.MediaFile{good, bad}, 2); err != nil {
		t.Fatal(err)
	}
	_ = f.st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
	_, body = f.do(t, "alice", "GET", path, nil, "")
	page := html.UnescapeString(body)
	if good.Title != "-b-Portrait--b- - --x--.jpg" {
		t.Fatalf("title %q", good.Title)
	}
	for _, want := range []string{"File:" + good.Title, "&#124;", "+ caption (en): <b>Portrait</b> | {{x}}", "+ P180 (depicts): Q42",
		"+ P275 (copyright license): Q6938433", "blocked: Row 2 has no accepted item", "Approve and upload the 1 files", "2.0 KiB"} {
		if !strings.Contains(page, want) {
			t.Errorf("media page lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>Portrait</b>") {
		t.Fatal("a dataset value reached the page unescaped")
	}
	if resp := post(path+"/approve", url.Values{"plan": {"999"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stale approve: %d", resp.StatusCode)
	}
	if resp := post(path+"/approve", url.Values{"plan": {fmt.Sprint(p.ID)}, "scope": {"selected"}, "file": {"1", "2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if got, _ := f.st.MediaFile(ctx, p.ID, 2); got.Status != jobs.MediaBlocked {
		t.Fatalf("approving selected a blocked file: %s", got.Status)
	}
	if resp := post(path+"/upload/pause", url.Values{"plan": {fmt.Sprint(p.ID)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause: %d", resp.StatusCode)
	}
	want := fmt.Sprintf("build %d url image p18=true,approve %d [1 2] Alice,pause %d", j.ID, p.ID, p.ID)
	if got := strings.Join(rm.actions, ","); got != want {
		t.Fatalf("actions %q, want %q", got, want)
	}
}

func archiveForm(t *testing.T, entries map[string][]byte, pad int) (*bytes.Buffer, string) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range entries {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		w.Write(body)
	}
	zw.Close()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("propose_p18", "1")
	fw, _ := w.CreateFormFile("archive", "photos.zip")
	fw.Write(zb.Bytes())
	fw.Write(make([]byte, pad))
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func TestMediaPlanFromArchive(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	dataDir := t.TempDir()
	rm := mediaServer(t, f, dataDir)
	j := f.mediaJobFor(t, f.alice, "zip")
	path := fmt.Sprintf("/jobs/%d/media", j.ID)
	token := f.csrfToken(t, "alice", path)
	send := func(body io.Reader, ct string) string {
		resp, _ := f.do(t, "alice", "POST", path+"?csrf_token="+url.QueryEscape(token), body, ct)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post archive: %d", resp.StatusCode)
		}
		_, page := f.do(t, "alice", "GET", path, nil, "")
		return html.UnescapeString(page)
	}
	for _, c := range []struct {
		name    string
		entries map[string][]byte
		pad     int
		want    string
	}{
		{"zip slip", map[string][]byte{"../../evil.jpg": []byte("x")}, 0, "points outside the archive"},
		{"nested", map[string][]byte{"inner.zip": []byte("x")}, 0, "is an archive itself"},
		{"too large", map[string][]byte{"a.jpg": []byte("x")}, 70 << 10, "larger than 64.0 KiB"},
	} {
		b, ct := archiveForm(t, c.entries, c.pad)
		if page := send(b, ct); !strings.Contains(page, c.want) {
			t.Errorf("%s: the page does not say %q", c.name, c.want)
		}
	}
	if len(rm.actions) != 0 {
		t.Fatalf("a refused archive reached the runner: %v", rm.actions)
	}
	if left, _ := os.ReadDir(filepath.Join(dataDir, media.ArchiveDir)); len(left) != 0 {
		t.Fatalf("refused archives left on disk: %d", len(left))
	}
	b, ct := archiveForm(t, map[string][]byte{"photos/1.jpg": {0xff, 0xd8, 0xff}}, 0)
	send(b, ct)
	p, err := f.st.LatestMediaPlan(context.Background(), j.ID)
	if err != nil || p.SourceKind != jobs.MediaFromZip || p.ArchiveName != "photos.zip" || len(p.ArchiveSHA1) != 40 || !p.ProposeP18 {
		t.Fatalf("plan %+v %v", p, err)
	}
	full, err := media.ArchivePath(dataDir, p.ArchivePath)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(full); err != nil || st.Size() != p.ArchiveSize {
		t.Fatalf("stored archive: %v %v", st, err)
	}
}
