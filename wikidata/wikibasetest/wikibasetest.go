// Package wikibasetest is an in-memory Wikibase Action API (api.php) for
// tests and for the end-to-end test's standalone fake wiki. It answers what
// Partnerhub uses as the real one does: wbgetentities (with "missing"),
// wbsearchentities (folding case and diacritics), wbeditentity (validated
// and applied: statement GUIDs, revision ids, baserevid conflicts, new
// items, CSRF tokens), meta=tokens, meta=userinfo, prop=revisions and
// list=usercontribs. It checks each request's OAuth 1.0a signature itself,
// answers errors in the real shapes (HTTP 200, both error formats,
// Retry-After on maxlag), records every write request and edit, and lets
// tests inject faults.
package wikibasetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"partnerhub/web/wikilogin/oauthfake"
	"partnerhub/wikidata"
	"partnerhub/wikidata/internal/fakeserve"
)

// APIPath is where the fake answers, as on Wikimedia wikis.
const APIPath = fakeserve.APIPath

// Account is a user of the fake wiki with an OAuth access token.
type Account struct {
	Name, Token, Secret string
	Blocked             bool
	Rights              []string // default: edit, createpage
}

// Options configure a fake wiki.
type Options struct {
	ConsumerKey, ConsumerSecret string
	Accounts                    []Account
	// Entities seed the wiki; each keeps its lastrevid if it has one.
	Entities []*wikidata.Entity
	// PropertyTypes, if set, gives the datatype of each property; edits
	// using other properties fail as on the real wiki. Nil: any property,
	// checked against the datatype its snak states.
	PropertyTypes map[string]string
	// CommonsFile, if set, says whether a file (its name without "File:")
	// is on Commons: a commonsMedia value naming another is refused, as
	// Wikibase checks every such value against Commons. Nil: any name.
	CommonsFile func(name string) bool
	// AllowedTags lists the change tags defined for manual use and active:
	// the only ones edits may carry, as on a real wiki (none by default).
	AllowedTags []string
	// Tags describe further tags list=tags shows (inactive ones, tags of
	// extensions that cannot be applied by hand).
	Tags []wikidata.ChangeTag
	// RateLimit, if set, throttles each user's saves as MediaWiki's
	// $wgRateLimits does: more than Hits saves within Per are refused in
	// the real throttled shape (HTTP 200, no Retry-After).
	RateLimit *RateLimit
	// ReplicaLag delays how soon an edit shows in prop=revisions and
	// list=usercontribs, which read from replicas.
	ReplicaLag time.Duration
	// BeforeSave, if set, is called (without the wiki's lock) when an edit
	// request has passed its checks and is about to be saved: tests use it
	// to have someone else edit the item in between.
	BeforeSave func(WriteRequest)
	// BeforeAnswer, if set, is called when an edit has been saved and
	// before it is answered, with the wiki's lock held (it must not call
	// the wiki). ctx is the request's: it is done once the client has gone,
	// so a test can hold the answer until the client has given up, as when
	// a worker dies while the wiki finishes its save.
	BeforeAnswer func(ctx context.Context, r WriteRequest)
	// NextItem is the number of the first item created (default 900001).
	NextItem int64
	Now      func() time.Time
}

// RateLimit is a number of saves per period.
type RateLimit struct {
	Hits int
	Per  time.Duration
}

// FaultKind says how a request misbehaves.
type FaultKind int

// Faults a test can inject.
const (
	Maxlag              FaultKind = iota + 1 // API error maxlag with Retry-After
	RateLimited                              // API error ratelimited (legacy single-entry shape)
	FailedSaveThrottled                      // the real throttled save: failed-save, ratelimited, failed-save with actionthrottledtext; no Retry-After
	BadToken                                 // badtoken
	EditConflict                             // editconflict
	ReadOnly                                 // readonly
	Blocked                                  // blocked
	HTTP429                                  // HTTP 429 with Retry-After
	HTTP500                                  // HTTP 500, nothing done
	Slow                                     // wait Delay, then answer normally
	ApplyThenFail                            // apply the edit, then answer HTTP 503
	ApplyThenDrop                            // apply the edit, then close the connection unanswered
	Protected                                // the real protected-page answer
	BadTags                                  // the real badtags answer for the request's tags
	RevokedGrant                             // the real revoked-grant answer
	// LateLanding holds the request for Delay whatever the client does (it
	// usually times out meanwhile), then saves the edit anyway, as
	// MediaWiki finishes a save whose client has gone.
	LateLanding
)

