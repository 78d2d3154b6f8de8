package commonstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
	"partnerhub/wikidata/commonstest"
	"partnerhub/wikidata/internal/fakeserve"
)

// recorder keeps the last answer the client read.
type recorder struct{ fakeserve.Recorder }

func (r *recorder) take(t *testing.T) any {
	t.Helper()
	last, _, _ := r.Last()
	var v any
	if err := json.Unmarshal(last, &v); err != nil {
		t.Fatalf("answer is not JSON: %s", last)
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// keyed are objects whose keys are data (ids, languages, warning codes):
// each value is held against the documented answer's first value.
var keyed = map[string]bool{"entities": true, "entity.labels": true, "entities.*.labels": true,
	"entity.statements": true, "entities.*.statements": true, "upload.warnings": true}

// conform lists where got has a key the documented answer lacks, or a
// value of another JSON type.
func conform(doc, got any, path string) []string {
	if path == "batchcomplete" {
		return nil // "" in format version 1, true in 2
	}
	if kind(doc) != kind(got) {
		return []string{fmt.Sprintf("%s: %s in the docs, %s from the fake", path, kind(doc), kind(got))}
	}
	var out []string
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch d := doc.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if keyed[path] || keyed[starred(path)] {
			if path == "upload.warnings" {
				return nil // each warning has a value of its own kind
			}
			var first any
			for _, v := range d {
				first = v
				break
			}
			for k, v := range g {
				if first != nil {
					out = append(out, conform(first, v, join("*"))...)
				}
				_ = k
			}
			return out
		}
		for k, v := range g {
			dv, ok := d[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s: the fake writes a key the docs do not show", join(k)))
				continue
			}
			out = append(out, conform(dv, v, join(k))...)
		}
	case []any:
		if len(d) == 0 {
			return nil
		}
		for _, v := range got.([]any) {
			out = append(out, conform(d[0], v, path)...)
		}
	}
	return out
}

func starred(path string) string {
	parts := strings.Split(path, ".")
	if len(parts) > 1 && parts[0] == "entities" {
		parts[1] = "*"
	}
	return strings.Join(parts, ".")
}

// present says whether a dotted path ("*" any key; arrays: every element)
// is in v.
func present(v any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		if path[0] == "*" {
			for _, c := range x {
				if present(c, path[1:]) {
					return true
				}
			}
			return false
		}
		c, ok := x[path[0]]
		return ok && present(c, path[1:])
	case []any:
		if len(x) == 0 {
			return false
		}
		for _, c := range x {
			if !present(c, path) {
				return false
			}
		}
		return true
	}
	return false
}

