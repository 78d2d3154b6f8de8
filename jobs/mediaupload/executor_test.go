package mediaupload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/mediaupload"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
	"partnerhub/wikidata/commonstest"
)

const ck, cs = "consumer-key", "consumer-secret"

var (
	alice = commonstest.Account{Name: "Alice", Token: "tok-a", Secret: "sec-a"}
	bob   = commonstest.Account{Name: "Bob", Token: "tok-b", Secret: "sec-b", Rights: []string{"read", "edit"}}
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// picture makes a distinct JPEG of about size bytes or more.
func picture(t testing.TB, seed, size int) []byte {
	t.Helper()
	side := 16
	for {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for i := 0; i < side*side; i++ {
			v := uint8((i*seed*31 + i*i) % 251)
			img.Set(i%side, i/side, color.RGBA{v, uint8(seed * 53), v ^ uint8(seed), 255})
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		if b.Len() >= size {
			return b.Bytes()
		}
		side *= 2
	}
}

// source serves planned files from memory.
type source map[int64][]byte

func (s source) Content(_ context.Context, _ *jobs.MediaPlan, f *jobs.MediaFile, w io.Writer) error {
	b, ok := s[f.No]
	if !ok {
		return fmt.Errorf("no file %d", f.No)
	}
	_, err := w.Write(b)
	return err
}

type planned struct {
	title, qid string
	body       []byte
	captions   map[string]string
}

func sdcData(t testing.TB, p planned) json.RawMessage {
	b, err := json.Marshal(media.Structured{Captions: p.captions, Statements: []wikidata.Statement{
		wikidata.NewItemStatement("P180", p.qid), wikidata.NewItemStatement("P6216", "Q50423863"), wikidata.NewItemStatement("P275", "Q18199165")}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type env struct {
	st      *store.Store
	commons *commonstest.Server
	plan    *jobs.MediaPlan
	src     source
	cfg     mediaupload.Config
	who     commonstest.Account
	tag     string
}

func setup(t testing.TB, st *store.Store, files []planned, tune func(*commonstest.Options)) *env {
	t.Helper()
	ctx := context.Background()
	opts := commonstest.Options{ConsumerKey: ck, ConsumerSecret: cs, Accounts: []commonstest.Account{alice, bob}, AllowedTags: []string{"partnerhub"},
		ReplicaLag: 100 * time.Millisecond}
	if tune != nil {
		tune(&opts)
	}
	s := commonstest.Serve(t, opts)
	u, err := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(ctx, u.ID, "Museum paintings", "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image", Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	src := source{}
	var mf []jobs.MediaFile
	for i, f := range files {
		no := int64(i + 1)
		src[no] = f.body
		mf = append(mf, jobs.MediaFile{No: no, Row: no, QID: f.qid, Source: fmt.Sprintf("https://example.org/%d.jpg", no), Title: f.title,
			Wikitext: "=={{int:filedesc}}==\n{{Artwork|title=" + f.title + "}}", Statements: sdcData(t, f), SHA1: commonstest.SHA1(f.body),
			Size: int64(len(f.body)), ContentType: "image/jpeg"})
	}
	if err := st.AddMediaFiles(ctx, p.ID, mf, int64(len(mf))); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding); err != nil {
		t.Fatal(err)
	}
	if err := st.ApproveMediaPlan(ctx, p.ID, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartUploading(ctx, p.ID, u.ID, "0123abcd"); err != nil {
		t.Fatal(err)
	}
	p, _ = st.MediaPlan(ctx, p.ID)
	return &env{st: st, commons: s, plan: p, src: src, who: alice, tag: "partnerhub",
		cfg: mediaupload.Config{WritesPerMinute: 60000, ChunkAbove: 3000, ChunkSize: 1100, RequestTimeout: 3 * time.Second,
			LateSave: 300 * time.Millisecond, ReplicaLag: 150 * time.Millisecond, FirstBackoff: 10 * time.Millisecond, MaxWait: 200 * time.Millisecond}}
}

func (e *env) executor(testing.TB) *mediaupload.Executor {
	connect := func(ctx context.Context, userID int64) (mediaupload.Commons, error) {
		api, err := wikidata.NewClient(wikidata.Config{APIURL: e.commons.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", Tag: e.tag,
			MaxWait: 100 * time.Millisecond, Logger: quiet()},
			&wikidata.Credentials{ConsumerKey: ck, ConsumerSecret: cs, Token: e.who.Token, TokenSecret: e.who.Secret})
		if err != nil {
			return nil, err
		}
		return commons.New(api), nil
	}
	return mediaupload.New(e.cfg, e.st, connect, e.src, quiet())
}

func (e *env) file(t *testing.T, no int64) *jobs.MediaFile {
	t.Helper()
	f, err := e.st.MediaFile(context.Background(), e.plan.ID, no)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (e *env) planStatus(t *testing.T) jobs.MediaPlanStatus {
	t.Helper()
	p, err := e.st.MediaPlan(context.Background(), e.plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}

// checkDone asserts a file is done: on Commons once, with all its
// structured data once.
func (e *env) checkDone(t *testing.T, no int64, p planned) {
	t.Helper()
	f := e.file(t, no)
	if f.Status != jobs.MediaDone || f.PageID == 0 || f.SDCRevID == 0 || !strings.HasPrefix(f.FileTitle, "File:") {
		t.Fatalf("file %d: %+v", no, f)
	}
	if n := e.commons.UploadsOf(commonstest.SHA1(p.body)); n != 1 {
		t.Fatalf("file %d uploaded %d times", no, n)
	}
	labels, stmts := e.commons.MediaInfo(f.PageID)
	for l, v := range p.captions {
		if labels[l].Value != v {
			t.Fatalf("file %d caption %s = %q", no, l, labels[l].Value)
		}
	}
	for _, prop := range []string{"P180", "P6216", "P275"} {
		if len(stmts[prop]) != 1 {
			t.Fatalf("file %d has %d %s statements: %+v", no, len(stmts[prop]), prop, stmts)
		}
	}
	if v, _ := stmts["P180"][0].Value(); v.String() != p.qid {
		t.Fatalf("file %d depicts %s", no, v.String())
	}
	if d := e.commons.Duplicates(); len(d) != 0 {
		t.Fatalf("duplicate statements %v", d)
	}
}

func TestUploadsEachFileOnceWithItsStructuredData(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		files := []planned{
			{title: "Portrait of a lady (inv 1).jpg", qid: "Q101", body: picture(t, 1, 500), captions: map[string]string{"en": "Portrait of a lady", "nl": "Portret van een dame"}},
			{title: "Large landscape (inv 2).jpg", qid: "Q102", body: picture(t, 2, 5000), captions: map[string]string{"en": "Large landscape"}},
			{title: "Still life (inv 3).jpg", qid: "Q103", body: picture(t, 3, 500)},
		}
		e := setup(t, st, files, nil)
		e.commons.AddFile("Someone_else's_copy.jpg", "Carol", files[2].body)
		ctx := context.Background()
		if err := e.executor(t).Upload(ctx, e.plan); err != nil {
			t.Fatal(err)
		}
		if s := e.planStatus(t); s != jobs.MediaPlanDone {
			t.Fatalf("plan %s", s)
		}
		e.checkDone(t, 1, files[0])
		e.checkDone(t, 2, files[1])
		if e.commons.RequestsOf("upload", "chunk") < 5 || e.commons.RequestsOf("upload", "commit") != 1 {
			t.Fatalf("the large file was not sent in chunks: %d chunks, %d commits", e.commons.RequestsOf("upload", "chunk"), e.commons.RequestsOf("upload", "commit"))
		}
		linked := e.file(t, 3)
		if linked.Status != jobs.MediaLinked || linked.FileTitle != "File:Someone else's copy.jpg" || linked.PageID == 0 {
			t.Fatalf("a file on Commons already is linked: %s %q %s", linked.Status, linked.FileTitle, linked.Error)
		}
		if n := e.commons.UploadsOf(commonstest.SHA1(files[2].body)); n != 1 {
			t.Fatalf("the file on Commons already was uploaded again (%d)", n)
		}
		for _, up := range e.commons.Uploads() {
			if up.User != "Alice" {
				continue
			}
			if !strings.Contains(up.Comment, fmt.Sprintf("(job %d, media plan %d, file", e.plan.JobID, e.plan.ID)) ||
				!strings.Contains(up.Comment, "editgroups-commons/b/CB/0123abcd") || strings.Join(up.Tags, "|") != "partnerhub" || !strings.Contains(up.Text, "{{Artwork") {
				t.Fatalf("upload without marker, batch, tag or text: %+v", up)
			}
		}
		for _, ed := range e.commons.MediaEdits() {
			if !strings.Contains(ed.Summary, "structured data from \"Museum paintings\"") {
				t.Fatalf("edit summary %q", ed.Summary)
			}
		}
		if n := len(e.commons.MediaEdits()); n != 2 {
			t.Fatalf("%d structured-data edits for 2 uploads", n)
		}
		for _, r := range e.commons.Requests() {
			if r.Ignore && r.Stage != "chunk" {
				t.Fatalf("ignorewarnings sent on %s", r.Stage)
			}
		}
		// Running again sends nothing.
		before := len(e.commons.Requests())
		if err := st.SetMediaPlanStatus(ctx, e.plan.ID, jobs.MediaPlanUploading, "", jobs.MediaPlanDone); err != nil {
			t.Fatal(err)
		}
		if err := e.executor(t).Upload(ctx, e.plan); err != nil {
			t.Fatal(err)
		}
		if after := len(e.commons.Requests()); after != before {
			t.Fatalf("a second run sent %d requests", after-before)
		}
	})
}

func TestWarningsAreRecordedForAPersonNeverIgnored(t *testing.T) {
	files := []planned{{title: "Taken title.jpg", qid: "Q1", body: picture(t, 4, 500)}, {title: "Was gone.jpg", qid: "Q2", body: picture(t, 5, 500)}}
	e := setup(t, storetest.SQLite(t), files, nil)
	e.commons.AddFile("Taken_title.jpg", "Carol", picture(t, 6, 500))
	e.commons.AddFile("Was_gone.jpg", "Carol", picture(t, 7, 500))
	e.commons.DeleteFile("Was_gone.jpg")
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	for no, code := range map[int64]string{1: "exists", 2: "was-deleted"} {
		f := e.file(t, no)
		if f.Status != jobs.MediaWarning || !strings.Contains(string(f.Warnings), code) || !strings.Contains(f.Error, "A person decides") {
			t.Fatalf("file %d: %+v %s", no, f, f.Warnings)
		}
	}
	for _, up := range e.commons.Uploads() {
		if up.User == "Alice" {
			t.Fatalf("a warned file was published: %+v", up)
		}
	}
	if s := e.planStatus(t); s != jobs.MediaPlanDone {
		t.Fatalf("plan %s", s)
	}
}

func TestAccountWithoutUploadGrantPausesThePlan(t *testing.T) {
	e := setup(t, storetest.SQLite(t), []planned{{title: "A.jpg", qid: "Q1", body: picture(t, 8, 500)}}, nil)
	e.who = bob
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	p, _ := e.st.MediaPlan(context.Background(), e.plan.ID)
	if p.Status != jobs.MediaPlanPaused || !strings.Contains(p.Error, "Upload new files") {
		t.Fatalf("plan %s: %s", p.Status, p.Error)
	}
	if n := e.commons.RequestsOf("upload", ""); n != 0 {
		t.Fatalf("%d upload requests without the right", n)
	}
	if f := e.file(t, 1); f.Status != jobs.MediaPending {
		t.Fatalf("file %s", f.Status)
	}
}

func TestThrottlesAndMaxlagAreWaitedOut(t *testing.T) {
	files := []planned{{title: "A.jpg", qid: "Q1", body: picture(t, 9, 500)}, {title: "B.jpg", qid: "Q2", body: picture(t, 10, 500)}}
	e := setup(t, storetest.SQLite(t), files, nil)
	e.commons.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.RateLimited})
	e.commons.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.Maxlag, RetryAfter: 1})
	e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.RateLimited})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, files[0])
	e.checkDone(t, 2, files[1])
}