// Fault is an injected misbehaviour for the next Count requests (default 1)
// of Action ("" = any action).
type Fault struct {
	Action     string
	Kind       FaultKind
	Count      int
	RetryAfter int // seconds, for Maxlag (default 1), RateLimited, HTTP429
	Delay      time.Duration
}

// Edit is an edit the fake applied.
type Edit struct {
	ID      string
	RevID   int64
	User    string
	Summary string
	Tags    []string
	Created bool
	Patched bool // saved onto a newer revision than its baserevid (warning wikibase-conflict-patched)
	Time    time.Time
}

// WriteRequest is a wbeditentity request as received, whatever became of
// it (applied, refused, faulted).
type WriteRequest struct {
	ID        string // "" for new=item
	New       string
	BaseRevID string
	User      string
	Data      string
	Summary   string
	UserAgent string
}

// Wiki is the fake's state and its http.Handler.
type Wiki struct {
	opts     Options
	verifier *oauthfake.Verifier

	mu       sync.Mutex
	entities map[string]*wikidata.Entity
	accounts map[string]Account // by access token
	tokens   map[string]string  // csrf token -> user name
	edits    []Edit
	writes   []WriteRequest
	faults   []Fault
	nextRev  int64
	nextQ    int64
	requests int

	history   map[int64]*wikidata.Entity // every revision's content
	revUser   map[int64]string           // who made each revision ("" for seeded ones)
	protected map[string]bool
	redirects map[string]string // from -> to
	revoked   map[string]bool   // access tokens whose grant was revoked
	saves     map[string][]time.Time
}

// NewWiki builds the fake's handler.
func NewWiki(opts Options) *Wiki {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NextItem <= 0 {
		opts.NextItem = 900001
	}
	w := &Wiki{
		opts:     opts,
		verifier: &oauthfake.Verifier{ConsumerKey: opts.ConsumerKey, ConsumerSecret: opts.ConsumerSecret, Now: opts.Now},
		entities: map[string]*wikidata.Entity{}, accounts: map[string]Account{}, tokens: map[string]string{},
		nextRev: 1000, nextQ: opts.NextItem,
		history: map[int64]*wikidata.Entity{}, revUser: map[int64]string{}, protected: map[string]bool{},
		redirects: map[string]string{}, revoked: map[string]bool{}, saves: map[string][]time.Time{},
	}
	for _, a := range opts.Accounts {
		if a.Rights == nil {
			a.Rights = []string{"read", "edit", "createpage"}
		}
		w.accounts[a.Token] = a
	}
	for _, e := range opts.Entities {
		w.AddEntity(e)
	}
	return w
}

// Handler is the fake as a plain http.Handler (answering at APIPath), for
// serving it in a process of its own.
func Handler(opts Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(APIPath, NewWiki(opts))
	return mux
}

// Server is a fake wiki being served.
type Server struct {
	*Wiki
	fakeserve.Endpoint
}

// New serves a fake wiki for the test, closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	w := NewWiki(opts)
	return &Server{Wiki: w, Endpoint: fakeserve.ForTest(t, APIPath, w)}
}

// NewServer serves a fake wiki on ln until Close, outside tests.
func NewServer(opts Options, ln net.Listener) *Server {
	w := NewWiki(opts)
	return &Server{Wiki: w, Endpoint: fakeserve.On(ln, APIPath, w)}
}

