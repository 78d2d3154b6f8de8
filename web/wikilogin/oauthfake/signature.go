package oauthfake

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// This file checks OAuth 1.0a HMAC-SHA1 signatures per RFC 5849 §3.4,
// written from the RFC and independently of the client library, so the
// fake catches a client that signs wrongly (e.g. leaves out MediaWiki's
// "title" query parameter).

// encode is RFC 5849 §3.6 percent-encoding: everything but unreserved
// characters, with upper-case hex.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// authParams parses the OAuth parameters of an Authorization header.
func authParams(r *http.Request) (map[string]string, error) {
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		return nil, fmt.Errorf("no OAuth Authorization header")
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, fmt.Errorf("malformed Authorization parameter %q", part)
		}
		key, err1 := url.PathUnescape(k)
		val, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed Authorization encoding in %q", part)
		}
		out[key] = val
	}
	return out, nil
}

// SignatureBaseString builds the §3.4.1 base string of a request. The body,
// if form-encoded, is read and restored.
func SignatureBaseString(r *http.Request) (string, error) {
	type pair struct{ k, v string }
	var params []pair
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			params = append(params, pair{encode(k), encode(v)})
		}
	}
	if r.PostForm != nil {
		// The form was parsed already (its body is read): use it.
		for k, vs := range r.PostForm {
			for _, v := range vs {
				params = append(params, pair{encode(k), encode(v)})
			}
		}
	} else if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return "", err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", err
		}
		for k, vs := range form {
			for _, v := range vs {
				params = append(params, pair{encode(k), encode(v)})
			}
		}
	}
	auth, err := authParams(r)
	if err != nil {
		return "", err
	}
	for k, v := range auth {
		if k == "realm" || k == "oauth_signature" {
			continue
		}
		params = append(params, pair{encode(k), encode(v)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.k + "=" + p.v
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	base := scheme + "://" + host + r.URL.EscapedPath()
	return strings.ToUpper(r.Method) + "&" + encode(base) + "&" + encode(strings.Join(parts, "&")), nil
}

// sign computes the HMAC-SHA1 signature of a base string.
func sign(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha1.New, []byte(encode(consumerSecret)+"&"+encode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
