// Package commonstest is an in-memory Wikimedia Commons Action API
// (api.php) for tests: the upload module (a file in one request, chunks to
// the upload stash with their file keys and offsets, the commit of a
// stashed file), its warnings and errors in the real shapes, the stash's
// prop=stashimageinfo and its expiry, list=allimages (by SHA-1, by user),
// prop=info|imageinfo (50 titles, continuation when an answer is full),
// the deletion log (list=logevents), and the files' MediaInfo
// entities (wbgetentities, wbeditentity on M<pageid> with baserevid as
// Wikibase handles it). It checks OAuth 1.0a signatures, CSRF tokens,
// rights, change tags and content against the extension, records every
// request, and lets tests inject faults, including uploads that land after
// the client gave up.
package commonstest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub/web/wikilogin/oauthfake"
	"partnerhub/wikidata"
	"partnerhub/wikidata/internal/fakeserve"
)

// APIPath is where the fake answers, as on Wikimedia wikis.
const APIPath = fakeserve.APIPath

// Account is a user with an OAuth access token. Rights are what the user
// may do through this grant: without "upload" (the consumer was not granted
// "Upload new files") uploads are refused.
type Account struct {
	Name, Token, Secret string
	Rights              []string // default: read, edit, upload
	Blocked             bool
}

// Options configure a fake Commons.
type Options struct {
	ConsumerKey, ConsumerSecret string
	Accounts                    []Account
	AllowedTags                 []string // change tags defined for manual use
	// MaxUploadSize is the largest file (default 100 MiB, as the upload
	// module's filesize limit); MinChunkSize the smallest non-final chunk
	// (default 1 KiB here; 1 MiB on Commons).
	MaxUploadSize, MinChunkSize int64
	// UploadRateLimit, if set, refuses more than Hits published uploads
	// per Per and user with "ratelimited".
	UploadRateLimit *RateLimit
	// ReplicaLag delays how soon an upload shows in list=allimages, which
	// reads from replicas.
	ReplicaLag time.Duration
	// ImageInfoPerAnswer, if set, is how many pages' imageinfo fit in one
	// answer (the API's result size limit): the rest follow through
	// continuation (iicontinue), as clients must be ready for.
	ImageInfoPerAnswer int
	// StashMaxAge is how long the upload stash keeps a file or a chunk
	// session from its first chunk on (default 6 hours, as
	// $wgUploadStashMaxAge); after that its key is unknown, as after
	// Commons' stash cleanup.
	StashMaxAge time.Duration
	Now         func() time.Time
}

// RateLimit is a number of actions per period.
type RateLimit struct {
	Hits int
	Per  time.Duration
}

// FaultKind says how a request misbehaves.
type FaultKind int

// Faults a test can inject.
const (
	Maxlag        FaultKind = iota + 1 // maxlag with Retry-After
	RateLimited                        // ratelimited (for wbeditentity: Wikibase's failed-save shape)
	BadToken                           // badtoken
	HTTP500                            // HTTP 500, nothing done
	ApplyThenFail                      // do the request, then answer HTTP 503
	ApplyThenDrop                      // do the request, then close the connection unanswered
	// LateLanding holds the request for Delay whatever the client does,
	// then does it anyway, as PHP finishes a request whose client left.
	LateLanding
)

// Fault is a misbehaviour for the next Count requests (default 1) whose
// action is Action ("" any) and, if Stage is set, whose upload stage is
// Stage: "file" (a file in one request), "chunk", "commit" (from the stash).
type Fault struct {
	Action     string
	Stage      string
	Kind       FaultKind
	Count      int
	RetryAfter int
	Delay      time.Duration
	// After lets this many matching requests through first (e.g. a fault
	// on the third chunk).
	After int
}

// FileVersion is a published file.
type FileVersion struct {
	Name      string // "Foo.jpg"
	PageID    int64
	SHA1      string
	Size      int64
	Mime      string
	User      string
	Comment   string
	Text      string // the description page's wikitext
	Tags      []string
	Timestamp time.Time
	RevID     int64
}

// Request is an upload or wbeditentity request as received.
type Request struct {
	Action    string
	Stage     string // for uploads: file, chunk, commit
	User      string
	Filename  string
	ID        string // for wbeditentity
	BaseRevID string
	Data      string
	Summary   string
	Comment   string
	UserAgent string
	Ignore    bool // ignorewarnings was set
	Tags      string
	Offset    string // for chunks
	At        time.Time
}