// AddEntity stores a copy of an entity (e.g. a fixture), giving it a
// revision id if it has none.
func (w *Wiki) AddEntity(e *wikidata.Entity) {
	c := clone(e)
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.LastRevID == 0 {
		w.nextRev++
		c.LastRevID = w.nextRev
	}
	w.nextRev = max(w.nextRev, c.LastRevID)
	if c.Type == "" {
		c.Type = "item"
		if strings.HasPrefix(c.ID, "P") {
			c.Type = "property"
		}
	}
	c.Missing = false
	w.entities[c.ID] = c
	w.history[c.LastRevID] = clone(c)
}

// SetBeforeSave sets Options.BeforeSave after the wiki was built.
func (w *Wiki) SetBeforeSave(fn func(WriteRequest)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.opts.BeforeSave = fn
}

// SetBeforeAnswer sets Options.BeforeAnswer after the wiki was built.
func (w *Wiki) SetBeforeAnswer(fn func(context.Context, WriteRequest)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.opts.BeforeAnswer = fn
}

// Protect protects an item against edits by users without editprotected.
func (w *Wiki) Protect(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.protected[id] = true
}

// Unprotect lifts an item's protection.
func (w *Wiki) Unprotect(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.protected, id)
}

// Block blocks an account from now on.
func (w *Wiki) Block(user string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for tok, a := range w.accounts {
		if a.Name == user {
			a.Blocked = true
			w.accounts[tok] = a
		}
	}
}

// RevokeGrant revokes the OAuth grant behind an access token: every request
// signed with it is refused from now on.
func (w *Wiki) RevokeGrant(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.revoked[token] = true
}

// Delete deletes an item.
func (w *Wiki) Delete(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.entities, id)
}

// Redirect turns item from into a redirect to item to (a merge).
func (w *Wiki) Redirect(from, to string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.entities, from)
	w.redirects[from] = to
}

// EditAs saves statements onto an item as another user would (a new
// revision, no deduplication), as if they edited it meanwhile.
func (w *Wiki) EditAs(user, id string, statements ...wikidata.Statement) int64 {
	return w.ChangeAs(user, id, func(e *wikidata.Entity) {
		for _, st := range statements {
			st.ID = newGUID(id)
			st.Type = "statement"
			if st.Rank == "" {
				st.Rank = wikidata.RankNormal
			}
			hashStatement(&st)
			e.Claims[st.MainSnak.Property] = append(e.Claims[st.MainSnak.Property], st)
		}
	})
}

// ChangeAs saves a change of an item made by another user (a new revision)
// and returns its revision id.
func (w *Wiki) ChangeAs(user, id string, change func(e *wikidata.Entity)) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entities[id]
	if !ok {
		panic("wikibasetest: ChangeAs on an unknown item " + id)
	}
	next := clone(e)
	if next.Claims == nil {
		next.Claims = map[string][]wikidata.Statement{}
	}
	change(next)
	w.save(next, e, user, "edited by hand", nil, false, false)
	return next.LastRevID
}

// save stores next as the entity's new revision; the caller holds w.mu.
func (w *Wiki) save(next, cur *wikidata.Entity, user, summary string, tags []string, created, patched bool) {
	w.nextRev++
	next.LastRevID = w.nextRev
	next.Modified = w.opts.Now().UTC().Format("2006-01-02T15:04:05Z")
	w.entities[next.ID] = next
	w.history[next.LastRevID] = clone(next)
	w.revUser[next.LastRevID] = user
	w.edits = append(w.edits, Edit{ID: next.ID, RevID: next.LastRevID, User: user, Summary: summary, Tags: tags, Created: created, Patched: patched, Time: w.opts.Now()})
}

// Duplicates lists, per entity, the statements that are there more than
// once (same property and main value): what a write-back must never make.
func (w *Wiki) Duplicates() map[string][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]string{}
	for id, e := range w.entities {
		for p, sts := range e.Claims {
			seen := map[string]int{}
			for _, st := range sts {
				v, ok := st.Value()
				if !ok {
					continue
				}
				seen[v.String()]++
			}
			for v, n := range seen {
				if n > 1 {
					out[id] = append(out[id], fmt.Sprintf("%s %s ×%d", p, v, n))
				}
			}
		}
	}
	return out
}

// EditsPer counts the applied edits of each entity.
func (w *Wiki) EditsPer() map[string]int {
	out := map[string]int{}
	for _, e := range w.Edits() {
		out[e.ID]++
	}
	return out
}

