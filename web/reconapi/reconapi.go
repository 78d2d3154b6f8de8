// Package reconapi serves Partnerhub's matching engine as a W3C Entity
// Reconciliation API service (protocol 0.2, what OpenRefine 3.x speaks), so
// that OpenRefine, the reconciliation testbench and any other client can
// reconcile against the installation's Wikibase with the same engine, the
// same thresholds and the same query-service budget as the background
// workers. The service is anonymous and changes no state: it reads no
// cookies, sets none, and answers any origin (CORS), with a per-client
// rate limit and a batch size limit instead.
package reconapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/wikidata/suggest"
)

// Engines builds a matching engine for a template; *match.Matcher is one
// (its engines share the process's SPARQL clients and limiter).
type Engines interface {
	Engine(t *match.Template, logger *slog.Logger) (*match.Engine, error)
}

// Config says what the service reconciles against and how much it takes.
type Config struct {
	Name     string         // the service's name in OpenRefine's list
	Version  string         // Partnerhub's version (manifest serviceVersion)
	Wikibase match.Wikibase // the installation's default Wikibase
	// Languages are the languages names are matched and shown in; empty: en.
	Languages []string
	Engines   Engines
	// Wiki reads the datatypes of the properties queries name (a column's
	// kind); the mapping page's suggest client, cached, is one.
	Wiki suggest.Wiki
	// MaxQueries is the most queries one request may hold (default 50);
	// more are refused with 413.
	MaxQueries int
	// MaxBodyBytes bounds a request's body (default 1 MiB).
	MaxBodyBytes int64
	// Rate and Burst are each client's (IP address's) request rate
	// (default 2 per second, burst 10).
	Rate  rate.Limit
	Burst int
	// Timeout bounds one request's matching (default 2 minutes).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Service answers the reconciliation protocol.
type Service struct {
	cfg     Config
	clients *clientLimits
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Engines == nil {
		return nil, errors.New("reconapi: no engines")
	}
	if cfg.Wiki == nil {
		return nil, errors.New("reconapi: no wiki client for property datatypes")
	}
	if cfg.Name == "" {
		cfg.Name = "Partnerhub"
	}
	if len(cfg.Languages) == 0 {
		cfg.Languages = []string{"en"}
	}
	if cfg.MaxQueries <= 0 {
		cfg.MaxQueries = 50
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 2
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 10
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The template's own defaults (Wikidata's) fill what is unset.
	t, err := match.ParseTemplate([]byte(`{}`))
	if err != nil {
		return nil, err
	}
	wb := &cfg.Wikibase
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&wb.SPARQLEndpoint, t.Wikibase.SPARQLEndpoint}, {&wb.APIURL, t.Wikibase.APIURL}, {&wb.EntityPrefix, t.Wikibase.EntityPrefix},
		{&wb.PropertyPrefix, t.Wikibase.PropertyPrefix}, {&wb.SiteURL, t.Wikibase.SiteURL},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return &Service{cfg: cfg, clients: newClientLimits(cfg.Rate, cfg.Burst)}, nil
}

// Routes registers the service at path (e.g. "/reconcile") on a router
// group that has no session, login or CSRF middleware: the service
// changes no state and must not see cookies.
func (s *Service) Routes(r gin.IRoutes, path string) {
	r.GET(path, s.cors, s.limit, s.serve)
	r.POST(path, s.cors, s.limit, s.serve)
	r.OPTIONS(path, s.cors, s.preflight)
}

// cors lets any web page call the service: it reads no credentials.
func (s *Service) cors(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Vary", "Origin")
	c.Next()
}

func (s *Service) preflight(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Accept")
	h.Set("Access-Control-Max-Age", "86400")
	c.Status(http.StatusNoContent)
}

func (s *Service) limit(c *gin.Context) {
	if !s.clients.allow(c.ClientIP(), time.Now()) {
		c.Header("Retry-After", "1")
		s.fail(c, http.StatusTooManyRequests, "too many requests from this address: slow down (at most %g a second)", float64(s.cfg.Rate))
		c.Abort()
		return
	}
	c.Next()
}

// errorBody is every error's answer: a JSON object OpenRefine shows.
type errorBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func (s *Service) fail(c *gin.Context, status int, format string, args ...any) {
	c.JSON(status, errorBody{Status: "error", Message: fmt.Sprintf(format, args...)})
}

