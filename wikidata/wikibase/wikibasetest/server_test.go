package wikibasetest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestErrorShapes checks both error formats and the Retry-After header of maxlag, over HTTP 200.
func TestErrorShapes(t *testing.T) {
	srv := New(t, Options{})
	b, err := os.ReadFile("testdata/entity_Q4115189.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddEntityJSON(b); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []bool{false, true} {
		srv.Inject(Fault{Action: "wbgetentities", Kind: Maxlag, RetryAfter: 3})
		u := srv.URL + "?action=wbgetentities&ids=Q4115189&format=json"
		if plain {
			u += "&errorformat=plaintext"
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Retry-After") != "3" {
			t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		var ans struct {
			Error  *struct{ Code, Info string }
			Errors []struct{ Code, Text, Module string }
		}
		if err := json.Unmarshal(body, &ans); err != nil {
			t.Fatal(err)
		}
		if plain && (len(ans.Errors) != 1 || ans.Errors[0].Code != "maxlag" || ans.Errors[0].Module != "wbgetentities") {
			t.Errorf("plaintext shape: %s", body)
		}
		if !plain && (ans.Error == nil || ans.Error.Code != "maxlag" || ans.Error.Info == "") {
			t.Errorf("legacy shape: %s", body)
		}
	}
	// Fault used up: the real answer, and the entity seeded from JSON.
	resp, err := http.Get(srv.URL + "?action=wbgetentities&ids=Q4115189|Q1&format=json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"Q1":{"id":"Q1","missing":""}`) || !strings.Contains(string(body), `"Wikidata Sandbox"`) {
		t.Errorf("answer: %.300s", body)
	}
}

// TestAnonymousCannotEdit checks that edits without OAuth are refused.
func TestAnonymousCannotEdit(t *testing.T) {
	srv := New(t, Options{})
	resp, err := http.PostForm(srv.URL, map[string][]string{"action": {"wbeditentity"}, "new": {"item"}, "data": {"{}"}, "assert": {"user"}, "token": {`+\`}, "format": {"json"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "assertuserfailed") || len(srv.Edits()) != 0 || srv.WriteRequests() != 1 {
		t.Errorf("answer %s", body)
	}
}
