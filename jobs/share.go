package jobs

import "time"

// ShareLink gives a partner read-only access to one job without an account.
// Only the SHA-256 of its token is stored; the token itself is shown once.
type ShareLink struct {
	ID        int64
	JobID     int64
	CreatedBy int64
	Label     string // who the link is for, as the owner wrote it
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: active
	LastUsed  time.Time
}

// Active says whether the link still opens the job at time now.
func (l ShareLink) Active(now time.Time) bool {
	return l.RevokedAt.IsZero() && (l.ExpiresAt.IsZero() || now.Before(l.ExpiresAt))
}