// AddEntityJSON stores an entity given as Wikibase JSON.
func (w *Wiki) AddEntityJSON(b []byte) error {
	var e wikidata.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("read entity JSON: %w", err)
	}
	if e.ID == "" {
		return errors.New("entity JSON without an id")
	}
	w.AddEntity(&e)
	return nil
}

// Entity returns a copy of an entity's current state, or nil.
func (w *Wiki) Entity(id string) *wikidata.Entity {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entities[id]
	if !ok {
		return nil
	}
	return clone(e)
}

// Edits lists the applied edits in order.
func (w *Wiki) Edits() []Edit {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Edit(nil), w.edits...)
}

// WriteRequests lists every wbeditentity request received, in order.
func (w *Wiki) WriteRequests() []WriteRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WriteRequest(nil), w.writes...)
}

// WriteRequestsFor counts the write requests naming entity id.
func (w *Wiki) WriteRequestsFor(id string) int {
	n := 0
	for _, r := range w.WriteRequests() {
		if r.ID == id {
			n++
		}
	}
	return n
}

// Requests counts all requests received (signed or not).
func (w *Wiki) Requests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests
}

// Inject queues a fault.
func (w *Wiki) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = append(w.faults, f)
}

// ClearFaults drops the faults not yet used up: the wiki works again.
func (w *Wiki) ClearFaults() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = nil
}

func (w *Wiki) takeFault(action string) *Fault {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.faults {
		f := &w.faults[i]
		if f.Action == "" || f.Action == action {
			out := *f
			if f.Count--; f.Count == 0 {
				w.faults = append(w.faults[:i], w.faults[i+1:]...)
			}
			return &out
		}
	}
	return nil
}

func clone(e *wikidata.Entity) *wikidata.Entity {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // an Entity always marshals
	}
	var c wikidata.Entity
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	c.Missing = e.Missing
	return &c
}

// flag is a true boolean as the requested format version writes it.
func flag(r *http.Request) any {
	if r.FormValue("formatversion") == "2" {
		return true
	}
	return ""
}

func writeJSON(rw http.ResponseWriter, v any) { fakeserve.WriteJSON(rw, v) }

// ServeHTTP answers api.php.
func (w *Wiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.requests++
	w.mu.Unlock()
	if fakeserve.RefuseAnonymousAgent(rw, r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(rw, "bad request body", http.StatusBadRequest)
		return
	}
	user := ""
	if r.Header.Get("Authorization") != "" {
		p, err := w.verifier.Verify(r, func(tok string) (string, bool) {
			w.mu.Lock()
			defer w.mu.Unlock()
			a, ok := w.accounts[tok]
			return a.Secret, ok
		})
		tok := p["oauth_token"]
		if err != nil {
			apiError(rw, r, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+err.Error(), 0)
			return
		}
		w.mu.Lock()
		user = w.accounts[tok].Name
		revoked := w.revoked[tok]
		w.mu.Unlock()
		if revoked {
			revokedGrantAnswer(rw, r)
			return
		}
	}
	action := r.FormValue("action")
	if action == "wbeditentity" {
		w.mu.Lock()
		w.writes = append(w.writes, writeRequest(r, user))
		w.mu.Unlock()
	}
	if f := w.takeFault(action); f != nil && w.misbehave(rw, r, f, user) {
		return
	}
	switch action {
	case "wbgetentities":
		w.getEntities(rw, r)
	case "wbsearchentities":
		w.search(rw, r)
	case "wbeditentity":
		w.edit(rw, r, user)
	case "query":
		w.query(rw, r, user)
	default:
		apiError(rw, r, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"action\": %s.", action), 0)
	}
}

func writeRequest(r *http.Request, user string) WriteRequest {
	return WriteRequest{ID: r.FormValue("id"), New: r.FormValue("new"), BaseRevID: r.FormValue("baserevid"),
		User: user, Data: r.FormValue("data"), Summary: r.FormValue("summary"), UserAgent: r.UserAgent()}
}

