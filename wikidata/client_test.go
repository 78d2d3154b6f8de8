package wikidata_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

const consumerKey, consumerSecret = "consumer-key", "consumer-secret"

var alice = wikibasetest.Account{Name: "Alice", Token: "tok-a", Secret: "sec-a"}

func newWiki(t *testing.T, accounts ...wikibasetest.Account) *wikibasetest.Server {
	t.Helper()
	if len(accounts) == 0 {
		accounts = []wikibasetest.Account{alice}
	}
	return wikibasetest.New(t, wikibasetest.Options{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Accounts: accounts,
		AllowedTags: []string{"partnerhub", "extra"},
		Entities:    []*wikidata.Entity{loadFixture(t, "entity_Q4115189.json"), loadFixture(t, "entity_Q2112.json")}})
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newClient(t *testing.T, apiURL string, creds *wikidata.Credentials, tune func(*wikidata.Config)) *wikidata.Client {
	t.Helper()
	cfg := wikidata.Config{APIURL: apiURL, UserAgent: "Partnerhub-test/1.0 (test@example.org)", Logger: quietLogger(), MaxWait: 50 * time.Millisecond, Tag: "partnerhub"}
	if tune != nil {
		tune(&cfg)
	}
	c, err := wikidata.NewClient(cfg, creds)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func aliceCreds() *wikidata.Credentials {
	return &wikidata.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Token: alice.Token, TokenSecret: alice.Secret}
}

func TestGetEntitiesBatchesOf50(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), nil, nil)
	ids := []string{"Q4115189", "Q2112"}
	for i := 0; i < 118; i++ {
		ids = append(ids, "Q"+strconv.Itoa(700000+i))
	}
	before := w.Requests()
	got, err := c.GetEntities(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := w.Requests() - before; n != 3 {
		t.Fatalf("%d requests for %d ids, want 3", n, len(ids))
	}
	if len(got) != len(ids) || got["Q4115189"].Missing || got["Q4115189"].LastRevID == 0 || len(got["Q2112"].Claims) == 0 {
		t.Fatalf("entities: %d", len(got))
	}
	missing := 0
	for _, e := range got {
		if e.Missing {
			missing++
		}
	}
	if missing != 118 {
		t.Fatalf("%d missing, want 118", missing)
	}
}

func TestReadsWaitOutMaxlag(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), nil, func(cfg *wikidata.Config) { cfg.MaxWait = 10 * time.Second })
	w.Inject(wikibasetest.Fault{Action: "wbgetentities", Kind: wikibasetest.Maxlag, RetryAfter: 1})
	start := time.Now()
	got, err := c.GetEntities(context.Background(), []string{"Q2112"})
	if err != nil || got["Q2112"] == nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("maxlag's Retry-After was not waited out (%v)", time.Since(start))
	}
	// A cancelled context ends the wait at once.
	w.Inject(wikibasetest.Fault{Action: "wbgetentities", Kind: wikibasetest.Maxlag, RetryAfter: 30})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := c.GetEntities(ctx, []string{"Q2112"}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled wait: %v after %v", err, time.Since(start))
	}
	// The error of a wait cut short still says what the wiki answered.
	w.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 10})
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.SearchEntities(ctx, "x", "en", 5); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("cut-short retries: %v", err)
	}
}

func TestReadsRetry429And500Bounded(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), nil, func(cfg *wikidata.Config) { cfg.MaxRetries = 3 })
	w.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP429, RetryAfter: 1})
	w.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500})
	before := w.Requests()
	hits, err := c.SearchEntities(context.Background(), "wikidata SANDBOX", "en", 5)
	if err != nil || len(hits) == 0 || hits[0].ID != "Q4115189" {
		t.Fatalf("search: %+v %v", hits, err)
	}
	if n := w.Requests() - before; n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	w.Inject(wikibasetest.Fault{Action: "wbsearchentities", Kind: wikibasetest.HTTP500, Count: 10})
	before = w.Requests()
	if _, err := c.SearchEntities(context.Background(), "x", "en", 5); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("persistent 500: %v", err)
	}
	if n := w.Requests() - before; n != 4 {
		t.Fatalf("%d requests for MaxRetries 3, want 4", n)
	}
}

