package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis is the queue's transport: a real server when an address is
// configured, otherwise an in-process miniredis for the embedded default.
type Redis struct {
	Client   redis.UniversalClient
	Embedded bool
	mini     *miniredis.Miniredis
	stop     chan struct{}
	ticking  chan struct{} // closed when the clock goroutine has stopped
}

// OpenRedis connects to addr, or starts an in-process Redis when addr is "".
// Options suit Toolforge's shared Redis: no CLIENT SETNAME (disabled there),
// idle connections dropped before the server's 600 s idle timeout, and
// reconnects left to go-redis.
func OpenRedis(ctx context.Context, addr string, db int, logger *slog.Logger) (*Redis, error) {
	r := &Redis{stop: make(chan struct{})}
	if addr == "" {
		mini := miniredis.NewMiniRedis()
		if err := mini.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start in-process Redis: %w", err)
		}
		r.mini, r.Embedded, addr = mini, true, mini.Addr()
		r.ticking = make(chan struct{})
		go r.tick(mini)
	}
	r.Client = redis.NewClient(&redis.Options{
		Addr:            addr,
		DB:              db,
		DisableIdentity: true,
		ConnMaxIdleTime: 4 * time.Minute,
		DialTimeout:     5 * time.Second,
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
	})
	if err := r.Client.Ping(ctx).Err(); err != nil {
		r.Close()
		return nil, fmt.Errorf("connect to Redis at %s: %w", addr, err)
	}
	if r.Embedded {
		logger.Info("using in-process Redis (embedded default)")
	}
	return r, nil
}

// tick advances miniredis's clock: it never expires keys by itself, and asynq
// relies on expiring keys (server heartbeats, locks). It works on its own
// copy of the server, so Close can never pull it away mid-tick.
func (r *Redis) tick(mini *miniredis.Miniredis) {
	defer close(r.ticking)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			mini.FastForward(time.Second)
		}
	}
}

// Ping checks Redis answers.
func (r *Redis) Ping(ctx context.Context) error { return r.Client.Ping(ctx).Err() }

// Close disconnects, and stops the in-process server if there is one.
func (r *Redis) Close() {
	if r.Client != nil {
		_ = r.Client.Close()
	}
	if r.mini != nil {
		close(r.stop)
		<-r.ticking // the clock stops before the server it advances
		r.mini.Close()
		r.mini = nil
	}
}
