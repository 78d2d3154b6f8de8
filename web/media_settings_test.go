package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/jobs/media"
	"partnerhub/jobs/tasks"
)

const libraryMedia = `{"source":{"kind":"url","column":"image"},"title":"{name}.{ext}","license":{"template":"{{cc-zero}}","qid":"Q6938433"},"captions":{"en":"{name}"}}`

// TestMediaSettingsAreVersionedWithTheTemplate: a job started from a
// library template gets its media settings; a plan records the version it
// was made from, and the page says which; saving the settings makes the
// template's next version (refused for a template the user may not edit,
// and for settings that do not fit the dataset).
func TestMediaSettingsAreVersionedWithTheTemplate(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	rm := &recordingMedia{st: f.st}
	mediaServerWith(t, f, t.TempDir(), rm)
	ctx := context.Background()
	// startFrom starts a job of alice from a library template of owner, as
	// the library's "start" and the worker's import do.
	startFrom := func(owner *jobs.User, vis jobs.Visibility) (*jobs.Job, *jobs.JobTemplate) {
		t.Helper()
		tmpl, err := f.st.SaveTemplate(ctx, &jobs.JobTemplate{OwnerID: owner.ID, Visibility: vis, Name: "Museum paintings"},
			[]byte(`{"version":1,"columns":{"name":{"role":"label"}},"media":`+libraryMedia+`}`))
		if err != nil {
			t.Fatal(err)
		}
		j, err := f.st.CreateJobFromTemplate(ctx, f.alice.ID, 0, "Paintings", "", tmpl.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		ds := f.mediaDataset(t, j.ID)
		if ok, err := tasks.ApplyStartingTemplate(ctx, f.st, match.CheckTemplate, j, ds); err != nil || !ok {
			t.Fatalf("starting template not applied: %v %v", ok, err)
		}
		j, _ = f.st.Job(ctx, j.ID)
		return j, tmpl
	}
	j, tmpl := startFrom(f.alice, jobs.VisibilityPrivate)
	if !media.SameSettings(media.SettingsOf(j.Template), json.RawMessage(libraryMedia)) {
		t.Fatalf("the job did not get the template's media settings: %s", j.Template)
	}
	path := fmt.Sprintf("/jobs/%d/media", j.ID)
	token := f.csrfToken(t, "alice", path)
	post := func(user, to string, form url.Values) string {
		t.Helper()
		if resp, _ := f.do(t, user, "POST", to, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != 303 {
			t.Fatalf("POST %s: %d", to, resp.StatusCode)
		}
		_, body := f.do(t, user, "GET", path, nil, "")
		return html.UnescapeString(body)
	}
	plan := func() *jobs.MediaPlan {
		t.Helper()
		post("alice", path, url.Values{"csrf_token": {token}})
		p, err := f.st.LatestMediaPlan(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		_ = f.st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
		return p
	}
	first := plan()
	if first.TemplateVersionID != tmpl.VersionID {
		t.Fatalf("plan records template version %d, want %d", first.TemplateVersionID, tmpl.VersionID)
	}
	_, body := f.do(t, "alice", "GET", path, nil, "")
	if page := html.UnescapeString(body); !strings.Contains(page, "media settings from <a href=\"/templates/"+fmt.Sprint(tmpl.ID)+"/versions/1\">version 1 of the template “Museum paintings”</a>") {
		t.Fatal("the page does not say which template version the plan used")
	}

	settings := url.Values{"csrf_token": {token}, "source_kind": {"url"}, "source_column": {"image"}, "title": {"{name} (Museum).{ext}"},
		"license_template": {"{{cc-by-4.0}}"}, "license_qid": {"Q20007257"}, "copyright_status": {"Q50423863"}, "categories": {"Category:Paintings\nPortraits of {name}"},
		"captions": {"en: {name}\nnl: {name}"}, "relation": {"digital_representation"}}
	// Nobody without the token or access to the job saves anything.
	bobToken := f.csrfToken(t, "bob", "/jobs/new")
	for user, tok := range map[string]string{"bob": bobToken, "alice": ""} {
		form := url.Values{}
		for k, v := range settings {
			form[k] = v
		}
		form.Set("csrf_token", tok)
		if resp, _ := f.do(t, user, "POST", path+"/settings", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != map[string]int{"bob": 404, "alice": 403}[user] {
			t.Errorf("%s saved settings: %d", user, resp.StatusCode)
		}
	}
	bad := url.Values{}
	for k, v := range settings {
		bad[k] = v
	}
	bad.Set("title", "{Inventory}.{ext}")
	if page := post("alice", path+"/settings", bad); !strings.Contains(page, "title names {Inventory}, which is neither a column of the dataset") {
		t.Fatal("settings that do not fit the dataset were not refused with the reason")
	}
	if vs, _ := f.st.TemplateVersions(ctx, tmpl.ID); len(vs) != 1 {
		t.Fatalf("refused settings made a version: %d", len(vs))
	}
	page := post("alice", path+"/settings", settings)
	if !strings.Contains(page, "Media settings saved as version 2 of the template “Museum paintings”") {
		t.Fatal("saving did not report the new version")
	}
	v2, err := f.st.TemplateVersionByNumber(ctx, tmpl.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := media.ParseSettings(media.SettingsOf(v2.Body), []string{"name", "image"})
	if err != nil || got.Title != "{name} (Museum).{ext}" || got.Relation != "digital_representation" || got.Captions["nl"] != "{name}" ||
		strings.Join(got.Categories, "|") != "Paintings|Portraits of {name}" || got.License.QID != "Q20007257" {
		t.Fatalf("version 2's media settings %+v %v", got, err)
	}
	if sum, err := jobs.SummariseTemplate(v2.Body); err != nil || strings.Join(sum.Columns, ",") != "name" {
		t.Fatalf("version 2 lost the rest of the template: %v %v", sum, err)
	}
	if vid, _ := f.st.JobTemplateVersion(ctx, j.ID); vid != v2.ID {
		t.Fatalf("the job records version %d, want %d", vid, v2.ID)
	}
	if !strings.Contains(page, "Media settings (version 2 of the template") {
		t.Fatal("the page does not say the settings are version 2")
	}
	if second := plan(); second.TemplateVersionID != v2.ID || !strings.Contains(string(second.Settings), "(Museum)") {
		t.Fatalf("the next plan records version %d, want %d", second.TemplateVersionID, v2.ID)
	}

	// Someone else's template: its versions are theirs to make.
	other, otherTmpl := startFrom(f.bob, jobs.VisibilityPublic)
	path = fmt.Sprintf("/jobs/%d/media", other.ID)
	page = post("alice", path+"/settings", settings)
	if !strings.Contains(page, "which only its owner or group can change") {
		t.Fatal("saving into someone else's template was not refused")
	}
	if vs, _ := f.st.TemplateVersions(ctx, otherTmpl.ID); len(vs) != 1 {
		t.Fatalf("someone else's template got a version: %d", len(vs))
	}
	if j2, _ := f.st.Job(ctx, other.ID); !media.SameSettings(media.SettingsOf(j2.Template), json.RawMessage(libraryMedia)) {
		t.Fatal("the refused settings were saved in the job")
	}

	// A job of its own: saved in the job, and its plans record no version.
	own := f.mediaJobFor(t, f.alice, "url")
	path = fmt.Sprintf("/jobs/%d/media", own.ID)
	page = post("alice", path+"/settings", settings)
	if !strings.Contains(page, "Media settings saved in this job") || !strings.Contains(page, "Media settings (this job's own)") {
		t.Fatal("a job's own settings were not saved as such")
	}
	post("alice", path, url.Values{"csrf_token": {token}})
	if p, _ := f.st.LatestMediaPlan(ctx, own.ID); p.TemplateVersionID != 0 || !strings.Contains(string(p.Settings), "(Museum)") {
		t.Fatalf("own plan: version %d, settings %s", p.TemplateVersionID, p.Settings)
	}
	if len(rm.actions) != 3 {
		t.Fatalf("runner actions %v", rm.actions)
	}
}
