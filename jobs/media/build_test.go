package media_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
	"partnerhub/wikidata/commonstest"
)

func pic(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// anonymousCommons is the planner's Commons client: anonymous reads of a
// fake Commons through the real client.
func anonymousCommons(t *testing.T, fake *commonstest.Server) *commons.Client {
	t.Helper()
	api, err := wikidata.NewClient(wikidata.Config{APIURL: fake.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", MaxWait: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return commons.New(api)
}

type seedRow struct {
	title, inv, image, artist string
	status                    jobs.MatchStatus
}

func seed(t *testing.T, st *store.Store, template string, rows []seedRow) (*jobs.Job, *jobs.User) {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	j, _ := st.CreateJob(ctx, u.ID, "Paintings", "")
	if err := st.SetJobTemplate(ctx, j.ID, []byte(template)); err != nil {
		t.Fatal(err)
	}
	ds, _ := st.CreateDataset(ctx, j.ID, "p.csv", "/none", 1)
	ds.Columns = []string{"Title", "Inventory", "Image", "Artist"}
	_ = st.StartImport(ctx, ds)
	var rs []jobs.Row
	var ms []jobs.RowMatch
	for i, r := range rows {
		n := int64(i + 1)
		rs = append(rs, jobs.Row{Num: n, Cells: []string{r.title, r.inv, r.image, r.artist}})
		m := jobs.RowMatch{Row: n, Status: r.status, Score: 1}
		if r.status == jobs.MatchMatched {
			m.QID = fmt.Sprint("Q", 100+n)
		}
		ms = append(ms, m)
	}
	if err := st.AppendRows(ctx, ds.ID, rs, int64(len(rs))); err != nil {
		t.Fatal(err)
	}
	ds.RowCount = int64(len(rs))
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, ds.RowCount, len(rs))
	if _, err := st.SaveBatchResult(ctx, j.ID, 1, ms, 1); err != nil {
		t.Fatal(err)
	}
	return j, u
}

const paintingTemplate = `{"columns":{"Title":{"role":"label"}},"media":{
  "source":{"kind":"url","column":"Image"},
  "title":"{Title} ({Inventory}).{ext}",
  "wikitext":"=={{int:filedesc}}==\n{{Artwork\n |title = {Title}\n |accession number = {Inventory}\n |source = {source}\n |credit line = {credit}\n |wikidata = {qid}\n}}\n=={{int:license-header}}==\n{license}\n{categories}\n",
  "license":{"template":"{{PD-Art|PD-old-100}}","copyright_status":"Q19652"},
  "credit":"Photo: {Artist} / Nationalmuseum",
  "categories":["Paintings in the Nationalmuseum","Works by {Artist}"],
  "captions":{"en":"{Title}, painting","sv":"{Title}"},
  "relation":"digital_representation",
  "creator":"Q5598"
}}`

func TestBuildMediaPlan(t *testing.T) {
	png1, png2, png3, onCommons := pic(t, 40, 30), pic(t, 41, 30), pic(t, 43, 30), pic(t, 42, 30)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/1.png":
			w.Write(png1)
		case "/2.png":
			w.Write(png2)
		case "/3.png":
			w.Write(png3)
		case "/old.png":
			w.Write(onCommons)
		case "/page":
			w.Write([]byte("<html><body>hello</body></html>"))
		case "/huge.png":
			w.Write(append(pic(t, 1, 1), bytes.Repeat([]byte{0}, 1<<20)...))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// Commons (fake, answering in the real shapes) has a file under the
	// title row 7 would get, row 8's file under another name, and had a
	// file under row 11's title that was deleted.
	fake := commonstest.Serve(t, commonstest.Options{})
	fake.AddFile("Taken_(NM_9).png", "Carol", pic(t, 44, 30))
	fake.AddFile("Old_scan.png", "Carol", onCommons)
	fake.AddFile("Gone_(NM_12).png", "Carol", pic(t, 45, 30))
	fake.DeleteFile("Gone_(NM_12).png")
	commons := anonymousCommons(t, fake)

	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		j, u := seed(t, st, paintingTemplate, []seedRow{
			{"Portrait | of [[a]] {{woman}}", "NM 1", srv.URL + "/1.png", "Anna", jobs.MatchMatched}, // 1: fine, escaped
			{"Portrait | of [[a]] {{woman}}", "NM 1", srv.URL + "/2.png", "", jobs.MatchMatched},     // 2: same title as 1
			{"No match", "NM 3", srv.URL + "/1.png", "Bo", jobs.MatchNone},                           // 3: no item
			{"Web page", "NM 4", srv.URL + "/page", "Bo", jobs.MatchMatched},                         // 4: wrong type
			{"Huge", "NM 5", srv.URL + "/huge.png", "Bo", jobs.MatchMatched},                         // 5: too large
			{"No image", "NM 6", "", "Bo", jobs.MatchMatched},                                        // 6: not in the plan
			{"Taken", "NM 9", srv.URL + "/2.png", "Bo", jobs.MatchMatched},                           // 7: title taken on Commons
			{"Old", "NM 8", srv.URL + "/old.png", "Bo", jobs.MatchMatched},                           // 8: on Commons already
			{"Bad host", "NM 10", "ftp://example.org/x.png", "Bo", jobs.MatchMatched},                // 9: not http
			{"Slash/colon: ok", "NM 11", srv.URL + "/gone.png", "Bo", jobs.MatchMatched},             // 10: 404
			{"Gone", "NM 12", srv.URL + "/3.png", "Bo", jobs.MatchMatched},                           // 11: a file of this title was deleted
		})
		job, _ := st.Job(ctx, j.ID)
		p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image",
			Settings: media.SettingsOf(job.Template), CreatedBy: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		b := &media.Builder{Store: st, Fetcher: media.NewFetcher(media.FetchConfig{AllowPrivate: true, MaxBytes: 512 << 10}), Commons: commons}
		if err := b.Build(ctx, p); err != nil {
			t.Fatal(err)
		}
		p, _ = st.MediaPlan(ctx, p.ID)
		if p.Status != jobs.MediaPlanReady || p.RowsDone != 11 {
			t.Fatalf("plan %s (%s), rows %d", p.Status, p.Error, p.RowsDone)
		}
		files, _ := st.MediaFiles(ctx, p.ID, "", 0, 100)
		if len(files) != 10 {
			t.Fatalf("%d files, want 10 (the row without an image is left out)", len(files))
		}
		byRow := map[int64]*jobs.MediaFile{}
		for _, f := range files {
			byRow[f.Row] = f
		}
		f1 := byRow[1]
		if f1.Status != jobs.MediaPending || len(f1.Problems) != 0 {
			t.Fatalf("row 1: %s %+v", f1.Status, f1.Problems)
		}
		if f1.Title != "Portrait - of --a-- --woman-- (NM 1).png" || f1.Width != 40 || f1.ContentType != "image/png" {
			t.Fatalf("row 1 title %q %d %s", f1.Title, f1.Width, f1.ContentType)
		}
		for _, want := range []string{
			"|title = Portrait &#124; of &#91;&#91;a&#93;&#93; &#123;&#123;woman&#125;&#125;\n",
			"|source = " + srv.URL + "/1.png\n", "|wikidata = Q101\n", "|credit line = Photo: Anna / Nationalmuseum\n",
			"{{PD-Art|PD-old-100}}", "[[Category:Paintings in the Nationalmuseum]]\n[[Category:Works by Anna]]",
		} {
			if !strings.Contains(f1.Wikitext, want) {
				t.Fatalf("row 1 wikitext lacks %q:\n%s", want, f1.Wikitext)
			}
		}
		sd, err := media.DecodeStructured(f1.Statements)
		if err != nil {
			t.Fatal(err)
		}
		if sd.Captions["en"] != "Portrait | of [[a]] {{woman}}, painting" || sd.Captions["sv"] != "Portrait | of [[a]] {{woman}}" {
			t.Fatalf("captions are plain text, not wikitext: %v", sd.Captions)
		}
		var props []string
		for _, s := range sd.Statements {
			v, _ := json.Marshal(s.MainSnak.DataValue)
			props = append(props, s.MainSnak.Property+"="+string(v))
		}
		got := strings.Join(props, " ")
		for _, want := range []string{`P6243=`, `"Q101"`, `P170=`, `"Q5598"`, `P6216=`, `"Q19652"`} {
			if !strings.Contains(got, want) {
				t.Fatalf("statements %s lack %s", got, want)
			}
		}
		if strings.Contains(got, "P275") {
			t.Fatalf("a licence statement without a licence item: %s", got)
		}

		expect := map[int64]string{2: jobs.ProblemDuplicateTitle, 3: jobs.ProblemNoItem, 4: jobs.ProblemType, 5: jobs.ProblemTooLarge,
			7: jobs.ProblemTitleTaken, 9: jobs.ProblemFetch, 10: jobs.ProblemFetch}
		for row, code := range expect {
			f := byRow[row]
			found := false
			for _, pr := range f.Problems {
				found = found || pr.Code == code
			}
			if !found || f.Status != jobs.MediaBlocked {
				t.Errorf("row %d: status %s, problems %+v; want blocked by %s", row, f.Status, f.Problems, code)
			}
		}
		if f := byRow[8]; f.Status != jobs.MediaPending || len(f.Problems) != 1 || f.Problems[0].Code != jobs.ProblemOnCommons || !strings.Contains(f.Problems[0].Message, "File:Old scan.png") {
			t.Errorf("row 8 (on Commons): %s %+v", f.Status, f.Problems)
		}
		if f := byRow[11]; f.Status != jobs.MediaPending || len(f.Problems) != 1 || f.Problems[0].Code != jobs.ProblemWasDeleted || f.Problems[0].Blocking ||
			!strings.Contains(f.Problems[0].Message, "File:Gone (NM 12).png was deleted") {
			t.Errorf("row 11 (deleted before): %s %+v", f.Status, f.Problems)
		}
		if f := byRow[7]; !strings.Contains(f.Problems[0].Message, "Commons has a file File:Taken (NM 9).png already") {
			t.Errorf("row 7 message: %+v", f.Problems)
		}
		for _, q := range fake.Queries() {
			if q.Get("list") == "logevents" && (q.Get("letitle") == "File:Taken (NM 9).png" || q.Get("letitle") == "File:Old (NM 8).png") {
				t.Errorf("the deletion log was read for a title that is taken or a file that is linked: %v", q)
			}
		}
		if f := byRow[5]; !strings.Contains(f.Problems[0].Message, "512.0 KiB") {
			t.Errorf("row 5 message: %+v", f.Problems)
		}
		c, _ := st.MediaCounts(ctx, p.ID)
		if c.Files != 10 || c.Pending != 3 || c.Blocked != 7 {
			t.Errorf("counts %+v", c)
		}

		// a second plan of the job sees the first plan's titles as held
		if err := st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanCancelled, "", jobs.MediaPlanReady); err != nil {
			t.Fatal(err)
		}
		p2, _ := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image", Settings: media.SettingsOf(job.Template), CreatedBy: u.ID})
		if err := b.Build(ctx, p2); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.MediaFile(ctx, p2.ID, 1); f.Status != jobs.MediaPending {
			t.Errorf("a cancelled plan's unuploaded titles still held: %+v", f.Problems)
		}
	})
}

func TestBuildMediaPlanFailsOnBadSettings(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	j, u := seed(t, st, `{"columns":{"Title":{"role":"label"}}}`, []seedRow{{"A", "1", "http://x/a.png", "", jobs.MatchMatched}})
	p, _ := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromURL, SourceColumn: "Image",
		Settings: json.RawMessage(`{"source":{"kind":"url","column":"Picture"},"title":"{Titel}.{ext}","licence":"x","relation":"shows"}`), CreatedBy: u.ID})
	b := &media.Builder{Store: st, Fetcher: media.NewFetcher(media.FetchConfig{})}
	if err := b.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	p, _ = st.MediaPlan(ctx, p.ID)
	for _, want := range []string{`unknown key licence`, `source.column "Picture" is not a column`, "{Titel}", `relation must be`} {
		if p.Status != jobs.MediaPlanFailed || !strings.Contains(p.Error, want) {
			t.Errorf("plan %s: %q lacks %q", p.Status, p.Error, want)
		}
	}
}