// TestContentChangedSincePlanIsNotUploaded: the bytes read again must be
// the ones planned.
func TestContentChangedSincePlanIsNotUploaded(t *testing.T) {
	e := setup(t, storetest.SQLite(t), []planned{{title: "A.jpg", qid: "Q1", body: picture(t, 11, 500)}}, nil)
	e.src[1] = picture(t, 12, 500)
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	if f := e.file(t, 1); f.Status != jobs.MediaFailed || !strings.Contains(f.Error, "changed since the plan") {
		t.Fatalf("file %+v", f)
	}
	if len(e.commons.Uploads()) != 0 {
		t.Fatal("a changed file was uploaded")
	}
}

// waitFor polls a condition (a safety net, not a timing assumption).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// killWhile runs an upload and stops it (as a killed worker stops) once the
// fake has received the request stop names, which then lands on Commons
// after the client has gone.
func killWhile(t *testing.T, e *env, stop func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.executor(t).Upload(ctx, e.plan) }()
	waitFor(t, "the request to reach Commons", stop)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the killed run ended with %v", err)
	}
}

func TestKilledAfterUploadSentRecoversBySHA1WithoutSecondUpload(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		for _, big := range []bool{false, true} {
			t.Run(fmt.Sprintf("chunked=%v", big), func(t *testing.T) {
				size, stage := 500, "file"
				if big {
					size, stage = 5000, "commit"
				}
				files := []planned{{title: "Killed upload.jpg", qid: "Q7", body: picture(t, 13, size), captions: map[string]string{"en": "Killed"}}}
				e := setup(t, st, files, nil)
				e.commons.Inject(commonstest.Fault{Action: "upload", Stage: stage, Kind: commonstest.LateLanding, Delay: 400 * time.Millisecond})
				killWhile(t, e, func() bool { return e.commons.RequestsOf("upload", stage) == 1 })
				if f := e.file(t, 1); f.Status != jobs.MediaSending {
					t.Fatalf("after the kill the file is %s, not sending", f.Status)
				}
				// A new worker takes over.
				if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
					t.Fatal(err)
				}
				e.checkDone(t, 1, files[0])
				if n := e.commons.RequestsOf("upload", stage); n != 1 {
					t.Fatalf("%d %s requests: the file was sent again", n, stage)
				}
			})
		}
	})
}

