package media_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

func pic(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeCommons answers the planner's two questions from fixed data.
type fakeCommons struct {
	titles map[string]bool
	sha1s  map[string][]string
	asked  int
}

func (f *fakeCommons) ExistingFiles(_ context.Context, names []string) (map[string]bool, error) {
	f.asked++
	out := map[string]bool{}
	for _, n := range names {
		if f.titles[n] {
			out[n] = true
		}
	}
	return out, nil
}

func (f *fakeCommons) FilesWithSHA1(_ context.Context, sha1 string) ([]string, error) {
	return f.sha1s[sha1], nil
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
	png1, png2, onCommons := pic(t, 40, 30), pic(t, 41, 30), pic(t, 42, 30)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/1.png":
			w.Write(png1)
		case "/2.png":
			w.Write(png2)
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
	sum := sha1.Sum(onCommons)
	commons := &fakeCommons{titles: map[string]bool{"Taken (NM 9).png": true}, sha1s: map[string][]string{hex.EncodeToString(sum[:]): {"File:Old scan.png"}}}

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
		if p.Status != jobs.MediaPlanReady || p.RowsDone != 10 {
			t.Fatalf("plan %s (%s), rows %d", p.Status, p.Error, p.RowsDone)
		}
		files, _ := st.MediaFiles(ctx, p.ID, "", 0, 100)
		if len(files) != 9 {
			t.Fatalf("%d files, want 9 (the row without an image is left out)", len(files))
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
		if f := byRow[5]; !strings.Contains(f.Problems[0].Message, "512.0 KiB") {
			t.Errorf("row 5 message: %+v", f.Problems)
		}
		c, _ := st.MediaCounts(ctx, p.ID)
		if c.Files != 9 || c.Pending != 2 || c.Blocked != 7 {
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
