package wikibasetest_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// testUA is a User-Agent as the policy asks for; Go's default is refused.
const testUA = "wikibasetest-test/1.0 (https://partnerhub.example/)"

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", testUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStandaloneServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := wikibasetest.NewServer(wikibasetest.Options{Entities: []*wikidata.Entity{{ID: "Q42", Labels: map[string]wikidata.Term{"en": {Language: "en", Value: "Douglas Adams"}}}}}, ln)
	defer s.Close()
	m := get(t, s.URL()+"?action=wbgetentities&ids=Q42|Q999999&format=json")
	ents := m["entities"].(map[string]any)
	if ents["Q42"].(map[string]any)["labels"] == nil || ents["Q999999"].(map[string]any)["missing"] != "" {
		t.Fatalf("answer %v", m)
	}
	// A boolean parameter is true when present, even as "false".
	if hits := get(t, s.URL()+"?action=wbsearchentities&search=douglas&language=fr&strictlanguage=false&format=json")["search"].([]any); len(hits) != 0 {
		t.Fatalf("strict search found %v", hits)
	}
	if hits := get(t, s.URL()+"?action=wbsearchentities&search=DOUGLAS&language=fr&format=json")["search"].([]any); len(hits) != 1 {
		t.Fatalf("search with language fallback found %v", hits)
	}
	// An unsigned write is refused in the real shape, with HTTP 200.
	form := url.Values{"action": {"wbeditentity"}, "id": {"Q42"}, "data": {"{}"}, "assert": {"user"}, "token": {"+\\"}, "errorformat": {"plaintext"}}
	req, _ := http.NewRequest("POST", s.URL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", testUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 200 || len(e.Errors) != 1 || e.Errors[0].Code != "assertuserfailed" {
		t.Fatalf("unsigned write: %d %+v %v", resp.StatusCode, e, err)
	}
	if w := s.WriteRequests(); len(w) != 1 || len(s.Edits()) != 0 || w[0].UserAgent != testUA {
		t.Fatalf("write request not recorded (with its User-Agent), or applied: %+v", w)
	}
}

// TestRequestsWithoutUserAgentAreRefused: like Wikimedia's edge, the fake
// refuses a request with no User-Agent or Go's generic one, with a plain
// text 403 before any API handling.
func TestRequestsWithoutUserAgentAreRefused(t *testing.T) {
	srv := httptest.NewServer(wikibasetest.Handler(wikibasetest.Options{}))
	defer srv.Close()
	for _, ua := range []string{"", "Go-http-client/1.1"} {
		req, _ := http.NewRequest("GET", srv.URL+wikibasetest.APIPath+"?action=wbgetentities&ids=Q1&format=json", nil)
		req.Header.Set("User-Agent", ua)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || !strings.Contains(string(b), "user-agent") {
			t.Errorf("User-Agent %q: %d %q %q", ua, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
}

func TestHandlerAndErrorShapes(t *testing.T) {
	srv := httptest.NewServer(wikibasetest.Handler(wikibasetest.Options{}))
	defer srv.Close()
	legacy := get(t, srv.URL+wikibasetest.APIPath+"?action=nosuch&format=json")
	if legacy["error"].(map[string]any)["code"] != "badvalue" {
		t.Fatalf("legacy error: %v", legacy)
	}
	signed := get(t, srv.URL+wikibasetest.APIPath+"?action=query&meta=userinfo&format=json")
	if signed["query"].(map[string]any)["userinfo"].(map[string]any)["anon"] != true {
		t.Fatalf("anonymous userinfo: %v", signed)
	}
	bad := get(t, srv.URL+wikibasetest.APIPath+"?action=wbgetentities&ids="+strings.Repeat("Q1|", 50)+"Q1&format=json")
	if bad["error"].(map[string]any)["code"] != "toomanyvalues" {
		t.Fatalf("51 ids: %v", bad)
	}
}
