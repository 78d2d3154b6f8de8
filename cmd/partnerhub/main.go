// Command partnerhub runs Partnerhub: the web tool and its background
// workers, together (serve, the default) or apart (web, worker, as on
// Toolforge), and its maintenance commands (migrate). It only wires the
// packages together; the logic lives in them.
package main

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/match"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
	"partnerhub/jobs/tasks"
	"partnerhub/jobs/vault"
	"partnerhub/sparql"
	"partnerhub/toolforge"
	"partnerhub/web"
	"partnerhub/wikidata/wdqs"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the web server and the workers in one process (the default)", runServe},
		{"web", "run only the web server (workers run elsewhere; needs PARTNERHUB_REDIS_ADDR)", runWeb},
		{"worker", "run only the background workers (needs PARTNERHUB_REDIS_ADDR)", runWorker},
		{"migrate", "apply database migrations and exit", runMigrate},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "partnerhub:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		usage(stdout)
		return nil
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(ctx, args, stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil // "partnerhub reconcile --help" printed what was asked: success
			}
			return err
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Partnerhub %s: match partner datasets to Wikidata, review, and write back.\n\nUsage: partnerhub [command] [flags]\n\nCommands:\n", version)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'partnerhub COMMAND --help' for a command's flags.\n\nEnvironment:\n")
	for _, e := range env {
		def := e.def
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(w, "  %-30s %s [default %s]\n", e.name, e.help, def)
	}
}

// flags parses a command's flags; every command takes --help.
func flags(name, summary string, args []string, stderr io.Writer, define func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: partnerhub %s [flags]\n\n%s.\nConfiguration comes from the environment; see 'partnerhub help'.\n", name, summary)
		fs.PrintDefaults()
	}
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	return nil
}

// app holds what the commands share, built once from the configuration.
type app struct {
	cfg      config
	logger   *slog.Logger
	store    *store.Store
	redis    *tasks.Redis
	queue    *tasks.Queue
	importer *dataset.Importer
	key      []byte
	// limiter paces every SPARQL query of this process (workers and web),
	// its account kept in the database so that all processes share it.
	limiter *sparql.Limiter
	// readers are the process's one client and one item reader (and
	// cache) per query service, paced by limiter: the worker's matcher,
	// edit plans, exports and the web side all read through them.
	readers *wdqs.Readers
	matcher *match.Matcher // the workers', the endpoint checks' and the reconciliation service's
	eps     *endpoints     // the web side's, edit plans' and exports'
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// configure reads the configuration (with Toolforge's defaults filled in)
// and checks it for the processes about to run, before anything starts.
func configure(withWeb, withWorker bool) (config, error) {
	if err := applyToolforgeDefaults(); err != nil {
		return config{}, err
	}
	cfg, err := loadConfig()
	if err != nil {
		return config{}, err
	}
	return cfg, cfg.check(withWeb, withWorker)
}

// open connects the store (migrating it) and, when withQueue, Redis.
func open(ctx context.Context, cfg config, stderr io.Writer, withQueue bool) (*app, error) {
	var err error
	a := &app{cfg: cfg, logger: newLogger(cfg, stderr)}
	a.store, err = store.Open(ctx, cfg.DBDSN, cfg.DataDir, a.logger)
	if err != nil {
		return nil, err
	}
	if err := a.store.Migrate(ctx); err != nil {
		a.close()
		return nil, err
	}
	if a.key, err = loadKey(cfg); err != nil {
		a.close()
		return nil, err
	}
	if withQueue {
		if a.redis, err = tasks.OpenRedis(ctx, cfg.RedisAddr, cfg.RedisDB, a.logger); err != nil {
			a.close()
			return nil, err
		}
		a.queue = tasks.NewQueue(a.redis.Client, cfg.Queue)
	}
	a.limiter = sparql.NewLimiter(sparql.LimiterConfig{InFlight: cfg.SPARQLInFlight, Budget: cfg.SPARQLBudget,
		Account: a.store.EndpointAccount(), Logger: a.logger})
	a.readers = wdqs.NewReaders(wdqs.ReadersConfig{UserAgent: cfg.UserAgent, Limiter: a.limiter, Logger: a.logger, Reader: match.ReaderConfig()})
	a.matcher = match.NewMatcher(matcherConfig(cfg.UserAgent, a.readers, cfg.SPARQLEndpoints, cfg.WikiAPIs, a.logger))
	a.eps = &endpoints{userAgent: cfg.UserAgent, allowed: cfg.SPARQLEndpoints, wikiAPIs: cfg.WikiAPIs, readers: a.readers}
	a.importer = dataset.NewImporter(a.store, dataset.Limits{MaxBytes: cfg.MaxUploadBytes, MaxRows: cfg.MaxRows}, a.logger)
	return a, nil
}

func (a *app) close() {
	if a.redis != nil {
		a.redis.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
}

// subkey derives an independent key for one purpose from the master secret.
func subkey(master []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, master, nil, "partnerhub "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths hkdf cannot produce
	}
	return k
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := flags("migrate", "Apply database migrations and exit", args, stderr, nil); err != nil {
		return err
	}
	cfg, err := configure(false, false)
	if err != nil {
		return err
	}
	a, err := open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(stdout, "database (%s) is up to date\n", a.store.Dialect())
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := flags("serve", "Run the web server and the workers in one process", args, stderr, nil); err != nil {
		return err
	}
	return serve(ctx, stderr, true, true)
}

func runWeb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := flags("web", "Run only the web server", args, stderr, nil); err != nil {
		return err
	}
	return serve(ctx, stderr, true, false)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := flags("worker", "Run only the background workers", args, stderr, nil); err != nil {
		return err
	}
	return serve(ctx, stderr, false, true)
}

