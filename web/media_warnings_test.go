package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/mediaupload"
	"partnerhub/jobs/store"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
	"partnerhub/wikidata/commonstest"
)

// uploadingMedia starts uploads in the store as tasks.Runner does; the
// test then runs the upload executor as the worker would.
type uploadingMedia struct {
	*recordingMedia
	st *store.Store
}

func (u uploadingMedia) ApproveMediaPlan(ctx context.Context, planID int64, user *jobs.User, files []int64) error {
	if err := u.recordingMedia.ApproveMediaPlan(ctx, planID, user, files); err != nil {
		return err
	}
	return u.StartMediaUpload(ctx, planID, user)
}

func (u uploadingMedia) StartMediaUpload(ctx context.Context, planID int64, user *jobs.User) error {
	u.rec(fmt.Sprintf("start %d %s", planID, user.Username))
	return u.st.StartUploading(ctx, planID, user.ID, "feedbeef")
}

func (u uploadingMedia) CancelMediaUpload(ctx context.Context, planID int64) error {
	u.rec(fmt.Sprintf("cancel %d", planID))
	return u.st.SetMediaPlanStatus(ctx, planID, jobs.MediaPlanCancelled, "", jobs.MediaPlanUploading, jobs.MediaPlanPaused, jobs.MediaPlanApproved, jobs.MediaPlanReady)
}

// plainJPEG is a small JPEG of one colour per seed.
func plainJPEG(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 20, 20+int(seed)))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{seed * 17, 255 - seed*13, 128, 255}}, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type memorySource map[int64][]byte

func (m memorySource) Content(_ context.Context, _ *jobs.MediaPlan, f *jobs.MediaFile, w io.Writer) error {
	_, err := w.Write(m[f.No])
	return err
}

var confirmRE = regexp.MustCompile(`name="confirm" value="([^"]+)"`)

