package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"partnerhub/jobs"
)

// rowThreeNote is the note on row 3's result: its partner item is missing.
const rowThreeNote = "the partner's item Q999 (wikidata) does not exist on the wiki: deleted, or a typo"

// reconciledJobFor makes a job of u with 3 rows reconciled: row 1 matched,
// row 2 to review with two candidates, row 3 without candidate.
func (f *fixture) reconciledJobFor(t *testing.T, u *jobs.User) *jobs.Job {
	t.Helper()
	ctx := context.Background()
	j, _ := f.st.CreateJob(ctx, u.ID, "Reviewed", "")
	_ = f.st.SetJobTemplate(ctx, j.ID, []byte(`{"version":1,"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"}}}`))
	ds, _ := f.st.CreateDataset(ctx, j.ID, "painters.csv", "/none", 10)
	ds.Columns, ds.Encoding, ds.Delimiter = []string{"name", "born"}, "utf-8", ','
	_ = f.st.StartImport(ctx, ds)
	_ = f.st.AppendRows(ctx, ds.ID, []jobs.Row{
		{Num: 1, Cells: []string{"Hilma af Klint", "1862"}},
		{Num: 2, Cells: []string{"=HYPERLINK(\"http://evil\")", "1840"}},
		{Num: 3, Cells: []string{"Unknown", ""}},
	}, 3)
	ds.RowCount = 3
	_ = f.st.FinishImport(ctx, ds, nil)
	_ = f.st.StartReconciliation(ctx, j.ID, 3, 3)
	_, err := f.st.SaveBatchResult(ctx, j.ID, 1, []jobs.RowMatch{
		{Row: 1, Status: jobs.MatchMatched, QID: "Q231092", Label: "Hilma af Klint", Score: 0.98,
			Candidates: []jobs.CandidateSummary{{QID: "Q231092", Label: "Hilma af Klint", Description: "Swedish painter", Score: 0.98,
				Evidence: []string{"label equals name"}, Facts: map[string][]string{"P569": {"1862-10-26"}}}}},
		{Row: 2, Status: jobs.MatchReview, QID: "Q100", Label: "Claude Monet", Score: 0.6,
			Candidates: []jobs.CandidateSummary{
				{QID: "Q100", Label: "Claude Monet", Score: 0.6, Facts: map[string][]string{"P569": {"1840-11-14"}}},
				{QID: "Q200", Label: "Another", Score: 0.4, Facts: map[string][]string{"P569": {"1901"}}}}},
		{Row: 3, Status: jobs.MatchNone, Note: rowThreeNote},
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestReviewPageAndDecisions(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.reconciledJobFor(t, f.alice)
	reviewPath := fmt.Sprintf("/jobs/%d/review", j.ID)
	resp, body := f.do(t, "alice", "GET", reviewPath, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("review page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Hilma af Klint", "Swedish painter", `href="https://www.wikidata.org/wiki/Q231092"`, `class="agree"`, `class="conflict"`, "Keyboard shortcuts", `data-key="1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	token := f.csrfToken(t, "alice", reviewPath)
	post := func(user, path string, form url.Values, accept string) (*http.Response, string) {
		form.Set("csrf_token", token)
		req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Test-User", user)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(resp))
		return resp, b.String()
	}
	rowPath := func(n int) string { return fmt.Sprintf("/jobs/%d/review/row/%d", j.ID, n) }

	// Plain form: accept candidate 2 on row 2, redirected back to the row.
	resp, _ = post("alice", rowPath(2), url.Values{"action": {"accept"}, "qid": {"Q200"}, "version": {"0"}, "return": {reviewPath + "?status=review"}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != reviewPath+"?status=review#row-2" {
		t.Fatalf("accept: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Script: the same row from a stale page (version 0) is refused with who decided.
	resp, body = post("alice", rowPath(2), url.Values{"action": {"reject"}, "version": {"0"}}, "application/json")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Alice decided row 2") {
		t.Fatalf("stale decision: %d %s", resp.StatusCode, body)
	}
	resp, body = post("alice", rowPath(3), url.Values{"action": {"new"}, "version": {"0"}}, "application/json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"kind":"new"`) || !strings.Contains(body, `"version":1`) {
		t.Fatalf("json decision: %d %s", resp.StatusCode, body)
	}
	// A typed QID must be well formed.
	resp, body = post("alice", rowPath(1), url.Values{"action": {"accept"}, "qid": {"Q0x"}, "manual": {"1"}, "version": {"0"}}, "application/json")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not an item id") {
		t.Fatalf("bad manual qid: %d %s", resp.StatusCode, body)
	}
	// Return addresses elsewhere are not followed.
	resp, _ = post("alice", rowPath(1), url.Values{"action": {"reject"}, "version": {"0"}, "return": {"https://evil.example/"}}, "")
	if loc := resp.Header.Get("Location"); loc != reviewPath+"#row-1" {
		t.Fatalf("open redirect: %q", loc)
	}
	// Bob cannot see or decide on Alice's job.
	if resp, _ := f.do(t, "bob", "GET", reviewPath, nil, ""); resp.StatusCode != 404 {
		t.Fatalf("bob review page: %d", resp.StatusCode)
	}
	if resp, _ := post("bob", rowPath(1), url.Values{"action": {"reject"}, "version": {"1"}}, ""); resp.StatusCode != 404 {
		t.Fatalf("bob decides: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "bob", "GET", fmt.Sprintf("/jobs/%d/export.csv", j.ID), nil, ""); resp.StatusCode != 404 {
		t.Fatalf("bob export: %d", resp.StatusCode)
	}

	// Export: partner columns, decisions, formula-safe cells.
	resp, body = f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/export.csv", j.ID), nil, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "name" || recs[0][2] != "wikidata_qid" {
		t.Fatalf("export header/rows: %v", recs)
	}
	if recs[1][2] != "" || recs[1][7] != "reject" { // row 1 was rejected after all
		t.Fatalf("row 1: %v", recs[1])
	}
	if recs[2][0] != `'=HYPERLINK("http://evil")` || recs[2][2] != "Q200" || recs[2][8] != "Alice" {
		t.Fatalf("row 2: %v", recs[2])
	}
	if recs[3][7] != "new" || recs[3][2] != "" {
		t.Fatalf("row 3: %v", recs[3])
	}
}

// The tool-wide statistics page is reachable from every page's navigation,
// and marked as the current page when shown.
func TestNavigationLinksToolStatistics(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	_, body := f.do(t, "alice", "GET", "/jobs", nil, "")
	if !strings.Contains(body, `<a href="/stats">Statistics</a>`) {
		t.Fatalf("jobs page has no link to the statistics page:\n%s", body)
	}
	resp, body := f.do(t, "alice", "GET", "/stats", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `<a href="/stats" aria-current="page">Statistics</a>`) {
		t.Fatalf("statistics page: %d, nav not marked current", resp.StatusCode)
	}
}

// The compact view shows one line per row with the best candidate and the
// decision buttons, the rest inside a closed <details>; it works without
// script and its links and forms keep the view.
func TestReviewCompactView(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.reconciledJobFor(t, f.alice)
	reviewPath := fmt.Sprintf("/jobs/%d/review", j.ID)
	resp, body := f.do(t, "alice", "GET", reviewPath+"?view=compact&status=review", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("compact page: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`class="review compact"`,
		`<div class="line">`,
		`<span class="best">→ <a href="https://www.wikidata.org/wiki/Q100" class="label">Claude Monet</a>`,
		`<details class="row-details"><summary>Details (2)</summary>`,
		`name="return" value="` + reviewPath + `?view=compact&amp;status=review"`,
		`<input type="hidden" name="view" value="compact">`,
		`<a href="?status=review&amp;view=detailed">detailed</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("compact page lacks %q", want)
		}
	}
	// Candidate 1's key is on the line, not twice; the others in the details.
	if n := strings.Count(body, `data-key="1"`); n != 1 {
		t.Errorf("%d buttons answer key 1", n)
	}
	if !strings.Contains(body, `data-key="2">Accept 2</button>`) {
		t.Error("candidate 2 cannot be chosen by key")
	}
	// The undo button is there for the script, hidden while undecided.
	if !strings.Contains(body, `value="undo" class="secondary" data-key="u" hidden>`) {
		t.Error("no hidden undo button on an undecided row")
	}
	// The choice is remembered (the client keeps cookies): the plain
	// address opens the compact view until the detailed one is chosen.
	if _, body := f.do(t, "alice", "GET", reviewPath, nil, ""); !strings.Contains(body, `class="review compact"`) {
		t.Error("the chosen compact view is not remembered")
	}
	if _, body := f.do(t, "alice", "GET", reviewPath+"?view=detailed", nil, ""); strings.Contains(body, `class="review compact"`) {
		t.Error("the detailed view cannot be chosen back")
	}
	if _, body := f.do(t, "alice", "GET", reviewPath, nil, ""); strings.Contains(body, `class="review compact"`) || !strings.Contains(body, `compact (one line per row)</a>`) {
		t.Error("the detailed view is not remembered or does not offer the compact one")
	}
	// Without a remembered choice the detailed view is the default.
	req, _ := http.NewRequest("GET", f.srv.URL+reviewPath, nil)
	req.Header.Set("X-Test-User", "alice")
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); strings.Contains(body, `class="review compact"`) || !strings.Contains(body, `<a href="?view=compact">compact (one line per row)</a>`) {
		t.Error("the detailed view is not the default or does not offer the compact one")
	}
}

// TestRowNoteReachesTheUser: a row left without candidates still says why
// (its partner item does not exist) on the review page, in both views, and
// in the export's match_note column.
func TestRowNoteReachesTheUser(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	j := f.reconciledJobFor(t, f.alice)
	escaped := strings.ReplaceAll(rowThreeNote, "'", "&#39;")
	for _, view := range []string{"", "&view=compact"} {
		resp, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/review?status=none%s", j.ID, view), nil, "")
		if resp.StatusCode != 200 || !strings.Contains(body, `<span class="match-note" data-note>`+escaped+`</span>`) {
			t.Errorf("review page (%q) lacks row 3's note: %d", view, resp.StatusCode)
		}
		if strings.Count(body, `data-note>`) != 1 {
			t.Errorf("review page (%q): %d notes, want the one of row 3", view, strings.Count(body, `data-note>`))
		}
	}
	resp, body := f.do(t, "alice", "GET", fmt.Sprintf("/jobs/%d/export.csv", j.ID), nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d", resp.StatusCode)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "match_note" {
			col = i
		}
	}
	if col < 0 || len(recs) != 4 {
		t.Fatalf("export header/rows: %v", recs)
	}
	for row, want := range []string{"", "", rowThreeNote} {
		if recs[row+1][col] != want {
			t.Errorf("export row %d: match_note %q, want %q", row+1, recs[row+1][col], want)
		}
	}
}
