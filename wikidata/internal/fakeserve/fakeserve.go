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

// ForTest serves h at path until the test ends. It returns the URL of path
// and a function that stops serving earlier.
func ForTest(t testing.TB, path string, h http.Handler) (url string, stop func()) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(path, h)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL + path, ts.Close
}

// On serves h at path on ln until stop is called, which waits up to five
// seconds for requests in flight.
func On(ln net.Listener, path string, h http.Handler) (url string, stop func()) {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + path, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}
