package commons_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
	"partnerhub/wikidata/commonstest"
)

const consumerKey, consumerSecret = "consumer-key", "consumer-secret"

var (
	alice = commonstest.Account{Name: "Alice", Token: "tok-a", Secret: "sec-a"}
	// bob's consumer was not granted "Upload new files".
	bob = commonstest.Account{Name: "Bob", Token: "tok-b", Secret: "sec-b", Rights: []string{"read", "edit"}}
)

func serve(t *testing.T, tune func(*commonstest.Options)) *commonstest.Server {
	t.Helper()
	opts := commonstest.Options{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Accounts: []commonstest.Account{alice, bob},
		AllowedTags: []string{"partnerhub"}}
	if tune != nil {
		tune(&opts)
	}
	return commonstest.Serve(t, opts)
}

func client(t *testing.T, s *commonstest.Server, who commonstest.Account) *commons.Client {
	t.Helper()
	api, err := wikidata.NewClient(wikidata.Config{APIURL: s.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", Tag: "partnerhub",
		MaxWait: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		&wikidata.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Token: who.Token, TokenSecret: who.Secret})
	if err != nil {
		t.Fatal(err)
	}
	return commons.New(api)
}

// JPEG makes a distinct small JPEG (seed changes its content).
func JPEG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < 256; i++ {
		if (i*7+seed)%5 == 0 || i == seed%256 {
			img.Set(i%16, i/16, color.RGBA{uint8(seed * 37), uint8(seed >> 3), 200, 255})
		}
	}
	img.Set(seed%16, (seed/16)%16, color.RGBA{255, 255, 255, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUploadThenFindBySHA1UserUploadsAndPage(t *testing.T) {
	s := serve(t, nil)
	c := client(t, s, alice)
	ctx := context.Background()
	body := JPEG(t, 1)
	res, err := c.Upload(ctx, commons.UploadRequest{Filename: "Portrait of a lady (inv 12).jpg", Text: "== Summary ==", Comment: "Partnerhub upload", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if res.Result != "Success" || res.Filename != "Portrait_of_a_lady_(inv_12).jpg" || res.File == nil || res.File.SHA1 != commonstest.SHA1(body) {
		t.Fatalf("upload result %+v", res)
	}
	found, err := c.FindBySHA1(ctx, commonstest.SHA1(body))
	if err != nil || len(found) != 1 || found[0].Title != "File:Portrait of a lady (inv 12).jpg" || found[0].User != "Alice" {
		t.Fatalf("by sha1: %+v %v", found, err)
	}
	mine, err := c.UserUploads(ctx, "Alice", time.Now().Add(-time.Hour), 50)
	if err != nil || len(mine) != 1 || mine[0].Comment != "Partnerhub upload" {
		t.Fatalf("user uploads: %+v %v", mine, err)
	}
	pages, err := c.Pages(ctx, []string{"Portrait_of_a_lady_(inv_12).jpg", "File:Nothing here.jpg", "File:Bad<name.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	p := pages["Portrait_of_a_lady_(inv_12).jpg"]
	if p == nil || p.PageID == 0 || p.File == nil || p.File.SHA1 != commonstest.SHA1(body) || p.LastRevID == 0 {
		t.Fatalf("page %+v", p)
	}
	if m := pages["File:Nothing here.jpg"]; m == nil || !m.Missing {
		t.Fatalf("missing page %+v", m)
	}
	if b := pages["File:Bad<name.jpg"]; b == nil || !b.Invalid || b.InvalidReason == "" {
		t.Fatalf("invalid page %+v", b)
	}
	if up := s.Uploads(); len(up) != 1 || up[0].Text != "== Summary ==" || strings.Join(up[0].Tags, "|") != "partnerhub" {
		t.Fatalf("published %+v", up)
	}
}

func TestWarningsPublishNothingAndAreTyped(t *testing.T) {
	s := serve(t, nil)
	c := client(t, s, alice)
	ctx := context.Background()
	body := JPEG(t, 2)
	s.AddFile("Existing_copy.jpg", "Carol", body)
	s.AddFile("Taken_name.jpg", "Carol", JPEG(t, 3))
	s.AddFile("Gone.jpg", "Carol", JPEG(t, 4))
	s.DeleteFile("Gone.jpg")

	res, err := c.Upload(ctx, commons.UploadRequest{Filename: "Another name.jpg", Body: body})
	if err != nil || res.Result != "Warning" || strings.Join(res.Warnings.Duplicate, ",") != "Existing_copy.jpg" || res.FileKey == "" {
		t.Fatalf("duplicate: %+v %v", res, err)
	}
	res, err = c.Upload(ctx, commons.UploadRequest{Filename: "Taken name.jpg", Body: JPEG(t, 5)})
	if err != nil || res.Result != "Warning" || res.Warnings.Exists != "Taken_name.jpg" || res.Warnings.NoChange {
		t.Fatalf("exists: %+v %v", res, err)
	}
	res, err = c.Upload(ctx, commons.UploadRequest{Filename: "Existing copy.jpg", Body: body})
	if err != nil || !res.Warnings.NoChange || res.Warnings.Exists == "" {
		t.Fatalf("nochange: %+v %v", res, err)
	}
	// A person decided to commit anyway: the wiki refuses an exact copy.
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Existing copy.jpg", FileKey: res.FileKey, IgnoreWarnings: true}); !commons.IsNoChange(err) {
		t.Fatalf("commit of an exact copy: %v", err)
	}
	res, err = c.Upload(ctx, commons.UploadRequest{Filename: "Gone.jpg", Body: JPEG(t, 6)})
	if err != nil || res.Warnings.WasDeleted != "Gone.jpg" {
		t.Fatalf("was-deleted: %+v %v", res, err)
	}
	res, err = c.Upload(ctx, commons.UploadRequest{Filename: "Reborn.jpg", Body: JPEG(t, 4)})
	if err != nil || res.Warnings.DuplicateArchive != "Gone.jpg" {
		t.Fatalf("duplicate-archive: %+v %v", res, err)
	}
	res, err = c.Upload(ctx, commons.UploadRequest{Filename: "Left:right.jpg", Body: JPEG(t, 7)})
	if err != nil || res.Warnings.BadFilename != "Left-right.jpg" || strings.Join(res.Warnings.Codes(), ",") != "badfilename" {
		t.Fatalf("badfilename: %+v %v", res, err)
	}
	if n := len(s.Uploads()); n != 3 {
		t.Fatalf("warnings published files: %d uploads", n)
	}
	// The stashed file of a warning can be committed once decided on.
	ok, err := c.Upload(ctx, commons.UploadRequest{Filename: "Left:right.jpg", FileKey: res.FileKey, IgnoreWarnings: true, Text: "x"})
	if err != nil || ok.Result != "Success" || ok.Filename != "Left-right.jpg" {
		t.Fatalf("commit after decision: %+v %v", ok, err)
	}
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Blind.jpg", Body: JPEG(t, 8), IgnoreWarnings: true}); err == nil {
		t.Fatal("ignorewarnings was sent blindly with a file")
	}
}

func TestUploadErrors(t *testing.T) {
	s := serve(t, func(o *commonstest.Options) { o.UploadRateLimit = &commonstest.RateLimit{Hits: 1, Per: time.Hour} })
	c := client(t, s, alice)
	ctx := context.Background()
	_, err := c.Upload(ctx, commons.UploadRequest{Filename: "Not a jpeg.jpg", Body: pngBytes(t)})
	if !commons.IsVerificationError(err) || !strings.Contains(err.Error(), "image/png") {
		t.Fatalf("content not matching the extension: %v", err)
	}
	var ae *wikidata.APIError
	if !errors.As(err, &ae) || !strings.Contains(string(ae.Entries[0].Data), "filetype-mime-mismatch") {
		t.Fatalf("verification details: %#v", ae)
	}
	if _, err := client(t, s, bob).Upload(ctx, commons.UploadRequest{Filename: "No grant.jpg", Body: JPEG(t, 1)}); !wikidata.IsPermissionDenied(err) || !wikidata.IsFatalForUser(err) {
		t.Fatalf("without the upload grant: %v", err)
	}
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Bad|name.jpg", Body: JPEG(t, 1)}); !commons.IsBadFilename(err) {
		t.Fatalf("illegal name: %v", err)
	}
	s.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.BadToken})
	if res, err := c.Upload(ctx, commons.UploadRequest{Filename: "After bad token.jpg", Body: JPEG(t, 1)}); err != nil || res.Result != "Success" {
		t.Fatalf("badtoken is retried once with a fresh token: %+v %v", res, err)
	}
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Second.jpg", Body: JPEG(t, 2)}); !wikidata.IsRateLimited(err) {
		t.Fatalf("over the upload rate limit: %v", err)
	}
	s.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.Maxlag, RetryAfter: 3})
	_, err = c.Upload(ctx, commons.UploadRequest{Filename: "Lagged.jpg", Body: JPEG(t, 3)})
	if !wikidata.IsMaxlag(err) || !errors.As(err, &ae) || ae.RetryAfter != 3*time.Second {
		t.Fatalf("maxlag on a write goes back with its Retry-After: %v", err)
	}
	s.Inject(commonstest.Fault{Action: "query", Kind: commonstest.Maxlag, RetryAfter: 1})
	if _, err := c.FindBySHA1(ctx, commonstest.SHA1(JPEG(t, 1))); err != nil {
		t.Fatalf("a read waits maxlag out: %v", err)
	}
	s.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.HTTP500})
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Five hundred.jpg", Body: JPEG(t, 4)}); !errors.Is(err, wikidata.ErrOutcomeUnknown) {
		t.Fatalf("HTTP 500 on an upload: outcome unknown, got %v", err)
	}
}

