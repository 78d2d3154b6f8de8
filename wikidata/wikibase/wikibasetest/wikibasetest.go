// Package wikibasetest is an in-memory fake of a Wikibase api.php for tests and local runs:
// entities, search, tokens, user info, revisions and wbeditentity, with OAuth 1.0a signature
// checks and injectable faults answered in the real error shapes (HTTP 200 for API errors).
package wikibasetest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

	"partnerhub/wikidata/wikibase"
)

// User is an OAuth-authorised account of the fake.
type User struct {
	Name                                            string
	ConsumerKey, ConsumerSecret, Token, TokenSecret string
	Groups, Rights                                  []string
	Blocked                                         bool
}

// Options configure a Fake.
type Options struct {
	Users    []User
	Entities []*wikibase.Entity
}

// FaultKind is an injectable failure.
type FaultKind int

// Fault kinds.
const (
	Maxlag FaultKind = iota + 1
	RateLimited
	FailedSaveThrottled
	BadToken
	EditConflict
	ReadOnly
	Blocked
	HTTP429
	HTTP500
	Slow
	ApplyThenFail
)

// Fault makes the next Count requests for Action ("" = any) fail with Kind.
type Fault struct {
	Action     string
	Kind       FaultKind
	Count      int
	RetryAfter int
	Delay      time.Duration
}

// Edit is one applied wbeditentity.
type Edit struct {
	EntityID string
	RevID    int64
	User     string
	Summary  string
	Tags     []string
	Time     time.Time
}

// Fake is the api.php handler.
type Fake struct {
	mu       sync.Mutex
	users    []User
	entities map[string]*wikibase.Entity
	revs     map[string][]Edit
	tokens   map[string]string
	faults   []Fault
	writes   int
	edits    []Edit
	nextQ    int64
	nextRev  int64
	requests map[string]int
}

// NewHandler builds a fake seeded with opts.Entities.
func NewHandler(opts Options) *Fake {
	f := &Fake{users: opts.Users, entities: map[string]*wikibase.Entity{}, revs: map[string][]Edit{},
		tokens: map[string]string{}, nextQ: 1000000, nextRev: 1000, requests: map[string]int{}}
	for _, e := range opts.Entities {
		f.AddEntity(e)
	}
	return f
}

// Server is a Fake behind an httptest server.
type Server struct {
	*Fake
	URL string // the api.php URL
}

// New starts a fake server closed at the end of the test.
func New(t testing.TB, opts Options) *Server {
	f := NewHandler(opts)
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return &Server{Fake: f, URL: ts.URL + "/w/api.php"}
}

// AddEntity stores a copy of e.
func (f *Fake) AddEntity(e *wikibase.Entity) {
	b, _ := json.Marshal(e)
	var c wikibase.Entity
	_ = json.Unmarshal(b, &c)
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.LastRevID == 0 {
		f.nextRev++
		c.LastRevID = f.nextRev
	}
	f.nextRev = max(f.nextRev, c.LastRevID)
	f.entities[c.ID] = &c
}

// AddEntityJSON stores an entity given in the wbgetentities / Special:EntityData JSON format.
func (f *Fake) AddEntityJSON(b []byte) error {
	var e wikibase.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("seed entity: %w", err)
	}
	if e.ID == "" {
		return fmt.Errorf("seed entity: no id")
	}
	f.AddEntity(&e)
	return nil
}

// Entity returns a copy of the stored entity, or nil.
func (f *Fake) Entity(id string) *wikibase.Entity {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entities[id]
	if e == nil {
		return nil
	}
	b, _ := json.Marshal(e)
	var c wikibase.Entity
	_ = json.Unmarshal(b, &c)
	return &c
}

// Inject queues a fault.
func (f *Fake) Inject(ft Fault) {
	if ft.Count == 0 {
		ft.Count = 1
	}
	f.mu.Lock()
	f.faults = append(f.faults, ft)
	f.mu.Unlock()
}

// WriteRequests counts wbeditentity calls, applied or not.
func (f *Fake) WriteRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// Requests counts calls of an action ("query" sub-modules count as "query").
func (f *Fake) Requests(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[action]
}