func TestSearchFoldsCaseAndDiacritics(t *testing.T) {
	w := newWiki(t)
	w.AddEntity(&wikidata.Entity{ID: "Q12345", Labels: map[string]wikidata.Term{"fr": {Language: "fr", Value: "Émile Zola"}}})
	c := newClient(t, w.URL(), nil, nil)
	for _, q := range []string{"emile zola", "ÉMILE", "Emile  Zo"} {
		hits, err := c.SearchEntities(context.Background(), q, "en", 5)
		if err != nil || len(hits) != 1 || hits[0].ID != "Q12345" {
			t.Errorf("search %q: %+v %v", q, hits, err)
		}
	}
}

func edit(t *testing.T, w *wikibasetest.Server, c *wikidata.Client, qid string, planned ...wikidata.PlannedStatement) (*wikidata.EditResult, error) {
	t.Helper()
	d := wikidata.DiffItem(w.Entity(qid), planned, nil, nil)
	data, err := wikidata.EditPayload(d)
	if err != nil {
		t.Fatal(err)
	}
	return c.EditEntity(context.Background(), wikidata.EditRequest{ID: qid, Data: data, BaseRevID: d.BaseRevID, Summary: "Partnerhub test", Tags: []string{"extra"}})
}

func TestEditAppliesAndAssignsGUIDs(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), aliceCreds(), nil)
	before := w.Entity("Q4115189")
	res, err := edit(t, w, c, "Q4115189",
		planned("P245", "external-id", wikidata.StringValue("500115493"), true),
		planned("P135", "wikibase-item", wikidata.ItemValue("Q5843"), false)) // present: reference added
	if err != nil {
		t.Fatal(err)
	}
	after := w.Entity("Q4115189")
	if res.LastRevID <= before.LastRevID || res.LastRevID != after.LastRevID || res.Entity == nil || len(res.Entity.Claims["P245"]) != 1 {
		t.Fatalf("result %+v", res)
	}
	st := after.Claims["P245"]
	if len(st) != 1 || !strings.HasPrefix(st[0].ID, "Q4115189$") || len(st[0].ID) != len("Q4115189$")+36 || st[0].References[0].Snaks["P248"] == nil {
		t.Fatalf("new statement: %+v", st)
	}
	if len(after.Claims["P135"]) != 3 || len(after.Claims["P135"][2].References) != 1 || after.Claims["P135"][2].ID != before.Claims["P135"][2].ID {
		t.Fatalf("reference addition: %+v", after.Claims["P135"])
	}
	edits := w.Edits()
	if len(edits) != 1 || edits[0].Summary != "Partnerhub test" || strings.Join(edits[0].Tags, "|") != "partnerhub|extra" || edits[0].User != "Alice" {
		t.Fatalf("edits %+v", edits)
	}
	// The same change again changes nothing: the diff is empty.
	if d := wikidata.DiffItem(after, []wikidata.PlannedStatement{planned("P245", "external-id", wikidata.StringValue("500115493"), true)}, nil, nil); !d.Empty() {
		t.Fatalf("second diff: %+v", d)
	}
	// A stale base revision when Alice made every revision since: Wikibase
	// sees no conflict and saves on the latest revision.
	data, _ := wikidata.EditPayload(wikidata.DiffItem(before, []wikidata.PlannedStatement{planned("P1476", "monolingualtext", wikidata.MonolingualValue("x", "en"), false)}, nil, nil))
	res, err = c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q4115189", Data: data, BaseRevID: before.LastRevID})
	if err != nil || res.Patched() {
		t.Fatalf("stale base, own edits since: %+v %v", res, err)
	}
	// Someone else added the same value meanwhile: Wikibase patches the edit
	// onto the latest revision, warns, and the value is there twice.
	base := w.Entity("Q4115189")
	w.EditAs("Bob", "Q4115189", wikidata.NewMonolingualStatement("P1476", "y", "en"))
	data, _ = wikidata.EditPayload(wikidata.DiffItem(base, []wikidata.PlannedStatement{planned("P1476", "monolingualtext", wikidata.MonolingualValue("y", "en"), false)}, nil, nil))
	res, err = c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q4115189", Data: data, BaseRevID: base.LastRevID})
	if err != nil || !res.Patched() || res.Warnings[0].Text == "" {
		t.Fatalf("stale base, someone else's edit since: %+v %v", res, err)
	}
	if d := w.Duplicates()["Q4115189"]; len(d) != 1 || !strings.HasPrefix(d[0], "P1476 ") {
		t.Fatalf("the patched edit must duplicate the value as Wikibase does: %v", d)
	}
	// Setting a label that changed since the base cannot be patched.
	base = w.Entity("Q4115189")
	w.ChangeAs("Bob", "Q4115189", func(e *wikidata.Entity) { e.Labels["fr"] = wikidata.Term{Language: "fr", Value: "bac à sable"} })
	_, err = c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q4115189", Data: json.RawMessage(`{"labels":{"fr":{"language":"fr","value":"autre"}}}`), BaseRevID: base.LastRevID})
	if !wikidata.IsEditConflict(err) || w.Entity("Q4115189").Labels["fr"].Value != "bac à sable" {
		t.Fatalf("label changed since the base: %v", err)
	}
	// New items.
	nd, err := wikidata.NewItemPayload(map[string]string{"en": "Unknown Painter"}, nil, []wikidata.Statement{wikidata.NewItemStatement("P31", "Q5").WithReferences(museumRef("https://museum.example/p/9"))})
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.EditEntity(context.Background(), wikidata.EditRequest{New: "item", Data: nd, Summary: "new"})
	if err != nil || !wikidata.IsItemID(res.ID) || w.Entity(res.ID).Label("en") != "Unknown Painter" || !strings.HasPrefix(w.Entity(res.ID).Claims["P31"][0].ID, res.ID+"$") {
		t.Fatalf("new item: %+v %v", res, err)
	}
	// Malformed values are refused with the wiki's message, and nothing changes.
	badData := []byte(`{"claims":[{"type":"statement","rank":"normal","mainsnak":{"snaktype":"value","property":"P569","datatype":"time","datavalue":{"type":"time","value":{"time":"1862","precision":11,"calendarmodel":"x"}}}}]}`)
	cur := w.Entity("Q2112")
	if _, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q2112", Data: badData, BaseRevID: cur.LastRevID}); codeOf(err) != "modification-failed" {
		t.Fatalf("malformed time: %v", err)
	}
	if w.Entity("Q2112").LastRevID != cur.LastRevID {
		t.Fatal("a refused edit changed the item")
	}
}

