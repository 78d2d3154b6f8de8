package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/watch"
	"partnerhub/jobs/watch/watchtest"
	"partnerhub/wikidata"
)

// TestWatchShowsOnJobShareStatsAndExport: after a real write-back and a
// watch run that found a statement removed and an item merged, the job page
// lists them, the share page and the statistics say the summary, and the
// partner's export says per row what became of its edit.
func TestWatchShowsOnJobShareStatsAndExport(t *testing.T) {
	f := newFixture(t, 1<<20, nil)
	ctx := context.Background()
	wiki, jobID := watchtest.Written(t, f.st, 4, f.alice)
	wiki.ChangeAs("Other", "Q2", func(e *wikidata.Entity) { delete(e.Claims, "P245") })
	if err := wiki.Merge("Other", "Q3", "Q4"); err != nil {
		t.Fatal(err)
	}
	jp := fmt.Sprintf("/jobs/%d", jobID)
	if _, body := f.do(t, "alice", "GET", jp, nil, ""); !strings.Contains(body, "Not checked yet") {
		t.Fatalf("job page before any watch run: %s", body)
	}
	c, _ := wikidata.NewClient(wikidata.Config{APIURL: wiki.URL(), UserAgent: "Partnerhub-test/1.0 (https://partnerhub.example/)"}, nil)
	w, _ := watch.New(watch.Config{}, f.st, func(*jobs.Job) (watch.Wiki, error) { return c, nil })
	if _, err := w.Job(ctx, jobID, 0); err != nil {
		t.Fatal(err)
	}
	const sentence = "7 of 8 statements still there; 1 removed; 1 item merged into Q4"
	resp, body := f.do(t, "alice", "GET", jp, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, sentence) || !strings.Contains(body, `data-watch-item="Q3"`) ||
		!strings.Contains(body, `data-watch-state="removed"`) || !strings.Contains(body, "P245 500000002") {
		t.Fatalf("job page: %d\n%s", resp.StatusCode, body)
	}
	if _, body := f.do(t, "alice", "GET", jp+"/stats", nil, ""); !strings.Contains(body, sentence) {
		t.Fatalf("job statistics lack the watch: %s", body)
	}
	if _, body := f.do(t, "bob", "GET", "/stats", nil, ""); !strings.Contains(body, sentence) {
		t.Fatalf("tool statistics lack the watch: %s", body)
	}
	token, _, err := f.st.CreateShareLink(ctx, jobID, f.alice.ID, "museum", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := f.do(t, "", "GET", "/share/"+token, nil, ""); !strings.Contains(body, sentence) {
		t.Fatalf("share page lacks the watch: %s", body)
	}
	resp, body = f.do(t, "", "GET", "/share/"+token+"/export/csv", nil, "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 5 {
		t.Fatalf("share CSV: %d %v %q", resp.StatusCode, err, body)
	}
	col := len(recs[0]) - 1
	if recs[0][col] != "wikidata_status" {
		t.Fatalf("header %q", recs[0])
	}
	want := []string{"still there", "removed", "item merged into Q4", "still there"}
	for i, w := range want {
		if recs[i+1][col] != w {
			t.Errorf("row %d: wikidata_status %q, want %q", i+1, recs[i+1][col], w)
		}
	}
	if _, body := f.do(t, "alice", "GET", jp+"/export/jsonl", nil, ""); !strings.Contains(body, `"wikidata_status":"item merged into Q4"`) {
		t.Fatalf("JSON Lines export: %s", body)
	}
}
