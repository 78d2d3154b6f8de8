// Package fakeserve serves the fake wikis (wikidata/wikibasetest,
// wikidata/commonstest) at their api.php path: for one test, or on a
// listener of its own for a process outside tests.
package fakeserve

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Endpoint is a fake being served; the fakes' Server types embed it.
type Endpoint struct {
	url  string
	stop func()
}

// URL is the api.php URL to give the client.
func (e Endpoint) URL() string { return e.url }

// Close stops serving.
func (e Endpoint) Close() { e.stop() }

// ForTest serves h at path until the test ends (or Close).
func ForTest(t testing.TB, path string, h http.Handler) Endpoint {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(path, h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return Endpoint{url: ts.URL + path, stop: ts.Close}
}

// On serves h at path on ln until Close, which waits up to five seconds
// for requests in flight.
func On(ln net.Listener, path string, h http.Handler) Endpoint {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return Endpoint{url: "http://" + ln.Addr().String() + path, stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}}
}