func TestBadTokenRefetchedOnce(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), aliceCreds(), nil)
	w.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.BadToken})
	if _, err := edit(t, w, c, "Q4115189", planned("P245", "external-id", wikidata.StringValue("1"), false)); err != nil {
		t.Fatalf("one badtoken: %v", err)
	}
	if n := w.WriteRequestsFor("Q4115189"); n != 2 {
		t.Fatalf("%d write requests, want 2", n)
	}
	w.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.BadToken, Count: 2})
	if _, err := edit(t, w, c, "Q4115189", planned("P245", "external-id", wikidata.StringValue("2"), false)); codeOf(err) != "badtoken" {
		t.Fatalf("two badtokens: %v", err)
	}
	if n := w.WriteRequestsFor("Q4115189"); n != 4 {
		t.Fatalf("%d write requests, want 4 (one renewal only)", n)
	}
}

func TestWriteFailuresClassified(t *testing.T) {
	outcomeUnknown := func(err error) bool { return errors.Is(err, wikidata.ErrOutcomeUnknown) }
	cases := []struct {
		kind    wikibasetest.FaultKind
		check   func(error) bool
		applied bool
		retry   time.Duration
	}{
		{wikibasetest.Maxlag, wikidata.IsMaxlag, false, 3 * time.Second},
		{wikibasetest.RateLimited, wikidata.IsRateLimited, false, 3 * time.Second},
		{wikibasetest.FailedSaveThrottled, wikidata.IsRateLimited, false, 0}, // the real throttled save gives no Retry-After
		{wikibasetest.HTTP429, wikidata.IsRateLimited, false, 3 * time.Second},
		{wikibasetest.EditConflict, wikidata.IsEditConflict, false, 0},
		{wikibasetest.ReadOnly, wikidata.IsReadOnly, false, 0},
		{wikibasetest.Protected, wikidata.IsProtected, false, 0},
		{wikibasetest.BadTags, wikidata.IsBadTags, false, 0},
		{wikibasetest.Blocked, wikidata.IsFatalForUser, false, 0},
		{wikibasetest.HTTP500, outcomeUnknown, false, 0},
		{wikibasetest.ApplyThenFail, outcomeUnknown, true, 0},
		{wikibasetest.ApplyThenDrop, outcomeUnknown, true, 0},
	}
	for i, c := range cases {
		w := newWiki(t)
		cl := newClient(t, w.URL(), aliceCreds(), nil)
		w.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: c.kind, RetryAfter: 3})
		before := w.Entity("Q4115189").LastRevID
		_, err := edit(t, w, cl, "Q4115189", planned("P245", "external-id", wikidata.StringValue(strconv.Itoa(i)), false))
		if !c.check(err) {
			t.Errorf("fault %d: %v not classified", c.kind, err)
		}
		if n := w.WriteRequestsFor("Q4115189"); n != 1 {
			t.Errorf("fault %d: %d write requests; writes must not be retried", c.kind, n)
		}
		if applied := w.Entity("Q4115189").LastRevID != before; applied != c.applied {
			t.Errorf("fault %d: applied %v", c.kind, applied)
		}
		var ae *wikidata.APIError
		if c.retry > 0 && (!errors.As(err, &ae) || ae.RetryAfter != c.retry) {
			t.Errorf("fault %d: Retry-After not carried: %v", c.kind, err)
		}
		if c.kind != wikibasetest.Blocked && wikidata.IsFatalForUser(err) {
			t.Errorf("fault %d: %v taken as fatal", c.kind, err)
		}
	}
}

