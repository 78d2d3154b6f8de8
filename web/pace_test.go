package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
	"partnerhub/web"
)

// The job page says how much query-service time the job took and how much
// of the service's budget every process is spending now.
func TestJobPageShowsEndpointTimeAndPace(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	var asked *jobs.Job
	h := newHandler(t, web.Deps{Store: st, Queue: &recordingQueue{}, Runner: &recordingRunner{}, Redis: pinger{}, Auth: headerAuth{users: map[string]*jobs.User{"alice": alice}},
		EndpointPace: func(_ context.Context, j *jobs.Job) (jobs.EndpointPace, error) {
			asked = j
			return jobs.EndpointPace{Endpoint: "https://query.example/sparql", Spent: 31 * time.Second, Budget: 40 * time.Second, Window: time.Minute,
				PausedUntil: time.Date(2026, 12, 1, 10, 30, 5, 0, time.UTC)}, nil
		}}, nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	f := &fixture{st: st, srv: srv, alice: alice, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	j := f.reconciledJobFor(t, alice)
	if err := st.AddBatchEndpointTime(ctx, j.ID, 1, 2345*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d", j.ID), nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("job page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Query service time", "2.3 s for 1 requests", "31 s of 40 s allowed per minute (77%)", "paused by the service until 10:30:05 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if asked == nil || asked.ID != j.ID {
		t.Fatalf("pace asked for job %v", asked)
	}
}