// TestWarnedFilesWaitForAPersonsRecordedChoice drives the choices for
// files Commons warned about through the pages, and the upload executor
// against the fake Commons: each choice has its effect, none is possible
// without the token or access to the job, and no warning is passed over
// without the choice recorded for exactly that warning.
func TestWarnedFilesWaitForAPersonsRecordedChoice(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	mediaServerWith(t, f, t.TempDir(), uploadingMedia{recordingMedia: &recordingMedia{st: f.st}, st: f.st})
	ctx := context.Background()
	// Files published "an hour ago" are not in the lists yet (replica lag),
	// so a duplicate shows only as the upload's warning.
	fake := commonstest.Serve(t, commonstest.Options{ConsumerKey: "ck", ConsumerSecret: "cs", AllowedTags: []string{"partnerhub"}, ReplicaLag: 2 * time.Hour,
		Accounts: []commonstest.Account{{Name: "Alice", Token: "tok-a", Secret: "sec-a"}}})
	j := f.mediaJobFor(t, f.alice, "url")
	settings, err := media.ParseSettings(json.RawMessage(`{"source":{"kind":"url","column":"image"},"title":"{name}.{ext}",
		"license":{"template":"{{cc-zero}}","qid":"Q6938433","copyright_status":"Q50423863"},"captions":{"en":"{name}","nl":"{name} (nl)"}}`), []string{"name", "image"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Portrait copy", "Taken", "Gone", "Bad:name", "Skip me", "Lost"}
	bodies := memorySource{}
	var files []jobs.MediaFile
	for i, name := range names {
		no := int64(i + 1)
		bodies[no] = plainJPEG(t, uint8(no))
		pf := settings.PlanFile(no, media.Row{Num: no, QID: fmt.Sprintf("Q%d", 100+no), Values: map[string]string{"name": name}}, fmt.Sprintf("https://example.org/%d.jpg", no),
			media.FileInfo{SHA1: commonstest.SHA1(bodies[no]), Size: int64(len(bodies[no])), ContentType: "image/jpeg", Width: 20, Height: 20}, nil, 1<<20)
		pf.Title, pf.Problems = name+".jpg", nil // "Bad:name.jpg" as Commons would get it from another tool
		files = append(files, pf)
	}
	carolsCopy := fake.AddFile("Museum_portrait.jpg", "Carol", bodies[1])
	fake.EditCaptionAs("Carol", carolsCopy, "en", "Carol's caption")
	othersTaken := plainJPEG(t, 40)
	fake.AddFile("Taken.jpg", "Carol", othersTaken)
	fake.AddFile("Skip_me.jpg", "Carol", plainJPEG(t, 41))
	for _, gone := range []string{"Gone.jpg", "Lost.jpg"} {
		fake.AddFile(gone, "Carol", plainJPEG(t, 42))
		fake.DeleteFile(gone)
	}
	p, err := f.st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "image", Settings: json.RawMessage(`{}`), CreatedBy: f.alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddMediaFiles(ctx, p.ID, files, int64(len(files))); err != nil {
		t.Fatal(err)
	}
	_ = f.st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)

	path := fmt.Sprintf("/jobs/%d/media", j.ID)
	token := f.csrfToken(t, "alice", path)
	post := func(user, to string, form url.Values) int {
		t.Helper()
		resp, _ := f.do(t, user, "POST", to, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		return resp.StatusCode
	}
	// decide posts a choice and returns the page it leads to.
	decide := func(no int64, form url.Values) string {
		t.Helper()
		form.Set("csrf_token", token)
		form.Set("plan", fmt.Sprint(p.ID))
		if code := post("alice", fmt.Sprintf("%s/files/%d/decide", path, no), form); code != 303 {
			t.Fatalf("decide file %d: %d", no, code)
		}
		_, body := f.do(t, "alice", "GET", path+"?status=warning", nil, "")
		return html.UnescapeString(body)
	}
	file := func(no int64) *jobs.MediaFile {
		t.Helper()
		mf, err := f.st.MediaFile(ctx, p.ID, no)
		if err != nil {
			t.Fatal(err)
		}
		return mf
	}
	upload := func() {
		t.Helper()
		connect := func(ctx context.Context, _ int64) (mediaupload.Commons, error) {
			api, err := wikidata.NewClient(wikidata.Config{APIURL: fake.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", Tag: "partnerhub",
				MaxWait: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
				&wikidata.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tok-a", TokenSecret: "sec-a"})
			if err != nil {
				return nil, err
			}
			return commons.New(api), nil
		}
		ex := mediaupload.New(mediaupload.Config{WritesPerMinute: 60000, RequestTimeout: 5 * time.Second, LateSave: 300 * time.Millisecond, ReplicaLag: 150 * time.Millisecond},
			f.st, connect, bodies, slog.New(slog.NewTextHandler(io.Discard, nil)))
		cur, _ := f.st.MediaPlan(ctx, p.ID)
		if err := ex.Upload(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}
	if code := post("alice", path+"/approve", url.Values{"csrf_token": {token}, "plan": {fmt.Sprint(p.ID)}}); code != 303 {
		t.Fatalf("approve: %d", code)
	}
	upload()
	want := map[int64]string{1: "duplicate", 2: "exists", 3: "was-deleted", 4: "badfilename", 5: "exists", 6: "was-deleted"}
	for no, code := range want {
		if mf := file(no); mf.Status != jobs.MediaWarning || !jobs.ParseMediaWarnings(mf.Warnings).Has(code) {
			t.Fatalf("file %d: %s %s, want a %s warning", no, mf.Status, mf.Warnings, code)
		}
	}
	for _, up := range fake.Uploads() {
		if up.User == "Alice" {
			t.Fatalf("a warned file was published: %+v", up)
		}
	}

	// Nobody without the token or access to the job decides anything.
	bobToken := f.csrfToken(t, "bob", "/jobs/new")
	for _, c := range []struct {
		user, token, to string
		want            int
	}{
		{"bob", bobToken, path + "/files/5/decide", 404}, {"bob", bobToken, path + "/warnings", 404},
		{"alice", "", path + "/files/5/decide", 403}, {"alice", "", path + "/warnings", 403},
	} {
		form := url.Values{"plan": {fmt.Sprint(p.ID)}, "action": {"skip"}}
		if c.token != "" {
			form.Set("csrf_token", c.token)
		}
		if code := post(c.user, c.to, form); code != c.want {
			t.Errorf("%s POST %s: %d, want %d", c.user, c.to, code, c.want)
		}
	}
	if mf := file(5); mf.Status != jobs.MediaWarning {
		t.Fatalf("a refused request skipped file 5: %s", mf.Status)
	}

	page := decide(2, url.Values{"action": {"ignore"}, "confirm": {"exists=Taken.jpg"}})
	if !strings.Contains(page, "Only a deletion (was-deleted, duplicate-archive) may be overridden") || file(2).Status != jobs.MediaWarning {
		t.Fatal("an exists warning was overridden")
	}
	page = decide(3, url.Values{"action": {"ignore"}})
	if !strings.Contains(page, "Confirm that you checked the deletion (was-deleted=Gone.jpg)") || file(3).Status != jobs.MediaWarning {
		t.Fatal("upload anyway without the confirmation")
	}
	for _, explained := range []string{"the very same file (identical bytes) is on Commons already as <a href=\"https://commons.wikimedia.org/wiki/File:Museum%20portrait.jpg\">",
		"Partnerhub never overwrites someone else's file", "a file called File:Gone.jpg was deleted from Commons", "would store it as <strong>File:Bad-name.jpg</strong>",
		"upload File:Gone.jpg despite “was-deleted” (File:Gone.jpg)"} {
		if !strings.Contains(page, explained) {
			t.Errorf("the page does not explain %q", explained)
		}
	}
	confirms := confirmRE.FindAllStringSubmatch(page, -1)
	if len(confirms) != 2 || confirms[0][1] != "was-deleted=Gone.jpg" {
		t.Fatalf("confirmations on the page: %v", confirms)
	}
	decide(3, url.Values{"action": {"ignore"}, "confirm": {confirms[0][1]}})
	decide(6, url.Values{"action": {"ignore"}, "confirm": {confirms[1][1]}})
	if p2, _ := f.st.MediaPlan(ctx, p.ID); p2.Status != jobs.MediaPlanUploading {
		t.Fatalf("deciding did not resume the finished upload: %s", p2.Status)
	}

	page = decide(2, url.Values{"action": {"rename"}, "title": {"Taken | again.jpg"}})
	if !strings.Contains(page, "cannot be used") || file(2).Title != "Taken.jpg" {
		t.Fatal("a title breaking the rules was taken")
	}
	decide(2, url.Values{"action": {"rename"}, "title": {"taken (second copy).jpg"}})
	page = decide(1, url.Values{"action": {"link"}, "title": {"File:Unrelated.jpg"}})
	if !strings.Contains(page, "Choose one of the files Commons named") || file(1).Status != jobs.MediaWarning {
		t.Fatal("linked a file Commons did not name")
	}
	decide(1, url.Values{"action": {"link"}, "title": {"File:Museum portrait.jpg"}})
	if code := post("alice", path+"/warnings", url.Values{"csrf_token": {token}, "plan": {fmt.Sprint(p.ID)}, "action": {"accept"}}); code != 303 {
		t.Fatalf("bulk accept: %d", code)
	}
	decide(5, url.Values{"action": {"skip"}})
	page = decide(5, url.Values{"action": {"skip"}})
	if !strings.Contains(page, "no longer waiting for a decision") {
		t.Fatal("a second decision for a decided file was not refused")
	}
	// Someone publishes Lost.jpg before the upload: the warning is now
	// another (exists), which the confirmation does not cover.
	fake.AddFile("Lost.jpg", "Dave", plainJPEG(t, 43))
	upload()

	linked := file(1)
	if linked.Status != jobs.MediaLinked || linked.FileTitle != "File:Museum portrait.jpg" || linked.PageID != carolsCopy {
		t.Fatalf("file 1: %s %q %d %s", linked.Status, linked.FileTitle, linked.PageID, linked.Error)
	}
	if n := fake.UploadsOf(commonstest.SHA1(bodies[1])); n != 1 {
		t.Fatalf("the duplicate was uploaded again (%d)", n)
	}
	labels, stmts := fake.MediaInfo(carolsCopy)
	if labels["en"].Value != "Carol's caption" || labels["nl"].Value != "Portrait copy (nl)" || len(stmts["P180"]) != 1 {
		t.Fatalf("linked file's structured data: %v %v", labels, stmts)
	}
	for no, title := range map[int64]string{2: "File:Taken (second copy).jpg", 3: "File:Gone.jpg", 4: "File:Bad-name.jpg"} {
		if mf := file(no); mf.Status != jobs.MediaDone || mf.FileTitle != title {
			t.Errorf("file %d: %s %q %s", no, mf.Status, mf.FileTitle, mf.Error)
		}
	}
	if v, _ := fake.File("Taken.jpg"); v.SHA1 != commonstest.SHA1(othersTaken) {
		t.Fatal("someone else's file was overwritten")
	}
	if mf := file(5); mf.Status != jobs.MediaSkipped || fake.UploadsOf(commonstest.SHA1(bodies[5])) != 0 {
		t.Fatalf("skipped file: %s", mf.Status)
	}
	lost := file(6)
	if lost.Status != jobs.MediaWarning || !jobs.ParseMediaWarnings(lost.Warnings).Has("exists") || fake.UploadsOf(commonstest.SHA1(bodies[6])) != 0 {
		t.Fatalf("a confirmation of was-deleted let an exists warning pass: %s %s", lost.Status, lost.Warnings)
	}
	var ignored []string
	for _, r := range fake.Requests() {
		if r.Ignore && r.Stage != "chunk" {
			ignored = append(ignored, r.Stage+" "+r.Filename)
		}
	}
	if strings.Join(ignored, ",") != "commit Gone.jpg" {
		t.Fatalf("ignorewarnings sent on %v, want only Gone.jpg's commit", ignored)
	}

	decisions, err := f.st.MediaDecisions(ctx, p.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range decisions {
		if d.Username != "Alice" || d.CreatedAt.IsZero() || len(d.Warnings.Codes) == 0 {
			t.Fatalf("decision not recorded with who, when and the warnings seen: %+v", d)
		}
		got = append(got, fmt.Sprintf("%d %s %s %v", d.FileNo, d.Action, d.Detail.Title, d.Detail.Warnings))
	}
	wantDecisions := "3 ignore  map[was-deleted:Gone.jpg]|6 ignore  map[was-deleted:Lost.jpg]|2 rename Taken (second copy).jpg map[]|1 link File:Museum portrait.jpg map[]|4 rename Bad-name.jpg map[]|5 skip  map[]"
	if strings.Join(got, "|") != wantDecisions {
		t.Fatalf("decisions\n%s\nwant\n%s", strings.Join(got, "|"), wantDecisions)
	}
	_, body := f.do(t, "alice", "GET", path, nil, "")
	page = html.UnescapeString(body)
	if !strings.Contains(page, "Alice chose <strong>ignore</strong> despite was-deleted (Gone.jpg)") {
		t.Fatal("the page does not show who chose what")
	}
	if !strings.Contains(page, "Linked by a person's choice: of the structured data below, only what the file lacked was added") ||
		!strings.Contains(page, "· caption (en): Portrait copy") {
		t.Fatal("the linked file's structured data is shown as all added")
	}
}
