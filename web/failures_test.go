package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// retryingRunner also retries failed rows.
type retryingRunner struct {
	recordingRunner
	st *storeRetrier
}

type storeRetrier struct{ retried []int64 }

func (r *retryingRunner) RetryFailedRows(_ context.Context, id int64) (int64, error) {
	r.st.retried = append(r.st.retried, id)
	return 200, nil
}

func TestFailedRowsShowAsFailedWithReasonsAndCanBeRetried(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	runner := &retryingRunner{st: &storeRetrier{}}
	deps := f.deps()
	deps.Runner = runner
	f.serve(t, deps)
	ctx := context.Background()
	j := f.importedJobFor(t, f.alice)
	_ = f.st.SetJobTemplate(ctx, j.ID, []byte(`{"columns":{"name":{"role":"label"}}}`))
	// Two batches of a 200-row job (the fixture's dataset says 1 row; the
	// batches are what the page reads).
	if err := f.st.StartReconciliation(ctx, j.ID, 200, 100); err != nil {
		t.Fatal(err)
	}
	jp := fmt.Sprintf("/jobs/%d", j.ID)
	// While a batch fails and is retried, the page says so, with the reason.
	_ = f.st.FailBatchAttempt(ctx, j.ID, 1, "rows 1–100: search the wiki: the wiki answered HTTP 403: search is disabled", 1, false)
	_, body := f.do(t, "alice", "GET", jp, nil, "")
	if text := html.UnescapeString(body); !strings.Contains(text, "1 batch is failing and being retried.") || !strings.Contains(text, "search is disabled") {
		t.Fatalf("retrying batches not shown: %s", body)
	}
	_, body = f.do(t, "alice", "GET", jp+"/status.json", nil, "")
	if !strings.Contains(body, `"retrying":1`) || !strings.Contains(body, "search is disabled") {
		t.Fatalf("status.json: %s", body)
	}
	// Every batch given up: the job is failed, not a green "reconciled".
	for _, no := range []int64{1, 2} {
		_ = f.st.FailBatchAttempt(ctx, j.ID, no, fmt.Sprintf("rows %d–%d: search the wiki: the wiki answered HTTP 403: search is disabled", no*100-99, no*100), 1, true)
	}
	if done, err := f.st.FinishReconciliationIfDone(ctx, j.ID); err != nil || !done {
		t.Fatalf("finish: %v %v", done, err)
	}
	_, body = f.do(t, "alice", "GET", jp, nil, "")
	text := html.UnescapeString(body)
	for _, want := range []string{`data-field="job-status">failed<`, `<span data-field="done">0</span> of 1, <strong class="error">200 failed</strong>`, "Failed rows", "101–200", "search is disabled", "Retry failed rows"} {
		if !strings.Contains(text, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if strings.Contains(text, `data-field="job-status">reconciled<`) {
		t.Error("a job whose every batch failed shows as reconciled")
	}
	// Retry: the runner is asked, the user told.
	token := f.csrfToken(t, "alice", jp)
	resp, _ := f.do(t, "alice", "POST", jp+"/reconcile/retry", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther || len(runner.st.retried) != 1 || runner.st.retried[0] != j.ID {
		t.Fatalf("retry: %d %v", resp.StatusCode, runner.st.retried)
	}
	_, body = f.do(t, "alice", "GET", jp, nil, "")
	if !strings.Contains(body, "Retrying the 200 failed rows") {
		t.Fatal("retry not confirmed")
	}
}