// misbehave answers an injected fault; false means go on with the request.
func (w *Wiki) misbehave(rw http.ResponseWriter, r *http.Request, f *Fault, user string) bool {
	switch f.Kind {
	case Maxlag:
		maxlagAnswer(rw, r, f.RetryAfter)
	case RateLimited:
		apiError(rw, r, "ratelimited", textThrottled, f.RetryAfter)
	case FailedSaveThrottled:
		throttledAnswer(rw, r)
	case BadToken:
		apiError(rw, r, "badtoken", "Invalid CSRF token.", 0)
	case EditConflict:
		editConflictAnswer(rw, r)
	case ReadOnly:
		writeErrors(rw, r, 0, errEntry{Code: "readonly", Text: "The wiki is currently in read-only mode.", Module: "main", Data: map[string]any{"readonlyreason": "Scheduled database maintenance."}})
	case Blocked:
		blockedAnswer(rw, r, user)
	case Protected:
		protectedAnswer(rw, r)
	case BadTags:
		tags := strings.Split(r.FormValue("tags"), "|")
		if r.FormValue("tags") == "" {
			tags = []string{"partnerhub"}
		}
		badTagsAnswer(rw, r, tags)
	case RevokedGrant:
		revokedGrantAnswer(rw, r)
	case LateLanding:
		// The save goes on whatever the client does: wait, ignoring the
		// request's context, then apply and answer (to no one, usually).
		time.Sleep(f.Delay)
		return false
	case HTTP429:
		if f.RetryAfter > 0 {
			rw.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		http.Error(rw, "Too many requests", http.StatusTooManyRequests)
	case HTTP500:
		http.Error(rw, "Internal Server Error", http.StatusInternalServerError)
	case Slow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
		}
		return false
	case ApplyThenFail, ApplyThenDrop:
		if r.FormValue("action") == "wbeditentity" {
			w.edit(nil, r, user)
		}
		if f.Kind == ApplyThenFail {
			http.Error(rw, "upstream connect error or disconnect/reset before headers", http.StatusServiceUnavailable)
			return true
		}
		fakeserve.DropConnection(rw)
	default:
		return false
	}
	return true
}

var idRE = regexp.MustCompile(`^[QPL][1-9][0-9]{0,11}$`)

func (w *Wiki) getEntities(rw http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.FormValue("ids"), "|")
	if len(ids) > 50 {
		apiError(rw, r, "toomanyvalues", "Too many values supplied for parameter \"ids\". The limit is 50.", 0)
		return
	}
	props := map[string]bool{}
	for _, p := range strings.Split(r.FormValue("props"), "|") {
		props[p] = true
	}
	all := r.FormValue("props") == ""
	out := map[string]any{}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		id = strings.ToUpper(strings.TrimSpace(id))
		if !idRE.MatchString(id) {
			apiError(rw, r, "no-such-entity", fmt.Sprintf("Could not find an entity with the ID %q.", id), 0)
			return
		}
		target := id
		if to, ok := w.redirects[id]; ok {
			target = to
			// redirects=no answers a redirect as missing, and so does a
			// double redirect whatever is asked (GetEntitiesRedirectTest).
			if _, double := w.redirects[to]; double || r.FormValue("redirects") == "no" {
				target = ""
			}
		}
		e, ok := w.entities[target]
		if !ok {
			out[id] = map[string]any{"id": id, "missing": flag(r)}
			continue
		}
		c := clone(e)
		c.Title = target
		if !all {
			if !props["info"] {
				c.LastRevID, c.Title, c.PageID, c.NS, c.Modified = 0, "", 0, 0, ""
			}
			if !props["labels"] {
				c.Labels = nil
			}
			if !props["descriptions"] {
				c.Descriptions = nil
			}
			if !props["aliases"] {
				c.Aliases = nil
			}
			if !props["claims"] {
				c.Claims = nil
			}
			if !props["sitelinks"] {
				c.Sitelinks = nil
			}
			if !props["datatype"] {
				c.DataType = ""
			}
		}
		if langs := r.FormValue("languages"); langs != "" {
			_, fallback := r.Form["languagefallback"]
			c.Labels, c.Descriptions = inLanguages(c.Labels, langs, fallback), inLanguages(c.Descriptions, langs, fallback)
		}
		if target != id {
			// Wikibase answers a redirect under the id asked for, with the
			// target's data and where it was redirected.
			b, _ := json.Marshal(c)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			m["redirects"] = map[string]any{"from": id, "to": target}
			out[id] = m
			continue
		}
		out[id] = c
	}
	writeJSON(rw, map[string]any{"entities": out, "success": 1})
}