// MediaEdit is an applied wbeditentity.
type MediaEdit struct {
	ID      string
	RevID   int64
	User    string
	Summary string
	Patched bool
}

type page struct {
	id      int64
	name    string // "Foo.jpg"
	file    *FileVersion
	lastRev int64
	revUser map[int64]string
	labels  map[string]wikidata.Term
	stmts   map[string][]wikidata.Statement
	hasMI   bool
	// labelRev is the revision that last set each caption, to find conflicts.
	labelRev map[string]int64
	modified time.Time
}

type stashed struct {
	user     string
	filename string
	data     []byte
	filesize int64
	chunked  bool // a chunk session still receiving chunks
	created  time.Time
	// firstSHA1 is the SHA-1 of what was stashed first: the uploadstash
	// row of a chunk session keeps the first chunk's, while its size
	// follows the offset.
	firstSHA1 string
}

// Commons is the fake's state and its http.Handler.
type Commons struct {
	opts     Options
	verifier *oauthfake.Verifier

	mu       sync.Mutex
	accounts map[string]Account // by access token
	tokens   map[string]string  // csrf token -> user
	pages    map[string]*page   // by file name
	byID     map[int64]*page
	deleted  map[string]string // deleted file name -> its SHA-1
	delLog   []logEvent        // the deletion log, oldest first
	queries  []url.Values
	stash    map[string]*stashed
	nextPage int64
	nextRev  int64
	uploads  []FileVersion
	edits    []MediaEdit
	requests []Request
	faults   []Fault
	publish  map[string][]time.Time
	revoked  map[string]bool
}

// New builds the fake's handler.
func New(opts Options) *Commons {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxUploadSize <= 0 {
		opts.MaxUploadSize = 100 << 20
	}
	if opts.MinChunkSize <= 0 {
		opts.MinChunkSize = 1 << 10
	}
	if opts.StashMaxAge <= 0 {
		opts.StashMaxAge = 6 * time.Hour
	}
	c := &Commons{opts: opts,
		verifier: &oauthfake.Verifier{ConsumerKey: opts.ConsumerKey, ConsumerSecret: opts.ConsumerSecret, Now: opts.Now},
		accounts: map[string]Account{}, tokens: map[string]string{}, pages: map[string]*page{}, byID: map[int64]*page{},
		deleted: map[string]string{}, stash: map[string]*stashed{}, nextPage: 140000, nextRev: 900000,
		publish: map[string][]time.Time{}, revoked: map[string]bool{}}
	for _, a := range opts.Accounts {
		if a.Rights == nil {
			a.Rights = []string{"read", "edit", "upload"}
		}
		c.accounts[a.Token] = a
	}
	return c
}

// Server is a fake Commons being served.
type Server struct {
	*Commons
	fakeserve.Endpoint
}

// Serve serves a fake Commons for the test, closed when the test ends.
func Serve(t testing.TB, opts Options) *Server {
	t.Helper()
	c := New(opts)
	return &Server{Commons: c, Endpoint: fakeserve.ForTest(t, APIPath, c)}
}

// NewServer serves a fake Commons on ln until Close, outside tests.
func NewServer(opts Options, ln net.Listener) *Server {
	c := New(opts)
	return &Server{Commons: c, Endpoint: fakeserve.On(ln, APIPath, c)}
}

// SHA1 is the hex SHA-1 of content, as Commons stores it.
func SHA1(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

// AddFile publishes a file as another user did an hour ago (so replicas
// show it), and returns its page id. The name (without "File:", spaces or
// underscores) is normalised as MediaWiki stores it, as in DeleteFile and
// File.
func (c *Commons) AddFile(name, user string, content []byte) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = dbKey(name)
	fv := FileVersion{Name: name, SHA1: SHA1(content), Size: int64(len(content)), Mime: sniff(content), User: user,
		Comment: "uploaded by hand", Text: "== Summary ==", Timestamp: c.opts.Now().Add(-time.Hour).UTC()}
	return c.publishLocked(fv).PageID
}

