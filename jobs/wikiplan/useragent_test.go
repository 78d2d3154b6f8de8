package wikiplan_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"partnerhub/wikidata"
)

// TestEditsNameTheWriterInTheUserAgent: every edit request carries the
// tool's User-Agent with the writer's wiki account added to its contact
// (Wikimedia counts rate limits per client and wants to reach whoever is
// responsible for the edits), and it is a policy-shaped User-Agent.
func TestEditsNameTheWriterInTheUserAgent(t *testing.T) {
	e := setupWrite(t, 3, false)
	if err := e.svc.Write(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.wiki.URL())
	writes := e.wiki.WriteRequests()
	if len(writes) != 3 {
		t.Fatalf("%d write requests, want 3", len(writes))
	}
	want := strings.TrimSuffix(ua, ")") + "; edits for User:Writer on " + u.Host + ")"
	for _, w := range writes {
		if w.UserAgent != want {
			t.Errorf("edit of %s sent User-Agent %q, want %q", w.ID, w.UserAgent, want)
		}
		if err := wikidata.CheckUserAgent(w.UserAgent); err != nil {
			t.Errorf("edit User-Agent %q: %v", w.UserAgent, err)
		}
		if w.User != "Writer" {
			t.Errorf("edit of %s made as %q", w.ID, w.User)
		}
	}
}
