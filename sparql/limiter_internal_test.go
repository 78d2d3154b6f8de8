package sparql

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is virtual time: sleeping advances it, so pacing over minutes
// is checked in microseconds and exactly.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func testLimiter(clock *fakeClock, acct Account, budget time.Duration) *Limiter {
	return NewLimiter(LimiterConfig{Budget: budget, Account: acct, InFlight: 3, Now: clock.now, Sleep: clock.sleep})
}

// simulate runs requests of cost each, alternating between the limiters
// (each standing for one worker process), and returns when each request
// started and what it cost.
func simulate(t *testing.T, clock *fakeClock, limiters []*Limiter, requests int, cost time.Duration) []spend {
	t.Helper()
	var log []spend
	for i := range requests {
		l := limiters[i%len(limiters)]
		tk, err := l.Acquire(context.Background(), "https://query.example/sparql")
		if err != nil {
			t.Fatal(err)
		}
		clock.advance(cost)
		tk.Done(context.Background())
		log = append(log, spend{at: clock.now(), d: cost})
	}
	return log
}

// maxInWindow is the most endpoint time finished within any window.
func maxInWindow(log []spend, window time.Duration) time.Duration {
	var worst time.Duration
	for i := range log {
		var sum time.Duration
		for j := i; j < len(log) && log[j].at.Sub(log[i].at) < window; j++ {
			sum += log[j].d
		}
		worst = max(worst, sum)
	}
	return worst
}

func TestLimiterKeepsTheBudgetPerWindow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	l := testLimiter(clock, NewMemoryAccount(), 30*time.Second)
	log := simulate(t, clock, []*Limiter{l}, 600, 700*time.Millisecond) // 420 s of work
	// The limiter starts a request while the window has room, so a window
	// holds at most the budget plus one request.
	if worst := maxInWindow(log, time.Minute); worst > 30*time.Second+700*time.Millisecond {
		t.Fatalf("%s of endpoint time in one minute, budget 30 s", worst)
	}
	elapsed := log[len(log)-1].at.Sub(log[0].at)
	// 420 s of work at 30 s a minute takes about 14 minutes; not much more.
	if elapsed < 13*time.Minute || elapsed > 15*time.Minute {
		t.Fatalf("420 s of work took %s at a budget of 30 s/min", elapsed)
	}
}

// Two workers sharing one account (as two processes share the database's)
// spend one budget between them: the pace does not double.
func TestTwoWorkersShareOneBudget(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	shared := NewMemoryAccount()
	a, b := testLimiter(clock, shared, 30*time.Second), testLimiter(clock, shared, 30*time.Second)
	log := simulate(t, clock, []*Limiter{a, b}, 600, 700*time.Millisecond)
	if worst := maxInWindow(log, time.Minute); worst > 30*time.Second+2*700*time.Millisecond {
		t.Fatalf("two workers spent %s in one minute, shared budget 30 s", worst)
	}
	if elapsed := log[len(log)-1].at.Sub(log[0].at); elapsed < 13*time.Minute {
		t.Fatalf("two workers finished 420 s of work in %s: they doubled the pace", elapsed)
	}

	// With an account each, the same two workers would double it: the
	// check above can fail.
	clock2 := &fakeClock{t: clock.t}
	c, d := testLimiter(clock2, NewMemoryAccount(), 30*time.Second), testLimiter(clock2, NewMemoryAccount(), 30*time.Second)
	log2 := simulate(t, clock2, []*Limiter{c, d}, 600, 700*time.Millisecond)
	if worst := maxInWindow(log2, time.Minute); worst < 50*time.Second {
		t.Fatalf("separate accounts spent only %s a minute; the shared-account test proves nothing", worst)
	}
}

func TestLimiterSlowsToOneAtATimeNearTheBudget(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	acct := NewMemoryAccount()
	l := testLimiter(clock, acct, 40*time.Second)
	ctx := context.Background()
	// 20 s spent: three may run at once.
	_ = acct.Spend(ctx, "e", clock.now(), 20*time.Second)
	var held []*Ticket
	for range 3 {
		tk, err := l.Acquire(ctx, "e")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tk)
	}
	if clock.now() != (time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatal("requests waited below three quarters of the budget")
	}
	for _, tk := range held {
		tk.Done(ctx)
	}
	// 31 s spent (past 30 of 40): the second request waits for the first.
	_ = acct.Spend(ctx, "e", clock.now(), 11*time.Second)
	clock.advance(2 * time.Second) // past the account's refresh
	first, err := l.Acquire(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	p := l.endpoint("e")
	if wait, why, err := l.check(ctx, "e", p); err != nil || wait <= 0 {
		t.Fatalf("a second request near the budget may start at once (%s, %q, %v)", wait, why, err)
	}
	first.Done(ctx)
	if wait, why, err := l.check(ctx, "e", p); err != nil || wait != 0 {
		t.Fatalf("alone near the budget, a request waits %s (%q, %v)", wait, why, err)
	}
	// At the budget, even a lone request waits.
	_ = acct.Spend(ctx, "e", clock.now(), 10*time.Second)
	clock.advance(2 * time.Second)
	l.mu.Lock()
	p.running = 0
	l.mu.Unlock()
	if wait, _, err := l.check(ctx, "e", p); err != nil || wait <= 0 {
		t.Fatalf("at the budget a request starts (%s, %v)", wait, err)
	}
}

func TestPauseHoldsEveryRequestAndFailsFastPastTheDeadline(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	shared := NewMemoryAccount()
	a, b := testLimiter(clock, shared, 40*time.Second), testLimiter(clock, shared, 40*time.Second)
	ctx := context.Background()
	start := clock.now()
	a.Pause(ctx, "e", 30*time.Second)
	// b (another worker) learns of the pause through the account.
	tk, err := b.Acquire(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	tk.Done(ctx)
	if waited := clock.now().Sub(start); waited < 30*time.Second {
		t.Fatalf("a request started %s into a 30 s pause", waited)
	}
	a.Pause(ctx, "e", time.Minute)
	dctx, cancel := context.WithDeadline(ctx, clock.now().Add(10*time.Second))
	defer cancel()
	if _, err := a.Acquire(dctx, "e"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait past the deadline: %v", err)
	}
	p, err := b.Pace(ctx, "e")
	if err != nil || !p.PausedUntil.After(clock.now()) || p.Requests != 1 {
		t.Fatalf("pace: %+v, %v", p, err)
	}
}
