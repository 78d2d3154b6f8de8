package mediaupload_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commonstest"
)

// requestsOf lists the requests of an action and stage ("" any) Commons
// received, in order.
func requestsOf(e *env, action, stage string) []commonstest.Request {
	var out []commonstest.Request
	for _, r := range e.commons.Requests() {
		if r.Action == action && (stage == "" || r.Stage == stage) {
			out = append(out, r)
		}
	}
	return out
}

// chunkOffsets lists the offsets of the chunks Commons received, in order.
func chunkOffsets(e *env) []string {
	var out []string
	for _, r := range requestsOf(e, "upload", "chunk") {
		out = append(out, r.Offset)
	}
	return out
}

// bigFile is a file sent in chunks at the test's settings (about 15 of 1100 bytes).
func bigFile(t *testing.T, seed int) planned {
	body := picture(t, seed, 5000)
	return planned{title: "Big scan " + strconv.Itoa(seed) + ".jpg", qid: "Q" + strconv.Itoa(400+seed), body: body, captions: map[string]string{"en": "Big scan"}}
}

func wantChunks(body []byte, chunk int) int { return (len(body) + chunk - 1) / chunk }

// TestKilledBetweenChunksResumesFromTheStash: a worker dies while its third
// chunk is on the way (the chunk then arrives); the next worker asks the
// stash where the upload stands and sends only the chunks it lacks, then
// commits once.
func TestKilledBetweenChunksResumesFromTheStash(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		f := bigFile(t, 31)
		e := setup(t, st, []planned{f}, nil)
		n := wantChunks(f.body, int(e.cfg.ChunkSize))
		if n < 4 {
			t.Fatalf("the test file makes %d chunks", n)
		}
		e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "chunk", Kind: commonstest.LateLanding, Delay: 300 * time.Millisecond, After: 2})
		killWhile(t, e, func() bool { return e.commons.RequestsOf("upload", "chunk") == 3 })
		rec, err := st.MediaStash(context.Background(), e.plan.ID, 1)
		if err != nil || rec == nil || rec.FileKey == "" || rec.Offset != 2*e.cfg.ChunkSize || rec.Assembled || !rec.CommitSentAt.IsZero() {
			t.Fatalf("after the kill the stash progress is %+v (%v); want two chunks recorded, no commit", rec, err)
		}
		if file := e.file(t, 1); file.Status != jobs.MediaSending || file.StashKey != rec.FileKey {
			t.Fatalf("after the kill the file is %s with stash key %q", file.Status, file.StashKey)
		}
		waitFor(t, "the held chunk to land", func() bool {
			got, ok := e.commons.StashedBytes(rec.FileKey)
			return ok && got == 3*e.cfg.ChunkSize
		})
		if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
			t.Fatal(err)
		}
		e.checkDone(t, 1, f)
		offsets := chunkOffsets(e)
		if len(offsets) != n {
			t.Fatalf("chunks sent at %v: want each of the %d chunks once (resumed from the stash, not from the start)", offsets, n)
		}
		for i, off := range offsets {
			if off != strconv.FormatInt(int64(i)*e.cfg.ChunkSize, 10) {
				t.Fatalf("chunks sent at %v", offsets)
			}
		}
		if c := e.commons.RequestsOf("upload", "commit"); c != 1 {
			t.Fatalf("%d commits", c)
		}
		if rec, _ := st.MediaStash(context.Background(), e.plan.ID, 1); rec != nil {
			t.Fatalf("the stash progress outlived the upload: %+v", rec)
		}
	})
}