// Edits lists the applied edits in order.
func (f *Fake) Edits() []Edit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Edit(nil), f.edits...)
}

type apiErr struct {
	code, text string
}

func (f *Fake) takeFault(action string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.faults {
		ft := &f.faults[i]
		if ft.Action == "" || ft.Action == action {
			ft.Count--
			got := *ft
			if ft.Count <= 0 {
				f.faults = append(f.faults[:i], f.faults[i+1:]...)
			}
			return got, true
		}
	}
	return Fault{}, false
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body = io.NopCloser(strings.NewReader(string(raw)))
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	action := r.Form.Get("action")
	plain := r.Form.Get("errorformat") == "plaintext"
	fail := func(status int, e apiErr, retryAfter int) {
		writeError(w, status, plain, action, e, retryAfter)
	}
	f.mu.Lock()
	f.requests[action]++
	if action == "wbeditentity" {
		f.writes++
	}
	f.mu.Unlock()

	user, authErr := f.authenticate(r, string(raw))
	if authErr != "" {
		fail(200, apiErr{"mwoauth-invalid-authorization", "The authorization headers in your request are not valid: " + authErr}, 0)
		return
	}
	applyThenFail := false
	if ft, ok := f.takeFault(action); ok {
		ra := ft.RetryAfter
		switch ft.Kind {
		case Maxlag:
			if ra == 0 {
				ra = 5
			}
			fail(200, apiErr{"maxlag", "Waiting for 10.64.48.35: 6.2 seconds lagged."}, ra)
			return
		case RateLimited:
			fail(200, apiErr{"ratelimited", "As an anti-abuse measure, you are limited from performing this action too many times in a short space of time, and you have exceeded this limit. Please try again in a few minutes."}, ra)
			return
		case FailedSaveThrottled:
			fail(200, apiErr{"failed-save", "The save has failed. actionthrottledtext: As an anti-abuse measure, you are limited from performing this action too many times in a short space of time."}, ra)
			return
		case BadToken:
			fail(200, apiErr{"badtoken", "Invalid CSRF token."}, 0)
			return
		case EditConflict:
			fail(200, apiErr{"editconflict", "Edit conflict: the entity was modified since the base revision."}, 0)
			return
		case ReadOnly:
			fail(200, apiErr{"readonly", "The wiki is currently in read-only mode."}, 0)
			return
		case Blocked:
			fail(200, apiErr{"blocked", "You have been blocked from editing."}, 0)
			return
		case HTTP429:
			if ra > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(ra))
			}
			http.Error(w, "Too many requests", http.StatusTooManyRequests)
			return
		case HTTP500:
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		case Slow:
			select {
			case <-r.Context().Done():
				return
			case <-time.After(ft.Delay):
			}
		case ApplyThenFail:
			applyThenFail = true
		}
	}

	switch {
	case action == "wbgetentities":
		f.getEntities(w, r)
	case action == "wbsearchentities":
		f.search(w, r)
	case action == "query" && r.Form.Get("meta") == "tokens":
		tok := `+\`
		if user != nil {
			tok = f.tokenFor(user.Name)
		}
		writeJSON(w, map[string]any{"batchcomplete": true, "query": map[string]any{"tokens": map[string]string{"csrftoken": tok}}})
	case action == "query" && r.Form.Get("meta") == "userinfo":
		ui := map[string]any{"id": 0, "name": "127.0.0.1", "anon": true, "groups": []string{"*"}, "rights": []string{"read"}}
		if user != nil {
			ui = map[string]any{"id": 1, "name": user.Name, "groups": user.Groups, "rights": user.Rights}
			if user.Blocked {
				ui["blockid"] = 1
				ui["blockedby"] = "Admin"
				ui["blockreason"] = "test block"
			}
		}
		writeJSON(w, map[string]any{"batchcomplete": true, "query": map[string]any{"userinfo": ui}})
	case action == "query" && r.Form.Get("prop") == "revisions":
		f.revisions(w, r)
	case action == "wbeditentity":
		if r.Method != http.MethodPost {
			fail(200, apiErr{"mustbeposted", "The \"wbeditentity\" module requires a POST request."}, 0)
			return
		}
		f.edit(w, r, user, applyThenFail, fail)
	default:
		fail(200, apiErr{"badvalue", fmt.Sprintf("Unrecognized value for parameter \"action\": %s.", action)}, 0)
	}
}

// authenticate checks the OAuth 1.0a HMAC-SHA1 signature; no header means anonymous.
func (f *Fake) authenticate(r *http.Request, body string) (*User, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, ""
	}
	params, ok := parseAuthorization(h)
	if !ok {
		return nil, "Malformed header"
	}
	if params["oauth_signature_method"] != "HMAC-SHA1" {
		return nil, "Unsupported signature method"
	}
	var u *User
	for i := range f.users {
		if f.users[i].ConsumerKey == params["oauth_consumer_key"] && f.users[i].Token == params["oauth_token"] {
			u = &f.users[i]
		}
	}
	if u == nil {
		return nil, "Invalid consumer or token"
	}
	base := signatureBaseString(r.Method, baseURI(r), requestParams(r, body, params))
	want := hmacSHA1(base, u.ConsumerSecret, u.TokenSecret)
	if !hmacEqual(want, params["oauth_signature"]) {
		return nil, "Invalid signature"
	}
	return u, ""
}

func hmacEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

func (f *Fake) tokenFor(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tokens[name]; ok {
		return t
	}
	t := randomHex(16) + `+\`
	f.tokens[name] = t
	return t
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, plain bool, module string, e apiErr, retryAfter int) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	var body any
	if plain {
		body = map[string]any{"errors": []map[string]string{{"code": e.code, "text": e.text, "module": module}},
			"docref": "See https://www.wikidata.org/w/api.php for API usage.", "servedby": "fake"}
	} else {
		body = map[string]any{"error": map[string]string{"code": e.code, "info": e.text}}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *Fake) getEntities(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for _, id := range strings.Split(r.Form.Get("ids"), "|") {
		if id == "" {
			continue
		}
		if e := f.Entity(id); e != nil {
			out[id] = e
		} else {
			out[id] = map[string]string{"id": id, "missing": ""}
		}
	}
	writeJSON(w, map[string]any{"entities": out, "success": 1})
}

func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, _ := transform.String(t, s)
	return strings.ToLower(out)
}

func (f *Fake) search(w http.ResponseWriter, r *http.Request) {
	q := fold(r.Form.Get("search"))
	lang := r.Form.Get("language")
	limit, _ := strconv.Atoi(r.Form.Get("limit"))
	if limit <= 0 {
		limit = 7
	}
	f.mu.Lock()
	ids := make([]string, 0, len(f.entities))
	for id := range f.entities {
		ids = append(ids, id)
	}
	f.mu.Unlock()
	sort.Strings(ids)
	hits := []map[string]any{}
	for _, id := range ids {
		e := f.Entity(id)
		if e == nil || len(hits) >= limit || q == "" {
			continue
		}
		texts := []string{e.Labels[lang].Value}
		for _, a := range e.Aliases[lang] {
			texts = append(texts, a.Value)
		}
		for i, t := range texts {
			if t != "" && strings.HasPrefix(fold(t), q) {
				typ := "label"
				if i > 0 {
					typ = "alias"
				}
				hits = append(hits, map[string]any{"id": id, "title": id, "label": e.Labels[lang].Value,
					"description": e.Descriptions[lang].Value, "match": map[string]string{"type": typ, "language": lang, "text": t}})
				break
			}
		}
	}
	writeJSON(w, map[string]any{"searchinfo": map[string]string{"search": r.Form.Get("search")}, "search": hits, "success": 1})
}

func (f *Fake) revisions(w http.ResponseWriter, r *http.Request) {
	title := r.Form.Get("titles")
	user := r.Form.Get("rvuser")
	limit, _ := strconv.Atoi(r.Form.Get("rvlimit"))
	if limit <= 0 {
		limit = 1
	}
	f.mu.Lock()
	all := f.revs[title]
	_, exists := f.entities[title]
	var revs []map[string]any
	for i := len(all) - 1; i >= 0 && len(revs) < limit; i-- {
		e := all[i]
		if user != "" && e.User != user {
			continue
		}
		revs = append(revs, map[string]any{"revid": e.RevID, "user": e.User, "timestamp": e.Time.UTC().Format(time.RFC3339), "comment": e.Summary})
	}
	f.mu.Unlock()
	page := map[string]any{"ns": 0, "title": title}
	if !exists {
		page["missing"] = true
	} else {
		page["revisions"] = revs
	}
	writeJSON(w, map[string]any{"batchcomplete": true, "query": map[string]any{"pages": []any{page}}})
}

var (
	propertyID = regexp.MustCompile(`^P[1-9][0-9]*$`)
	itemID     = regexp.MustCompile(`^Q[1-9][0-9]*$`)
)

var valueTypeOf = map[string]string{
	"wikibase-item": wikibase.TypeEntityID, "wikibase-property": wikibase.TypeEntityID,
	"string": wikibase.TypeString, "external-id": wikibase.TypeString, "url": wikibase.TypeString, "commonsMedia": wikibase.TypeString,
	"time": wikibase.TypeTime, "quantity": wikibase.TypeQuantity, "monolingualtext": wikibase.TypeMonolingualText,
	"globe-coordinate": wikibase.TypeGlobeCoordinate,
}

func validateSnak(s wikibase.Snak) error {
	if !propertyID.MatchString(s.Property) {
		return fmt.Errorf("invalid property id %q", s.Property)
	}
	switch s.SnakType {
	case wikibase.SnakNoValue, wikibase.SnakSomeValue:
		return nil
	case wikibase.SnakValue:
	default:
		return fmt.Errorf("invalid snaktype %q", s.SnakType)
	}
	if s.DataValue == nil {
		return fmt.Errorf("%s: value snak without datavalue", s.Property)
	}
	if want, ok := valueTypeOf[s.Datatype]; s.Datatype != "" && (!ok || want != s.DataValue.Type) {
		return fmt.Errorf("%s: datavalue type %q does not fit datatype %q", s.Property, s.DataValue.Type, s.Datatype)
	}
	switch v := s.DataValue.Value.(type) {
	case wikibase.EntityID:
		if !itemID.MatchString(v.ID) && !propertyID.MatchString(v.ID) {
			return fmt.Errorf("%s: invalid entity id %q", s.Property, v.ID)
		}
	case wikibase.Time:
		p, err := wikibase.ParseTime(v.Time)
		if err != nil || v.Precision < 0 || v.Precision > 14 || v.CalendarModel == "" || (p.Precision > v.Precision && v.Precision >= 9) {
			return fmt.Errorf("%s is not a valid time", s.Property)
		}
	case wikibase.Quantity:
		if _, err := strconv.ParseFloat(v.Amount, 64); err != nil || (v.Amount[0] != '+' && v.Amount[0] != '-') || v.Unit == "" {
			return fmt.Errorf("%s: invalid quantity amount %q", s.Property, v.Amount)
		}
	case string:
		if v == "" {
			return fmt.Errorf("%s: empty string", s.Property)
		}
	case wikibase.MonolingualText:
		if v.Text == "" || v.Language == "" {
			return fmt.Errorf("%s: monolingual text needs text and language", s.Property)
		}
	case wikibase.GlobeCoordinate:
	default:
		return fmt.Errorf("%s: unsupported datavalue type %q", s.Property, s.DataValue.Type)
	}
	return nil
}

type editData struct {
	Labels       map[string]wikibase.Term `json:"labels"`
	Descriptions map[string]wikibase.Term `json:"descriptions"`
	Claims       []wikibase.Statement     `json:"claims"`
}

func (f *Fake) edit(w http.ResponseWriter, r *http.Request, user *User, applyThenFail bool, fail func(int, apiErr, int)) {
	if r.Form.Get("assert") == "user" && user == nil {
		fail(200, apiErr{"assertuserfailed", "You are no longer logged in, so the action could not be completed."}, 0)
		return
	}
	if user == nil {
		fail(200, apiErr{"permissiondenied", "You don't have permission to edit this page."}, 0)
		return
	}
	if user.Blocked {
		fail(200, apiErr{"blocked", "You have been blocked from editing."}, 0)
		return
	}
	// The token must come from the POST body, never the query string.
	if r.PostForm.Get("token") == "" || r.PostForm.Get("token") != f.tokenFor(user.Name) {
		fail(200, apiErr{"badtoken", "Invalid CSRF token."}, 0)
		return
	}
	var data editData
	dec := json.NewDecoder(strings.NewReader(r.Form.Get("data")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil {
		fail(200, apiErr{"invalid-json", "Invalid json: " + err.Error()}, 0)
		return
	}
	for _, c := range data.Claims {
		snaks := []wikibase.Snak{c.MainSnak}
		for _, q := range c.Qualifiers {
			snaks = append(snaks, q...)
		}
		for _, ref := range c.References {
			for _, rs := range ref.Snaks {
				snaks = append(snaks, rs...)
			}
		}
		for _, s := range snaks {
			if err := validateSnak(s); err != nil {
				fail(200, apiErr{"modification-failed", "Malformed input: " + err.Error()}, 0)
				return
			}
		}
	}

	f.mu.Lock()
	var e *wikibase.Entity
	id := r.Form.Get("id")
	switch {
	case r.Form.Get("new") == "item" && id == "":
		f.nextQ++
		id = "Q" + strconv.FormatInt(f.nextQ, 10)
		e = &wikibase.Entity{ID: id, Type: "item"}
	case id != "" && f.entities[id] != nil:
		e = f.entities[id]
		if b := r.Form.Get("baserevid"); b != "" && b != strconv.FormatInt(e.LastRevID, 10) {
			f.mu.Unlock()
			fail(200, apiErr{"editconflict", "Edit conflict: the entity was modified since the base revision."}, 0)
			return
		}
	default:
		f.mu.Unlock()
		fail(200, apiErr{"no-such-entity", fmt.Sprintf("Could not find an entity with the ID %q.", id)}, 0)
		return
	}
	// Work on a copy so a failed claim id leaves the entity untouched.
	b, _ := json.Marshal(e)
	var next wikibase.Entity
	_ = json.Unmarshal(b, &next)
	if next.Claims == nil {
		next.Claims = map[string][]wikibase.Statement{}
	}
	setTerms(&next.Labels, data.Labels)
	setTerms(&next.Descriptions, data.Descriptions)
	for _, c := range data.Claims {
		p := c.MainSnak.Property
		if c.Type == "" {
			c.Type = "statement"
		}
		if c.Rank == "" {
			c.Rank = "normal"
		}
		if c.ID == "" {
			c.ID = id + "$" + uuid()
			next.Claims[p] = append(next.Claims[p], c)
			continue
		}
		found := false
		for i, s := range next.Claims[p] {
			if s.ID == c.ID {
				next.Claims[p][i], found = c, true
			}
		}
		if !found {
			f.mu.Unlock()
			fail(200, apiErr{"modification-failed", fmt.Sprintf("Statement %s does not exist on %s.", c.ID, id)}, 0)
			return
		}
	}
	f.nextRev++
	next.LastRevID = f.nextRev
	f.entities[id] = &next
	var tags []string
	if t := r.Form.Get("tags"); t != "" {
		tags = strings.Split(t, "|")
	}
	ed := Edit{EntityID: id, RevID: next.LastRevID, User: user.Name, Summary: r.Form.Get("summary"), Tags: tags, Time: time.Now()}
	f.edits = append(f.edits, ed)
	f.revs[id] = append(f.revs[id], ed)
	f.mu.Unlock()
	if applyThenFail {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"entity": &next, "success": 1})
}

func setTerms(dst *map[string]wikibase.Term, src map[string]wikibase.Term) {
	if len(src) == 0 {
		return
	}
	if *dst == nil {
		*dst = map[string]wikibase.Term{}
	}
	for lang, t := range src {
		(*dst)[lang] = wikibase.Term{Language: lang, Value: t.Value}
	}
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