func (s *Service) serve(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	raw := c.Query("queries")
	if c.Request.Method == http.MethodPost {
		if err := c.Request.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.fail(c, http.StatusRequestEntityTooLarge, "the request is larger than %d bytes: send fewer queries at a time", s.cfg.MaxBodyBytes)
				return
			}
			s.fail(c, http.StatusBadRequest, "the request's form could not be read: %v", err)
			return
		}
		if v := c.Request.PostForm.Get("queries"); v != "" {
			raw = v
		}
	}
	if strings.TrimSpace(raw) == "" {
		c.JSON(http.StatusOK, s.manifest())
		return
	}
	batch, err := parseBatch(raw, s.cfg.MaxQueries)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooMany) {
			status = http.StatusRequestEntityTooLarge
		}
		s.fail(c, status, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	out, err := s.reconcile(ctx, batch)
	if err != nil {
		var je *jobs.Error
		switch {
		case errors.As(err, &je) && (je.Code == jobs.EINVALID || je.Code == jobs.EFORBIDDEN):
			s.fail(c, http.StatusBadRequest, "%s", je.Message)
		case ctx.Err() != nil && c.Request.Context().Err() == nil:
			s.fail(c, http.StatusServiceUnavailable, "the query service took too long: send fewer queries at a time, or try again later")
		default:
			s.cfg.Logger.Warn("reconciliation service: batch failed", "queries", len(batch), "err", err)
			s.fail(c, http.StatusBadGateway, "the query service or the wiki did not answer (%v): try again later", err)
		}
		return
	}
	c.JSON(http.StatusOK, out)
}

// Manifest is the 0.2 service manifest.
type Manifest struct {
	Versions        []string            `json:"versions"`
	Name            string              `json:"name"`
	IdentifierSpace string              `json:"identifierSpace"`
	SchemaSpace     string              `json:"schemaSpace"`
	ServiceVersion  string              `json:"serviceVersion,omitempty"`
	View            map[string]any      `json:"view"`
	DefaultTypes    []map[string]string `json:"defaultTypes"`
}

func (s *Service) manifest() Manifest {
	wb := s.cfg.Wikibase
	return Manifest{Versions: []string{"0.2"}, Name: s.cfg.Name, IdentifierSpace: wb.EntityPrefix, SchemaSpace: wb.PropertyPrefix,
		ServiceVersion: s.cfg.Version, View: map[string]any{"url": wb.SiteURL + "{{id}}"}, DefaultTypes: []map[string]string{}}
}

// Candidate is one result of a query.
type Candidate struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Score       float64   `json:"score"`
	Match       bool      `json:"match"`
	Type        []typeRef `json:"type,omitempty"`
}

type typeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Result is a query's answer.
type Result struct {
	Result []Candidate `json:"result"`
}

var (
	itemID     = regexp.MustCompile(`^[QP][1-9][0-9]*$`)
	propertyID = regexp.MustCompile(`^P[1-9][0-9]*$`)
)

// reconcile answers a batch: queries of the same shape (type, property
// kinds) go to one engine as one batch, so a batch of 50 costs a handful
// of queries, not 50 times a handful.
func (s *Service) reconcile(ctx context.Context, batch map[string]query) (map[string]Result, error) {
	var pids []string
	for _, q := range batch {
		for _, p := range q.Properties {
			if propertyID.MatchString(p.PID) {
				pids = append(pids, p.PID)
			}
		}
	}
	kinds := map[string]string{}
	if len(pids) > 0 {
		props, err := s.cfg.Wiki.GetProperties(ctx, sortedUnique(pids), s.cfg.Languages)
		if err != nil {
			return nil, fmt.Errorf("read the properties' datatypes: %w", err)
		}
		for id, p := range props {
			if p != nil {
				kinds[id] = suggest.KindOf(p.DataType)
			}
		}
	}
	type group struct {
		t    *match.Template
		ids  []string
		rows []match.Row
	}
	groups := map[string]*group{}
	out := make(map[string]Result, len(batch))
	var keys []string
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for n, id := range ids {
		q := batch[id]
		t, row, key, err := s.template(id, q, kinds)
		var un unmatchable
		if errors.As(err, &un) {
			// A well-formed query this wiki cannot answer (a type or
			// property it does not have): no candidates, as the protocol
			// expects, rather than failing the whole batch.
			s.cfg.Logger.Debug("reconciliation service: query not matchable", "query", id, "why", un.why)
			out[id] = Result{Result: []Candidate{}}
			continue
		}
		if err != nil {
			return nil, err
		}
		row.Num = int64(n + 1)
		g, ok := groups[key]
		if !ok {
			g = &group{t: t}
			groups[key] = g
			keys = append(keys, key)
		}
		g.ids = append(g.ids, id)
		g.rows = append(g.rows, row)
	}
	for _, key := range keys {
		g := groups[key]
		e, err := s.cfg.Engines.Engine(g.t, s.cfg.Logger)
		if err != nil {
			return nil, err
		}
		matches, err := e.MatchBatch(ctx, g.rows)
		if err != nil {
			return nil, err
		}
		byRow := make(map[int64]jobs.RowMatch, len(matches))
		for _, m := range matches {
			byRow[m.Row] = m
		}
		for i, id := range g.ids {
			out[id] = result(byRow[g.rows[i].Num], batch[id].Limit)
		}
	}
	return out, nil
}