// TestStashExpiredWhileDownStartsTheChunksAgain: the worker dies between
// chunks and the stash forgets the upload before the next one looks; the
// upload starts from the first chunk and the file is on Commons once.
func TestStashExpiredWhileDownStartsTheChunksAgain(t *testing.T) {
	f := bigFile(t, 32)
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	n := wantChunks(f.body, int(e.cfg.ChunkSize))
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "chunk", Kind: commonstest.LateLanding, Delay: 200 * time.Millisecond, After: 2})
	killWhile(t, e, func() bool { return e.commons.RequestsOf("upload", "chunk") == 3 })
	rec, _ := e.st.MediaStash(context.Background(), e.plan.ID, 1)
	waitFor(t, "the held chunk to land", func() bool { got, _ := e.commons.StashedBytes(rec.FileKey); return got == 3*e.cfg.ChunkSize })
	e.commons.ExpireStash()
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	offsets := chunkOffsets(e)
	if len(offsets) != 3+n || offsets[3] != "0" {
		t.Fatalf("chunks sent at %v: want 3 before the kill, then all %d from 0", offsets, n)
	}
	if c := e.commons.RequestsOf("upload", "commit"); c != 1 {
		t.Fatalf("%d commits", c)
	}
	if a := e.file(t, 1).Attempts; a != 1 {
		t.Fatalf("the resumed upload took %d attempts, want 1", a)
	}
}

// TestAssembledFileIsCommittedWithoutSendingChunksAgain: the commit is
// refused for maxlag (nothing published); the next attempt finds the whole
// file in the stash and commits it, sending no chunk again. Maxlag does not
// use up the file's attempts and its Retry-After is waited out.
func TestAssembledFileIsCommittedWithoutSendingChunksAgain(t *testing.T) {
	f := bigFile(t, 33)
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	e.cfg.MaxWait = 5 * time.Second
	e.cfg.MaxAttempts = 2
	n := wantChunks(f.body, int(e.cfg.ChunkSize))
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "commit", Kind: commonstest.Maxlag, RetryAfter: 1, Count: 3})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	if got := len(chunkOffsets(e)); got != n {
		t.Fatalf("%d chunks sent for %d: the stashed file was not reused", got, n)
	}
	commits := requestsOf(e, "upload", "commit")
	if len(commits) != 4 {
		t.Fatalf("%d commits, want 3 refused for maxlag and 1 taken", len(commits))
	}
	for i := 1; i < len(commits); i++ {
		if gap := commits[i].At.Sub(commits[i-1].At); gap < time.Second {
			t.Fatalf("commit %d came %v after a maxlag with Retry-After: 1", i+1, gap)
		}
	}
}

// TestLostCommitThatNeverLandedIsCommittedFromTheStash: the commit's answer
// is lost (HTTP 500, nothing published). The file is looked up once the
// commit can no longer land, is not on Commons, and the stashed file is
// committed again — no chunk is sent twice, the file is published once.
func TestLostCommitThatNeverLandedIsCommittedFromTheStash(t *testing.T) {
	f := bigFile(t, 34)
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	n := wantChunks(f.body, int(e.cfg.ChunkSize))
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "commit", Kind: commonstest.HTTP500})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	if got := len(chunkOffsets(e)); got != n {
		t.Fatalf("%d chunks for %d", got, n)
	}
	commits := requestsOf(e, "upload", "commit")
	if len(commits) != 2 {
		t.Fatalf("%d commits, want the lost one and one more", len(commits))
	}
	if gap := commits[1].At.Sub(commits[0].At); gap < e.cfg.RequestTimeout+e.cfg.LateSave {
		t.Fatalf("the commit was sent again %v after the lost one, before it could no longer land", gap)
	}
}

// TestLostChunkAnswerIsAskedOfTheStash: a chunk's answer is lost after it
// arrived; the stash says it has it, and the upload goes on after it.
func TestLostChunkAnswerIsAskedOfTheStash(t *testing.T) {
	f := bigFile(t, 35)
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	n := wantChunks(f.body, int(e.cfg.ChunkSize))
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "chunk", Kind: commonstest.ApplyThenDrop, After: 1})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	if got := chunkOffsets(e); len(got) != n {
		t.Fatalf("chunks at %v: the chunk that arrived was sent again, or the upload started over", got)
	}
}