// DeleteFile deletes a file: its name gives was-deleted and its content
// duplicate-archive from then on.
func (c *Commons) DeleteFile(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = dbKey(name)
	p, ok := c.pages[name]
	if !ok {
		return
	}
	if p.file != nil {
		c.deleted[name] = p.file.SHA1
	}
	c.delLog = append(c.delLog, logEvent{title: titleOf(name), at: c.opts.Now().UTC(), id: int64(len(c.delLog) + 7000)})
	delete(c.pages, name)
	delete(c.byID, p.id)
}

// EditCaptionAs sets a caption as another user would (a new revision).
func (c *Commons) EditCaptionAs(user string, pageID int64, lang, text string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.byID[pageID]
	if p == nil {
		panic("commonstest: EditCaptionAs on an unknown page")
	}
	c.nextRev++
	p.lastRev = c.nextRev
	p.revUser[p.lastRev] = user
	p.labels[lang] = wikidata.Term{Language: lang, Value: text}
	p.labelRev[lang] = p.lastRev
	p.hasMI = true
	return p.lastRev
}

// ExpireStash empties the upload stash, as its cleanup does with files
// older than $wgUploadStashMaxAge: every file key and chunk session given
// out so far is unknown from now on.
func (c *Commons) ExpireStash() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.stash)
}

// StashedBytes says how many bytes the stash holds under a file key (for a
// chunk session: the bytes received so far).
func (c *Commons) StashedBytes(key string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireStashLocked()
	s, ok := c.stash[key]
	if !ok {
		return 0, false
	}
	return int64(len(s.data)), true
}

func (c *Commons) expireStashLocked() {
	now := c.opts.Now()
	for k, s := range c.stash {
		if now.Sub(s.created) >= c.opts.StashMaxAge {
			delete(c.stash, k)
		}
	}
}

// AddStatementAs adds a statement to a file's structured data as another
// user would (a new revision).
func (c *Commons) AddStatementAs(user string, pageID int64, st wikidata.Statement) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.byID[pageID]
	if p == nil {
		panic("commonstest: AddStatementAs on an unknown page")
	}
	c.nextRev++
	p.lastRev = c.nextRev
	p.revUser[p.lastRev] = user
	st.ID, st.Type, st.MainSnak.DataType = newGUID("M"+strconv.FormatInt(p.id, 10)), "statement", ""
	if st.Rank == "" {
		st.Rank = wikidata.RankNormal
	}
	p.stmts[st.MainSnak.Property] = append(p.stmts[st.MainSnak.Property], st)
	p.hasMI = true
	return p.lastRev
}

// RevokeGrant revokes the OAuth grant behind an access token.
func (c *Commons) RevokeGrant(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[token] = true
}

// Inject queues a fault.
func (c *Commons) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, f)
}

// Uploads lists the published uploads in order.
func (c *Commons) Uploads() []FileVersion {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.uploads)
}

// UploadsOf counts the published uploads with this content.
func (c *Commons) UploadsOf(sha string) int {
	n := 0
	for _, u := range c.Uploads() {
		if u.SHA1 == sha {
			n++
		}
	}
	return n
}

// Queries lists the parameters of the action=query requests received.
func (c *Commons) Queries() []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.queries)
}

// Requests lists the upload and wbeditentity requests received.
func (c *Commons) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requests)
}

// RequestsOf counts the requests of an action and stage ("" any stage).
func (c *Commons) RequestsOf(action, stage string) int {
	n := 0
	for _, r := range c.Requests() {
		if r.Action == action && (stage == "" || r.Stage == stage) {
			n++
		}
	}
	return n
}

// MediaEdits lists the applied MediaInfo edits.
func (c *Commons) MediaEdits() []MediaEdit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.edits)
}

// File returns the current version of a file and its page id.
func (c *Commons) File(name string) (FileVersion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = dbKey(name)
	p, ok := c.pages[name]
	if !ok || p.file == nil {
		return FileVersion{}, false
	}
	return *p.file, true
}

// MediaInfo returns a file's captions and statements.
func (c *Commons) MediaInfo(pageID int64) (map[string]wikidata.Term, map[string][]wikidata.Statement) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.byID[pageID]
	if p == nil {
		return nil, nil
	}
	labels := map[string]wikidata.Term{}
	for k, v := range p.labels {
		labels[k] = v
	}
	stmts := map[string][]wikidata.Statement{}
	for k, v := range p.stmts {
		stmts[k] = slices.Clone(v)
	}
	return labels, stmts
}

