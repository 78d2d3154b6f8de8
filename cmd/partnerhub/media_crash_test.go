package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commonstest"
)

// TestMediaUploadSurvivesKill kills the process (SIGKILL: no shutdown code
// runs) in the middle of uploading a 30-file media plan, while uploads are
// still landing on Commons after their client died, starts it again, and
// expects every file on the fake Commons exactly once with its structured
// data exactly once, and every file's page and revision recorded.
func TestMediaUploadSurvivesKill(t *testing.T) {
	const files = 30
	bin, dataDir, st, key := embeddedKillTest(t)
	fake := uploaderCommons(t)
	// Each upload is held a while and then saved whatever the client does,
	// so the kill lands mid-batch with an upload in flight.
	fake.Inject(commonstest.Fault{Action: "upload", Kind: commonstest.LateLanding, Delay: 40 * time.Millisecond, Count: 10 * files})
	p, bodies := seedMediaUpload(t, st, key, dataDir, files, 20)

	env := uploadEnv(fake.URL())
	first := start(t, bin, dataDir, freeAddr(t), env...)
	waitUntil(t, first, "the upload under way", 3*time.Minute, 2*time.Millisecond, func() bool { return fake.RequestsOf("upload", "file") >= files/3 })
	first.kill()
	killedAt := fake.RequestsOf("upload", "file")
	if killedAt >= files {
		t.Fatalf("the upload finished (%d uploads) before the kill", killedAt)
	}

	second := start(t, bin, dataDir, freeAddr(t), env...)
	checkUploadedOnce(t, st, fake, p, bodies, second)
	t.Logf("killed after %d of %d upload requests; %d upload requests in all", killedAt, files, fake.RequestsOf("upload", "file"))
}

// TestChunkedMediaUploadSurvivesKill kills the process (SIGKILL) while
// large files go to the stash in chunks: once in the middle of a file's
// chunks, once after a commit was sent (Commons finishes it after the
// process died). The next process resumes the killed file's chunks from
// where the stash stands, never sends a commit twice, and every file is on
// Commons once with its structured data once.
func TestChunkedMediaUploadSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		name  string
		stage string
		// kill once this many requests of stage have arrived (they are held
		// and land after the kill), counted from the first chunk of file 2
		// for chunks
		at    int
		delay time.Duration
	}{
		{"between chunks", "chunk", 3, 40 * time.Millisecond},
		{"after the commit was sent", "commit", 2, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const files = 4
			dataDir := t.TempDir()
			fake := uploaderCommons(t)
			fake.Inject(commonstest.Fault{Action: "upload", Stage: tc.stage, Kind: commonstest.LateLanding, Delay: tc.delay, Count: 1000})
			st, key := embeddedStore(t, dataDir)
			p, bodies := seedMediaUpload(t, st, key, dataDir, files, 96)
			const chunk = 2 << 10
			need := map[int64]int{}
			total := 0
			for no, b := range bodies {
				need[no] = (len(b) + chunk - 1) / chunk
				total += need[no]
				if need[no] < 4 {
					t.Fatalf("file %d is %d bytes: too small to be killed between its chunks", no, len(b))
				}
			}
			killAt := tc.at
			if tc.stage == "chunk" {
				killAt += need[1]
			}
			env := uploadEnv(fake.URL(), "PARTNERHUB_UPLOAD_CHUNKED_ABOVE_KB=2", "PARTNERHUB_UPLOAD_CHUNK_KB=2")
			first := start(t, bin, dataDir, freeAddr(t), env...)
			waitUntil(t, first, fmt.Sprintf("%d %s requests", killAt, tc.stage), 3*time.Minute, time.Millisecond, func() bool { return fake.RequestsOf("upload", tc.stage) >= killAt })
			first.kill()
			chunksBefore, commitsBefore := fake.RequestsOf("upload", "chunk"), fake.RequestsOf("upload", "commit")
			if commitsBefore >= files {
				t.Fatalf("every file was committed (%d) before the kill", commitsBefore)
			}

			second := start(t, bin, dataDir, freeAddr(t), env...)
			checkUploadedOnce(t, st, fake, p, bodies, second)
			if c := fake.RequestsOf("upload", "commit"); c != files {
				t.Fatalf("%d commits for %d files: a commit was sent again", c, files)
			}
			// Resumed, not started over: at most the killed chunk is sent
			// again (when it was a file's first, whose key never came back).
			chunks := fake.RequestsOf("upload", "chunk")
			if chunks < total || chunks > total+1 {
				t.Fatalf("%d chunks for %d needed (%d before the kill):\n%s", chunks, total, chunksBefore, second.log.String())
			}
			t.Logf("killed after %d chunks and %d commits; %d chunks for %d needed", chunksBefore, commitsBefore, chunks, total)
		})
	}
}

// uploaderCommons is a fake Commons where the account Uploader may upload,
// whose lists lag 200 ms behind.
func uploaderCommons(t *testing.T) *commonstest.Server {
	return commonstest.Serve(t, commonstest.Options{ConsumerKey: "ck", ConsumerSecret: "cs", ReplicaLag: 200 * time.Millisecond,
		Accounts: []commonstest.Account{{Name: "Uploader", Token: "up-token", Secret: "up-secret"}}})
}

