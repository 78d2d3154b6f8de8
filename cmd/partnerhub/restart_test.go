package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles the command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "partnerhub")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// instance is one running partnerhub process.
type instance struct {
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

func start(t *testing.T, bin, dataDir, addr string, extraEnv ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PARTNERHUB_DATA_DIR="+dataDir, "PARTNERHUB_ADDR="+addr, "PARTNERHUB_MAX_UPLOAD_MB=500", "PORT=")
	cmd.Env = append(cmd.Env, extraEnv...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, base: "http://" + addr, log: &log}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(in.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return in
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not come up:\n%s", log.String())
	return nil
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestKilledImportResumesAfterRestart uploads a large file, kills the process
// (SIGKILL: no shutdown code runs) while the import is under way, starts it
// again on the same data directory, and expects the import to finish with
// every row stored once: the database, not the lost in-process Redis, says
// what was left to do.
func TestKilledImportResumesAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	in := start(t, bin, dataDir, addr)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := client.Get(in.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	token := func(path string) string {
		m := tokenRE.FindStringSubmatch(get(path))
		if m == nil {
			t.Fatalf("no CSRF token on %s", path)
		}
		return html.UnescapeString(m[1])
	}
	resp, err := client.PostForm(in.base+"/jobs", url.Values{"title": {"Restart"}, "csrf_token": {token("/jobs/new")}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create job: %v %v", resp.Status, err)
	}
	jobPath := resp.Header.Get("Location")

	const rows = 600_000
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "big.csv")
	w := bufio.NewWriter(fw)
	w.WriteString("id,name,born,ulan\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "%d,Person %d,%d,%d\n", i, i, 1700+i%300, 500000000+i)
	}
	w.Flush()
	mw.Close()
	req, _ := http.NewRequest("POST", in.base+jobPath+"/dataset?csrf_token="+url.QueryEscape(token(jobPath)), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %v %v", resp.Status, err)
	}

	type status struct {
		Dataset struct {
			Status string `json:"status"`
			Rows   int64  `json:"rows"`
			Error  string `json:"error"`
		} `json:"dataset"`
	}
	poll := func() status {
		var s status
		_ = json.Unmarshal([]byte(get(jobPath+"/status.json")), &s)
		return s
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		s := poll()
		if s.Dataset.Status == "importing" && s.Dataset.Rows > 0 {
			break
		}
		if s.Dataset.Status == "imported" || time.Now().After(deadline) {
			// Never a skip: a test that cannot kill the import mid-way has
			// tested nothing, and CI must say so (a larger file is the fix).
			t.Fatalf("could not catch the import in progress (status %q, %d rows)", s.Dataset.Status, s.Dataset.Rows)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = in.cmd.Wait()

	in = start(t, bin, dataDir, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		s := poll()
		if s.Dataset.Status == "imported" {
			if s.Dataset.Rows != rows {
				t.Fatalf("imported %d rows, want %d", s.Dataset.Rows, rows)
			}
			if !strings.Contains(in.log.String(), "resuming import") {
				t.Errorf("the second process did not resume the import:\n%s", in.log.String())
			}
			preview := get(jobPath + "/dataset?after=599990")
			if !strings.Contains(preview, "Person 600000") {
				t.Fatal("last row missing from the preview")
			}
			return
		}
		if s.Dataset.Status == "failed" {
			t.Fatalf("import failed after restart: %s", s.Dataset.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("import did not finish after restart:\n%s", in.log.String())
}

// TestSeparateWebNeedsRedis: web and worker in separate processes share work
// through Redis, and the local user only listens on loopback; a configuration
// that breaks either is refused before anything starts: the refusal is the
// only output (no asynq, worker or database lines) and the data directory
// stays empty.
func TestSeparateWebNeedsRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	for _, c := range []struct {
		name, cmd string
		env       []string
		want      string
	}{
		{"web without Redis", "web", []string{"PARTNERHUB_ADDR=" + freeAddr(t), "PARTNERHUB_REDIS_ADDR=", "PORT="}, "PARTNERHUB_REDIS_ADDR"},
		{"worker without Redis", "worker", []string{"PARTNERHUB_REDIS_ADDR=", "PORT="}, "PARTNERHUB_REDIS_ADDR"},
		{"local user on a public address", "serve", []string{"PORT=0", "PARTNERHUB_OAUTH_CONSUMER_KEY=", "PARTNERHUB_OAUTH_CONSUMER_SECRET="}, "loopback"},
		{"owner-only consumer on a public address", "serve", []string{"PARTNERHUB_ADDR=0.0.0.0:0", "PORT=",
			"PARTNERHUB_OAUTH_CONSUMER_KEY=ck", "PARTNERHUB_OAUTH_CONSUMER_SECRET=cs",
			"PARTNERHUB_OAUTH_ACCESS_TOKEN=at", "PARTNERHUB_OAUTH_ACCESS_SECRET=as"}, "loopback"},
		{"User-Agent without a contact", "serve", []string{"PARTNERHUB_ADDR=" + freeAddr(t), "PORT=", "PARTNERHUB_USER_AGENT=Partnerhub/1.0 (Partnerhub)"}, "PARTNERHUB_USER_AGENT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dataDir := t.TempDir()
			cmd := exec.Command(bin, c.cmd)
			cmd.Env = append(os.Environ(), "PARTNERHUB_DATA_DIR="+dataDir, "PARTNERHUB_DB_DSN=", "PARTNERHUB_LOG_LEVEL=debug")
			cmd.Env = append(cmd.Env, c.env...)
			out, err := cmd.CombinedOutput()
			// Only the refusal: no log line (slog's text lines carry level=),
			// nothing from asynq, the worker or the store.
			text := string(out)
			if err == nil || !strings.HasPrefix(text, "partnerhub: ") || !strings.Contains(text, c.want) ||
				strings.Contains(text, "level=") || strings.Contains(strings.ToLower(text), "asynq") {
				t.Fatalf("want only the refusal naming %s; err %v, output:\n%s", c.want, err, out)
			}
			if entries, _ := os.ReadDir(dataDir); len(entries) > 0 {
				t.Errorf("the refused start left %d files in the data directory (%s first): it opened something before checking", len(entries), entries[0].Name())
			}
		})
	}
}