// inLanguages keeps the terms in the languages asked for (a|b|c); with
// fallback, a missing language gets the English term, as Wikibase's
// languagefallback does (the term keeps its own language, plus
// for-language, which Term does not carry).
func inLanguages(terms map[string]wikidata.Term, langs string, fallback bool) map[string]wikidata.Term {
	if terms == nil {
		return nil
	}
	out := map[string]wikidata.Term{}
	for _, l := range strings.Split(langs, "|") {
		if t, ok := terms[l]; ok {
			out[l] = t
		} else if t, ok := terms["en"]; ok && fallback {
			out[l] = t
		}
	}
	return out
}

// fold lowercases and strips diacritics, as the wiki's search does.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(strings.Join(strings.Fields(out), " "))
}

func (w *Wiki) search(rw http.ResponseWriter, r *http.Request) {
	q := fold(r.FormValue("search"))
	lang := r.FormValue("language")
	if lang == "" {
		apiError(rw, r, "missingparam", "The \"language\" parameter must be set.", 0)
		return
	}
	// Like every boolean of the API, present means true, whatever its value.
	_, strict := r.Form["strictlanguage"]
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 {
		limit = 7
	}
	limit = min(limit, 50)
	typ := r.FormValue("type")
	if typ == "" {
		typ = "item"
	}
	if typ != "item" && typ != "property" {
		apiError(rw, r, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"type\": %s.", typ), 0)
		return
	}
	type hit struct {
		rank int // 0 exact label, 1 exact alias, 2 prefix
		num  int64
		v    map[string]any
	}
	var hits []hit
	w.mu.Lock()
	for id, e := range w.entities {
		if q == "" || e.Type != typ {
			continue
		}
		best := -1
		var match map[string]any
		try := func(l, text, kind string, exactRank int) {
			if strict && l != lang {
				return
			}
			f := fold(text)
			rank := -1
			switch {
			case f == q:
				rank = exactRank
			case strings.HasPrefix(f, q):
				rank = 2
			}
			if rank >= 0 && (best < 0 || rank < best || (rank == best && l == lang)) {
				best, match = rank, map[string]any{"type": kind, "language": l, "text": text}
			}
		}
		for l, t := range e.Labels {
			try(l, t.Value, "label", 0)
		}
		for l, ts := range e.Aliases {
			for _, t := range ts {
				try(l, t.Value, "alias", 1)
			}
		}
		if best < 0 && strings.EqualFold(id, r.FormValue("search")) {
			best, match = 0, map[string]any{"type": "entityId", "text": id}
		}
		if best < 0 {
			continue
		}
		// Labels and descriptions in language, else in English, as the
		// wiki's language fallback gives them (display says which).
		v := map[string]any{"id": id, "title": id, "pageid": e.PageID, "repository": "wikidata",
			"concepturi": "http://www.wikidata.org/entity/" + id, "url": "//www.wikidata.org/wiki/" + id, "match": match}
		display := map[string]any{}
		for _, f := range []struct {
			key   string
			terms map[string]wikidata.Term
		}{{"label", e.Labels}, {"description", e.Descriptions}} {
			t, ok := f.terms[lang]
			if !ok {
				t, ok = f.terms["en"]
			}
			if ok {
				v[f.key] = t.Value
				display[f.key] = map[string]any{"value": t.Value, "language": t.Language}
			}
		}
		v["display"] = display
		if match["type"] == "entityId" {
			v["aliases"] = []string{id}
		} else if txt, _ := match["text"].(string); txt != v["label"] {
			v["aliases"] = []string{txt}
		}
		if e.Type == "property" {
			v["title"], v["url"] = "Property:"+id, "//www.wikidata.org/wiki/Property:"+id
			v["datatype"] = e.DataType
		}
		n, _ := strconv.ParseInt(id[1:], 10, 64)
		hits = append(hits, hit{best, n, v})
	}
	w.mu.Unlock()
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].rank != hits[j].rank {
			return hits[i].rank < hits[j].rank
		}
		return hits[i].num < hits[j].num
	})
	out := []map[string]any{}
	for i, h := range hits {
		if i == limit {
			break
		}
		out = append(out, h.v)
	}
	writeJSON(rw, map[string]any{"searchinfo": map[string]any{"search": r.FormValue("search")}, "search": out, "success": 1})
}

