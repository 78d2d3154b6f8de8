// Package fakewiki is an in-memory Wikibase Action API for tests and the
// end-to-end browser test: wbgetentities, wbsearchentities, wbeditentity
// (validated and applied like the real one: statement ids, revision ids,
// baserevid conflicts, new items), meta=tokens, meta=userinfo,
// prop=revisions and list=usercontribs. Every request's OAuth 1.0a
// signature is checked, errors come in the real shapes (HTTP 200, both
// error formats, Retry-After on maxlag), and faults can be injected.
package fakewiki

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"partnerhub/web/wikilogin/oauthfake"
	"partnerhub/wikidata"
)

// Account is a user of the fake wiki with an OAuth access token.
type Account struct {
	Name, Token, Secret string
	Blocked             bool
}

// Fault is an injected misbehaviour for the next Count requests of Action
// ("" = any action).
type Fault struct {
	Action     string
	Kind       FaultKind
	Count      int
	RetryAfter int
	Delay      time.Duration
}

// FaultKind says how a request misbehaves.
type FaultKind int

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
	ApplyThenFail // apply the edit, then answer 500: the client cannot know
)

// Edit is an edit the fake applied.
type Edit struct {
	QID     string
	RevID   int64
	User    string
	Summary string
	Tags    string
	Time    time.Time
}

// Wiki is the fake.
type Wiki struct {
	mu       sync.Mutex
	entities map[string]*wikidata.Entity
	raw      map[string]map[string]any // entity id -> claims as generic JSON, for answering
	revs     map[string][]Edit
	accounts map[string]Account // by token
	tokens   map[string]string  // csrf token -> user
	edits    []Edit
	writes   int
	faults   []Fault
	nextRev  int64
	nextQ    int64
	verifier *oauthfake.Verifier
	Title    func(qid string) string // page title of an item; default the QID (as on Wikidata)
}

// New builds a fake wiki accepting requests signed for consumer key/secret
// with any of the accounts' tokens.
func New(consumerKey, consumerSecret string, accounts ...Account) *Wiki {
	w := &Wiki{entities: map[string]*wikidata.Entity{}, revs: map[string][]Edit{}, accounts: map[string]Account{}, tokens: map[string]string{},
		nextRev: 1000, nextQ: 900000, verifier: &oauthfake.Verifier{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret}}
	for _, a := range accounts {
		w.accounts[a.Token] = a
	}
	w.Title = func(q string) string { return q }
	return w
}

// AddEntity stores an entity (e.g. from a fixture), giving it a revision.
func (w *Wiki) AddEntity(e *wikidata.Entity) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextRev++
	e.LastRevID = w.nextRev
	if e.Type == "" {
		e.Type = "item"
	}
	w.entities[e.ID] = e
}

// AddEntityJSON stores an entity given as Wikibase JSON.
func (w *Wiki) AddEntityJSON(b []byte) error {
	var e wikidata.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	w.AddEntity(&e)
	return nil
}

// Entity returns a copy of an entity's current state.
func (w *Wiki) Entity(id string) *wikidata.Entity {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entities[id]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(e)
	var c wikidata.Entity
	_ = json.Unmarshal(b, &c)
	return &c
}

// Edits lists the applied edits in order.
func (w *Wiki) Edits() []Edit {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Edit(nil), w.edits...)
}

// WriteRequests counts wbeditentity requests received (applied or not).
func (w *Wiki) WriteRequests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// Inject adds a fault.
func (w *Wiki) Inject(f Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f.Count == 0 {
		f.Count = 1
	}
	w.faults = append(w.faults, f)
}

// takeFault returns the fault for this action, if any, using one count.
func (w *Wiki) takeFault(action string) *Fault {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.faults {
		f := &w.faults[i]
		if f.Count > 0 && (f.Action == "" || f.Action == action) {
			f.Count--
			out := *f
			if f.Count == 0 {
				w.faults = append(w.faults[:i], w.faults[i+1:]...)
			}
			return &out
		}
	}
	return nil
}

