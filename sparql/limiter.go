package sparql

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// WDQS's published limits, per User-Agent and IP: 60 s of query time per
// minute and a few queries at once; 429 with Retry-After past them, and a ban
// for clients that keep going. The defaults stay well inside both.
const (
	DefaultInFlight = 3
	DefaultBudget   = 40 * time.Second // endpoint time per Window
	DefaultWindow   = time.Minute
)

// Account keeps the endpoint time spent and the pauses asked for
// (Retry-After), by endpoint. The in-process MemoryAccount serves one
// process; an account kept in the database (jobs/store) is shared by every
// worker, so that two workers spend one budget between them instead of
// doubling the pace.
type Account interface {
	// Spend records d of endpoint time finished at at.
	Spend(ctx context.Context, endpoint string, at time.Time, d time.Duration) error
	// Spent is the endpoint time recorded since since.
	Spent(ctx context.Context, endpoint string, since time.Time) (time.Duration, error)
	// PauseUntil records that the endpoint asked for no request before until.
	PauseUntil(ctx context.Context, endpoint string, until time.Time) error
	// PausedUntil is the latest pause recorded (zero if none).
	PausedUntil(ctx context.Context, endpoint string) (time.Time, error)
}

// LimiterConfig tunes a Limiter; zero values take the defaults.
type LimiterConfig struct {
	InFlight int           // requests in flight per endpoint in this process; default 3
	Budget   time.Duration // endpoint time allowed per Window, all processes sharing Account together; default 40 s
	Window   time.Duration // default 1 min
	// Account is where spending is kept; default a MemoryAccount (this
	// process only). Give every worker the same shared account.
	Account Account
	// Refresh is how long a read of Account is trusted before it is read
	// again (spending of this process is added meanwhile); default 1 s.
	Refresh time.Duration
	Logger  *slog.Logger

	// Now and Sleep are the clock, replaceable by simulations and tests;
	// default the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Limiter paces the requests of every client to each endpoint: at most
// InFlight at once, and a running account of endpoint seconds per window
// that slows down before the budget (one request at a time past three
// quarters of it) and stops at it until the window has room again. A pause
// asked for by any answer (Retry-After) holds every request to that
// endpoint. Build one per process and hand it to every client (workers, the
// web side, the CLI).
type Limiter struct {
	cfg LimiterConfig
	mu  sync.Mutex
	eps map[string]*endpointPace
}

type endpointPace struct {
	sem      chan struct{}
	running  int
	total    time.Duration // spent by this process since start
	requests int64
	// shared is the account's total as last read at readAt; local is what
	// this process spent since that read.
	shared, local time.Duration
	readAt        time.Time
	pausedUntil   time.Time
	pauseReadAt   time.Time
}

// NewLimiter builds a limiter.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.InFlight <= 0 {
		cfg.InFlight = DefaultInFlight
	}
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Account == nil {
		cfg.Account = NewMemoryAccount()
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = Sleep
	}
	return &Limiter{cfg: cfg, eps: map[string]*endpointPace{}}
}

// Sleep waits for d or until ctx ends, whichever comes first, and says
// why it stopped: nil when d passed, ctx's error otherwise. A d of zero or
// less returns at once (ctx's error if it has ended). It is the one
// context-aware wait of the tool's clients and workers (SPARQL, the Action
// API, the write-back, uploads).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *Limiter) endpoint(ep string) *endpointPace {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.eps[ep]
	if !ok {
		p = &endpointPace{sem: make(chan struct{}, l.cfg.InFlight)}
		l.eps[ep] = p
	}
	return p
}

// Ticket is one admitted request; call Done when its answer has been read.
type Ticket struct {
	l     *Limiter
	ep    string
	p     *endpointPace
	start time.Time
	once  sync.Once
}

