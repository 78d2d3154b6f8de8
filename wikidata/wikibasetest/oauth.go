package wikibasetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// verifier checks OAuth 1.0a HMAC-SHA1 signatures the way the wiki's OAuth
// extension does (RFC 5849), written from the RFC rather than from any
// client library, so that a client bug cannot hide behind the same bug here.
type verifier struct {
	consumerKey, consumerSecret string
	now                         func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time
}

// verify checks r (whose form must already be parsed) and returns its
// oauth_token. secretOf looks up a token's secret.
func (v *verifier) verify(r *http.Request, secretOf func(token string) (string, bool)) (string, error) {
	p, err := authorizationParams(r.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if p["oauth_consumer_key"] != v.consumerKey {
		return "", errors.New("Invalid consumer")
	}
	if p["oauth_signature_method"] != "HMAC-SHA1" {
		return "", errors.New("Unsupported signature method")
	}
	if ver, ok := p["oauth_version"]; ok && ver != "1.0" {
		return "", errors.New("Unsupported OAuth version")
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	now := v.now()
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return "", errors.New("Expired timestamp, yet valid for 300 seconds")
	}
	secret, ok := secretOf(p["oauth_token"])
	if !ok {
		return "", errors.New("Invalid access token")
	}
	want := signature(baseString(r, p), v.consumerSecret, secret)
	if !hmac.Equal([]byte(want), []byte(p["oauth_signature"])) {
		return "", errors.New("Invalid signature")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for n, at := range v.nonces {
		if now.Sub(at) > 10*time.Minute {
			delete(v.nonces, n)
		}
	}
	key := p["oauth_token"] + "|" + p["oauth_nonce"]
	if p["oauth_nonce"] == "" {
		return "", errors.New("Missing nonce")
	}
	if _, used := v.nonces[key]; used {
		return "", errors.New("Nonce already used")
	}
	v.nonces[key] = now
	return p["oauth_token"], nil
}

// authorizationParams reads `OAuth k="v", ...` (RFC 5849 §3.5.1).
func authorizationParams(h string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		return nil, errors.New("No OAuth Authorization header")
	}
	p := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, errors.New("Malformed Authorization header")
		}
		key, err1 := url.PathUnescape(k)
		val, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, errors.New("Malformed Authorization header")
		}
		if key != "realm" {
			p[key] = val
		}
	}
	return p, nil
}

// baseString is the signature base string of RFC 5849 §3.4.1: method, base
// URI and the normalised parameters of the query, the form body and the
// Authorization header (without oauth_signature).
func baseString(r *http.Request, oauth map[string]string) string {
	type pair struct{ k, v string }
	var pairs []pair
	add := func(vals url.Values) {
		for k, vs := range vals {
			for _, v := range vs {
				pairs = append(pairs, pair{encode(k), encode(v)})
			}
		}
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	add(q)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		add(r.PostForm)
	}
	for k, v := range oauth {
		if k != "oauth_signature" {
			pairs = append(pairs, pair{encode(k), encode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	norm := make([]string, len(pairs))
	for i, p := range pairs {
		norm[i] = p.k + "=" + p.v
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	base := scheme + "://" + host + path
	return strings.ToUpper(r.Method) + "&" + encode(base) + "&" + encode(strings.Join(norm, "&"))
}

// signature is HMAC-SHA1 keyed with both secrets (RFC 5849 §3.4.2).
func signature(base, consumerSecret, tokenSecret string) string {
	m := hmac.New(sha1.New, []byte(encode(consumerSecret)+"&"+encode(tokenSecret)))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// encode is RFC 3986 percent-encoding: everything but unreserved
// characters, upper-case hex (RFC 5849 §3.6).
func encode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