func TestChunkedUploadStashAndCommit(t *testing.T) {
	s := serve(t, nil)
	c := client(t, s, alice)
	ctx := context.Background()
	var body []byte
	for i := range 5 {
		body = append(body, JPEG(t, 100+i)...)
	}
	size := int64(len(body))
	const chunk = 1100
	var key string
	var off int64
	for off < size {
		end := min(off+chunk, size)
		res, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Big one.jpg", FileSize: size, Offset: off, FileKey: key, Body: body[off:end]})
		if err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
		key = res.FileKey
		if end < size {
			if res.Result != "Continue" || res.Offset != end {
				t.Fatalf("chunk answer %+v", res)
			}
			if off == 0 {
				// A chunk sent twice (its answer was lost): the stash says
				// where it stands.
				_, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Big one.jpg", FileSize: size, Offset: off + 1, FileKey: key, Body: body[off+1 : end+1]})
				if got, ok := commons.StashOffset(err); !ok || got != end {
					t.Fatalf("resend: offset %d %v (%v)", got, ok, err)
				}
			}
		} else if res.Result != "Success" || res.FileKey == "" {
			t.Fatalf("last chunk %+v", res)
		}
		off = end
	}
	if len(s.Uploads()) != 0 {
		t.Fatal("chunks published a file before the commit")
	}
	res, err := c.Upload(ctx, commons.UploadRequest{Filename: "Big one.jpg", FileKey: key, Text: "text", Comment: "c"})
	if err != nil || res.Result != "Success" || res.File.SHA1 != commonstest.SHA1(body) {
		t.Fatalf("commit: %+v %v", res, err)
	}
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "Big one.jpg", FileKey: key}); !commons.IsStashLost(err) {
		t.Fatalf("a committed file key is gone: %v", err)
	}
}