func (w *Wiki) account(user string) (Account, bool) {
	for _, a := range w.accounts {
		if a.Name == user {
			return a, true
		}
	}
	return Account{}, false
}

func (w *Wiki) query(rw http.ResponseWriter, r *http.Request, user string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case r.FormValue("meta") == "tokens":
		writeJSON(rw, fakeserve.TokensAnswer(fakeserve.IssueCSRFToken(w.tokens, user)))
	case r.FormValue("meta") == "userinfo":
		a, _ := w.account(user)
		writeJSON(rw, fakeserve.UserInfoAnswer(fakeserve.UserInfo(a.Name, a.Rights,
			map[string]any{"edit": map[string]any{"user": map[string]any{"hits": 90, "seconds": 60}}}, a.Blocked)))
	case r.FormValue("list") == "tags":
		var tags []any
		for _, t := range w.opts.AllowedTags {
			tags = append(tags, map[string]any{"name": t, "defined": true, "active": true, "source": []string{"manual"}})
		}
		for _, t := range w.opts.Tags {
			src := t.Source
			if src == nil {
				src = []string{}
			}
			tags = append(tags, map[string]any{"name": t.Name, "defined": t.Defined, "active": t.Active, "source": src})
		}
		if tags == nil {
			tags = []any{}
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"tags": tags}})
	case r.FormValue("list") == "search":
		w.searchStatements(rw, r)
	case r.FormValue("prop") == "revisions" && r.FormValue("revids") != "":
		w.revisionContents(rw, r)
	case r.FormValue("prop") == "revisions":
		title := r.FormValue("titles")
		qid := strings.TrimPrefix(title, "Item:")
		var revs []map[string]any
		for i := len(w.edits) - 1; i >= 0; i-- {
			e := w.edits[i]
			if e.ID != qid || (r.FormValue("rvuser") != "" && e.User != r.FormValue("rvuser")) || !w.replicated(e) {
				continue
			}
			revs = append(revs, map[string]any{"revid": e.RevID, "user": e.User, "comment": e.Summary, "timestamp": e.Time.UTC().Format(time.RFC3339)})
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"pages": []any{map[string]any{"title": title, "revisions": revs}}}})
	case r.FormValue("list") == "usercontribs":
		u := r.FormValue("ucuser")
		out := []map[string]any{}
		for i := len(w.edits) - 1; i >= 0; i-- {
			e := w.edits[i]
			if e.User == u && w.replicated(e) {
				out = append(out, map[string]any{"revid": e.RevID, "title": e.ID, "comment": e.Summary, "timestamp": e.Time.UTC().Format(time.RFC3339)})
			}
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"usercontribs": out}})
	default:
		apiError(rw, r, "badvalue", "This query is not supported by the fake wiki.", 0)
	}
}

// replicated says whether replicas show the edit yet.
func (w *Wiki) replicated(e Edit) bool {
	return w.opts.ReplicaLag <= 0 || !w.opts.Now().Before(e.Time.Add(w.opts.ReplicaLag))
}