func jpegOf(t *testing.T, shade uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i%7)*9
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAnswersHaveTheDocumentedShapes drives the fake through the client
// and holds each raw answer against the documented one.
func TestAnswersHaveTheDocumentedShapes(t *testing.T) {
	raw, err := os.ReadFile("testdata/documented-answers.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &docs); err != nil {
		t.Fatal(err)
	}
	alice := commonstest.Account{Name: "Alice", Token: "t", Secret: "s"}
	s := commonstest.Serve(t, commonstest.Options{ConsumerKey: "ck", ConsumerSecret: "cs", Accounts: []commonstest.Account{alice}})
	rec := &recorder{}
	api, err := wikidata.NewClient(wikidata.Config{APIURL: s.URL(), UserAgent: "Partnerhub-test/1.0 (test@example.org)", MaxWait: 50 * time.Millisecond,
		HTTPClient: &http.Client{Transport: rec}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		&wikidata.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "t", TokenSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	c := commons.New(api)
	ctx := context.Background()
	got := map[string]any{}

	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "My bad:filename.jpg", Body: jpegOf(t, 1)}); err != nil {
		t.Fatal(err)
	}
	got["upload_warning"] = rec.take(t)
	if _, err := c.Upload(ctx, commons.UploadRequest{Filename: "File 1.jpg", Body: jpegOf(t, 2), Text: "t"}); err != nil {
		t.Fatal(err)
	}
	got["upload_success"] = rec.take(t)
	big := append(jpegOf(t, 3), jpegOf(t, 4)...)
	first, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Big.jpg", FileSize: int64(len(big)), Offset: 0, Body: big[:1024]})
	if err != nil {
		t.Fatal(err)
	}
	got["chunk_continue"] = rec.take(t)
	if _, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Big.jpg", FileSize: int64(len(big)), Offset: 10, FileKey: first.FileKey, Body: big[10:]}); err == nil {
		t.Fatal("a chunk at the wrong offset was taken")
	}
	got["stashfailed_offset"] = rec.take(t)
	last, err := c.UploadChunk(ctx, commons.Chunk{Filename: "Big.jpg", FileSize: int64(len(big)), Offset: 1024, FileKey: first.FileKey, Body: big[1024:]})
	if err != nil {
		t.Fatal(err)
	}
	got["chunk_last"] = rec.take(t)
	if _, err := c.StashInfo(ctx, last.FileKey); err != nil {
		t.Fatal(err)
	}
	got["stashimageinfo"] = rec.take(t)
	if _, err := c.FindBySHA1(ctx, commonstest.SHA1(jpegOf(t, 2))); err != nil {
		t.Fatal(err)
	}
	got["allimages"] = rec.take(t)
	s.DeleteFile("File_1.jpg")
	if deleted, err := c.WasDeleted(ctx, "File:File 1.jpg"); err != nil || !deleted {
		t.Fatalf("deletion log: %v %v", deleted, err)
	}
	got["logevents_delete"] = rec.take(t)
	s.AddFile("File_1.jpg", "Alice", jpegOf(t, 2))
	f, _ := s.File("File_1.jpg")
	mid := commons.MediaInfoID(f.PageID)
	if _, err := c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: mid, Captions: map[string]string{"en": "x"}}); err != nil {
		t.Fatal(err)
	}
	mi, err := c.MediaInfo(ctx, mid)
	if err != nil {
		t.Fatal(err)
	}
	got["mediainfo_empty"] = rec.take(t)
	s.EditCaptionAs("Carol", f.PageID, "de", "y")
	if _, err := c.EditMediaInfo(ctx, commons.MediaInfoEdit{ID: mid, BaseRevID: mi.LastRevID, Statements: []wikidata.Statement{wikidata.NewItemStatement("P180", "Q42")}}); err != nil {
		t.Fatal(err)
	}
	got["edit_patched"] = rec.take(t)

	var names []string
	for name := range docs {
		if name != "_about" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		var doc struct {
			Required []string `json:"required"`
			Answer   any      `json:"answer"`
		}
		if err := json.Unmarshal(docs[name], &doc); err != nil {
			t.Fatal(err)
		}
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: the test did not produce this answer", name)
			continue
		}
		for _, problem := range conform(doc.Answer, g, "") {
			t.Errorf("%s: %s", name, problem)
		}
		for _, req := range doc.Required {
			if !present(g, strings.Split(req, ".")) {
				t.Errorf("%s: the fake's answer lacks %s: %v", name, req, g)
			}
		}
	}
}

// The comparison itself must be able to fail.
func TestConformCatchesDifferences(t *testing.T) {
	doc := map[string]any{"upload": map[string]any{"result": "Continue", "offset": 5.0}}
	if p := conform(doc, map[string]any{"upload": map[string]any{"result": "Continue", "offset": "5"}}, ""); len(p) != 1 {
		t.Fatalf("a string offset passed: %v", p)
	}
	if p := conform(doc, map[string]any{"upload": map[string]any{"result": "Continue", "offfset": 5.0}}, ""); len(p) != 1 {
		t.Fatalf("an invented key passed: %v", p)
	}
	if present(map[string]any{"entities": map[string]any{"M1": map[string]any{"id": "M1"}}}, strings.Split("entities.*.statements", ".")) {
		t.Fatal("a missing required key was found")
	}
}

// Test helpers take file names as people write them: "a b.jpg" is the
// page "File:A b.jpg" the client finds.
func TestHelpersNormaliseNames(t *testing.T) {
	s := commonstest.Serve(t, commonstest.Options{})
	id := s.AddFile("old scan.jpg", "Carol", jpegOf(t, 9))
	if f, ok := s.File("Old_scan.jpg"); !ok || f.PageID != id || f.Name != "Old_scan.jpg" {
		t.Fatalf("File after AddFile with spaces: %+v %v", f, ok)
	}
	s.DeleteFile("old scan.jpg")
	if _, ok := s.File("Old scan.jpg"); ok {
		t.Fatal("DeleteFile did not find the file by its name as written")
	}
}