// serve runs the web server, the workers or both. Everything that can refuse
// (configuration, database, Redis, the web side's set-up) is done before the
// first of them starts, so a refusal never leaves a half-started worker.
func serve(ctx context.Context, stderr io.Writer, withWeb, withWorker bool) error {
	cfg, err := configure(withWeb, withWorker)
	if err != nil {
		return err
	}
	a, err := open(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer a.close()
	var h http.Handler
	if withWeb {
		if h, err = a.webHandler(ctx); err != nil {
			return err
		}
	}
	var w *tasks.Worker
	if withWorker {
		plans, err := a.planService()
		if err != nil {
			return err
		}
		uploader, err := a.mediaUploader()
		if err != nil {
			return err
		}
		mediaPlans, err := a.mediaBuilder()
		if err != nil {
			return err
		}
		w = tasks.NewWorker(a.redis.Client, tasks.WorkerConfig{
			Queue: a.cfg.Queue, Concurrency: a.cfg.Concurrency, ShutdownTimeout: a.cfg.ShutdownTimeout,
		}, tasks.Deps{Store: a.store, Queue: a.queue, Importer: a.importer,
			Matcher: a.matcher,
			Builder: plans, Writer: plans, TemplateCheck: func(raw []byte, cols []string) ([]byte, error) {
				return plan.CheckTemplate(raw, cols, match.CheckTemplate)
			}, MediaUploader: uploader, Undoer: a.undoService(plans),
			MediaBuilder: mediaPlans, Archives: a.archiveCleaner()}, a.logger)
	}
	g, ctx := errgroup.WithContext(ctx)
	if w != nil {
		g.Go(func() error { return w.Run(ctx) })
	}
	if h != nil {
		g.Go(func() error { return a.listen(ctx, h) })
		g.Go(func() error { a.expireSessions(ctx); return nil })
	}
	return g.Wait()
}

func (a *app) webHandler(ctx context.Context) (http.Handler, error) {
	tokens, err := vault.New(subkey(a.key, "oauth tokens"))
	if err != nil {
		return nil, err
	}
	auth, err := a.authenticator(ctx, tokens)
	if err != nil {
		return nil, err
	}
	var login web.WikiLogin
	if a.cfg.OwnerToken == "" {
		if login, err = a.wikiLogin(); err != nil {
			return nil, err
		}
	}
	// Before a reconciliation starts, its query service and wiki are asked
	// once, with the workers' clients and limits.
	runner := tasks.NewRunner(a.store, a.queue, 0, a.logger).
		CheckEndpointsWith(a.matcher.CheckEndpoints)
	reconcile, err := a.reconcileService()
	if err != nil {
		return nil, err
	}
	srv, err := web.New(web.Config{
		Version:         version,
		DataDir:         a.cfg.DataDir,
		MaxUploadBytes:  a.cfg.MaxUploadBytes,
		SecureCookies:   a.cfg.SecureCookies,
		TrustedProxies:  a.cfg.TrustedProxies,
		CSRFKey:         subkey(a.key, "csrf"),
		LoginOrigin:     loginOrigin(a.cfg),
		EditGroupsTool:  a.cfg.EditGroupsTool,
		MaxArchiveBytes: a.cfg.MediaArchiveBytes,
		Zip:             a.zipLimits(),
		CommonsChecks:   true,
	}, web.Deps{
		Store:         a.store,
		Queue:         a.queue,
		Runner:        runner,
		Plans:         runner,
		Undos:         runner,
		Media:         runner,
		TemplateCheck: match.CheckTemplate,
		ItemCheck:     a.eps.itemCheck,
		Suggesters:    (&suggesters{a: a, eps: a.eps}).forJob,
		ItemFacts:     a.eps.itemFacts,
		EndpointPace:  a.eps.pace,
		Redis:         a.redis,
		Auth:          auth,
		Login:         login,
		Sealer:        tokens,
		Reconcile:     reconcile,
		Logger:        a.logger,
	})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// authenticator picks how users are identified. Without an OAuth consumer the
// tool serves one local user, which is only safe on a loopback address.
func (a *app) authenticator(ctx context.Context, tokens *vault.Vault) (web.Authenticator, error) {
	if err := a.cfg.checkListen(); err != nil {
		return nil, err // checked before start-up too; this keeps every caller safe
	}
	if a.cfg.OwnerToken != "" {
		return a.ownerOnly(ctx, tokens)
	}
	if a.cfg.OAuthKey != "" {
		return web.SessionAuth{Store: a.store}, nil
	}
	u, err := a.store.UpsertUser(ctx, &jobs.User{Username: a.cfg.LocalUser})
	if err != nil {
		return nil, fmt.Errorf("create the local user: %w", err)
	}
	return web.LocalAuth{User: u}, nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listen serves until ctx ends, then lets requests in flight finish.
func (a *app) listen(ctx context.Context, h http.Handler) error {
	srv := &http.Server{
		Addr:              a.cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.logger.Info("web server listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/", "version", version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("web server stopping")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

// expireSessions deletes expired sessions every hour until ctx ends.
func (a *app) expireSessions(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("delete expired sessions", "err", err)
		} else if n > 0 {
			a.logger.Info("deleted expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// applyToolforgeDefaults fills, on Toolforge, the variables the operator
// left unset (ToolsDB DSN, shared Redis, queue name, ...).
func applyToolforgeDefaults() error {
	d, err := toolforge.Defaults(os.Getenv, os.ReadFile)
	if err != nil {
		return fmt.Errorf("Toolforge: %w", err)
	}
	for k, v := range d {
		if os.Getenv(k) == "" {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// loginOrigin is where the login form sends the browser: the wiki of the
// OAuth consumer (or its index.php's host), if login is configured.
func loginOrigin(cfg config) string {
	if cfg.OAuthKey == "" || cfg.OwnerToken != "" {
		return ""
	}
	if cfg.OAuthIndexURL != "" {
		return cfg.OAuthIndexURL
	}
	return cfg.OAuthWiki
}
