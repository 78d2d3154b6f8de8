package media

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // DecodeConfig of GIF headers
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"partnerhub/jobs"
)

// FetchConfig limits what the worker fetches. Files are fetched by the
// worker, never by the user's browser, so these limits are what keeps a
// dataset from pointing the worker at internal hosts or filling its disk.
type FetchConfig struct {
	// AllowedHosts are the hosts files may come from: "example.org" (that
	// host) or ".example.org" (it and its subdomains). Empty: any public
	// host. Redirects are checked against the same list.
	AllowedHosts []string
	// AllowPrivate lets the worker connect to loopback, private and
	// link-local addresses (tests and closed installations only).
	AllowPrivate bool
	MaxBytes     int64         // largest file; 0: DefaultMaxBytes
	Timeout      time.Duration // per file; 0: 2 minutes
	UserAgent    string
	// Transport replaces the default one (tests); the address checks of
	// AllowPrivate apply only to the default one.
	Transport http.RoundTripper
}

// DefaultMaxBytes is the default size limit of one file.
const DefaultMaxBytes = 100 << 20

const maxRedirects = 5

// Fetcher fetches files by URL.
type Fetcher struct {
	cfg    FetchConfig
	client *http.Client
}

// NewFetcher builds a fetcher with cfg's limits.
func NewFetcher(cfg FetchConfig) *Fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	f := &Fetcher{cfg: cfg}
	tr := cfg.Transport
	if tr == nil {
		dialer := &net.Dialer{Timeout: 30 * time.Second, Control: f.checkAddress}
		tr = &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: 30 * time.Second,
			ResponseHeaderTimeout: time.Minute, MaxIdleConnsPerHost: 2, IdleConnTimeout: time.Minute}
	}
	f.client = &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return jobs.Errorf(jobs.EINVALID, "%s redirects more than %d times.", via[0].URL.Redacted(), maxRedirects)
		}
		if err := f.CheckURL(req.URL.String()); err != nil {
			return jobs.Errorf(jobs.EINVALID, "%s redirects to %s: %s", via[0].URL.Redacted(), req.URL.Redacted(), jobs.ErrorMessage(err))
		}
		return nil
	}}
	return f
}

// MaxBytes is the size limit.
func (f *Fetcher) MaxBytes() int64 { return f.cfg.MaxBytes }

// CheckURL says whether raw is a URL files may be fetched from: http(s),
// no user name or password, a host on the allow-list, and (unless private
// addresses are allowed) not an IP address outside the public internet.
func (f *Fetcher) CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return jobs.Errorf(jobs.EINVALID, "%q is not a URL.", raw)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return jobs.Errorf(jobs.EINVALID, "%q is not an http(s) URL; files are fetched over http(s) only.", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return jobs.Errorf(jobs.EINVALID, "%q has no host.", u.Redacted())
	case u.User != nil:
		return jobs.Errorf(jobs.EINVALID, "%q carries a user name or password; Partnerhub does not send credentials.", u.Redacted())
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if !f.hostAllowed(host) {
		return jobs.Errorf(jobs.EINVALID, "The host %s is not one this installation fetches files from.", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !f.cfg.AllowPrivate && !publicAddr(ip) {
		return jobs.Errorf(jobs.EINVALID, "%s is not a public internet address; files are fetched from public hosts only.", host)
	}
	return nil
}

func (f *Fetcher) hostAllowed(host string) bool {
	if len(f.cfg.AllowedHosts) == 0 {
		return true
	}
	for _, a := range f.cfg.AllowedHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == host || (strings.HasPrefix(a, ".") && (strings.HasSuffix(host, a) || host == a[1:])) {
			return true
		}
	}
	return false
}

// checkAddress refuses connections to non-public addresses after DNS
// resolution, so a public name that resolves to an internal address (or is
// re-bound to one) does not reach it.
func (f *Fetcher) checkAddress(network, address string, _ syscall.RawConn) error {
	if f.cfg.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %s: %w", address, err)
	}
	if !publicAddr(ap.Addr()) {
		return errPrivate{ap.Addr()}
	}
	return nil
}

type errPrivate struct{ ip netip.Addr }

func (e errPrivate) Error() string {
	return "refusing to connect to non-public address " + e.ip.String()
}

func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) && !netip.MustParsePrefix("fc00::/7").Contains(ip)
}

