package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"partnerhub/jobs"
)

// shareTokenBytes is the entropy of a share token: 256 bits, beyond guessing.
const shareTokenBytes = 32

// hashShareToken is what the database keeps of a token.
func hashShareToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateShareLink makes a read-only link to a job for a partner. It returns
// the token, which exists nowhere else afterwards: only its hash is stored.
func (s *Store) CreateShareLink(ctx context.Context, jobID, userID int64, label string, expiresAt time.Time) (string, *jobs.ShareLink, error) {
	label = strings.TrimSpace(label)
	if len([]rune(label)) > 200 {
		return "", nil, jobs.Errorf(jobs.EINVALID, "The label is longer than 200 characters.")
	}
	if !expiresAt.IsZero() && !expiresAt.After(s.nowFunc()) {
		return "", nil, jobs.Errorf(jobs.EINVALID, "The expiry date must lie in the future.")
	}
	var b [shareTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("make share token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	var exp int64
	if !expiresAt.IsZero() {
		exp = expiresAt.UnixMilli()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO share_links (job_id, token_hash, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		jobID, hashShareToken(token), label, userID, s.now(), exp)
	if err != nil {
		return "", nil, fmt.Errorf("create share link: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return "", nil, err
	}
	l, err := s.shareLink(ctx, `WHERE id = ?`, id)
	return token, l, err
}

const shareCols = `id, job_id, created_by, label, created_at, expires_at, revoked_at, last_used_at`

func (s *Store) shareLink(ctx context.Context, where string, args ...any) (*jobs.ShareLink, error) {
	var (
		l                          jobs.ShareLink
		created, exp, rev, lastUse int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT `+shareCols+` FROM share_links `+where, args...).
		Scan(&l.ID, &l.JobID, &l.CreatedBy, &l.Label, &created, &exp, &rev, &lastUse)
	if err != nil {
		return nil, notFound(err, "The share link")
	}
	l.CreatedAt, l.ExpiresAt, l.RevokedAt, l.LastUsed = msToTime(created), msToTime(exp), msToTime(rev), msToTime(lastUse)
	return &l, nil
}

// ShareLinks lists a job's links, newest first.
func (s *Store) ShareLinks(ctx context.Context, jobID int64) ([]jobs.ShareLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE job_id = ? ORDER BY id DESC`, jobID)
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	defer rows.Close()
	var out []jobs.ShareLink
	for rows.Next() {
		var (
			l                          jobs.ShareLink
			created, exp, rev, lastUse int64
		)
		if err := rows.Scan(&l.ID, &l.JobID, &l.CreatedBy, &l.Label, &created, &exp, &rev, &lastUse); err != nil {
			return nil, err
		}
		l.CreatedAt, l.ExpiresAt, l.RevokedAt, l.LastUsed = msToTime(created), msToTime(exp), msToTime(rev), msToTime(lastUse)
		out = append(out, l)
	}
	return out, rows.Err()
}

// RevokeShareLink stops a link of the job from working, at once and for good.
func (s *Store) RevokeShareLink(ctx context.Context, jobID, linkID int64) error {
	return s.execOne(ctx, "The share link", `UPDATE share_links SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ? AND job_id = ?`,
		s.now(), linkID, jobID)
}

// JobForShareToken returns the job a token opens. Unknown, revoked and
// expired tokens all give the same ENOTFOUND, so a token's state reveals
// nothing.
func (s *Store) JobForShareToken(ctx context.Context, token string) (*jobs.Job, *jobs.ShareLink, error) {
	gone := jobs.Errorf(jobs.ENOTFOUND, "This link does not work (any more). Ask the person who shared it for a new one.")
	if token == "" || len(token) > 100 {
		return nil, nil, gone
	}
	l, err := s.shareLink(ctx, `WHERE token_hash = ?`, hashShareToken(token))
	if err != nil {
		if jobs.ErrorCode(err) == jobs.ENOTFOUND {
			return nil, nil, gone
		}
		return nil, nil, err
	}
	if !l.Active(s.nowFunc()) {
		return nil, nil, gone
	}
	j, err := s.Job(ctx, l.JobID)
	if err != nil {
		return nil, nil, err
	}
	// Last use is for the owner's list; a failure to note it must not lock the partner out.
	if _, err := s.db.ExecContext(ctx, `UPDATE share_links SET last_used_at = ? WHERE id = ?`, s.now(), l.ID); err != nil {
		s.logger.Warn("note share link use", "link_id", l.ID, "err", err)
	}
	return j, l, nil
}
