package fakeserve

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// APIPath is where the fakes answer, as a MediaWiki does.
const APIPath = "/w/api.php"

// RefuseAnonymousAgent answers, as Wikimedia's edge does before MediaWiki
// sees the request (T400119), a request without a descriptive User-Agent:
// 403 in plain text, not API JSON. It says whether it did.
func RefuseAnonymousAgent(rw http.ResponseWriter, r *http.Request) bool {
	if ua := r.UserAgent(); ua != "" && !strings.HasPrefix(ua, "Go-http-client/") {
		return false
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(http.StatusForbidden)
	_, _ = io.WriteString(rw, "Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also T400119.\n")
	return true
}

// WriteJSON answers v as the API's JSON.
func WriteJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(rw).Encode(v)
}

// ErrorEntry is one entry of an error answer.
type ErrorEntry struct {
	Code, Text, Module string
	Data               map[string]any
}

// WriteErrors answers an error as MediaWiki does: HTTP 200 with the
// MediaWiki-API-Error header, Retry-After when retryAfter > 0; with
// errorformat=plaintext a list of {code, text, module, data} entries,
// otherwise the legacy error object, which legacy builds from the entries
// (the fakes' modules differ there). servedBy names the fake.
func WriteErrors(rw http.ResponseWriter, r *http.Request, servedBy string, legacy func([]ErrorEntry) map[string]any, retryAfter int, entries ...ErrorEntry) {
	if retryAfter > 0 {
		rw.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	rw.Header().Set("MediaWiki-API-Error", entries[0].Code)
	var body map[string]any
	if r.FormValue("errorformat") == "plaintext" {
		var errs []any
		for _, e := range entries {
			x := map[string]any{"code": e.Code, "text": e.Text}
			if e.Data != nil {
				x["data"] = e.Data
			}
			if e.Module != "" {
				x["module"] = e.Module
			}
			errs = append(errs, x)
		}
		body = map[string]any{"errors": errs}
	} else {
		body = map[string]any{"error": legacy(entries)}
	}
	body["docref"] = "See " + APIPath + " for API usage. Subscribe to the mediawiki-api-announce mailing list for notice of API deprecations and breaking changes."
	body["servedby"] = servedBy
	WriteJSON(rw, body)
}

// IssueCSRFToken is meta=tokens' csrftoken for user: MediaWiki's fixed
// "+\" for an anonymous one, else a new random token recorded in tokens.
func IssueCSRFToken(tokens map[string]string, user string) string {
	if user == "" {
		return "+\\"
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:]) + "+\\"
	tokens[tok] = user
	return tok
}

// TokensAnswer is the answer to meta=tokens.
func TokensAnswer(csrf string) map[string]any {
	return map[string]any{"batchcomplete": true, "query": map[string]any{"tokens": map[string]any{"csrftoken": csrf}}}
}

// UserInfo is meta=userinfo's userinfo: the anonymous user's when name is
// "", else a registered user's with their rights and rate limits (e.g.
// {"edit": {"user": {"hits": 90, "seconds": 60}}}), and a block's details
// if blocked.
func UserInfo(name string, rights []string, ratelimits map[string]any, blocked bool) map[string]any {
	if name == "" {
		return map[string]any{"id": 0, "name": "127.0.0.1", "anon": true}
	}
	info := map[string]any{"id": 1 + len(name), "name": name, "groups": []string{"*", "user", "autoconfirmed"}, "rights": rights,
		"ratelimits": ratelimits}
	if blocked {
		info["blockid"], info["blockedby"], info["blockreason"], info["blockexpiry"] = 4242, "Admin", "test block", "infinite"
	}
	return info
}

// UserInfoAnswer is the answer to meta=userinfo.
func UserInfoAnswer(info map[string]any) map[string]any {
	return map[string]any{"batchcomplete": true, "query": map[string]any{"userinfo": info}}
}

// DropConnection closes the request's connection without an answer, as a
// proxy that lost its upstream does.
func DropConnection(rw http.ResponseWriter) {
	if hj, ok := rw.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // closes the connection unanswered
}
