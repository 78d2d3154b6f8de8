package wikibasetest_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
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
	resp, err := http.PostForm(s.URL(), map[string][]string{"action": {"wbeditentity"}, "id": {"Q42"}, "data": {"{}"}, "assert": {"user"}, "token": {"+\\"}, "errorformat": {"plaintext"}})
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
	if len(s.WriteRequests()) != 1 || len(s.Edits()) != 0 {
		t.Fatal("write request not recorded, or applied")
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