// revisionContents answers prop=revisions&revids=...: each revision's ids,
// parent and, with rvprop=content and rvslots=main, the entity as Wikibase
// stores it (a JSON string in the main slot), grouped by page as the real
// API does; unknown revision ids are listed under badrevids. The caller
// holds w.mu.
func (w *Wiki) revisionContents(rw http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.FormValue("revids"), "|")
	if len(ids) > 50 {
		apiError(rw, r, "toomanyvalues", "Too many values supplied for parameter \"revids\". The limit is 50.", 0)
		return
	}
	props := map[string]bool{}
	for _, p := range strings.Split(r.FormValue("rvprop"), "|") {
		props[p] = true
	}
	if props["content"] && r.FormValue("rvslots") == "" {
		// Without rvslots MediaWiki still answers, with a deprecation
		// warning and the content outside "slots"; Partnerhub always asks
		// for the main slot.
		apiError(rw, r, "badvalue", "The fake wiki answers revision content only with rvslots=main.", 0)
		return
	}
	type page struct {
		PageID int64            `json:"pageid"`
		NS     int              `json:"ns"`
		Title  string           `json:"title"`
		Revs   []map[string]any `json:"revisions"`
	}
	pages := map[string]*page{}
	var order []string
	bad := map[string]any{}
	for _, s := range ids {
		rev, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		e := w.history[rev]
		if err != nil || e == nil {
			bad[s] = map[string]any{"revid": rev, "missing": true}
			continue
		}
		p, ok := pages[e.ID]
		if !ok {
			p = &page{PageID: e.PageID, Title: e.ID}
			pages[e.ID] = p
			order = append(order, e.ID)
		}
		out := map[string]any{"revid": rev, "parentid": w.parentOf(e.ID, rev)}
		if props["user"] {
			out["user"] = w.revUser[rev]
		}
		if props["content"] {
			c := clone(e)
			c.LastRevID, c.Title, c.PageID, c.NS, c.Modified = 0, "", 0, 0, ""
			b, _ := json.Marshal(c)
			out["slots"] = map[string]any{"main": map[string]any{"contentmodel": "wikibase-" + c.Type, "contentformat": "application/json", "content": string(b)}}
		}
		p.Revs = append(p.Revs, out)
	}
	var list []any
	for _, id := range order {
		list = append(list, pages[id])
	}
	q := map[string]any{"pages": list}
	if len(bad) > 0 {
		q["badrevids"] = bad
	}
	writeJSON(rw, map[string]any{"batchcomplete": true, "query": q})
}

// parentOf is the revision of id before rev (0 for its first); the caller
// holds w.mu.
func (w *Wiki) parentOf(id string, rev int64) int64 {
	var parent int64
	for r, e := range w.history {
		if r < rev && r > parent && e.ID == id {
			parent = r
		}
	}
	return parent
}

// searchStatements answers list=search for the haswbstatement keyword
// (haswbstatement:P245=500115493, or quoted), as CirrusSearch with
// WikibaseCirrusSearch does: the items with a statement of that property
// and string value, titles only with srprop empty. Other searches are not
// supported. The caller holds w.mu.
func (w *Wiki) searchStatements(rw http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.FormValue("srsearch"))
	term, ok := strings.CutPrefix(q, "haswbstatement:")
	if !ok {
		apiError(rw, r, "badvalue", "The fake wiki searches only haswbstatement:P=value.", 0)
		return
	}
	if strings.HasPrefix(term, `"`) && strings.HasSuffix(term, `"`) && len(term) > 1 {
		term = strings.ReplaceAll(term[1:len(term)-1], `\"`, `"`)
	}
	prop, value, _ := strings.Cut(term, "=")
	limit, _ := strconv.Atoi(r.FormValue("srlimit"))
	if limit <= 0 {
		limit = 10
	}
	var ids []string
	for id, e := range w.entities {
		for _, st := range e.Claims[prop] {
			if v, ok := st.Value(); ok {
				if s, ok := v.AsString(); ok && s == value {
					ids = append(ids, id)
					break
				}
			}
		}
	}
	sort.Strings(ids)
	out := []any{}
	for i, id := range ids {
		if i == limit {
			break
		}
		out = append(out, map[string]any{"ns": 0, "title": id, "pageid": w.entities[id].PageID})
	}
	writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"searchinfo": map[string]any{"totalhits": len(ids)}, "search": out}})
}