// apiError answers in the real shape for the request's errorformat.
func apiError(w http.ResponseWriter, r *http.Request, code, text string, retryAfter int) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("MediaWiki-API-Error", code)
	var body any
	if r.FormValue("errorformat") == "plaintext" {
		body = map[string]any{"errors": []any{map[string]any{"code": code, "text": text, "module": r.FormValue("action")}},
			"docref": "See https://www.wikidata.org/w/api.php for API usage.", "servedby": "fakewiki"}
	} else {
		body = map[string]any{"error": map[string]any{"code": code, "info": text}}
	}
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers api.php.
func (w *Wiki) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	user := ""
	if r.Header.Get("Authorization") != "" {
		p, err := w.verifier.Verify(r, func(tok string) (string, bool) {
			w.mu.Lock()
			defer w.mu.Unlock()
			a, ok := w.accounts[tok]
			return a.Secret, ok
		})
		if err != nil {
			apiError(rw, r, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+err.Error(), 0)
			return
		}
		w.mu.Lock()
		user = w.accounts[p["oauth_token"]].Name
		w.mu.Unlock()
	}
	_ = r.ParseForm()
	action := r.FormValue("action")
	if f := w.takeFault(action); f != nil {
		if done := w.misbehave(rw, r, f, user); done {
			return
		}
	}
	switch action {
	case "wbgetentities":
		w.getEntities(rw, r)
	case "wbsearchentities":
		w.search(rw, r)
	case "wbeditentity":
		w.mu.Lock()
		w.writes++
		w.mu.Unlock()
		w.edit(rw, r, user, false)
	case "query":
		w.query(rw, r, user)
	default:
		apiError(rw, r, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"action\": %s.", action), 0)
	}
}

// misbehave answers an injected fault; false means go on with the request.
func (w *Wiki) misbehave(rw http.ResponseWriter, r *http.Request, f *Fault, user string) bool {
	if r.FormValue("action") == "wbeditentity" && f.Kind != Slow {
		w.mu.Lock()
		w.writes++
		w.mu.Unlock()
	}
	switch f.Kind {
	case Maxlag:
		ra := max(f.RetryAfter, 1)
		rw.Header().Set("X-Database-Lag", "6")
		apiError(rw, r, "maxlag", "Waiting for 10.64.48.35: 6.2 seconds lagged.", ra)
	case RateLimited:
		apiError(rw, r, "ratelimited", "As an anti-abuse measure, you are limited from performing this action too many times in a short space of time, and you have exceeded this limit. Please try again in a few minutes.", f.RetryAfter)
	case FailedSaveThrottled:
		apiError(rw, r, "failed-save", "The save has failed. (actionthrottledtext) As an anti-abuse measure, you are limited from performing this action too many times in a short space of time.", f.RetryAfter)
	case BadToken:
		apiError(rw, r, "badtoken", "Invalid CSRF token.", 0)
	case EditConflict:
		apiError(rw, r, "editconflict", "Edit conflict: the entity was modified since the base revision.", 0)
	case ReadOnly:
		apiError(rw, r, "readonly", "The wiki is currently in read-only mode.", 0)
	case Blocked:
		apiError(rw, r, "blocked", "You have been blocked from editing.", 0)
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
	case ApplyThenFail:
		if r.FormValue("action") == "wbeditentity" {
			w.edit(discard{}, r, user, true)
		}
		http.Error(rw, "upstream connect error or disconnect/reset before headers", http.StatusServiceUnavailable)
	default:
		return false
	}
	return true
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func (w *Wiki) getEntities(rw http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.FormValue("ids"), "|")
	if len(ids) > 50 {
		apiError(rw, r, "toomanyvalues", "Too many values supplied for parameter \"ids\". The limit is 50.", 0)
		return
	}
	out := map[string]any{}
	w.mu.Lock()
	for _, id := range ids {
		e, ok := w.entities[id]
		if !ok {
			out[id] = map[string]any{"id": id, "missing": true}
			continue
		}
		e.Title = w.Title(id)
		out[id] = e
	}
	w.mu.Unlock()
	writeJSON(rw, map[string]any{"entities": out, "success": 1})
}

// fold lowercases and strips diacritics, as the wiki's search does.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, _ := transform.String(t, s)
	return strings.ToLower(out)
}

func (w *Wiki) search(rw http.ResponseWriter, r *http.Request) {
	q := fold(r.FormValue("search"))
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 {
		limit = 7
	}
	w.mu.Lock()
	var hits []map[string]any
	ids := make([]string, 0, len(w.entities))
	for id := range w.entities {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := w.entities[id]
		for lang, l := range e.Labels {
			if strings.HasPrefix(fold(l.Value), q) && q != "" {
				hits = append(hits, map[string]any{"id": id, "label": l.Value, "description": e.Descriptions[lang].Value, "match": map[string]any{"type": "label", "language": lang, "text": l.Value}})
				break
			}
		}
		if len(hits) >= limit {
			break
		}
	}
	w.mu.Unlock()
	writeJSON(rw, map[string]any{"search": hits, "success": 1})
}

