// Package web is Partnerhub's HTTP side: the Gin router, its middleware
// (logging, CSRF, who the user is, access to jobs), and handlers that turn
// requests into calls on the store and the queue and render html/template
// pages. Pages are plain server-rendered HTML that work without JavaScript;
// static/app.js only makes them quicker to use.
package web

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"partnerhub/web/reconapi"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/export"
	"partnerhub/jobs/media"
	"partnerhub/jobs/store"
)

//go:embed static
var staticFS embed.FS

// Config is what the web side needs to know about its deployment.
type Config struct {
	Version        string
	DataDir        string // uploads are stored under DataDir/uploads
	MaxUploadBytes int64
	SecureCookies  bool     // set cookies Secure (served over HTTPS, e.g. behind Toolforge's proxy)
	TrustedProxies []string // addresses whose X-Forwarded-* headers are believed; nil trusts none
	CSRFKey        []byte   // 32 bytes
	// LoginOrigin is the wiki's origin (scheme://host) that the login form
	// redirects to; the Content-Security-Policy allows form submissions to
	// end there.
	LoginOrigin string
	// EditGroupsTool is the tool code of EditGroups batch links (default "CB").
	EditGroupsTool string
	// MaxArchiveBytes is the largest ZIP of media files one upload may be
	// (0: 2 GiB); Zip bounds what the archive holds.
	MaxArchiveBytes int64
	Zip             media.ZipLimits
	// CommonsChecks says media plans ask Commons whether titles are taken
	// and files are there already (the plan page says so when they do not).
	CommonsChecks bool
}

// Queue is the part of the task queue the web side uses.
type Queue interface {
	EnqueueImport(ctx context.Context, datasetID int64) error
}

// Pinger reports whether a dependency answers (for /healthz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Authenticator says who is making a request. The local one answers with
// the single local user; the OAuth one reads the session.
type Authenticator interface {
	// CurrentUser returns the user, or nil when nobody is signed in.
	CurrentUser(c *gin.Context) (*jobs.User, error)
	// LocalMode is true when the tool runs for one local user without OAuth.
	LocalMode() bool
}

// Deps are the services the web side calls.
type Deps struct {
	Store         *store.Store
	Queue         Queue
	Runner        Runner
	Redis         Pinger
	Auth          Authenticator
	TemplateCheck TemplateCheck // nil: only JSON syntax is checked
	ItemCheck     ItemCheck     // nil: typed QIDs are checked for form only
	Plans         PlanRunner
	Undos         UndoRunner                                    // nil: write-backs cannot be undone here
	Media         MediaRunner                                   // nil: the media pages say media uploads are off
	Suggesters    Suggesters                                    // nil: the mapping page suggests nothing and searches nothing
	ItemFacts     func(job *jobs.Job) (export.ItemFacts, error) // nil: exports carry no wiki columns
	// EndpointPace says how much of the job's query-service budget is
	// being spent now, by every process; nil: the job page does not say.
	EndpointPace func(ctx context.Context, job *jobs.Job) (jobs.EndpointPace, error)
	Login        WikiLogin   // nil in local mode
	Sealer       TokenSealer // required with Login
	// Reconcile, if set, is the W3C reconciliation service served at
	// /reconcile and /templates/{id}/reconcile: anonymous, outside the
	// session and CSRF middleware.
	Reconcile *reconapi.Service
	Logger    *slog.Logger
}

// Server holds the web side's dependencies.
type Server struct {
	cfg           Config
	store         *store.Store
	queue         Queue
	runner        Runner
	redis         Pinger
	auth          Authenticator
	templateCheck TemplateCheck
	itemCheck     ItemCheck
	plans         PlanRunner
	undos         UndoRunner
	media         MediaRunner
	archives      *media.ArchiveCleaner // deletes uploaded archives no plan needs (the worker also deletes abandoned ones)
	suggesters    Suggesters
	itemFacts     func(job *jobs.Job) (export.ItemFacts, error)
	endpointPace  func(ctx context.Context, job *jobs.Job) (jobs.EndpointPace, error)
	login         WikiLogin
	sealer        TokenSealer
	reconcile     *reconapi.Service
	logger        *slog.Logger
	pages         *renderer
	static        fs.FS
	proxies       []netip.Prefix
	formOrigins   string // extra form-action sources of the CSP
}