func TestLostUploadAnswerIsLookedUpNotResent(t *testing.T) {
	files := []planned{{title: "Dropped.jpg", qid: "Q8", body: picture(t, 14, 500)}}
	e := setup(t, storetest.SQLite(t), files, nil)
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "file", Kind: commonstest.ApplyThenDrop})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, files[0])
	if n := e.commons.RequestsOf("upload", "file"); n != 1 {
		t.Fatalf("%d upload requests", n)
	}
}

func TestLostUploadThatNeverLandedIsSentAgain(t *testing.T) {
	files := []planned{{title: "Never landed.jpg", qid: "Q9", body: picture(t, 15, 500)}}
	e := setup(t, storetest.SQLite(t), files, nil)
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "file", Kind: commonstest.HTTP500})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, files[0])
	if n := e.commons.RequestsOf("upload", "file"); n != 2 {
		t.Fatalf("%d upload requests, want the lost one and one more", n)
	}
}

func TestKilledBetweenUploadAndStructuredDataAppliesItOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		files := []planned{{title: "Half done.jpg", qid: "Q10", body: picture(t, 16, 500), captions: map[string]string{"en": "Half", "de": "Halb"}}}
		e := setup(t, st, files, nil)
		e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.LateLanding, Delay: 400 * time.Millisecond})
		killWhile(t, e, func() bool { return e.commons.RequestsOf("wbeditentity", "") == 1 })
		if f := e.file(t, 1); f.Status != jobs.MediaUploaded {
			t.Fatalf("after the kill the file is %s, not uploaded", f.Status)
		}
		if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
			t.Fatal(err)
		}
		e.checkDone(t, 1, files[0])
		if n := len(e.commons.MediaEdits()); n != 1 {
			t.Fatalf("%d structured-data edits, want 1", n)
		}
		if n := e.commons.RequestsOf("wbeditentity", ""); n != 1 {
			t.Fatalf("%d wbeditentity requests: the late one was sent again", n)
		}
	})
}

