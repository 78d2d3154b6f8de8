package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
	"partnerhub/sparql"
)

type virtualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *virtualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// Two worker processes, each with its own limiter and its own handle on the
// database's account, spend one budget between them.
func TestTwoWorkersShareTheDatabaseAccount(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := &virtualClock{t: time.Now().Truncate(time.Hour)}
		const budget, cost = 20 * time.Second, 900 * time.Millisecond
		var workers []*sparql.Limiter
		for range 2 {
			workers = append(workers, sparql.NewLimiter(sparql.LimiterConfig{Budget: budget, Account: st.EndpointAccount(), Now: clock.Now, Sleep: clock.Sleep}))
		}
		const ep = "https://query.example/sparql"
		var finished []time.Time
		for i := range 120 { // 108 s of work: over five minutes at 20 s a minute
			tk, err := workers[i%2].Acquire(ctx, ep)
			if err != nil {
				t.Fatal(err)
			}
			_ = clock.Sleep(ctx, cost)
			tk.Done(ctx)
			finished = append(finished, clock.Now())
		}
		for i := range finished {
			var n int
			for j := i; j < len(finished) && finished[j].Sub(finished[i]) < time.Minute; j++ {
				n++
			}
			if spent := time.Duration(n) * cost; spent > budget+2*cost {
				t.Fatalf("two workers spent %s within a minute from request %d; the shared budget is %s", spent, i, budget)
			}
		}
		if took := finished[len(finished)-1].Sub(finished[0]); took < 4*time.Minute {
			t.Fatalf("108 s of work done in %s at a shared 20 s a minute", took)
		}
		// The account also carries a pause from one worker to the other.
		acct := st.EndpointAccount()
		until := clock.Now().Add(30 * time.Second).Truncate(time.Millisecond)
		if err := acct.PauseUntil(ctx, ep, until); err != nil {
			t.Fatal(err)
		}
		if err := acct.PauseUntil(ctx, ep, until.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, err := st.EndpointAccount().PausedUntil(ctx, ep); err != nil || !got.Equal(until) {
			t.Fatalf("paused until %s (%v), want %s: an earlier pause must not shorten a later one", got, err, until)
		}
		if got, err := acct.PausedUntil(ctx, "https://other.example/sparql"); err != nil || !got.IsZero() {
			t.Fatalf("another endpoint is paused: %s %v", got, err)
		}
	})
}

// Each attempt's endpoint time adds up into the job's progress.
func TestBatchEndpointTimeAddsUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
		j, _ := reconciledJob(t, st, u, 10)
		for _, d := range []time.Duration{1500 * time.Millisecond, 250 * time.Millisecond, 0} {
			if err := st.AddBatchEndpointTime(ctx, j.ID, 1, d); err != nil {
				t.Fatal(err)
			}
		}
		p, err := st.JobProgress(ctx, j.ID)
		if err != nil || p.EndpointMS != 1750 {
			t.Fatalf("endpoint time %d ms (%v), want 1750", p.EndpointMS, err)
		}
	})
}
