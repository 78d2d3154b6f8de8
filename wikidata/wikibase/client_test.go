package wikibase_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"partnerhub/wikidata/wikibase"
	"partnerhub/wikidata/wikibase/wikibasetest"
)

var alice = wikibasetest.User{Name: "Alice", ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tk", TokenSecret: "ts", Groups: []string{"user"}, Rights: []string{"edit"}}

func fixture(t *testing.T, name string) *wikibase.Entity {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e wikibase.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func setup(t *testing.T, creds *wikibase.Credentials) (*wikibasetest.Server, *wikibase.Client) {
	t.Helper()
	srv := wikibasetest.New(t, wikibasetest.Options{Users: []wikibasetest.User{alice}, Entities: []*wikibase.Entity{fixture(t, "entity_Q4115189.json"), fixture(t, "entity_Q571.json")}})
	c, err := wikibase.NewClient(wikibase.Config{APIURL: srv.URL, UserAgent: "partnerhub-test/1.0", Tags: []string{"partnerhub"}}, creds)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func aliceCreds() *wikibase.Credentials {
	return &wikibase.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tk", TokenSecret: "ts"}
}

func TestGetEntitiesBatches(t *testing.T) {
	srv, c := setup(t, nil)
	ids := []string{"Q4115189", "Q571"}
	for i := 0; len(ids) < 75; i++ {
		ids = append(ids, "Q9999999"+string(rune('0'+i/10))+string(rune('0'+i%10)))
	}
	got, err := c.GetEntities(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests("wbgetentities"); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	if len(got) != 75 || got["Q571"].Missing || !got["Q999999900"].Missing || len(got["Q571"].Claims) == 0 {
		t.Errorf("got %d entities, Q571 missing=%v", len(got), got["Q571"].Missing)
	}
}

func TestReadRetries(t *testing.T) {
	for _, kind := range []wikibasetest.FaultKind{wikibasetest.Maxlag, wikibasetest.HTTP429, wikibasetest.HTTP500} {
		srv, c := setup(t, nil)
		srv.Inject(wikibasetest.Fault{Action: "wbgetentities", Kind: kind, Count: 1, RetryAfter: 1})
		start := time.Now()
		got, err := c.GetEntities(context.Background(), []string{"Q571"})
		if err != nil || got["Q571"] == nil {
			t.Fatalf("kind %d: %v", kind, err)
		}
		if n := srv.Requests("wbgetentities"); n != 2 {
			t.Errorf("kind %d: requests = %d", kind, n)
		}
		if kind != wikibasetest.HTTP500 && time.Since(start) < time.Second {
			t.Errorf("kind %d: Retry-After not honoured (%v)", kind, time.Since(start))
		}
	}
}

func TestReadRetryStopsOnCancel(t *testing.T) {
	srv, c := setup(t, nil)
	srv.Inject(wikibasetest.Fault{Kind: wikibasetest.Maxlag, Count: 10, RetryAfter: 30})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.GetEntities(ctx, []string{"Q571"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func editData(t *testing.T) json.RawMessage {
	tm, _ := wikibase.ParseTime("2024-05-01")
	st := wikibase.NewStatement("P1476", "monolingualtext", wikibase.MonolingualValue("Sandbox", "en"), wikibase.Reference{}.StatedIn("Q100").Retrieved(tm))
	raw, err := wikibase.NewItemData(nil, nil, []wikibase.Statement{st})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestEditAndRevisions(t *testing.T) {
	srv, c := setup(t, aliceCreds())
	ctx := context.Background()
	e := srv.Entity("Q4115189")
	planned := []wikibase.PlannedStatement{{Property: "P31", Datatype: "wikibase-item", Value: wikibase.ItemValue("Q5")}}
	d := wikibase.DiffItem(e, planned, map[string]string{"de": "Sandkasten"}, nil)
	data, err := wikibase.EditData(d, e)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.EditEntity(ctx, wikibase.EditRequest{ID: e.ID, Data: data, BaseRevID: e.LastRevID, Summary: "partnerhub test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.LastRevID <= e.LastRevID {
		t.Errorf("revision did not advance: %d", res.LastRevID)
	}
	added := res.Entity.Claims["P31"]
	if len(added) != 1 || !strings.HasPrefix(added[0].ID, "Q4115189$") {
		t.Fatalf("P31 = %+v", added)
	}
	if res.Entity.Labels["de"].Value != "Sandkasten" {
		t.Error("label not set")
	}
	edits := srv.Edits()
	if len(edits) != 1 || edits[0].User != "Alice" || edits[0].Summary != "partnerhub test" || len(edits[0].Tags) != 1 {
		t.Errorf("edits = %+v", edits)
	}
	revs, err := c.Revisions(ctx, "Q4115189", "Alice", 5)
	if err != nil || len(revs) != 1 || revs[0].RevID != res.LastRevID || revs[0].Comment != "partnerhub test" {
		t.Errorf("revisions = %+v, %v", revs, err)
	}
	// Same diff again against the new state: nothing to do.
	if d2 := wikibase.DiffItem(res.Entity, planned, map[string]string{"de": "Sandkasten"}, nil); !d2.Empty() {
		t.Errorf("second diff not empty: %+v", d2)
	}
	// Stale base revision.
	_, err = c.EditEntity(ctx, wikibase.EditRequest{ID: e.ID, Data: data, BaseRevID: e.LastRevID})
	if !wikibase.IsEditConflict(err) {
		t.Errorf("stale baserevid: %v", err)
	}
	// New item.
	res, err = c.EditEntity(ctx, wikibase.EditRequest{New: "item", Data: editData(t)})
	if err != nil || srv.Entity(res.ID) == nil {
		t.Fatalf("new item: %v", err)
	}
	ui, err := c.UserInfo(ctx)
	if err != nil || ui.Name != "Alice" || ui.Blocked {
		t.Errorf("userinfo = %+v, %v", ui, err)
	}
}

func TestBadTokenRefetchedOnce(t *testing.T) {
	srv, c := setup(t, aliceCreds())
	ctx := context.Background()
	srv.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.BadToken, Count: 1})
	if _, err := c.EditEntity(ctx, wikibase.EditRequest{New: "item", Data: editData(t)}); err != nil {
		t.Fatal(err)
	}
	if srv.Requests("query") != 2 || srv.WriteRequests() != 2 {
		t.Errorf("token fetches = %d, writes = %d", srv.Requests("query"), srv.WriteRequests())
	}
	srv.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.BadToken, Count: 2})
	_, err := c.EditEntity(ctx, wikibase.EditRequest{New: "item", Data: editData(t)})
	var ae *wikibase.APIError
	if !errors.As(err, &ae) || ae.Code != "badtoken" || srv.WriteRequests() != 4 {
		t.Errorf("second badtoken: %v, writes %d", err, srv.WriteRequests())
	}
}

func TestWriteErrorsClassified(t *testing.T) {
	tests := []struct {
		kind                         wikibasetest.FaultKind
		maxlag, rate, fatal, unknown bool
	}{
		{kind: wikibasetest.Maxlag, maxlag: true},
		{kind: wikibasetest.RateLimited, rate: true},
		{kind: wikibasetest.FailedSaveThrottled, rate: true},
		{kind: wikibasetest.HTTP429, rate: true},
		{kind: wikibasetest.ReadOnly, fatal: true},
		{kind: wikibasetest.Blocked, fatal: true},
		{kind: wikibasetest.HTTP500, unknown: true},
		{kind: wikibasetest.ApplyThenFail, unknown: true},
	}
	for _, tc := range tests {
		srv, c := setup(t, aliceCreds())
		srv.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: tc.kind, RetryAfter: 7})
		_, err := c.EditEntity(context.Background(), wikibase.EditRequest{New: "item", Data: editData(t)})
		if err == nil {
			t.Fatalf("kind %d: no error", tc.kind)
		}
		if wikibase.IsMaxlag(err) != tc.maxlag || wikibase.IsRateLimited(err) != tc.rate || wikibase.IsFatalForUser(err) != tc.fatal || errors.Is(err, wikibase.ErrOutcomeUnknown) != tc.unknown {
			t.Errorf("kind %d: misclassified %v", tc.kind, err)
		}
		if srv.WriteRequests() != 1 {
			t.Errorf("kind %d: write sent %d times", tc.kind, srv.WriteRequests())
		}
		var ae *wikibase.APIError
		if (tc.maxlag || tc.kind == wikibasetest.HTTP429) && (!errors.As(err, &ae) || ae.RetryAfter != 7*time.Second) {
			t.Errorf("kind %d: RetryAfter not passed on: %v", tc.kind, err)
		}
		if tc.kind == wikibasetest.ApplyThenFail && len(srv.Edits()) != 1 {
			t.Errorf("ApplyThenFail did not apply")
		}
	}
}

func TestWrongSecretRejected(t *testing.T) {
	_, c := setup(t, &wikibase.Credentials{ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tk", TokenSecret: "nope"})
	_, err := c.UserInfo(context.Background())
	var ae *wikibase.APIError
	if !errors.As(err, &ae) || ae.Code != "mwoauth-invalid-authorization" || !wikibase.IsFatalForUser(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestInvalidClaimRejected(t *testing.T) {
	srv, c := setup(t, aliceCreds())
	bad := json.RawMessage(`{"claims":[{"mainsnak":{"snaktype":"value","property":"P569","datatype":"time","datavalue":{"type":"string","value":"1879"}},"type":"statement","rank":"normal"}]}`)
	_, err := c.EditEntity(context.Background(), wikibase.EditRequest{ID: "Q571", Data: bad})
	var ae *wikibase.APIError
	if !errors.As(err, &ae) || ae.Code != "modification-failed" || len(srv.Edits()) != 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestSearchFoldsDiacritics(t *testing.T) {
	srv, c := setup(t, nil)
	srv.AddEntity(&wikibase.Entity{ID: "Q90", Type: "item", Labels: map[string]wikibase.Term{"en": {Language: "en", Value: "Musée d'Orsay"}}})
	hits, err := c.SearchEntities(context.Background(), "MUSEE", "en", 5)
	if err != nil || len(hits) != 1 || hits[0].ID != "Q90" {
		t.Fatalf("hits = %+v, %v", hits, err)
	}
}

func TestWriteTimeoutIsOutcomeUnknown(t *testing.T) {
	srv, c := setup(t, aliceCreds())
	ctx := context.Background()
	if _, err := c.CSRFToken(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.Slow, Delay: 2 * time.Second})
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := c.EditEntity(ctx, wikibase.EditRequest{New: "item", Data: editData(t)})
	if !errors.Is(err, wikibase.ErrOutcomeUnknown) || srv.WriteRequests() != 1 {
		t.Fatalf("err = %v, writes = %d", err, srv.WriteRequests())
	}
}

func TestEachUserSignsOwnEdits(t *testing.T) {
	bob := wikibasetest.User{Name: "Bob", ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tb", TokenSecret: "sb"}
	srv := wikibasetest.New(t, wikibasetest.Options{Users: []wikibasetest.User{alice, bob}})
	for _, creds := range []*wikibase.Credentials{aliceCreds(), {ConsumerKey: "ck", ConsumerSecret: "cs", Token: "tb", TokenSecret: "sb"}} {
		c, err := wikibase.NewClient(wikibase.Config{APIURL: srv.URL, UserAgent: "partnerhub-test/1.0"}, creds)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.EditEntity(context.Background(), wikibase.EditRequest{New: "item", Data: editData(t)}); err != nil {
			t.Fatal(err)
		}
	}
	edits := srv.Edits()
	if len(edits) != 2 || edits[0].User != "Alice" || edits[1].User != "Bob" || edits[0].EntityID == edits[1].EntityID {
		t.Errorf("edits = %+v", edits)
	}
}