// Acquire waits until a request to endpoint may start: a free slot, no
// pause in force, and room in the budget. It fails at once when the wait
// would outlast ctx's deadline.
func (l *Limiter) Acquire(ctx context.Context, endpoint string) (*Ticket, error) {
	p := l.endpoint(endpoint)
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	admitted := false
	defer func() {
		if !admitted {
			<-p.sem
		}
	}()
	for {
		wait, why, err := l.check(ctx, endpoint, p)
		if err != nil {
			return nil, err
		}
		if wait <= 0 {
			break
		}
		if dl, ok := ctx.Deadline(); ok && l.cfg.Now().Add(wait).After(dl) {
			return nil, fmt.Errorf("SPARQL endpoint %s: %s (wait %s, longer than the time left: %w)", endpoint, why, wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		l.cfg.Logger.Debug("SPARQL request waits", "endpoint", endpoint, "reason", why, "wait", wait)
		if err := l.cfg.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	admitted = true
	return &Ticket{l: l, ep: endpoint, p: p, start: l.cfg.Now()}, nil
}

// check says how long to wait before starting, and why.
func (l *Limiter) check(ctx context.Context, endpoint string, p *endpointPace) (time.Duration, string, error) {
	now := l.cfg.Now()
	l.mu.Lock()
	stale := now.Sub(p.readAt) >= l.cfg.Refresh || p.readAt.IsZero()
	pauseStale := now.Sub(p.pauseReadAt) >= l.cfg.Refresh || p.pauseReadAt.IsZero()
	l.mu.Unlock()
	if stale {
		spent, err := l.cfg.Account.Spent(ctx, endpoint, now.Add(-l.cfg.Window))
		if err != nil {
			return 0, "", fmt.Errorf("read the endpoint time account: %w", err)
		}
		l.mu.Lock()
		p.shared, p.local, p.readAt = spent, 0, now
		l.mu.Unlock()
	}
	if pauseStale {
		until, err := l.cfg.Account.PausedUntil(ctx, endpoint)
		if err != nil {
			return 0, "", fmt.Errorf("read the endpoint's pause: %w", err)
		}
		l.mu.Lock()
		if until.After(p.pausedUntil) {
			p.pausedUntil = until
		}
		p.pauseReadAt = now
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.pausedUntil.After(now) {
		return p.pausedUntil.Sub(now), "the endpoint asked to wait (Retry-After)", nil
	}
	spent := p.shared + p.local
	step := max(l.cfg.Refresh, l.cfg.Window/60)
	switch {
	case spent >= l.cfg.Budget:
		return step, fmt.Sprintf("%s of endpoint time spent in the last %s, the budget is %s", spent.Round(time.Millisecond), l.cfg.Window, l.cfg.Budget), nil
	case spent >= l.cfg.Budget*3/4 && p.running > 0:
		// Near the budget: one request at a time.
		return step / 4, "near the endpoint time budget: one request at a time", nil
	}
	p.running++ // admitted under the same lock that checked
	return 0, "", nil
}

// Done records the request's endpoint time (from Acquire until now) and
// frees its slot; calling it again does nothing.
func (t *Ticket) Done(ctx context.Context) {
	t.once.Do(func() {
		now := t.l.cfg.Now()
		d := now.Sub(t.start)
		t.l.mu.Lock()
		t.p.running--
		t.p.total += d
		t.p.requests++
		t.p.local += d
		t.l.mu.Unlock()
		<-t.p.sem
		if err := t.l.cfg.Account.Spend(context.WithoutCancel(ctx), t.ep, now, d); err != nil {
			t.l.cfg.Logger.Warn("could not record endpoint time", "endpoint", t.ep, "err", err)
		}
	})
}

// Pause holds every request to endpoint for d (an answer's Retry-After, or
// the client's own backoff after a 429 that named none).
func (l *Limiter) Pause(ctx context.Context, endpoint string, d time.Duration) {
	if d <= 0 {
		return
	}
	until := l.cfg.Now().Add(d)
	p := l.endpoint(endpoint)
	l.mu.Lock()
	if until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	l.mu.Unlock()
	if err := l.cfg.Account.PauseUntil(context.WithoutCancel(ctx), endpoint, until); err != nil {
		l.cfg.Logger.Warn("could not record the endpoint's pause", "endpoint", endpoint, "err", err)
	}
	l.cfg.Logger.Warn("SPARQL endpoint paused", "endpoint", endpoint, "for", d)
}

// Pace is what the limiter knows of one endpoint.
type Pace struct {
	Endpoint    string
	Spent       time.Duration // endpoint time in the last Window, all sharers of the account
	Budget      time.Duration
	Window      time.Duration
	PausedUntil time.Time
	Running     int           // this process's requests in flight
	Total       time.Duration // this process's endpoint time since it started
	Requests    int64         // this process's requests since it started
}

// Pace reads the account for endpoint.
func (l *Limiter) Pace(ctx context.Context, endpoint string) (Pace, error) {
	now := l.cfg.Now()
	spent, err := l.cfg.Account.Spent(ctx, endpoint, now.Add(-l.cfg.Window))
	if err != nil {
		return Pace{}, err
	}
	until, err := l.cfg.Account.PausedUntil(ctx, endpoint)
	if err != nil {
		return Pace{}, err
	}
	out := Pace{Endpoint: endpoint, Spent: spent, Budget: l.cfg.Budget, Window: l.cfg.Window}
	if until.After(now) {
		out.PausedUntil = until
	}
	l.mu.Lock()
	if p, ok := l.eps[endpoint]; ok {
		out.Running, out.Total, out.Requests = p.running, p.total, p.requests
	}
	l.mu.Unlock()
	return out, nil
}

// MemoryAccount is an Account for one process.
type MemoryAccount struct {
	mu     sync.Mutex
	spends map[string][]spend
	pauses map[string]time.Time
}

type spend struct {
	at time.Time
	d  time.Duration
}

// keepSpends bounds how far back a MemoryAccount remembers.
const keepSpends = 10 * time.Minute

// NewMemoryAccount builds an empty in-process account.
func NewMemoryAccount() *MemoryAccount {
	return &MemoryAccount{spends: map[string][]spend{}, pauses: map[string]time.Time{}}
}

func (a *MemoryAccount) Spend(_ context.Context, endpoint string, at time.Time, d time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.spends[endpoint]
	cut := 0
	for cut < len(s) && at.Sub(s[cut].at) > keepSpends {
		cut++
	}
	a.spends[endpoint] = append(s[cut:], spend{at, d})
	return nil
}

func (a *MemoryAccount) Spent(_ context.Context, endpoint string, since time.Time) (time.Duration, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var total time.Duration
	for _, s := range a.spends[endpoint] {
		if s.at.After(since) {
			total += s.d
		}
	}
	return total, nil
}

func (a *MemoryAccount) PauseUntil(_ context.Context, endpoint string, until time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if until.After(a.pauses[endpoint]) {
		a.pauses[endpoint] = until
	}
	return nil
}

func (a *MemoryAccount) PausedUntil(_ context.Context, endpoint string) (time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pauses[endpoint], nil
}

// Meter counts the requests made, and the endpoint time spent, under a
// context (e.g. one batch of a job), whatever client or reader sent them.
type Meter struct {
	requests atomic.Int64
	spent    atomic.Int64
}

type meterKey struct{}

// WithMeter returns a context whose requests m counts, as well as any meter
// ctx already had.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, append(meters(ctx), m))
}

func meters(ctx context.Context) []*Meter {
	ms, _ := ctx.Value(meterKey{}).([]*Meter)
	return ms[:len(ms):len(ms)]
}

func (m *Meter) add(d time.Duration) {
	m.requests.Add(1)
	m.spent.Add(int64(d))
}

// Requests is how many HTTP requests were sent, retries included.
func (m *Meter) Requests() int64 { return m.requests.Load() }

// EndpointTime is the time those requests took.
func (m *Meter) EndpointTime() time.Duration { return time.Duration(m.spent.Load()) }
