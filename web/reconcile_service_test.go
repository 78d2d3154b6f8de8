package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/web"
	"partnerhub/web/reconapi"
	"partnerhub/wikidata"
)

// TestReconcileServiceIsOutsideSessionsAndCSRF: /reconcile answers
// anonymous POSTs without a CSRF token and sets no cookie, while every
// other POST still needs its token.
func TestReconcileServiceIsOutsideSessionsAndCSRF(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	wiki, err := wikidata.NewClient(wikidata.Config{APIURL: "http://127.0.0.1:1/w/api.php", UserAgent: "PartnerhubTest/1.0 (dev@partnerhub.invalid)"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := reconapi.New(reconapi.Config{Engines: match.NewMatcher(match.MatcherConfig{}), Wiki: wiki})
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Version: "test", DataDir: t.TempDir(), MaxUploadBytes: 1 << 20, CSRFKey: bytes.Repeat([]byte{7}, 32)},
		web.Deps{Store: f.st, Queue: f.queue, Runner: &recordingRunner{}, Redis: pinger{}, Auth: headerAuth{users: map[string]*jobs.User{"alice": f.alice}}, Reconcile: svc})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = s.Handler()
	for _, tt := range []struct {
		body   string
		status int
		key    string
	}{{"", 200, "identifierSpace"}, {"queries=" + url.QueryEscape(`{"q0":{}}`), 400, "message"}} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/reconcile", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://openrefine.example")
		req.Header.Set("X-Test-User", "alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || m[tt.key] == nil {
			t.Errorf("POST /reconcile %q: %d %v %v", tt.body, resp.StatusCode, m, err)
		}
		if c := resp.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("POST /reconcile set cookies %v", c)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("POST /reconcile without CORS: %v", resp.Header)
		}
	}
	if resp, _ := f.do(t, "alice", "POST", "/jobs", strings.NewReader("name=x"), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /jobs without a CSRF token: %d, want 403", resp.StatusCode)
	}
}
