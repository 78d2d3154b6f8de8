package sparql_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"partnerhub/sparql"
)

// TestQueryOnAConnectionTheServerClosed: servers close idle keep-alive
// connections (Node's after 5 s, nginx's after its keepalive_timeout), and a
// query sent on one just as it closes gets no answer at all. A query is a
// read, so the client marks it idempotent and Go's transport sends it again
// on a new connection instead of failing the batch with "connection reset".
// The server here answers the first request of every connection and drops
// the connection on the second without a word, deterministically.
func TestQueryOnAConnectionTheServerClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns, answered atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if n > 0 {
						return // closed while the request was on its way
					}
					answered.Add(1)
					body := `{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"ok"}}]}}`
					fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				}
			}()
		}
	}()
	// No retries of the client's own: the replay must come from the transport,
	// at once, not after a backoff (and tests run the engine with none).
	c := newClient(t, "http://"+ln.Addr().String()+"/sparql", sparql.Config{MaxRetries: -1})
	for i := range 3 {
		res, err := c.Select(context.Background(), "SELECT ?x {}")
		if err != nil {
			t.Fatalf("query %d on a reused connection the server dropped: %v", i+1, err)
		}
		if len(res.Rows) != 1 {
			t.Fatalf("query %d: %d solutions", i+1, len(res.Rows))
		}
	}
	if answered.Load() != 3 || conns.Load() < 3 {
		t.Fatalf("%d answers on %d connections", answered.Load(), conns.Load())
	}
}
