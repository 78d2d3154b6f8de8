package wikibasetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// percentEncode is RFC 5849 §3.6: everything but unreserved characters, uppercase hex.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// parseAuthorization reads an `Authorization: OAuth k="v", ...` header (RFC 5849 §3.5.1).
func parseAuthorization(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, false
		}
		v = strings.Trim(v, `"`)
		dk, err1 := url.PathUnescape(k)
		dv, err2 := url.PathUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, false
		}
		out[dk] = dv
	}
	return out, true
}

// signatureBaseString is RFC 5849 §3.4.1: method, base string URI and the normalized
// parameters from the query, the form body and the Authorization header (minus signature and realm).
func signatureBaseString(method, baseURI string, params [][2]string) string {
	enc := make([]string, 0, len(params))
	for _, p := range params {
		enc = append(enc, percentEncode(p[0])+"="+percentEncode(p[1]))
	}
	// Sorting the encoded "k=v" pairs sorts by name then value, since '=' sorts below any
	// character an encoded name can contain.
	sort.Strings(enc)
	return strings.ToUpper(method) + "&" + percentEncode(baseURI) + "&" + percentEncode(strings.Join(enc, "&"))
}

func hmacSHA1(base, consumerSecret, tokenSecret string) string {
	m := hmac.New(sha1.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// requestParams collects the parameters RFC 5849 §3.4.1.3 signs. body is the raw form body.
func requestParams(r *http.Request, body string, oauth map[string]string) [][2]string {
	var ps [][2]string
	add := func(vs url.Values) {
		for k, list := range vs {
			for _, v := range list {
				ps = append(ps, [2]string{k, v})
			}
		}
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	add(q)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f, _ := url.ParseQuery(body)
		add(f)
	}
	for k, v := range oauth {
		if k == "oauth_signature" || k == "realm" {
			continue
		}
		ps = append(ps, [2]string{k, v})
	}
	return ps
}

func baseURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndex(host, ":")]
	}
	return scheme + "://" + host + r.URL.Path
}
