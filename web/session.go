package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

const (
	sessionCookie   = "partnerhub_session"
	sessionLifetime = 14 * 24 * time.Hour
	keySession      = "partnerhub.session"
)

// SessionAuth identifies users by a server-side session: the cookie holds a
// random token, the database only its SHA-256, so a leaked database holds no
// usable session.
type SessionAuth struct {
	Store *store.Store
}

// CurrentUser returns the session's user, or nil.
func (a SessionAuth) CurrentUser(c *gin.Context) (*jobs.User, error) {
	sess := loadSession(c, a.Store)
	if sess == nil || sess.UserID == 0 {
		return nil, nil
	}
	u, err := a.Store.User(c.Request.Context(), sess.UserID)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, nil
	}
	return u, err
}

// LocalMode is false: people log in with their wiki accounts.
func (a SessionAuth) LocalMode() bool { return false }

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// loadSession reads the request's session once per request.
func loadSession(c *gin.Context, st *store.Store) *store.Session {
	if v, ok := c.Get(keySession); ok {
		sess, _ := v.(*store.Session)
		return sess
	}
	var sess *store.Session
	if tok, err := c.Cookie(sessionCookie); err == nil && tok != "" {
		sess, _ = st.Session(c.Request.Context(), hashToken(tok))
	}
	c.Set(keySession, sess)
	return sess
}

// newSession starts a fresh session (a new id every time: logging in never
// keeps an id that existed before, which defeats session fixation) and sets
// its cookie.
func (s *Server) newSession(c *gin.Context, userID int64, data store.SessionData) (*store.Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	sess := &store.Session{IDHash: hashToken(tok), UserID: userID, Data: data, ExpiresAt: time.Now().Add(sessionLifetime)}
	if err := s.store.SaveSession(c.Request.Context(), sess); err != nil {
		return nil, err
	}
	s.setCookie(c, sessionCookie, tok, int(sessionLifetime.Seconds()))
	c.Set(keySession, sess)
	return sess, nil
}

// endSession deletes the request's session and its cookie.
func (s *Server) endSession(c *gin.Context) {
	if sess := loadSession(c, s.store); sess != nil {
		_ = s.store.DeleteSession(c.Request.Context(), sess.IDHash)
	}
	s.setCookie(c, sessionCookie, "", -1)
	c.Set(keySession, (*store.Session)(nil))
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure when the request
// came over HTTPS (directly or through the trusted proxy) or when configured.
func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.SecureCookies || s.isHTTPS(c),
	})
}