// A file whose structured data is partly there when it is sent (again)
// gets only what is missing; a caption someone set is never overwritten.
func TestRetryAddsOnlyTheMissingStructuredData(t *testing.T) {
	files := []planned{{title: "Partly described.jpg", qid: "Q11", body: picture(t, 17, 500), captions: map[string]string{"en": "Partly", "fr": "En partie"}}}
	e := setup(t, storetest.SQLite(t), files, nil)
	ctx := context.Background()
	// The first run uploads, then the structured data is refused once
	// (HTTP 500: outcome unknown, nothing applied) ...
	e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.HTTP500})
	// ... and meanwhile someone sets the French caption.
	go func() {
		waitForNoT(func() bool { return e.commons.RequestsOf("wbeditentity", "") == 1 })
		f, _ := e.commons.File("Partly_described.jpg")
		e.commons.EditCaptionAs("Carol", f.PageID, "fr", "Partiellement")
	}()
	if err := e.executor(t).Upload(ctx, e.plan); err != nil {
		t.Fatal(err)
	}
	f := e.file(t, 1)
	if f.Status != jobs.MediaDone {
		t.Fatalf("file %+v", f)
	}
	labels, _ := e.commons.MediaInfo(f.PageID)
	if labels["fr"].Value != "Partiellement" || labels["en"].Value != "Partly" {
		t.Fatalf("captions %v: a caption someone set was overwritten, or one is missing", labels)
	}
	reqs := e.commons.Requests()
	last := reqs[len(reqs)-1]
	if last.Action != "wbeditentity" || strings.Contains(last.Data, `"fr"`) || !strings.Contains(last.Data, `"en"`) {
		t.Fatalf("the retry sent %s", last.Data)
	}
	if n := len(e.commons.MediaEdits()); n != 1 {
		t.Fatalf("%d edits through the API, want 1", n)
	}
}

func waitForNoT(cond func() bool) {
	deadline := time.Now().Add(60 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
}

func TestUnknownChangeTagPausesBeforeAnyUpload(t *testing.T) {
	e := setup(t, storetest.SQLite(t), []planned{{title: "A.jpg", qid: "Q1", body: picture(t, 18, 500)}}, nil)
	e.tag = "not-on-commons"
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	p, _ := e.st.MediaPlan(context.Background(), e.plan.ID)
	if p.Status != jobs.MediaPlanPaused || !strings.Contains(p.Error, "Configuration error") || !strings.Contains(p.Error, "not-on-commons") {
		t.Fatalf("plan %s: %s", p.Status, p.Error)
	}
	if n := e.commons.RequestsOf("upload", ""); n != 0 {
		t.Fatalf("%d uploads with a tag Commons refuses", n)
	}
}