func TestWriteTimeoutIsOutcomeUnknown(t *testing.T) {
	w := newWiki(t)
	c := newClient(t, w.URL(), aliceCreds(), func(cfg *wikidata.Config) { cfg.Timeout = 200 * time.Millisecond })
	if _, err := c.CSRFToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.Inject(wikibasetest.Fault{Action: "wbeditentity", Kind: wikibasetest.Slow, Delay: 2 * time.Second})
	_, err := edit(t, w, c, "Q4115189", planned("P245", "external-id", wikidata.StringValue("slow"), false))
	if !errors.Is(err, wikidata.ErrOutcomeUnknown) {
		t.Fatalf("time-out: %v", err)
	}
	// Nothing listening: the request never left, so the outcome is known.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + wikibasetest.APIPath
	dead.Close()
	c2 := newClient(t, deadURL, aliceCreds(), nil)
	_, err = c2.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q1", Data: json.RawMessage(`{}`)})
	if err == nil || errors.Is(err, wikidata.ErrOutcomeUnknown) {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestSignatureChecked(t *testing.T) {
	w := newWiki(t, alice, wikibasetest.Account{Name: "Bob", Token: "tok-b", Secret: "sec-b", Blocked: true})
	ctx := context.Background()
	u, err := newClient(t, w.URL(), aliceCreds(), nil).UserInfo(ctx)
	if err != nil || u.Name != "Alice" || u.Blocked || !u.HasRight("edit") || u.RateLimits["edit"]["user"].Hits == 0 {
		t.Fatalf("user info: %+v %v", u, err)
	}
	for name, creds := range map[string]*wikidata.Credentials{
		"wrong consumer secret": {ConsumerKey: consumerKey, ConsumerSecret: "wrong", Token: alice.Token, TokenSecret: alice.Secret},
		"wrong token secret":    {ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Token: alice.Token, TokenSecret: "wrong"},
		"unknown consumer":      {ConsumerKey: "other", ConsumerSecret: consumerSecret, Token: alice.Token, TokenSecret: alice.Secret},
	} {
		_, err := newClient(t, w.URL(), creds, nil).UserInfo(ctx)
		if codeOf(err) != "mwoauth-invalid-authorization" || !wikidata.IsFatalForUser(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bob := newClient(t, w.URL(), &wikidata.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Token: "tok-b", TokenSecret: "sec-b"}, nil)
	if u, err := bob.UserInfo(ctx); err != nil || !u.Blocked {
		t.Fatalf("blocked user: %+v %v", u, err)
	}
	if _, err := edit(t, w, bob, "Q2112", planned("P245", "external-id", wikidata.StringValue("1"), false)); !wikidata.IsFatalForUser(err) || !wikidata.IsBlocked(err) {
		t.Fatalf("blocked user's edit: %v", err)
	}
	anon := newClient(t, w.URL(), nil, nil)
	if _, err := anon.EditEntity(ctx, wikidata.EditRequest{ID: "Q2112", Data: json.RawMessage(`{}`)}); err == nil {
		t.Fatal("anonymous client edited")
	}
}

// TestRequestShapeAndErrorFormats replays the real error answers of the
// fixture and checks what every request carries.
func TestRequestShapeAndErrorFormats(t *testing.T) {
	b, err := os.ReadFile("testdata/api-errors.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures map[string]json.RawMessage
	if err := json.Unmarshal(b, &fixtures); err != nil {
		t.Fatal(err)
	}
	var current struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	var seen *http.Request
	var body string
	var token struct {
		Body json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(fixtures["csrf_token"], &token); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") == "query" {
			_, _ = w.Write(token.Body)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		body = string(raw)
		seen = r
		for k, v := range current.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(current.Status)
		_, _ = w.Write(current.Body)
	}))
	defer srv.Close()
	classify := map[string]func(error) bool{
		"maxlag_live": wikidata.IsMaxlag, "maxlag_plaintext": wikidata.IsMaxlag, "ratelimited": wikidata.IsRateLimited,
		"editconflict": wikidata.IsEditConflict, "readonly": wikidata.IsReadOnly, "blocked": wikidata.IsFatalForUser,
		"permissiondenied": wikidata.IsFatalForUser, "invalid_oauth": wikidata.IsFatalForUser, "assertuserfailed": wikidata.IsFatalForUser,
		"http_429": wikidata.IsRateLimited,
	}
	c := newClient(t, srv.URL+"/w/api.php", aliceCreds(), func(cfg *wikidata.Config) { cfg.Maxlag = 7 })
	for name, check := range classify {
		if err := json.Unmarshal(fixtures[name], &current); err != nil {
			t.Fatal(err)
		}
		if name == "http_429" {
			current.Body = json.RawMessage(strconv.Quote(string(current.Body)))
		}
		_, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q42", Data: json.RawMessage(`{"labels":{}}`), Summary: "s"})
		if !check(err) {
			t.Errorf("%s: %v not classified", name, err)
		}
		if errors.Is(err, wikidata.ErrOutcomeUnknown) {
			t.Errorf("%s: an API error is a known outcome", name)
		}
		if strings.HasPrefix(name, "maxlag") {
			var ae *wikidata.APIError
			if !errors.As(err, &ae) || ae.RetryAfter != 5*time.Second {
				t.Errorf("%s: Retry-After: %v", name, err)
			}
		}
	}
	if seen.Method != http.MethodPost || seen.Header.Get("User-Agent") != "Partnerhub-test/1.0 (test@example.org)" || !strings.HasPrefix(seen.Header.Get("Authorization"), "OAuth ") {
		t.Fatalf("request: %s %v", seen.Method, seen.Header)
	}
	if !strings.HasSuffix(body, "&token=a3f1c0de9b2e4f6a8c7d5e4f3a2b1c0d6578a4b2%2B%5C") {
		t.Fatalf("token must come last in the body: %s", body)
	}
	for _, want := range []string{"format=json", "formatversion=2", "errorformat=plaintext", "maxlag=7", "assert=user", "tags=partnerhub", "action=wbeditentity"} {
		if !strings.Contains("&"+body+"&", "&"+want+"&") {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
}

func codeOf(err error) string {
	var ae *wikidata.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// TestRealWikibaseAnswersClassified replays every answer captured from a
// real MediaWiki 1.39 + Wikibase + OAuth and checks how each is read: every
// error entry and its data.messages count, not only the first.
func TestRealWikibaseAnswersClassified(t *testing.T) {
	raw, err := os.ReadFile("testdata/api-answers-wikibase-1.39.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixtures map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fixtures); err != nil {
		t.Fatal(err)
	}
	var current json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("meta") == "tokens" {
			_, _ = w.Write([]byte(`{"batchcomplete":true,"query":{"tokens":{"csrftoken":"abc+\\"}}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(current)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/w/api.php", aliceCreds(), func(cfg *wikidata.Config) { cfg.MaxRetries = 1 })
	type verdict struct {
		rateLimited, protected, blocked, authLost, badTags, missing, redirect, fatal bool
	}
	want := map[string]verdict{
		"throttled_save":                      {rateLimited: true},
		"protected_item":                      {protected: true},
		"blocked_user":                        {blocked: true, fatal: true},
		"badtags_unregistered_tag":            {badTags: true},
		"revoked_grant":                       {authLost: true, fatal: true},
		"no_such_entity":                      {missing: true},
		"edit_redirect":                       {redirect: true},
		"label_description_conflict_new_item": {},
	}
	for name, v := range want {
		var fx struct {
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(fixtures[name], &fx); err != nil {
			t.Fatal(err)
		}
		current = fx.Response
		_, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q1", Data: json.RawMessage(`{}`)})
		if err == nil || errors.Is(err, wikidata.ErrOutcomeUnknown) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := verdict{wikidata.IsRateLimited(err), wikidata.IsProtected(err), wikidata.IsBlocked(err), wikidata.IsAuthLost(err),
			wikidata.IsBadTags(err), wikidata.IsMissingEntity(err), wikidata.IsRedirect(err), wikidata.IsFatalForUser(err)}
		if got != v {
			t.Errorf("%s: read as %+v, want %+v (%v)", name, got, v, err)
		}
		if name == "badtags_unregistered_tag" && strings.Join(wikidata.DisallowedTags(err), ",") != "not-registered-tag" {
			t.Errorf("disallowed tags %v", wikidata.DisallowedTags(err))
		}
		var ae *wikidata.APIError
		if errors.As(err, &ae) && ae.RetryAfter != 0 {
			t.Errorf("%s: a Retry-After out of nowhere: %s", name, ae.RetryAfter)
		}
	}
	// The patched conflict is a success carrying the warning.
	var fx struct {
		Response json.RawMessage `json:"response"`
	}
	_ = json.Unmarshal(fixtures["stale_baserevid_patched"], &fx)
	current = fx.Response
	res, err := c.EditEntity(context.Background(), wikidata.EditRequest{ID: "Q20000295", Data: json.RawMessage(`{}`), BaseRevID: 622})
	if err != nil || !res.Patched() || res.LastRevID != 633 {
		t.Fatalf("patched edit: %+v %v", res, err)
	}
}

func TestCheckTag(t *testing.T) {
	w := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Accounts: []wikibasetest.Account{alice},
		AllowedTags: []string{"partnerhub"},
		Tags:        []wikidata.ChangeTag{{Name: "retired", Defined: true, Active: false, Source: []string{"manual"}}, {Name: "OAuth CID: 1", Defined: true, Active: true, Source: []string{"extension"}}}})
	for tag, ok := range map[string]bool{"partnerhub": true, "": true, "retired": false, "OAuth CID: 1": false, "not-registered-tag": false} {
		c := newClient(t, w.URL(), aliceCreds(), func(cfg *wikidata.Config) { cfg.Tag = tag })
		err := c.CheckTag(context.Background())
		if (err == nil) != ok || (err != nil && !errors.Is(err, wikidata.ErrTagNotUsable)) {
			t.Errorf("tag %q: %v", tag, err)
		}
		if err != nil && !strings.Contains(err.Error(), "Special:Tags") {
			t.Errorf("tag %q: the error does not say where to fix it: %v", tag, err)
		}
	}
}
