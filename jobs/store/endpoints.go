package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// EndpointAccount keeps the query services' running account of endpoint
// time in the database, so that every worker process, the web side and a
// CLI pointed at the same database spend one budget (a sparql.Account).
// WDQS's limit is per User-Agent and IP: two workers counting apart would
// double the pace the service sees.
type EndpointAccount struct {
	s         *Store
	mu        sync.Mutex
	lastPrune time.Time
}

// endpointSlot is the account's granularity: a window's total counts whole
// slots, so it errs on the side of spending less.
const (
	endpointSlot = 5 * time.Second
	endpointKeep = 10 * time.Minute
)

// EndpointAccount returns the store's account of endpoint time.
func (s *Store) EndpointAccount() *EndpointAccount { return &EndpointAccount{s: s} }

func endpointKey(endpoint string) string {
	sum := sha256.Sum256([]byte(endpoint))
	return hex.EncodeToString(sum[:])
}

func slotOf(t time.Time) int64 { return t.UnixMilli() / endpointSlot.Milliseconds() }

// Spend adds d of endpoint time finished at at.
func (a *EndpointAccount) Spend(ctx context.Context, endpoint string, at time.Time, d time.Duration) error {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	_, err := a.s.db.ExecContext(ctx, `INSERT INTO endpoint_time (endpoint_key, slot, spent_ms) VALUES (?, ?, ?)`+
		a.s.d.upsertAdd([]string{"endpoint_key", "slot"}, "spent_ms"), endpointKey(endpoint), slotOf(at), ms)
	if err != nil {
		return fmt.Errorf("record endpoint time: %w", err)
	}
	a.mu.Lock()
	prune := at.Sub(a.lastPrune) > time.Minute
	if prune {
		a.lastPrune = at
	}
	a.mu.Unlock()
	if prune {
		if _, err := a.s.db.ExecContext(ctx, `DELETE FROM endpoint_time WHERE slot < ?`, slotOf(at.Add(-endpointKeep))); err != nil {
			return fmt.Errorf("prune endpoint time: %w", err)
		}
	}
	return nil
}

// Spent is the endpoint time recorded in the slots from since's on.
func (a *EndpointAccount) Spent(ctx context.Context, endpoint string, since time.Time) (time.Duration, error) {
	var ms sql.NullInt64
	err := a.s.db.QueryRowContext(ctx, `SELECT SUM(spent_ms) FROM endpoint_time WHERE endpoint_key = ? AND slot >= ?`,
		endpointKey(endpoint), slotOf(since)).Scan(&ms)
	if err != nil {
		return 0, fmt.Errorf("read endpoint time: %w", err)
	}
	return time.Duration(ms.Int64) * time.Millisecond, nil
}

// PauseUntil records a pause; an earlier one never replaces a later one.
func (a *EndpointAccount) PauseUntil(ctx context.Context, endpoint string, until time.Time) error {
	_, err := a.s.db.ExecContext(ctx, `INSERT INTO endpoint_pauses (endpoint_key, until_ms) VALUES (?, ?)`+
		a.s.d.upsertMax([]string{"endpoint_key"}, "until_ms"), endpointKey(endpoint), until.UnixMilli())
	if err != nil {
		return fmt.Errorf("record the endpoint's pause: %w", err)
	}
	return nil
}

// PausedUntil is the latest pause recorded, zero if none.
func (a *EndpointAccount) PausedUntil(ctx context.Context, endpoint string) (time.Time, error) {
	var ms int64
	err := a.s.db.QueryRowContext(ctx, `SELECT until_ms FROM endpoint_pauses WHERE endpoint_key = ?`, endpointKey(endpoint)).Scan(&ms)
	if err == sql.ErrNoRows {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the endpoint's pause: %w", err)
	}
	return time.UnixMilli(ms), nil
}
