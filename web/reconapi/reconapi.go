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
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/sparql"
	"partnerhub/wikidata/suggest"
)

// Engines builds a matching engine for a template; *match.Matcher is one
// (its engines share the process's SPARQL clients and limiter).
type Engines interface {
	Engine(t *match.Template, logger *slog.Logger) (*match.Engine, error)
}

// Querier runs SELECT queries on a query service; *sparql.Client is one.
type Querier interface {
	Select(ctx context.Context, query string) (*sparql.Results, error)
}

// Config says what the service reconciles against and how much it takes.
type Config struct {
	Name     string         // the service's name in OpenRefine's list
	Version  string         // Partnerhub's version (manifest serviceVersion)
	Wikibase match.Wikibase // the installation's default Wikibase
	// Languages are the languages names are matched and shown in when a
	// request names none; empty: en.
	Languages []string
	Engines   Engines
	// Wiki is the default Wikibase's Action API (property datatypes and
	// labels, the suggest searches); the mapping page's suggest client,
	// cached, is one.
	Wiki suggest.Wiki
	// WikiFor gives the Action API client of a template's wiki when it is
	// not the default one; nil: only templates on the default wiki are
	// served.
	WikiFor func(apiURL string) (suggest.Wiki, error)
	// SPARQL gives the query service client for an endpoint (preview and
	// data extension); it must be paced by the same limiter as the
	// engines, so the service spends the reconciliation's budget. Nil:
	// no preview and no data extension.
	SPARQL func(endpoint string) (Querier, error)
	// MaxQueries is the most queries one request may hold (default 50);
	// more are refused with 413. It bounds extension ids too.
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

// Root is what one service root reconciles with: a job template's
// Wikibase, languages, type, property mapping and thresholds (the
// installation's defaults for /reconcile).
type Root struct {
	Name     string
	Template *match.Template
}

// Resolver finds the root a request names. It answers ErrNoRoot for a
// root that does not exist or that the client may not see (the two look
// the same from outside).
type Resolver func(c *gin.Context) (*Root, error)

// ErrNoRoot: no such service, or not for this client.
var ErrNoRoot = errors.New("no such reconciliation service")

// Service answers the reconciliation protocol.
type Service struct {
	cfg     Config
	clients *clientLimits
	root    *Root // the default root
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
	def, err := json.Marshal(struct {
		Wikibase  match.Wikibase `json:"wikibase"`
		Languages []string       `json:"languages,omitempty"`
		Columns   map[string]any `json:"columns"`
	}{cfg.Wikibase, cfg.Languages, map[string]any{}})
	if err != nil {
		return nil, err
	}
	t, err := match.ParseTemplate(def)
	if err != nil {
		return nil, err
	}
	cfg.Wikibase, cfg.Languages = t.Wikibase, t.Languages
	return &Service{cfg: cfg, clients: newClientLimits(cfg.Rate, cfg.Burst), root: &Root{Name: cfg.Name, Template: t}}, nil
}

// Serves says whether the default root (/reconcile) answers for the wiki
// whose Action API is apiURL ("" is the template default, Wikidata's).
func (s *Service) Serves(apiURL string) bool {
	if apiURL == "" {
		apiURL = match.DefaultAPIURL
	}
	return apiURL == s.cfg.Wikibase.APIURL
}

// Routes registers the service for the default Wikibase at path (e.g.
// "/reconcile") on a router group that has no session, login or CSRF
// middleware: the service changes no state and must not see cookies.
func (s *Service) Routes(r gin.IRoutes, path string) {
	s.mount(r, path, func(*gin.Context) (*Root, error) { return s.root, nil })
}

// TemplateRoutes registers the service for the roots resolve finds (a
// shared job template's) at path, e.g. "/templates/:tid/reconcile".
func (s *Service) TemplateRoutes(r gin.IRoutes, path string, resolve Resolver) {
	s.mount(r, path, resolve)
}

// mount serves protocol 0.2 at path and 1.0-draft at path/v1 (one
// manifest cannot be valid for both: 0.2's suggest settings are objects,
// 1.0-draft's are booleans).
func (s *Service) mount(r gin.IRoutes, path string, resolve Resolver) {
	h := func(f gin.HandlerFunc) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.cors, s.limit, s.resolveWith(resolve), f}
	}
	v1 := path + "/v1"
	for _, rt := range []struct {
		methods []string
		path    string
		f       gin.HandlerFunc
	}{
		{[]string{http.MethodGet, http.MethodPost}, path, s.serve},
		{[]string{http.MethodGet}, path + "/suggest/:kind", s.suggest},
		{[]string{http.MethodGet}, path + "/preview", s.preview},
		{[]string{http.MethodGet, http.MethodPost}, path + "/propose_properties", s.propose},
		{[]string{http.MethodGet}, v1, s.manifestV1},
		{[]string{http.MethodPost}, v1 + "/match", s.matchV1},
		{[]string{http.MethodGet}, v1 + "/suggest/:kind", s.suggest},
		{[]string{http.MethodGet}, v1 + "/preview", s.preview},
		{[]string{http.MethodPost}, v1 + "/extend", s.extendV1},
		{[]string{http.MethodGet}, v1 + "/extend/propose", s.propose},
	} {
		for _, m := range rt.methods {
			r.Handle(m, rt.path, h(rt.f)...)
		}
		r.OPTIONS(rt.path, s.cors, s.preflight)
	}
}