// New builds the server; Handler returns its router.
func New(cfg Config, d Deps) (*Server, error) {
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	if cfg.EditGroupsTool == "" {
		cfg.EditGroupsTool = "CB"
	}
	pages, err := newRenderer(static, cfg.Version, cfg.EditGroupsTool)
	if err != nil {
		return nil, err
	}
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	if d.Login != nil && d.Sealer == nil {
		return nil, fmt.Errorf("web: a WikiLogin needs a TokenSealer")
	}
	formOrigins := ""
	if o := cfg.LoginOrigin; o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || strings.ContainsAny(o, " ;'") {
			return nil, fmt.Errorf("web: login origin %q is not a URL", o)
		}
		formOrigins = " " + u.Scheme + "://" + u.Host
	}
	return &Server{formOrigins: formOrigins, cfg: cfg, store: d.Store, queue: d.Queue, runner: d.Runner, redis: d.Redis, auth: d.Auth, templateCheck: d.TemplateCheck, itemCheck: d.ItemCheck, login: d.Login, sealer: d.Sealer, plans: d.Plans, undos: d.Undos, media: d.Media, suggesters: d.Suggesters, itemFacts: d.ItemFacts, endpointPace: d.EndpointPace, reconcile: d.Reconcile,
		logger: logger, pages: pages, static: static, proxies: proxies, archives: &media.ArchiveCleaner{Store: d.Store, DataDir: cfg.DataDir, Logger: logger}}, nil
}

// Handler builds the router.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	_ = r.SetTrustedProxies(s.cfg.TrustedProxies)
	r.Use(s.logRequests, s.recover, s.securityHeaders)

	r.GET("/healthz", s.health)
	r.GET("/static/*path", s.serveStatic())
	r.HEAD("/static/*path", s.serveStatic())
	r.GET("/favicon.ico", s.favicon)
	r.HEAD("/favicon.ico", s.favicon)
	// The reconciliation service changes no state and serves any origin:
	// no session, no login and no CSRF token, on these routes only.
	if s.reconcile != nil {
		s.reconcile.Routes(r, "/reconcile")
		s.reconcile.TemplateRoutes(r, "/templates/:tid/reconcile", s.templateReconcileRoot)
	}
	// Unknown addresses get a proper 404 page, with the header saying who is
	// signed in like every other page.
	r.NoRoute(s.csrfForPages(), s.identify, func(c *gin.Context) {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no page at this address."))
	})
	r.NoMethod(s.csrfForPages(), s.identify, func(c *gin.Context) {
		s.render(c, http.StatusMethodNotAllowed, "error.html", page{Data: gin.H{"Title": "Not possible here",
			"Message": "This address does not take " + c.Request.Method + " requests."}})
	})

	app := r.Group("/", s.csrf(), s.identify)
	app.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/jobs") })
	app.GET("/login", s.loginPage)
	app.POST("/login", s.startLogin)
	app.GET("/oauth/callback", s.oauthCallback)
	app.POST("/logout", s.logout)
	app.GET("/me", s.requireUser, s.mePage)
	app.POST("/me/revoke", s.requireUser, s.revokeTokens)
	app.GET("/me/writebacks", s.requireUser, s.myWriteBacks)
	app.GET("/jobs", s.requireUser, s.listJobs)
	app.GET("/jobs/new", s.requireUser, s.newJobForm)
	app.POST("/jobs", s.requireUser, s.createJob)

	job := app.Group("/jobs/:id", s.requireUser, s.loadJob)
	job.GET("", s.showJob)
	job.GET("/status.json", s.jobStatus)
	job.POST("/delete", s.requireJobOwner, s.deleteJob)
	job.POST("/dataset", s.uploadDataset)
	job.GET("/dataset", s.previewDataset)
	job.GET("/mapping", s.mappingPage)
	job.POST("/mapping", s.saveMapping)
	job.POST("/reconcile/:action", s.reconcileAction)
	job.GET("/review", s.reviewPage)
	job.GET("/review/bulk", s.bulkPage)
	job.POST("/review/bulk", s.bulkAccept)
	job.POST("/review/bulk/:bulk/undo", s.undoBulk)
	job.POST("/review/row/:row", s.decide)
	job.GET("/export.csv", s.exportDecisions)
	job.GET("/plan", s.planPage)
	job.POST("/plan", s.buildPlan)
	job.POST("/plan/approve", s.approvePlan)
	job.POST("/plan/write/:action", s.writeAction)
	job.GET("/plan.qs.txt", s.planQuickStatements)
	job.GET("/plan/names", s.itemNamesPage)
	job.POST("/plan/names", s.decideItemName)
	s.undoRoutes(job)
	job.GET("/media", s.mediaPage)
	job.POST("/media", s.buildMediaPlan)
	job.POST("/media/approve", s.approveMediaPlan)
	job.POST("/media/upload/:action", s.mediaUploadAction)
	job.POST("/media/files/:no/decide", s.decideMediaFile)
	job.POST("/media/warnings", s.decideMediaWarnings)
	job.POST("/media/settings", s.saveMediaSettings)
	s.collabRoutes(app, job)
	return r
}

// parseProxies reads addresses or CIDR ranges of trusted proxies.
func parseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR range", p)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
