package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
)

// uploadVersion posts a file with the upload form's reading choices, as a
// browser sends them (choices before the file).
func (f *fixture) uploadVersion(t *testing.T, jobID int64, name, content string, choices map[string]string) *jobs.Dataset {
	t.Helper()
	_, page := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d", jobID), nil, "")
	m := regexp.MustCompile(`action="(/jobs/\d+/dataset\?csrf_token=[^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no upload form")
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range []string{"encoding", "delimiter", "sheet"} {
		_ = w.WriteField(k, choices[k])
	}
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	resp, body := f.do(t, "alice", "POST", html.UnescapeString(m[1]), &b, w.FormDataContentType())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	ds, err := f.st.Dataset(context.Background(), f.queue.imports[len(f.queue.imports)-1])
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestRefreshThroughTheWeb(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	ctx := context.Background()
	j := f.reconciledJobFor(t, f.alice) // version 1: three rows, reconciled
	if done, err := f.st.FinishReconciliationIfDone(ctx, j.ID); !done || err != nil {
		t.Fatal("setup: not reconciled", err)
	}
	im := dataset.NewImporter(f.st, dataset.Limits{}, nil)
	jobPage := func() string {
		_, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d", j.ID), nil, "")
		return html.UnescapeString(body)
	}

	// A failed new version: the page says what happened and that nothing changed.
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	ds := f.uploadVersion(t, j.ID, "v2.csv", png, map[string]string{"encoding": "windows-1252", "delimiter": "semicolon"})
	if ds.Current || ds.Version != 2 || ds.Options != `{"encoding":"windows-1252","delimiter":59}` {
		t.Fatalf("new version: current=%v version=%d options=%s", ds.Current, ds.Version, ds.Options)
	}
	if body := jobPage(); !strings.Contains(body, "Version 2 (v2.csv) is being imported beside the current one") {
		t.Error("job page does not say version 2 is importing")
	}
	if got, _ := f.st.Job(ctx, j.ID); got.Status != jobs.JobReconciled {
		t.Errorf("job status %s after the upload", got.Status)
	}
	_ = im.Import(ctx, ds.ID, dataset.Options{})
	body := jobPage()
	for _, want := range []string{"Version 2 (v2.csv) could not be imported.", "this is a PNG image", "Nothing changed: the job still uses version 1 (3 rows)"} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	_, status := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/status.json", j.ID), nil, "")
	if !strings.Contains(status, `"new_version":{"error":"this is a PNG image`) || !strings.Contains(status, `"rows":3`) {
		t.Errorf("status.json: %s", status)
	}

	// A good new version replaces the first; the page says what changed.
	v2 := "name,born\nHilma af Klint,1862\n\"=HYPERLINK(\"\"http://evil\"\")\",1840\nUnknown,1999\nNew Person,1900\n"
	ds = f.uploadVersion(t, j.ID, "v2.csv", v2, nil)
	if err := im.Import(ctx, ds.ID, dataset.Options{}); err != nil {
		t.Fatal(err)
	}
	body = jobPage()
	for _, want := range []string{"Version 2 replaced version 1", "2 rows kept", "1 changed", "1 added", "0 removed", "Encoding UTF-8"} {
		if !strings.Contains(strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, "")), " "), want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	_, status = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/status.json", j.ID), nil, "")
	if !strings.Contains(status, `"done":2`) || !strings.Contains(status, `"rows":4`) || !strings.Contains(status, `"percent":50`) {
		t.Errorf("status.json after the refresh: %s", status)
	}
	_, preview := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/dataset", j.ID), nil, "")
	if !strings.Contains(preview, "Version 2") || !strings.Contains(preview, "reading-note") {
		t.Error("preview lacks the version and the reading note")
	}
}

func TestUploadChoicesAreChecked(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	loc := f.createJob(t, "alice", "Choices")
	_, page := f.do(t, "alice", "GET", loc, nil, "")
	for _, want := range []string{`name="encoding"`, `name="delimiter"`, `name="sheet"`, `.xlsx`} {
		if !strings.Contains(page, want) {
			t.Errorf("upload form lacks %s", want)
		}
	}
	m := regexp.MustCompile(`action="(/jobs/\d+/dataset\?csrf_token=[^"]+)"`).FindStringSubmatch(page)
	for field, value := range map[string]string{"encoding": "latin-9", "delimiter": "colon", "sheet": strings.Repeat("s", 40)} {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField(field, value)
		fw, _ := w.CreateFormFile("file", "a.csv")
		_, _ = fw.Write([]byte("a,b\n1,2\n"))
		_ = w.Close()
		resp, body := f.do(t, "alice", "POST", html.UnescapeString(m[1]), &b, w.FormDataContentType())
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose") && !strings.Contains(body, "at most 31") {
			t.Errorf("%s=%q: %d", field, value, resp.StatusCode)
		}
	}
	if len(f.queue.imports) != 0 {
		t.Errorf("refused uploads were queued: %v", f.queue.imports)
	}
}

func TestMappingOffersWikidataItemRole(t *testing.T) {
	f := newCollabFixture(t)
	j := f.importedJobFor(t, f.alice) // columns name, born
	path := fmt.Sprintf("/jobs/%d/mapping", j.ID)
	form := url.Values{"csrf_token": {f.csrfToken(t, "alice", path)}, "role_0": {"label"}, "role_1": {"item"}, "languages": {"en"}}
	resp, body := f.do(t, "alice", "POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save mapping: %d %s", resp.StatusCode, body)
	}
	got, _ := f.st.Job(context.Background(), j.ID)
	if !strings.Contains(string(got.Template), `"born": {`) || !strings.Contains(string(got.Template), `"role": "item"`) {
		t.Fatalf("template: %s", got.Template)
	}
	_, page := f.do(t, "alice", "GET", path, nil, "")
	if !strings.Contains(page, `<option value="item" selected>`) {
		t.Error("the mapping page does not show the item role chosen")
	}
}