// checkUploadedOnce waits for the plan to finish in the restarted process,
// then expects every file on the fake Commons exactly once, with its
// structured data exactly once, and its page and revision recorded.
func checkUploadedOnce(t *testing.T, st *store.Store, fake *commonstest.Server, p *jobs.MediaPlan, bodies map[int64][]byte, second *instance) {
	t.Helper()
	ctx := context.Background()
	waitUntil(t, second, "the upload after restart", 4*time.Minute, 20*time.Millisecond, func() bool {
		cur, err := st.MediaPlan(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != jobs.MediaPlanDone && cur.Status != jobs.MediaPlanUploading {
			t.Fatalf("media plan %s (%s) after restart:\n%s", cur.Status, cur.Error, second.log.String())
		}
		return cur.Status == jobs.MediaPlanDone
	})
	for no, body := range bodies {
		if n := fake.UploadsOf(commonstest.SHA1(body)); n != 1 {
			t.Fatalf("file %d uploaded %d times", no, n)
		}
		f, err := st.MediaFile(ctx, p.ID, no)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status != jobs.MediaDone || f.PageID == 0 || f.SDCRevID == 0 {
			t.Fatalf("file %d: %s page %d rev %d (%s)", no, f.Status, f.PageID, f.SDCRevID, f.Error)
		}
		labels, stmts := fake.MediaInfo(f.PageID)
		if len(stmts["P180"]) != 1 || len(stmts["P275"]) != 1 || labels["en"].Value != fmt.Sprint("Object ", no) {
			t.Fatalf("file %d has %d depicts and %d licence statements, caption %q", no, len(stmts["P180"]), len(stmts["P275"]), labels["en"].Value)
		}
	}
	if d := fake.Duplicates(); len(d) > 0 {
		t.Fatalf("duplicates: %v", d)
	}
	if n := len(fake.MediaEdits()); n != len(bodies) {
		t.Fatalf("%d structured-data edits for %d files", n, len(bodies))
	}
	for _, u := range fake.Uploads() {
		if !strings.Contains(u.Comment, "editgroups-commons/b/CB/feedc0de") {
			t.Fatalf("upload comment without the EditGroups link: %q", u.Comment)
		}
	}
}

// seedMediaUpload leaves what a user leaves behind when they start a media
// upload from a ZIP: an approved plan of files (JPEGs of side×side pixels)
// being uploaded, the archive in the data directory, the uploader's tokens
// sealed with the tool's key.
func seedMediaUpload(t *testing.T, st *store.Store, key []byte, dataDir string, n, side int) (*jobs.MediaPlan, map[int64][]byte) {
	t.Helper()
	ctx := context.Background()
	tokens, _ := vault.New(subkey(key, "oauth tokens"))
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "78", Username: "Uploader"})
	ts, _ := tokens.Seal([]byte("up-token"), vault.TokenAAD(u.ID, "token"))
	ss, _ := tokens.Seal([]byte("up-secret"), vault.TokenAAD(u.ID, "secret"))
	if err := st.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: "ck", TokenSealed: ts, SecretSealed: ss}); err != nil {
		t.Fatal(err)
	}
	j, _ := st.CreateJob(ctx, u.ID, "Media crash test", "")
	if err := os.MkdirAll(filepath.Join(dataDir, "media"), 0o700); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	bodies := map[int64][]byte{}
	var mf []jobs.MediaFile
	for i := 1; i <= n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for k := 0; k < side*side; k++ {
			v := uint32(k)*2654435761 ^ uint32(i)*40503 // noise: JPEG keeps it large
			img.Set(k%side, k/side, color.RGBA{uint8(v >> 24), uint8(v >> 16), uint8(k ^ i), 255})
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%d.jpg", i)
		w, _ := zw.Create(name)
		_, _ = w.Write(b.Bytes())
		bodies[int64(i)] = b.Bytes()
		data, _ := json.Marshal(media.Structured{Captions: map[string]string{"en": fmt.Sprint("Object ", i)},
			Statements: []wikidata.Statement{wikidata.NewItemStatement("P180", fmt.Sprint("Q", i)), wikidata.NewItemStatement("P275", "Q18199165")}})
		mf = append(mf, jobs.MediaFile{No: int64(i), Row: int64(i), QID: fmt.Sprint("Q", i), Source: name, Title: fmt.Sprintf("Crash test object %d.jpg", i),
			Wikitext: "{{Information|description=Object}}", Statements: data, SHA1: commonstest.SHA1(b.Bytes()), Size: int64(b.Len()), ContentType: "image/jpeg"})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "media", "crash.zip"), zbuf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateMediaPlan(ctx, &jobs.MediaPlan{JobID: j.ID, SourceKind: jobs.MediaFromZip, SourceColumn: "file", ArchivePath: "media/crash.zip",
		ArchiveName: "crash.zip", Settings: json.RawMessage(`{}`), CreatedBy: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddMediaFiles(ctx, p.ID, mf, int64(n)); err != nil {
		t.Fatal(err)
	}
	_ = st.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
	_ = st.ApproveMediaPlan(ctx, p.ID, u.ID, nil)
	if err := st.StartUploading(ctx, p.ID, u.ID, "feedc0de"); err != nil {
		t.Fatal(err)
	}
	return p, bodies
}