// Duplicates lists, per MediaInfo entity, statements there more than once
// (same property and value): what an upload must never make.
func (c *Commons) Duplicates() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for _, p := range c.byID {
		for prop, sts := range p.stmts {
			seen := map[string]int{}
			for _, st := range sts {
				if v, ok := st.Value(); ok {
					seen[v.String()]++
				}
			}
			for v, n := range seen {
				if n > 1 {
					out["M"+strconv.FormatInt(p.id, 10)] = append(out["M"+strconv.FormatInt(p.id, 10)], fmt.Sprintf("%s %s ×%d", prop, v, n))
				}
			}
		}
	}
	return out
}

// publishLocked stores a new file (or a new version) and its page.
func (c *Commons) publishLocked(fv FileVersion) FileVersion {
	p, ok := c.pages[fv.Name]
	if !ok {
		c.nextPage++
		p = &page{id: c.nextPage, name: fv.Name, revUser: map[int64]string{}, labels: map[string]wikidata.Term{},
			stmts: map[string][]wikidata.Statement{}, labelRev: map[string]int64{}}
		c.pages[fv.Name] = p
		c.byID[p.id] = p
	}
	c.nextRev++
	p.lastRev = c.nextRev
	p.revUser[p.lastRev] = fv.User
	p.modified = fv.Timestamp
	fv.PageID, fv.RevID = p.id, p.lastRev
	f := fv
	p.file = &f
	c.uploads = append(c.uploads, fv)
	return fv
}

func (c *Commons) takeFault(action, stage string) *Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.faults {
		f := &c.faults[i]
		if (f.Action == "" || f.Action == action) && (f.Stage == "" || f.Stage == stage) {
			if f.After > 0 {
				f.After--
				return nil
			}
			out := *f
			if f.Count--; f.Count == 0 {
				c.faults = append(c.faults[:i], c.faults[i+1:]...)
			}
			return &out
		}
	}
	return nil
}

func (c *Commons) account(user string) (Account, bool) {
	for _, a := range c.accounts {
		if a.Name == user {
			return a, true
		}
	}
	return Account{}, false
}

// ServeHTTP answers api.php.
func (c *Commons) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if fakeserve.RefuseAnonymousAgent(rw, r) {
		return
	}
	// The signature covers the query and a form-encoded body, never a
	// multipart one: verify before the body is parsed.
	user := ""
	if r.Header.Get("Authorization") != "" {
		p, err := c.verifier.Verify(r, func(tok string) (string, bool) {
			c.mu.Lock()
			defer c.mu.Unlock()
			a, ok := c.accounts[tok]
			return a.Secret, ok
		})
		if err != nil {
			_ = r.ParseForm()
			apiError(rw, r, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: "+err.Error(), "main")
			return
		}
		c.mu.Lock()
		user = c.accounts[p["oauth_token"]].Name
		revoked := c.revoked[p["oauth_token"]]
		c.mu.Unlock()
		if revoked {
			_ = r.ParseForm()
			apiError(rw, r, "mwoauth-invalid-authorization", "The authorization headers in your request are not valid: No approved grant was found for that authorization token.", "main")
			return
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			http.Error(rw, "bad multipart body", http.StatusBadRequest)
			return
		}
	} else if err := r.ParseForm(); err != nil {
		http.Error(rw, "bad request body", http.StatusBadRequest)
		return
	}
	action := r.FormValue("action")
	stage := ""
	if action == "upload" {
		stage = uploadStage(r)
	}
	if action == "query" {
		c.mu.Lock()
		c.queries = append(c.queries, cloneForm(r.Form))
		c.mu.Unlock()
	}
	if action == "upload" || action == "wbeditentity" {
		c.mu.Lock()
		_, ignore := r.Form["ignorewarnings"]
		c.requests = append(c.requests, Request{Action: action, Stage: stage, User: user, Filename: r.FormValue("filename"),
			ID: r.FormValue("id"), BaseRevID: r.FormValue("baserevid"), Data: r.FormValue("data"), Summary: r.FormValue("summary"),
			Comment: r.FormValue("comment"), UserAgent: r.UserAgent(), Ignore: ignore, Tags: r.FormValue("tags"), Offset: r.FormValue("offset"), At: time.Now()})
		c.mu.Unlock()
	}
	if f := c.takeFault(action, stage); f != nil && c.misbehave(rw, r, f, user) {
		return
	}
	c.route(rw, r, user)
}