// Fetch downloads raw, streaming it into w (io.Discard when only its
// digest is wanted) while hashing it, and sniffs its type from its first
// bytes. It refuses what breaks the limits with a domain error saying so
// (ETOOLARGE for size).
func (f *Fetcher) Fetch(ctx context.Context, raw string, w io.Writer) (FileInfo, error) {
	if err := f.CheckURL(raw); err != nil {
		return FileInfo{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSpace(raw), nil)
	if err != nil {
		return FileInfo{}, jobs.Errorf(jobs.EINVALID, "%q is not a URL Partnerhub can fetch.", raw)
	}
	if f.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		var de *jobs.Error
		var pe errPrivate
		switch {
		case errors.As(err, &de):
			return FileInfo{}, de
		case errors.As(err, &pe):
			return FileInfo{}, jobs.Errorf(jobs.EINVALID, "%s resolves to %s, which is not a public internet address.", req.URL.Hostname(), pe.ip)
		}
		return FileInfo{}, &jobs.Error{Code: jobs.EINVALID, Message: fmt.Sprintf("%s could not be fetched.", req.URL.Redacted()), Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return FileInfo{}, jobs.Errorf(jobs.EINVALID, "%s answered %s.", req.URL.Redacted(), resp.Status)
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return FileInfo{}, jobs.Errorf(jobs.ETOOLARGE, "%s is %s; files may be at most %s.", req.URL.Redacted(), FormatBytes(resp.ContentLength), FormatBytes(f.cfg.MaxBytes))
	}
	info, err := Read(resp.Body, w, f.cfg.MaxBytes)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.ETOOLARGE {
			return info, jobs.Errorf(jobs.ETOOLARGE, "%s is larger than %s, the most a file may be.", req.URL.Redacted(), FormatBytes(f.cfg.MaxBytes))
		}
		return info, &jobs.Error{Code: jobs.EINVALID, Message: fmt.Sprintf("Reading %s failed.", req.URL.Redacted()), Err: err}
	}
	return info, nil
}

// headBytes is how much of a file is kept for sniffing and for reading
// image dimensions (a JPEG's size comes after its Exif block, which may be
// up to 64 KiB).
const headBytes = 128 << 10

// Read streams r into w, at most max bytes (ETOOLARGE past that), hashing
// it and sniffing its type and image size from its head.
func Read(r io.Reader, w io.Writer, max int64) (FileInfo, error) {
	h := sha1.New()
	head := &limitedBuffer{max: headBytes}
	n, err := io.Copy(io.MultiWriter(w, h, head), io.LimitReader(r, max+1))
	info := FileInfo{Size: n}
	if err != nil {
		return info, err
	}
	if n > max {
		return info, jobs.Errorf(jobs.ETOOLARGE, "The file is larger than %s.", FormatBytes(max))
	}
	info.SHA1 = hex.EncodeToString(h.Sum(nil))
	info.ContentType = Sniff(head.Bytes())
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(head.Bytes())); err == nil && "image/"+format == info.ContentType {
		info.Width, info.Height = cfg.Width, cfg.Height
	} else if err != nil && isDecodable(info.ContentType) && !errors.Is(err, io.ErrUnexpectedEOF) && len(head.Bytes()) < headBytes {
		// the whole file was read and its header does not decode
		return info, jobs.Errorf(jobs.EINVALID, "The file says it is %s but its header does not read as one (%v).", info.ContentType, err)
	}
	return info, nil
}

func isDecodable(ct string) bool {
	return ct == "image/jpeg" || ct == "image/png" || ct == "image/gif"
}

type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) Bytes() []byte { return b.buf.Bytes() }

// Sniff names a file's content type from its first bytes:
// net/http.DetectContentType, plus the formats Commons takes that it does
// not know (TIFF, SVG, DjVu, FLAC). Parameters such as charset are dropped.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	case bytes.HasPrefix(head, []byte("AT&TFORM")):
		return "image/vnd.djvu"
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "audio/flac"
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	if (ct == "text/xml" || ct == "text/plain") && isSVG(head) {
		return "image/svg+xml"
	}
	return ct
}

func isSVG(head []byte) bool {
	h := bytes.ToLower(head[:min(len(head), 4096)])
	return bytes.Contains(h, []byte("<svg"))
}