func (w *Wiki) query(rw http.ResponseWriter, r *http.Request, user string) {
	switch {
	case r.FormValue("meta") == "tokens":
		tok := "+\\"
		if user != "" {
			var b [16]byte
			_, _ = rand.Read(b[:])
			tok = hex.EncodeToString(b[:]) + "+\\"
			w.mu.Lock()
			w.tokens[tok] = user
			w.mu.Unlock()
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"tokens": map[string]any{"csrftoken": tok}}})
	case r.FormValue("meta") == "userinfo":
		info := map[string]any{"id": 0, "name": "127.0.0.1", "anon": true}
		if user != "" {
			info = map[string]any{"id": 1, "name": user, "groups": []string{"*", "user", "autoconfirmed"}, "rights": []string{"edit", "createpage"}}
			w.mu.Lock()
			for _, a := range w.accounts {
				if a.Name == user && a.Blocked {
					info["blockid"], info["blockedby"], info["blockreason"] = 42, "Admin", "test block"
				}
			}
			w.mu.Unlock()
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"userinfo": info}})
	case r.FormValue("prop") == "revisions":
		title := r.FormValue("titles")
		var revs []map[string]any
		w.mu.Lock()
		qid := strings.TrimPrefix(title, "Item:")
		list := w.revs[qid]
		for i := len(list) - 1; i >= 0; i-- {
			if u := r.FormValue("rvuser"); u != "" && list[i].User != u {
				continue
			}
			revs = append(revs, map[string]any{"revid": list[i].RevID, "user": list[i].User, "comment": list[i].Summary, "timestamp": list[i].Time.UTC().Format(time.RFC3339)})
		}
		w.mu.Unlock()
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"pages": []any{map[string]any{"title": title, "revisions": revs}}}})
	case r.FormValue("list") == "usercontribs":
		u := r.FormValue("ucuser")
		var out []map[string]any
		w.mu.Lock()
		for i := len(w.edits) - 1; i >= 0; i-- {
			e := w.edits[i]
			if e.User == u {
				out = append(out, map[string]any{"revid": e.RevID, "title": w.Title(e.QID), "comment": e.Summary, "timestamp": e.Time.UTC().Format(time.RFC3339)})
			}
		}
		w.mu.Unlock()
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"usercontribs": out}})
	default:
		apiError(rw, r, "badvalue", "Unsupported query for this fake.", 0)
	}
}

var (
	propRE = regexp.MustCompile(`^P[1-9][0-9]*$`)
	itemRE = regexp.MustCompile(`^Q[1-9][0-9]*$`)
)

// valueTypes are the data value types each datatype takes.
var valueTypes = map[string]string{
	"wikibase-item": "wikibase-entityid", "external-id": "string", "string": "string", "url": "string",
	"commonsMedia": "string", "time": "time", "quantity": "quantity", "monolingualtext": "monolingualtext", "globe-coordinate": "globecoordinate",
}

// validate checks a claim like Wikibase does before saving it.
func validate(st *wikidata.Statement) error {
	s := st.MainSnak
	if !propRE.MatchString(s.Property) {
		return fmt.Errorf("Invalid property id %q", s.Property)
	}
	if s.SnakType != "value" {
		return nil
	}
	if s.DataValue == nil {
		return fmt.Errorf("A value snak of %s has no datavalue", s.Property)
	}
	if want, ok := valueTypes[s.DataType]; s.DataType != "" && ok && want != s.DataValue.Type {
		return fmt.Errorf("The value of property %s must be of type %s, not %s", s.Property, want, s.DataValue.Type)
	}
	switch s.DataValue.Type {
	case "string":
		var v string
		if json.Unmarshal(s.DataValue.Value, &v) != nil || v == "" {
			return fmt.Errorf("Malformed input: the value of property %s is not a non-empty string", s.Property)
		}
	case "wikibase-entityid":
		var v wikidata.EntityID
		if json.Unmarshal(s.DataValue.Value, &v) != nil || !itemRE.MatchString(v.ID) {
			return fmt.Errorf("Malformed input: the value of property %s is not an item id", s.Property)
		}
	case "time":
		var v wikidata.Time
		if json.Unmarshal(s.DataValue.Value, &v) != nil || v.Precision < 0 || v.Precision > 14 || !regexp.MustCompile(`^[+-]\d{4,}-\d\d-\d\dT00:00:00Z$`).MatchString(v.Time) || v.CalendarModel == "" {
			return fmt.Errorf("Malformed input: the value of property %s is not a valid time", s.Property)
		}
	case "quantity":
		var v wikidata.Quantity
		if json.Unmarshal(s.DataValue.Value, &v) != nil || !regexp.MustCompile(`^[+-]\d+(\.\d+)?$`).MatchString(v.Amount) || v.Unit == "" {
			return fmt.Errorf("Malformed input: the value of property %s is not a valid quantity", s.Property)
		}
	}
	return nil
}

