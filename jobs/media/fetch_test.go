package media

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
)

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFetchLimits(t *testing.T) {
	pic := pngBytes(t, 30, 20)
	big := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 1<<10) // 4 KiB that sniff as JPEG
	var other *httptest.Server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pic.png":
			w.Header().Set("Content-Type", "application/octet-stream") // the header is not trusted
			w.Write(pic)
		case "/big.jpg":
			w.Write(big)
		case "/big-declared.jpg":
			w.Header().Set("Content-Length", "99999999")
			w.WriteHeader(http.StatusOK)
		case "/big-chunked.jpg":
			w.(http.Flusher).Flush() // no Content-Length: the size is only known by reading
			w.Write(big)
		case "/page.html":
			w.Write([]byte("<!DOCTYPE html><html><body>not a picture</body></html>"))
		case "/redirect-out":
			http.Redirect(w, r, other.URL+"/pic.png", http.StatusFound)
		case "/redirect-in":
			http.Redirect(w, r, "/pic.png", http.StatusMovedPermanently)
		case "/redirect-ftp":
			http.Redirect(w, r, "ftp://example.org/pic.png", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/gone":
			http.NotFound(w, r)
		case "/ua":
			if r.Header.Get("User-Agent") != "Partnerhub-test/1 (https://example.org)" {
				http.Error(w, "no UA", http.StatusForbidden)
				return
			}
			w.Write(pic)
		}
	}))
	defer srv.Close()
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pic) }))
	defer other.Close()

	// the two servers differ only in port; the allow-list compares host
	// names, so the other server is reached through "localhost"
	otherURL, _ := url.Parse(other.URL)
	otherURL.Host = "localhost:" + otherURL.Port()
	other.URL = otherURL.String()

	f := NewFetcher(FetchConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 2048, UserAgent: "Partnerhub-test/1 (https://example.org)"})
	ctx := context.Background()

	var got bytes.Buffer
	info, err := f.Fetch(ctx, srv.URL+"/pic.png", &got)
	sum := sha1.Sum(pic)
	if err != nil || info.ContentType != "image/png" || info.Width != 30 || info.Height != 20 || info.Size != int64(len(pic)) ||
		info.SHA1 != hex.EncodeToString(sum[:]) || !bytes.Equal(got.Bytes(), pic) {
		t.Fatalf("fetch png: %+v %v", info, err)
	}
	if info, err := f.Fetch(ctx, srv.URL+"/redirect-in", io.Discard); err != nil || info.ContentType != "image/png" {
		t.Fatalf("redirect within the allowed host: %+v %v", info, err)
	}
	if _, err := f.Fetch(ctx, srv.URL+"/ua", io.Discard); err != nil {
		t.Fatalf("User-Agent not sent: %v", err)
	}

	for _, c := range []struct {
		name, url, want, code string
	}{
		{"too large", srv.URL + "/big.jpg", "larger than 2.0 KiB", jobs.ETOOLARGE},
		{"too large, declared", srv.URL + "/big-declared.jpg", "95.4 MiB", jobs.ETOOLARGE},
		{"too large, chunked", srv.URL + "/big-chunked.jpg", "larger than", jobs.ETOOLARGE},
		{"redirect to a host not allowed", srv.URL + "/redirect-out", "localhost is not one this installation fetches files from", jobs.EINVALID},
		{"redirect to ftp", srv.URL + "/redirect-ftp", "not an http(s) URL", jobs.EINVALID},
		{"redirect loop", srv.URL + "/loop", "redirects more than 5 times", jobs.EINVALID},
		{"not found", srv.URL + "/gone", "404", jobs.EINVALID},
		{"ftp", "ftp://127.0.0.1/pic.png", "not an http(s) URL", jobs.EINVALID},
		{"file", "file:///etc/passwd", "not an http(s) URL", jobs.EINVALID},
		{"javascript", "javascript:alert(1)", "not an http(s) URL", jobs.EINVALID},
		{"credentials", "http://user:pw@127.0.0.1/pic.png", "user name or password", jobs.EINVALID},
		{"host not allowed", other.URL + "/pic.png", "not one this installation fetches files from", jobs.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.Fetch(ctx, c.url, io.Discard)
			if err == nil || !strings.Contains(jobs.ErrorMessage(err), c.want) || jobs.ErrorCode(err) != c.code {
				t.Fatalf("Fetch(%s) = %v (%s), want %s saying %q", c.url, err, jobs.ErrorCode(err), c.code, c.want)
			}
			if strings.Contains(jobs.ErrorMessage(err), "pw") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}

	// the wrong type is found by sniffing, and becomes the file's problem
	info, err = f.Fetch(ctx, srv.URL+"/page.html", io.Discard)
	if err != nil || info.ContentType != "text/html" {
		t.Fatalf("html: %+v %v", info, err)
	}
	s := &Settings{Source: SourceSettings{Kind: jobs.MediaFromURL, Column: "url"}, Title: "{t}.{ext}", Wikitext: DefaultWikitext, License: License{Template: "{{cc-zero}}"}}
	mf := s.PlanFile(1, Row{Num: 1, QID: "Q1", Values: map[string]string{"t": "X"}}, srv.URL+"/page.html", info, nil, 2048)
	if !hasProblem(mf.Problems, jobs.ProblemType, "text/html") || !mf.Blocked() {
		t.Fatalf("html file not blocked for its type: %+v", mf.Problems)
	}
}

func TestFetchRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(pngBytes(t, 1, 1)) }))
	defer srv.Close()
	f := NewFetcher(FetchConfig{}) // any host, public addresses only
	u, _ := url.Parse(srv.URL)
	for _, raw := range []string{
		srv.URL + "/pic.png",                        // 127.0.0.1 literally
		"http://localhost:" + u.Port() + "/pic.png", // a name resolving to loopback: refused at connect time
		"http://[::1]:" + u.Port() + "/",
		"http://10.1.2.3/", "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
	} {
		_, err := f.Fetch(context.Background(), raw, io.Discard)
		if err == nil || !strings.Contains(jobs.ErrorMessage(err), "not a public internet address") {
			t.Errorf("Fetch(%s) = %v, want a refusal of the private address", raw, err)
		}
	}
	if err := f.CheckURL("https://upload.example.org/a.jpg"); err != nil {
		t.Errorf("a public host refused: %v", err)
	}
	g := NewFetcher(FetchConfig{AllowedHosts: []string{".example.org", "images.partner.se"}})
	for raw, ok := range map[string]bool{
		"https://example.org/a.jpg": true, "https://cdn.example.org/a.jpg": true, "https://images.partner.se/a.jpg": true,
		"https://evil-example.org/a.jpg": false, "https://partner.se/a.jpg": false, "https://example.org.evil.com/": false,
	} {
		if err := g.CheckURL(raw); (err == nil) != ok {
			t.Errorf("CheckURL(%s) = %v, want allowed=%v", raw, err, ok)
		}
	}
}

func TestSniff(t *testing.T) {
	for want, head := range map[string][]byte{
		"image/tiff":      []byte("II*\x00rest"),
		"image/vnd.djvu":  []byte("AT&TFORM\x00\x00"),
		"audio/flac":      []byte("fLaC\x00"),
		"image/svg+xml":   []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`),
		"image/jpeg":      {0xff, 0xd8, 0xff, 0xe0},
		"application/pdf": []byte("%PDF-1.4"),
		"text/plain":      []byte("hello"),
	} {
		if got := Sniff(head); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestReadRefusesBrokenImageHeader(t *testing.T) {
	pic := pngBytes(t, 4, 4)
	broken := append([]byte{}, pic[:20]...) // PNG signature, then a cut IHDR
	broken = append(broken, bytes.Repeat([]byte{0}, 40)...)
	if _, err := Read(bytes.NewReader(broken), io.Discard, 1<<20); err == nil || !strings.Contains(jobs.ErrorMessage(err), "image/png") {
		t.Fatalf("broken PNG: %v", err)
	}
}

func hasProblem(ps []jobs.MediaProblem, code, text string) bool {
	for _, p := range ps {
		if p.Code == code && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}