func TestMediaInfoEditAndMissing(t *testing.T) {
	s := serve(t, nil)
	c := client(t, s, alice)
	ctx := context.Background()
	pageID := s.AddFile("Painting.jpg", "Alice", JPEG(t, 9))
	mid := commons.MediaInfoID(pageID)
	mi, err := c.MediaInfo(ctx, mid)
	if err != nil || !mi.Missing {
		t.Fatalf("a new file has no structured data yet: %+v %v", mi, err)
	}
	captions := map[string]string{"en": "A painting", "de": "Ein Gemälde"}
	stmts := []wikidata.Statement{wikidata.NewItemStatement("P180", "Q42"), wikidata.NewItemStatement("P6216", "Q50423863"), wikidata.NewItemStatement("P275", "Q18199165")}
	res, err := c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: mid, Captions: captions, Statements: stmts, Summary: "sdc"})
	if err != nil || res.ID != mid || res.LastRevID == 0 {
		t.Fatalf("edit: %+v %v", res, err)
	}
	mi, err = c.MediaInfo(ctx, mid)
	if err != nil || mi.Missing || mi.Labels["de"].Value != "Ein Gemälde" || len(mi.Statements["P180"]) != 1 || !strings.HasPrefix(mi.Statements["P180"][0].ID, mid+"$") {
		t.Fatalf("read back: %+v %v", mi, err)
	}
	if c2, s2 := commons.Missing(mi, captions, stmts); len(c2) != 0 || len(s2) != 0 {
		t.Fatalf("nothing is missing any more: %v %v", c2, s2)
	}
	c2, s2 := commons.Missing(mi, map[string]string{"en": "Other", "fr": "Une peinture"}, append(stmts, wikidata.NewItemStatement("P170", "Q5598")))
	if len(c2) != 1 || c2["fr"] == "" || len(s2) != 1 || s2[0].MainSnak.Property != "P170" {
		t.Fatalf("missing: %v %v", c2, s2)
	}
	// Someone else changes the French caption meanwhile: setting it on the
	// old base is a conflict; adding a statement is patched.
	base := mi.LastRevID
	s.EditCaptionAs("Carol", pageID, "fr", "Tableau")
	if _, err := c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: mid, BaseRevID: base, Captions: c2}); !wikidata.IsEditConflict(err) {
		t.Fatalf("caption conflict: %v", err)
	}
	res, err = c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: mid, BaseRevID: base, Statements: s2})
	if err != nil || !res.Patched() {
		t.Fatalf("patched statement: %+v %v", res, err)
	}
	if d := s.Duplicates(); len(d) != 0 {
		t.Fatalf("duplicates %v", d)
	}
	if _, err := c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: "M999999999", Statements: s2}); !wikidata.IsMissingEntity(err) {
		t.Fatalf("no such file page: %v", err)
	}
}