func newGUID(qid string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s$%s-%s-%s-%s-%s", qid, h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// edit applies a wbeditentity request like Wikibase: claims without an id
// are added with a new GUID, claims with an id replace that claim, labels
// and descriptions are set; a stale baserevid is an edit conflict.
func (w *Wiki) edit(rw http.ResponseWriter, r *http.Request, user string, silent bool) {
	if r.Method != http.MethodPost {
		apiError(rw, r, "mustbeposted", "The \"wbeditentity\" module requires a POST request.", 0)
		return
	}
	if r.FormValue("assert") == "user" && user == "" {
		apiError(rw, r, "assertuserfailed", "You are no longer logged in, so the action could not be completed.", 0)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if tokUser, ok := w.tokens[r.FormValue("token")]; !ok || tokUser != user {
		apiError(rw, r, "badtoken", "Invalid CSRF token.", 0)
		return
	}
	for _, a := range w.accounts {
		if a.Name == user && a.Blocked {
			apiError(rw, r, "blocked", "You have been blocked from editing.", 0)
			return
		}
	}
	var data struct {
		Labels       map[string]wikidata.Term `json:"labels"`
		Descriptions map[string]wikidata.Term `json:"descriptions"`
		Claims       []wikidata.Statement     `json:"claims"`
	}
	if err := json.Unmarshal([]byte(r.FormValue("data")), &data); err != nil {
		apiError(rw, r, "invalid-json", "Invalid json: "+err.Error(), 0)
		return
	}
	var e *wikidata.Entity
	if r.FormValue("new") == "item" {
		w.nextQ++
		id := "Q" + strconv.FormatInt(w.nextQ, 10)
		e = &wikidata.Entity{ID: id, Type: "item"}
	} else {
		id := r.FormValue("id")
		var ok bool
		if e, ok = w.entities[id]; !ok {
			apiError(rw, r, "no-such-entity", fmt.Sprintf("Could not find an entity with the ID %q.", id), 0)
			return
		}
		if b := r.FormValue("baserevid"); b != "" && b != strconv.FormatInt(e.LastRevID, 10) {
			apiError(rw, r, "editconflict", "Edit conflict: the entity was modified since the base revision.", 0)
			return
		}
	}
	for i := range data.Claims {
		if err := validate(&data.Claims[i]); err != nil {
			apiError(rw, r, "modification-failed", err.Error(), 0)
			return
		}
	}
	// Copy before changing, so a refused edit leaves nothing behind.
	b, _ := json.Marshal(e)
	var next wikidata.Entity
	_ = json.Unmarshal(b, &next)
	if next.Claims == nil {
		next.Claims = map[string][]wikidata.Statement{}
	}
	for _, st := range data.Claims {
		p := st.MainSnak.Property
		if st.Rank == "" {
			st.Rank = "normal"
		}
		st.Type = "statement"
		if st.ID == "" {
			st.ID = newGUID(next.ID)
			next.Claims[p] = append(next.Claims[p], st)
			continue
		}
		found := false
		for i := range next.Claims[p] {
			if next.Claims[p][i].ID == st.ID {
				next.Claims[p][i] = st
				found = true
			}
		}
		if !found {
			apiError(rw, r, "modification-failed", "Statement "+st.ID+" is not on the entity.", 0)
			return
		}
	}
	for field, src := range map[*map[string]wikidata.Term]map[string]wikidata.Term{&next.Labels: data.Labels, &next.Descriptions: data.Descriptions} {
		for l, t := range src {
			if *field == nil {
				*field = map[string]wikidata.Term{}
			}
			(*field)[l] = t
		}
	}
	w.nextRev++
	next.LastRevID = w.nextRev
	w.entities[next.ID] = &next
	ed := Edit{QID: next.ID, RevID: next.LastRevID, User: user, Summary: r.FormValue("summary"), Tags: r.FormValue("tags"), Time: time.Now()}
	w.edits = append(w.edits, ed)
	w.revs[next.ID] = append(w.revs[next.ID], ed)
	if silent {
		return
	}
	writeJSON(rw, map[string]any{"entity": map[string]any{"id": next.ID, "type": "item", "lastrevid": next.LastRevID}, "success": 1})
}
