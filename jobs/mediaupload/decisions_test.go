package mediaupload_test

import (
	"context"
	"encoding/json"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
)

// TestLinkChosenAfterADuplicateSurvivesACrash: a person chose to link the
// file Commons named as a duplicate; the worker died after recording the
// intent. Recovery finds the file by SHA-1, links it and still adds the
// structured data it lacks, without uploading anything.
func TestLinkChosenAfterADuplicateSurvivesACrash(t *testing.T) {
	body := picture(t, 31, 500)
	e := setup(t, storetest.SQLite(t), []planned{{title: "Ours.jpg", qid: "Q7", body: body, captions: map[string]string{"en": "Ours", "de": "Unseres"}}}, nil)
	ctx := context.Background()
	theirs := e.commons.AddFile("Theirs.jpg", "Carol", body)
	e.commons.EditCaptionAs("Carol", theirs, "en", "Carol's caption")
	warned, _ := json.Marshal(map[string]any{"codes": []string{"duplicate"}, "duplicate": []string{"Theirs.jpg"}})
	if ok, err := e.st.MarkMediaSending(ctx, e.plan.ID, 1); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := e.st.SettleMediaFile(ctx, e.plan.ID, 1, 0, jobs.MediaOutcome{Status: jobs.MediaWarning, Warnings: warned}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.DecideMediaFile(ctx, e.plan.ID, 1, e.plan.CreatedBy, jobs.ResolveLink, jobs.MediaDecisionDetail{Title: "File:Theirs.jpg"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.st.MarkMediaSending(ctx, e.plan.ID, 1); err != nil || !ok { // the intent, then the crash
		t.Fatal(ok, err)
	}
	if err := e.executor(t).Upload(ctx, e.plan); err != nil {
		t.Fatal(err)
	}
	f := e.file(t, 1)
	if f.Status != jobs.MediaLinked || f.PageID != theirs || f.SDCRevID == 0 {
		t.Fatalf("file %s page %d rev %d: %s", f.Status, f.PageID, f.SDCRevID, f.Error)
	}
	if n := e.commons.RequestsOf("upload", ""); n != 0 {
		t.Fatalf("%d upload requests for a linked file", n)
	}
	labels, stmts := e.commons.MediaInfo(theirs)
	if labels["en"].Value != "Carol's caption" || labels["de"].Value != "Unseres" || len(stmts["P180"]) != 1 {
		t.Fatalf("the linked file's structured data: %v %v", labels, stmts)
	}
}