func TestMediaInfoPayloadUsesClaimsWithoutDatatype(t *testing.T) {
	b, err := commons.MediaInfoPayload(map[string]string{"en": "x"}, []wikidata.Statement{wikidata.NewItemStatement("P180", "Q1")})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, `"claims":[`) || strings.Contains(got, "statements") || strings.Contains(got, "datatype") || !strings.Contains(got, `"labels":{"en":{"language":"en","value":"x"}}`) {
		t.Fatalf("payload %s", got)
	}
}

// The planner's checks: titles 50 a request, with the imageinfo that did
// not fit in an answer fetched through continuation; the deletion log one
// title a request; files by SHA-1.
func TestPlannerChecks(t *testing.T) {
	s := serve(t, func(o *commonstest.Options) { o.ImageInfoPerAnswer = 7 })
	c := client(t, s, alice)
	ctx := context.Background()
	body := JPEG(t, 40)
	var names []string
	for i := range 60 {
		name := fmt.Sprintf("Taken %d.jpg", i)
		s.AddFile(strings.ReplaceAll(name, " ", "_"), "Carol", JPEG(t, 41+i))
		names = append(names, name, fmt.Sprintf("Free %d.jpg", i))
	}
	s.AddFile("Old_scan.jpg", "Carol", body)
	s.AddFile("Gone.jpg", "Carol", JPEG(t, 39))
	s.DeleteFile("Gone.jpg")
	names = append(names, "Bad[name].jpg", "old scan.jpg", "Gone.jpg")
	states, err := c.TitleStates(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		st := states[n]
		switch {
		case strings.HasPrefix(n, "Taken"), n == "old scan.jpg":
			if !st.Exists || !st.HasFile || st.Invalid != "" {
				t.Errorf("%s: %+v, want taken with a file", n, st)
			}
		case n == "Bad[name].jpg":
			if st.Invalid == "" || st.Exists {
				t.Errorf("%s: %+v, want invalid", n, st)
			}
		default:
			if st.Exists || st.Invalid != "" {
				t.Errorf("%s: %+v, want free", n, st)
			}
		}
	}
	batches, continued := 0, 0
	for _, q := range s.Queries() {
		if q.Get("prop") != "info|imageinfo" {
			continue
		}
		if n := len(strings.Split(q.Get("titles"), "|")); n > 50 {
			t.Fatalf("%d titles in one request", n)
		}
		if q.Get("iicontinue") == "" {
			batches++
		} else {
			continued++
		}
	}
	if batches != 3 || continued == 0 {
		t.Fatalf("%d batches and %d continued requests for %d titles (7 imageinfo an answer)", batches, continued, len(names))
	}
	for title, want := range map[string]bool{"File:Gone.jpg": true, "File:Free 1.jpg": false, "File:Taken 1.jpg": false} {
		if got, err := c.WasDeleted(ctx, title); err != nil || got != want {
			t.Errorf("WasDeleted(%s) = %v %v", title, got, err)
		}
	}
	titles, err := c.FilesWithSHA1(ctx, commonstest.SHA1(body))
	if err != nil || len(titles) != 1 || titles[0] != "File:Old scan.jpg" {
		t.Fatalf("by sha1 %v %v", titles, err)
	}
}