func (c *Commons) route(rw http.ResponseWriter, r *http.Request, user string) {
	switch r.FormValue("action") {
	case "upload":
		c.upload(rw, r, user)
	case "wbeditentity":
		c.editMediaInfo(rw, r, user)
	case "wbgetentities":
		c.getEntities(rw, r)
	case "query":
		c.query(rw, r, user)
	default:
		apiError(rw, r, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"action\": %s.", r.FormValue("action")), "main")
	}
}

func uploadStage(r *http.Request) string {
	switch {
	case r.MultipartForm != nil && r.MultipartForm.File["chunk"] != nil:
		return "chunk"
	case r.MultipartForm != nil && r.MultipartForm.File["file"] != nil:
		return "file"
	case r.FormValue("filekey") != "":
		return "commit"
	}
	return ""
}

// lockWrite makes MediaWiki's checks of a write module's request, in its
// order: POSTed, assert=user kept, a token given and the user's. When they
// pass it returns true with c.mu held; otherwise it has answered the error.
func (c *Commons) lockWrite(rw http.ResponseWriter, r *http.Request, user, module string) bool {
	if r.Method != http.MethodPost {
		apiError(rw, r, "mustbeposted", "The \""+module+"\" module requires a POST request.", "main")
		return false
	}
	if r.FormValue("assert") == "user" && user == "" {
		apiError(rw, r, "assertuserfailed", "You are no longer logged in, so the action could not be completed.", "main")
		return false
	}
	if r.FormValue("token") == "" {
		apiError(rw, r, "missingparam", "The \"token\" parameter must be set.", "main")
		return false
	}
	c.mu.Lock()
	if u, ok := c.tokens[r.FormValue("token")]; !ok || u != user {
		c.mu.Unlock()
		apiError(rw, r, "badtoken", "Invalid CSRF token.", "main")
		return false
	}
	return true
}

// misbehave answers an injected fault; false means go on with the request.
func (c *Commons) misbehave(rw http.ResponseWriter, r *http.Request, f *Fault, user string) bool {
	switch f.Kind {
	case Maxlag:
		rw.Header().Set("X-Database-Lag", "6")
		writeErrors(rw, r, max(f.RetryAfter, 1), errEntry{Code: "maxlag", Text: "Waiting for 10.64.48.35: 6.2 seconds lagged.", Module: "main",
			Data: map[string]any{"host": "10.64.48.35", "lag": 6.2, "type": "db"}})
	case RateLimited:
		if r.FormValue("action") == "wbeditentity" {
			// Wikibase (MediaInfo too) answers a throttled save as 1.39
			// does: failed-save, ratelimited, failed-save with the
			// actionthrottledtext message; HTTP 200.
			const failed = "The save has failed."
			writeErrors(rw, r, f.RetryAfter,
				errEntry{Code: "failed-save", Text: failed, Module: "wbeditentity"},
				errEntry{Code: "ratelimited", Text: textThrottled, Module: "wbeditentity"},
				errEntry{Code: "failed-save", Text: failed, Module: "wbeditentity", Data: map[string]any{"messages": []any{
					map[string]any{"name": "wikibase-api-failed-save", "parameters": []any{}, "html": failed},
					map[string]any{"name": "actionthrottledtext", "parameters": []any{}, "html": textThrottled}}}})
			return true
		}
		writeErrors(rw, r, f.RetryAfter, errEntry{Code: "ratelimited", Text: textThrottled, Module: r.FormValue("action")})
	case BadToken:
		apiError(rw, r, "badtoken", "Invalid CSRF token.", "main")
	case HTTP500:
		http.Error(rw, "Internal Server Error", http.StatusInternalServerError)
	case LateLanding:
		// Done whatever the client does: wait, ignoring its context, then
		// answer (to no one, usually).
		time.Sleep(f.Delay)
		return false
	case ApplyThenFail, ApplyThenDrop:
		c.route(discard{}, r, user)
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

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// discard is a ResponseWriter that drops the answer.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func randomKey(ext string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:12] + "." + h[12:18] + "." + strconv.Itoa(int(b[9])*1000+int(b[8])) + "." + ext
}