// result turns the engine's conclusion into candidates: scores 0–100, and
// match true only for the candidate the workers would accept unreviewed.
func result(m jobs.RowMatch, limit int) Result {
	r := Result{Result: []Candidate{}}
	for i, c := range m.Candidates {
		if limit > 0 && i == limit {
			break
		}
		name := c.Label
		if name == "" {
			name = c.QID
		}
		cand := Candidate{ID: c.QID, Name: name, Description: c.Description, Score: math.Round(c.Score*1000) / 10,
			Match: i == 0 && m.Status == jobs.MatchMatched && c.QID == m.QID}
		for _, ty := range c.Types {
			cand.Type = append(cand.Type, typeRef{ID: ty, Name: ty})
		}
		r.Result = append(r.Result, cand)
	}
	return r
}

// nameColumn is the label column of the templates built for queries;
// property columns are named by their property id.
const nameColumn = "name"

// template builds the engine's template and row for one query, and the
// key of queries that can share it.
func (s *Service) template(id string, q query, kinds map[string]string) (*match.Template, match.Row, string, error) {
	t := &match.Template{Version: 1, Wikibase: s.cfg.Wikibase, Languages: s.cfg.Languages, Columns: map[string]match.Column{},
		AutoAccept: match.AutoAccept{Score: match.DefaultAutoAcceptScore, Margin: match.DefaultAutoAcceptMargin}}
	row := match.Row{Values: map[string]string{}}
	var key strings.Builder
	for i, ty := range q.Types {
		if !itemID.MatchString(ty) || ty[0] != 'Q' {
			return nil, row, "", unmatchable{fmt.Sprintf("type %q is not an item id like Q5", ty)}
		}
		if i == 0 {
			t.Type = &match.TypeConstraint{QID: ty}
		} else {
			t.Types = append(t.Types, match.TypeConstraint{QID: ty})
		}
		key.WriteString(ty + ",")
	}
	key.WriteString("|")
	if q.Query != "" {
		t.Columns[nameColumn] = match.Column{Role: match.RoleLabel}
		row.Values[nameColumn] = q.Query
		key.WriteString("name|")
	}
	var cols []string
	for _, p := range q.Properties {
		if !propertyID.MatchString(p.PID) {
			// Property paths and non-Wikibase ids: not something the
			// engine compares (yet); the query still matches on the rest.
			continue
		}
		kind := kinds[p.PID]
		if kind == "" {
			return nil, row, "", unmatchable{fmt.Sprintf("property %s does not exist on this wiki or holds values the engine cannot compare", p.PID)}
		}
		if _, dup := t.Columns[p.PID]; dup || len(p.Values) == 0 {
			continue
		}
		t.Columns[p.PID] = match.Column{Property: p.PID, Kind: kind}
		// The engine compares one value per column: the first.
		row.Values[p.PID] = p.Values[0]
		cols = append(cols, p.PID+"="+kind)
	}
	sort.Strings(cols)
	key.WriteString(strings.Join(cols, ","))
	names := make([]string, 0, len(t.Columns))
	for n := range t.Columns {
		names = append(names, n)
	}
	// Round-trip through ParseTemplate so the template is the one the
	// workers would read, with every default, then validate it.
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, row, "", err
	}
	parsed, err := match.ParseTemplate(raw)
	if err != nil {
		return nil, row, "", err
	}
	if err := parsed.Validate(names); err != nil {
		return nil, row, "", unmatchable{err.Error()}
	}
	return parsed, row, key.String(), nil
}

// unmatchable says why a well-formed query cannot be matched on this wiki.
type unmatchable struct{ why string }

func (u unmatchable) Error() string { return u.why }

func sortedUnique(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// clientLimits keeps a token bucket per client address, forgetting those
// idle for a while so the map stays small.
type clientLimits struct {
	mu    sync.Mutex
	r     rate.Limit
	burst int
	by    map[string]*clientLimit
	swept time.Time
}

type clientLimit struct {
	l    *rate.Limiter
	seen time.Time
}

const clientIdle = 5 * time.Minute

func newClientLimits(r rate.Limit, burst int) *clientLimits {
	return &clientLimits{r: r, burst: burst, by: map[string]*clientLimit{}}
}

func (c *clientLimits) allow(client string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) > time.Minute {
		for k, v := range c.by {
			if now.Sub(v.seen) > clientIdle {
				delete(c.by, k)
			}
		}
		c.swept = now
	}
	l, ok := c.by[client]
	if !ok {
		l = &clientLimit{l: rate.NewLimiter(c.r, c.burst)}
		c.by[client] = l
	}
	l.seen = now
	return l.l.AllowN(now, 1)
}