// The stash tells where a chunked upload stands (its size follows the
// offset), forgets a chunk session's key once the last chunk assembled the
// file, and forgets everything once it expires: each of those is a stash
// error IsStashLost recognises, for the chunk, the commit and the lookup.
func TestStashInfoFollowsChunksAndExpires(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := serve(t, func(o *commonstest.Options) { o.Now = clock; o.StashMaxAge = 2 * time.Minute })
	c := client(t, s, alice)
	ctx := context.Background()
	body := append(append(JPEG(t, 200), JPEG(t, 201)...), JPEG(t, 202)...)
	size := int64(len(body))
	first, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Stashed.jpg", FileSize: size, Offset: 0, Body: body[:1024]})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.StashInfo(ctx, first.FileKey)
	if err != nil || info.Size != 1024 || info.SHA1 != commonstest.SHA1(body[:1024]) {
		t.Fatalf("a chunk session after one chunk: %+v %v", info, err)
	}
	if _, err := client(t, s, bob).StashInfo(ctx, first.FileKey); !commons.IsStashLost(err) {
		t.Fatalf("another user's stash key: %v", err)
	}
	if _, err := c.StashInfo(ctx, "../../etc/passwd"); !commons.IsStashLost(err) {
		t.Fatalf("a key of the wrong shape: %v", err)
	}
	last, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Stashed.jpg", FileSize: size, Offset: 1024, FileKey: first.FileKey, Body: body[1024:]})
	if err != nil || last.Result != "Success" {
		t.Fatalf("last chunk: %+v %v", last, err)
	}
	if _, err := c.StashInfo(ctx, first.FileKey); !commons.IsStashLost(err) {
		t.Fatalf("the chunk session's key after assembly: %v", err)
	}
	info, err = c.StashInfo(ctx, last.FileKey)
	if err != nil || info.Size != size || info.SHA1 != commonstest.SHA1(body) || info.Mime != "image/jpeg" {
		t.Fatalf("the assembled file: %+v %v", info, err)
	}

	// A new session, then the clock passes the stash's age.
	again, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Stashed again.jpg", FileSize: size, Offset: 0, Body: body[:1024]})
	if err != nil {
		t.Fatal(err)
	}
	// (The fake checks OAuth timestamps against the same clock, allowing
	// five minutes: the stash's age here stays below that.)
	mu.Lock()
	now = now.Add(3 * time.Minute)
	mu.Unlock()
	for what, err := range map[string]error{
		"lookup of the file": func() error { _, err := c.StashInfo(ctx, last.FileKey); return err }(),
		"commit": func() error {
			_, err := c.Upload(ctx, commons.UploadRequest{Filename: "Stashed.jpg", FileKey: last.FileKey})
			return err
		}(),
		"next chunk": func() error {
			_, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Stashed again.jpg", FileSize: size, Offset: 1024, FileKey: again.FileKey, Body: body[1024:]})
			return err
		}(),
	} {
		if !commons.IsStashLost(err) {
			t.Errorf("%s after the stash expired: %v", what, err)
		}
		if _, ok := commons.StashOffset(err); ok {
			t.Errorf("%s: an expired stash gives no offset to resume from: %v", what, err)
		}
	}
	if len(s.Uploads()) != 0 {
		t.Fatal("something was published")
	}
}