const keyRoot = "reconapi.root"

func (s *Service) resolveWith(resolve Resolver) gin.HandlerFunc {
	return func(c *gin.Context) {
		root, err := resolve(c)
		if errors.Is(err, ErrNoRoot) {
			s.fail(c, http.StatusNotFound, "there is no reconciliation service at this address")
			c.Abort()
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("reconciliation service: find the service", "path", c.Request.URL.Path, "err", err)
			s.fail(c, http.StatusServiceUnavailable, "the service could not be loaded: try again later")
			c.Abort()
			return
		}
		c.Set(keyRoot, root)
		c.Next()
	}
}

func rootOf(c *gin.Context) *Root { return c.MustGet(keyRoot).(*Root) }

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
	h.Set("Access-Control-Allow-Headers", "Content-Type, Accept, Accept-Language")
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

// failWork answers an error of the matching or the wiki: the client's
// mistake, the service's slowness or the wiki's.
func (s *Service) failWork(c *gin.Context, ctx context.Context, what string, err error) {
	var je *jobs.Error
	switch {
	case errors.As(err, &je) && (je.Code == jobs.EINVALID || je.Code == jobs.EFORBIDDEN):
		s.fail(c, http.StatusBadRequest, "%s", je.Message)
	case ctx.Err() != nil && c.Request.Context().Err() == nil:
		s.fail(c, http.StatusServiceUnavailable, "the query service took too long: send fewer queries at a time, or try again later")
	default:
		s.cfg.Logger.Warn("reconciliation service: "+what+" failed", "path", c.Request.URL.Path, "err", err)
		s.fail(c, http.StatusBadGateway, "the query service or the wiki did not answer (%v): try again later", err)
	}
}

// form reads a POST's form within the body limit; false when it has
// answered with an error.
func (s *Service) form(c *gin.Context) bool {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	if err := c.Request.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(c, http.StatusRequestEntityTooLarge, "the request is larger than %d bytes: send fewer queries at a time", s.cfg.MaxBodyBytes)
			return false
		}
		s.fail(c, http.StatusBadRequest, "the request's form could not be read: %v", err)
		return false
	}
	return true
}

// param is a request parameter, from the POST form before the URL.
func param(c *gin.Context, name string) string {
	if c.Request.PostForm != nil {
		if v := c.Request.PostForm.Get(name); v != "" {
			return v
		}
	}
	return c.Query(name)
}

