// Package sparqltest runs a real SPARQL engine on loopback for tests:
// Oxigraph from npm behind the small Node server in oxigraph-server/, so the
// queries Partnerhub generates are really parsed and evaluated. Node.js is
// required; without it tests skip, except in CI (CI=true), where they fail.
package sparqltest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running test endpoint.
type Server struct {
	base     string
	cmd      *exec.Cmd
	in       io.WriteCloser
	stopOnce sync.Once
}

var (
	installOnce sync.Once
	installErr  error
)

// serverDir is where server.js lives, next to this file.
func serverDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "oxigraph-server")
}

// install runs "npm ci" once per process when node_modules is missing;
// a lock file keeps parallel test processes (go test runs packages at once)
// from installing at once. What says "installed" is a marker written after
// npm ci succeeded, never node_modules itself: that appears while npm is
// still unpacking, and a server started from it exits before listening.
func install() error {
	installOnce.Do(func() {
		dir := serverDir()
		marker := filepath.Join(dir, "node_modules", ".partnerhub-installed")
		if _, err := os.Stat(marker); err == nil {
			return
		}
		lock := filepath.Join(os.TempDir(), "partnerhub-oxigraph-npm.lock")
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			installErr = err
			return
		}
		defer f.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			installErr = err
			return
		}
		defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		if _, err := os.Stat(marker); err == nil {
			return // another process installed it while we waited
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
			return
		}
		installErr = os.WriteFile(marker, nil, 0o644)
	})
	return installErr
}

// Available reports why a real engine cannot run here, or nil.
func Available() error {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed", tool)
		}
	}
	return install()
}

// Start launches an endpoint loaded with the given Turtle or N-Triples
// files, and stops it when the test ends.
func Start(t testing.TB, dataFiles ...string) *Server {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("a real SPARQL engine is required in CI: %v", err)
		}
		t.Skipf("no SPARQL engine: %v", err)
	}
	s, err := StartProcess(dataFiles...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartProcess launches an endpoint outside a test (e.g. for benchmarks
// shared across runs, or the end-to-end test); call Stop when done.
func StartProcess(dataFiles ...string) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	args := []string{"server.js"}
	for _, f := range dataFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		args = append(args, abs)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = serverDir()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				ready <- port
			}
		}
		close(ready)
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return nil, fmt.Errorf("the SPARQL test server exited before listening")
		}
		return &Server{base: "http://127.0.0.1:" + port, cmd: cmd, in: stdin}, nil
	case <-time.After(5 * time.Minute): // loading a large graph takes a while
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("the SPARQL test server did not start in time")
	}
}

// Endpoint is the query URL.
func (s *Server) Endpoint() string { return s.base + "/sparql" }

// Stop ends the server; calling it again does nothing.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		// Closing stdin asks node to exit; it also exits by itself if this
		// process dies, so no engine outlives a killed test binary.
		_ = s.in.Close()
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	})
}

func (s *Server) post(path string, body io.Reader) error {
	resp, err := http.Post(s.base+path, "text/plain", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
	}
	return nil
}

// Load adds Turtle data.
func (s *Server) Load(t testing.TB, turtle string) {
	t.Helper()
	if err := s.post("/load?format=text/turtle", strings.NewReader(turtle)); err != nil {
		t.Fatal(err)
	}
}

// LoadFile bulk-loads an N-Triples or Turtle file (by extension).
func (s *Server) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	format := "text/turtle"
	if strings.HasSuffix(path, ".nt") {
		format = "application/n-triples"
	}
	return s.post("/load?format="+url.QueryEscape(format), f)
}

// Requests is how many queries the server has received, injected failures
// included; -1 if the server cannot be asked.
func (s *Server) Requests() int64 {
	resp, err := http.Get(s.base + "/stats")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var stats struct {
		Requests int64 `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return -1
	}
	return stats.Requests
}

// InjectFailures makes the next n queries answer with status and, if set,
// a Retry-After header.
func (s *Server) InjectFailures(t testing.TB, status int, retryAfter string, n int) {
	t.Helper()
	q := url.Values{"status": {strconv.Itoa(status)}, "n": {strconv.Itoa(n)}}
	if retryAfter != "" {
		q.Set("retry_after", retryAfter)
	}
	if err := s.post("/fail?"+q.Encode(), nil); err != nil {
		t.Fatal(err)
	}
}

// InjectMalformed makes the next n queries answer 200 with broken JSON.
func (s *Server) InjectMalformed(t testing.TB, n int) {
	t.Helper()
	if err := s.post("/fail?malformed=1&n="+strconv.Itoa(n), nil); err != nil {
		t.Fatal(err)
	}
}