// TestMaxlagAndThrottlesOnStructuredDataAreWaitedOut: wbeditentity meets
// maxlag (with Retry-After) and a throttle; the edit waits, is sent again,
// carries the change tag and the EditGroups summary, and applies once.
func TestMaxlagAndThrottlesOnStructuredDataAreWaitedOut(t *testing.T) {
	f := planned{title: "Lagged.jpg", qid: "Q501", body: picture(t, 36, 500), captions: map[string]string{"en": "Lagged"}}
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	e.cfg.MaxWait = 5 * time.Second
	e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.Maxlag, RetryAfter: 1})
	e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.RateLimited})
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	edits := requestsOf(e, "wbeditentity", "")
	if len(edits) != 3 || len(e.commons.MediaEdits()) != 1 {
		t.Fatalf("%d wbeditentity requests, %d applied: want maxlag, throttle, then one applied", len(edits), len(e.commons.MediaEdits()))
	}
	if gap := edits[1].At.Sub(edits[0].At); gap < time.Second {
		t.Fatalf("the edit was sent again %v after maxlag with Retry-After: 1", gap)
	}
	for _, r := range edits {
		if r.Tags != "partnerhub" || !strings.Contains(r.Summary, "editgroups-commons/b/CB/0123abcd") || !strings.HasPrefix(r.ID, "M") {
			t.Fatalf("structured-data edit without tag, EditGroups summary or MediaInfo id: %+v", r)
		}
	}
	for _, r := range e.commons.Requests() {
		if r.Action == "upload" && (r.Tags != "partnerhub" || !strings.Contains(r.Comment, "editgroups-commons/b/CB/0123abcd")) {
			t.Fatalf("upload without tag or EditGroups summary: %+v", r)
		}
	}
}

// TestStatementAlreadyOnTheFileIsNotAddedAgain: between a refused
// structured-data edit and its retry someone adds the depicts statement;
// the retry sends only the statements still missing, in one wbeditentity,
// and the file has each statement once.
func TestStatementAlreadyOnTheFileIsNotAddedAgain(t *testing.T) {
	f := planned{title: "Described meanwhile.jpg", qid: "Q502", body: picture(t, 37, 500)}
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	e.commons.Inject(commonstest.Fault{Action: "wbeditentity", Kind: commonstest.RateLimited})
	go func() {
		waitForNoT(func() bool { return e.commons.RequestsOf("wbeditentity", "") == 1 })
		cf, _ := e.commons.File("Described_meanwhile.jpg")
		e.commons.AddStatementAs("Carol", cf.PageID, wikidata.NewItemStatement("P180", "Q502"))
	}()
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	e.checkDone(t, 1, f)
	reqs := e.commons.Requests()
	last := reqs[len(reqs)-1]
	if last.Action != "wbeditentity" || strings.Contains(last.Data, `"P180"`) || !strings.Contains(last.Data, `"P6216"`) || !strings.Contains(last.Data, `"P275"`) {
		t.Fatalf("the retry sent %s", last.Data)
	}
}

// TestResumeLooksTheFileUpFirst: while the worker is down between chunks,
// the same file reaches Commons under another name; the next worker finds
// it by SHA-1 before resuming, links it, and sends no chunk and no commit.
func TestResumeLooksTheFileUpFirst(t *testing.T) {
	f := bigFile(t, 38)
	e := setup(t, storetest.SQLite(t), []planned{f}, nil)
	e.commons.Inject(commonstest.Fault{Action: "upload", Stage: "chunk", Kind: commonstest.LateLanding, Delay: 100 * time.Millisecond, After: 2})
	killWhile(t, e, func() bool { return e.commons.RequestsOf("upload", "chunk") == 3 })
	e.commons.AddFile("Someone_else's_scan.jpg", "Carol", f.body)
	if err := e.executor(t).Upload(context.Background(), e.plan); err != nil {
		t.Fatal(err)
	}
	file := e.file(t, 1)
	if file.Status != jobs.MediaLinked || file.FileTitle != "File:Someone else's scan.jpg" {
		t.Fatalf("file %s %q (%s)", file.Status, file.FileTitle, file.Error)
	}
	if got := len(chunkOffsets(e)); got != 3 || e.commons.RequestsOf("upload", "commit") != 0 {
		t.Fatalf("%d chunks and %d commits after the file was found on Commons", got, e.commons.RequestsOf("upload", "commit"))
	}
	if rec, _ := e.st.MediaStash(context.Background(), e.plan.ID, 1); rec != nil {
		t.Fatalf("the stash progress of a linked file was kept: %+v", rec)
	}
}