// serve is the 0.2 root: the manifest, a reconciliation batch (queries)
// or a data extension (extend).
func (s *Service) serve(c *gin.Context) {
	if !s.form(c) {
		return
	}
	if raw := param(c, "extend"); strings.TrimSpace(raw) != "" {
		s.extend02(c, raw)
		return
	}
	raw := param(c, "queries")
	if strings.TrimSpace(raw) == "" {
		c.JSON(http.StatusOK, s.manifest(c))
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
	out, err := s.reconcile(ctx, rootOf(c), languages(c, rootOf(c), ""), batch)
	if err != nil {
		s.failWork(c, ctx, "batch", err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// base is the absolute URL of the root the request reached, without /v1,
// for the manifests' service URLs.
func base(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil || strings.EqualFold(c.Request.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	p := strings.TrimSuffix(c.Request.URL.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	return scheme + "://" + c.Request.Host + p
}

// Preview card size, in the manifests.
const (
	previewWidth  = 400
	previewHeight = 120
)

// Manifest is the 0.2 service manifest.
type Manifest struct {
	Versions        []string                  `json:"versions"`
	Name            string                    `json:"name"`
	IdentifierSpace string                    `json:"identifierSpace"`
	SchemaSpace     string                    `json:"schemaSpace"`
	ServiceVersion  string                    `json:"serviceVersion,omitempty"`
	View            map[string]any            `json:"view"`
	DefaultTypes    []typeRef                 `json:"defaultTypes"`
	Suggest         map[string]map[string]any `json:"suggest,omitempty"`
	Preview         map[string]any            `json:"preview,omitempty"`
	Extend          map[string]any            `json:"extend,omitempty"`
}

func (s *Service) manifest(c *gin.Context) Manifest {
	root := rootOf(c)
	wb := root.Template.Wikibase
	b := base(c)
	m := Manifest{Versions: []string{"0.2"}, Name: root.Name, IdentifierSpace: wb.EntityPrefix, SchemaSpace: wb.PropertyPrefix,
		ServiceVersion: s.cfg.Version, View: map[string]any{"url": wb.SiteURL + "{{id}}"}, DefaultTypes: defaultTypes(root)}
	m.Suggest = map[string]map[string]any{}
	for _, k := range []string{"entity", "property", "type"} {
		m.Suggest[k] = map[string]any{"service_url": b, "service_path": "/suggest/" + k}
	}
	if s.cfg.SPARQL != nil {
		m.Preview = map[string]any{"url": b + "/preview?id={{id}}", "width": previewWidth, "height": previewHeight}
		m.Extend = map[string]any{"propose_properties": map[string]any{"service_url": b, "service_path": "/propose_properties"},
			"property_settings": []map[string]any{{"type": "number", "default": 0, "label": "Limit", "name": "limit",
				"help_text": "At most this many values per item (0: all)"}}}
	}
	return m
}

// defaultTypes are the root template's types (none for /reconcile).
func defaultTypes(root *Root) []typeRef {
	out := []typeRef{}
	t := root.Template
	if t.Type != nil {
		out = append(out, typeRef{ID: t.Type.QID, Name: t.Type.QID})
	}
	for _, ty := range t.Types {
		out = append(out, typeRef{ID: ty.QID, Name: ty.QID})
	}
	return out
}

var langTag = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{1,8})*$`)

// languages are the languages a request is answered in: the one it asks
// for (the lang parameter, the query's own, or Accept-Language's first),
// then the root's.
func languages(c *gin.Context, root *Root, asked string) []string {
	var want []string
	for _, l := range []string{asked, param(c, "lang"), firstAcceptLanguage(c.GetHeader("Accept-Language"))} {
		l = strings.ToLower(strings.TrimSpace(l))
		if langTag.MatchString(l) {
			want = append(want, l)
			break
		}
	}
	for _, l := range root.Template.Languages {
		if len(want) == 0 || want[0] != l {
			want = append(want, l)
		}
	}
	return want
}

func firstAcceptLanguage(h string) string {
	first, _, _ := strings.Cut(h, ",")
	first, _, _ = strings.Cut(first, ";")
	if first == "*" {
		return ""
	}
	return first
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
