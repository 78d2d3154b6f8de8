package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"partnerhub/jobs"
)

// Session is a server-side session: who is logged in, and what the login
// flow must remember between its redirects.
type Session struct {
	IDHash    string
	UserID    int64
	Data      SessionData
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionData is the small state a session carries.
type SessionData struct {
	RequestToken  string `json:"rt,omitempty"`
	RequestSecret string `json:"rs,omitempty"` // OAuth request-token secret: lives here, never in a URL
	Next          string `json:"next,omitempty"`
}

// SaveSession creates or replaces a session.
func (s *Store) SaveSession(ctx context.Context, sess *Session) error {
	data, _ := json.Marshal(sess.Data)
	now := s.now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, data_json, created_at, expires_at, seen_at) VALUES (?, ?, ?, ?, ?, ?)`+
		s.d.upsert([]string{"id_hash"}, "user_id", "data_json", "expires_at", "seen_at"),
		sess.IDHash, sess.UserID, string(data), now, sess.ExpiresAt.UnixMilli(), now)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// Session loads an unexpired session; ENOTFOUND otherwise.
func (s *Store) Session(ctx context.Context, idHash string) (*Session, error) {
	var (
		sess             Session
		data             string
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, user_id, data_json, created_at, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?`, idHash, s.now()).
		Scan(&sess.IDHash, &sess.UserID, &data, &created, &expires)
	if err != nil {
		return nil, notFound(err, "The session")
	}
	_ = json.Unmarshal([]byte(data), &sess.Data)
	sess.CreatedAt, sess.ExpiresAt = msToTime(created), msToTime(expires)
	return &sess, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return err
}

// DeleteUserSessions logs a user out everywhere.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.now())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SealedToken is a user's OAuth access token as stored: both parts sealed.
type SealedToken struct {
	UserID       int64
	ConsumerKey  string
	TokenSealed  string
	SecretSealed string
	UpdatedAt    time.Time
}

// SaveToken stores (or replaces) a user's sealed access token.
func (s *Store) SaveToken(ctx context.Context, t SealedToken) error {
	now := s.now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO oauth_tokens (user_id, consumer_key, token_sealed, secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`+
		s.d.upsert([]string{"user_id"}, "consumer_key", "token_sealed", "secret_sealed", "updated_at"),
		t.UserID, t.ConsumerKey, t.TokenSealed, t.SecretSealed, now, now)
	if err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	return nil
}

// Token loads a user's sealed token; ENOTFOUND when there is none.
func (s *Store) Token(ctx context.Context, userID int64) (*SealedToken, error) {
	t := SealedToken{UserID: userID}
	var updated int64
	err := s.db.QueryRowContext(ctx, `SELECT consumer_key, token_sealed, secret_sealed, updated_at FROM oauth_tokens WHERE user_id = ?`, userID).
		Scan(&t.ConsumerKey, &t.TokenSealed, &t.SecretSealed, &updated)
	if err == sql.ErrNoRows {
		return nil, jobs.Errorf(jobs.ENOTFOUND, "No wiki authorization is stored for you; log in again.")
	}
	if err != nil {
		return nil, err
	}
	t.UpdatedAt = msToTime(updated)
	return &t, nil
}

// DeleteToken forgets a user's token (revocation from the user's page).
func (s *Store) DeleteToken(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE user_id = ?`, userID)
	return err
}
