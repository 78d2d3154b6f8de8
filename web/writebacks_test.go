package web_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
)

// finishedWriteBack makes a job's plan of n items, starts its write-back
// as writer and settles it: the first item failed, the others written.
func (f *fixture) finishedWriteBack(t *testing.T, j *jobs.Job, writer *jobs.User, n int, group string) *jobs.EditPlan {
	t.Helper()
	ctx := context.Background()
	p, err := f.st.CreatePlan(ctx, j.ID, writer.ID)
	if err != nil {
		t.Fatal(err)
	}
	var items []jobs.PlanItem
	for no := 1; no <= n; no++ {
		items = append(items, jobs.PlanItem{No: int64(no), QID: fmt.Sprint("Q", no), Rows: []int64{int64(no)}, Statements: 2, References: 2, Labels: 1, Approved: true})
	}
	_ = f.st.AddPlanItems(ctx, p.ID, items, int64(n))
	_ = f.st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
	_ = f.st.ApprovePlan(ctx, p.ID, writer.ID, nil)
	if err := f.st.StartWriting(ctx, p.ID, writer.ID, group); err != nil {
		t.Fatal(err)
	}
	for no := int64(1); no <= int64(n); no++ {
		_, _ = f.st.MarkItemSending(ctx, p.ID, no)
		if no == 1 {
			_ = f.st.SettleItem(ctx, p.ID, no, jobs.ItemFailed, 0, "", "Not written: Q1 is protected on the wiki.")
		} else {
			_ = f.st.SettleItem(ctx, p.ID, no, jobs.ItemDone, 100+no, "", "")
		}
	}
	if err := f.st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMyWriteBacksPage: the page lists the user's own write-backs and
// their groups' with counts, batch links, the archive note for old batches
// and undo state; someone else's are never shown; it pages without
// JavaScript and needs a signed-in user.
func TestMyWriteBacksPage(t *testing.T) {
	f := newFixture(t, 1<<20, pinger{})
	ctx := context.Background()
	own, _ := f.st.CreateJob(ctx, f.alice.ID, "Alice's painters", "")
	_ = f.st.SetJobTemplate(ctx, own.ID, []byte(`{"wikibase":{"api_url":"https://test.wikidata.org/w/api.php"}}`))
	mine := f.finishedWriteBack(t, own, f.alice, 3, "aaaa0000aaaa0000")
	bobs, _ := f.st.CreateJob(ctx, f.bob.ID, "Bob's private sculptors", "")
	f.finishedWriteBack(t, bobs, f.bob, 2, "bbbb0000bbbb0000")

	_, body := f.do(t, "alice", "GET", "/me/writebacks", nil, "")
	body = html.UnescapeString(body)
	for _, want := range []string{"Alice's painters", "test.wikidata.org", "2 edited, 0 created", "1 failed",
		fmt.Sprintf(`href="/jobs/%d/plan?status=failed#items"`, own.ID), "4 statements, 4 references, 2 labels",
		`href="https://editgroups.toolforge.org/b/CB/aaaa0000aaaa0000/"`, "not undone", `href="/me/writebacks" aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("Alice's write-backs lack %q", want)
		}
	}
	if strings.Contains(body, "Bob's private sculptors") || strings.Contains(body, "bbbb0000bbbb0000") || strings.Contains(body, "archived") {
		t.Fatalf("Alice's page shows Bob's write-back or an archive note:\n%s", body)
	}

	// Bob's job joins a group Alice is in: she sees it now, written by Bob.
	g, _ := f.st.CreateGroup(ctx, f.bob.ID, "Sculpture project", "", "")
	_, _ = f.st.AddMember(ctx, g.ID, "Alice", jobs.RoleMember)
	_ = f.st.SetJobGroup(ctx, bobs.ID, g.ID)
	// A batch over a year old carries the archive note; an undo shows.
	if _, err := f.st.DB().ExecContext(ctx, `UPDATE edit_plans SET updated_at = ? WHERE id = ?`, time.Now().AddDate(-1, 0, -2).UnixMilli(), mine.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateUndo(ctx, mine.ID, f.alice.ID, jobs.UndoScope{}, false); err != nil {
		t.Fatal(err)
	}
	_, body = f.do(t, "alice", "GET", "/me/writebacks", nil, "")
	body = html.UnescapeString(body)
	for _, want := range []string{"Bob's private sculptors", "group Sculpture project", "<td>Bob</td>", "EditGroups has archived it", "undo of all of it: preparing"} {
		if !strings.Contains(body, want) {
			t.Errorf("after sharing: page lacks %q", want)
		}
	}
	if strings.Index(body, "Bob's private sculptors") > strings.Index(body, "Alice's painters") {
		t.Error("not newest first")
	}

	// Pages of 25, by keyset, as plain links.
	for i := 0; i < 25; i++ {
		f.finishedWriteBack(t, own, f.alice, 1, fmt.Sprintf("cccc%012d", i))
	}
	_, body = f.do(t, "alice", "GET", "/me/writebacks", nil, "")
	if n := strings.Count(body, `<tr id="writeback-`); n != 25 || !strings.Contains(body, `rel="next"`) {
		t.Fatalf("first page: %d rows, next link %v", n, strings.Contains(body, `rel="next"`))
	}
	next := html.UnescapeString(body[strings.Index(body, `href="?before=`)+6:])
	next = next[:strings.IndexByte(next, '"')]
	_, body = f.do(t, "alice", "GET", "/me/writebacks"+next, nil, "")
	body = html.UnescapeString(body)
	if n := strings.Count(body, `<tr id="writeback-`); n != 2 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, "Alice's painters") {
		t.Fatalf("second page (%s): %d rows", next, n)
	}
	// Bob sees his own write-backs, not Alice's private ones.
	_, body = f.do(t, "bob", "GET", "/me/writebacks", nil, "")
	if strings.Contains(html.UnescapeString(body), "Alice's painters") || !strings.Contains(html.UnescapeString(body), "Bob's private sculptors") {
		t.Fatal("Bob's page shows Alice's job, or not his own")
	}
	// Nobody signed in: the login page, not the list.
	if resp, body := f.do(t, "", "GET", "/me/writebacks", nil, ""); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next=/me/writebacks" || strings.Contains(body, "writeback-") {
		t.Fatalf("anonymous request: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
