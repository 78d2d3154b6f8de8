package fakeserve

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// Recorder is an http.RoundTripper that keeps the last answer the client
// read (body, status, headers), for comparing a fake's answers with the real
// service's.
type Recorder struct {
	mu     sync.Mutex
	body   []byte
	code   int
	header http.Header
}

// RoundTrip sends the request with the default transport and keeps the
// answer.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.body, r.code, r.header = b, resp.StatusCode, resp.Header.Clone()
	r.mu.Unlock()
	return resp, nil
}

// Last is the last answer read.
func (r *Recorder) Last() (body []byte, code int, header http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body, r.code, r.header
}
