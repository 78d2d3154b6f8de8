package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
)

// WikiLogin is the OAuth 1.0a dance with the wiki, as the web side needs it.
type WikiLogin interface {
	// Begin gets a request token and the wiki's authorization URL.
	Begin(ctx context.Context) (requestToken, requestSecret, authorizeURL string, err error)
	// Finish exchanges the verified request token for an access token and
	// identifies the user.
	Finish(ctx context.Context, requestToken, requestSecret, verifier string) (*WikiAccount, error)
}

// WikiAccount is who logged in, with the access token to act for them.
type WikiAccount struct {
	User         jobs.User
	ConsumerKey  string
	AccessToken  string
	AccessSecret string
}

// TokenSealer encrypts tokens before they are stored; aad binds a ciphertext
// to its row.
type TokenSealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// ErrLoginDenied is what a WikiLogin returns when the user declined.
var ErrLoginDenied = errors.New("authorization denied")

// TokenAAD is the additional data sealed tokens of a user are bound to.
func TokenAAD(userID int64, part string) []byte { return vault.TokenAAD(userID, part) }

func (s *Server) loginPage(c *gin.Context) {
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	s.render(c, http.StatusOK, "login.html", page{Data: gin.H{"Next": safeNext(c.Query("next")), "Enabled": s.login != nil}})
}

// startLogin asks the wiki for a request token, keeps its secret in a new
// session (never in a URL), and sends the browser to the wiki to authorize.
func (s *Server) startLogin(c *gin.Context) {
	if s.login == nil {
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Logging in with a wiki account is not configured on this installation."))
		return
	}
	rt, rs, authURL, err := s.login.Begin(c.Request.Context())
	if err != nil {
		s.logger.Warn("oauth initiate failed", "err", err)
		s.fail(c, &jobs.Error{Code: jobs.EINTERNAL, Message: "The wiki did not start the login. Try again in a minute.", Err: err})
		return
	}
	s.endSession(c)
	if _, err := s.newSession(c, 0, store.SessionData{RequestToken: rt, RequestSecret: rs, Next: safeNext(c.PostForm("next"))}); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, authURL)
}

// oauthCallback finishes the login when the wiki sends the user back.
func (s *Server) oauthCallback(c *gin.Context) {
	if s.login == nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "Logging in is not configured."))
		return
	}
	ctx := c.Request.Context()
	sess := loadSession(c, s.store)
	token, verifier := c.Query("oauth_token"), c.Query("oauth_verifier")
	if sess != nil && sess.UserID != 0 {
		// Someone signed in followed a callback link (from another site,
		// an old tab): it cannot log them out, nor in as someone else.
		s.setFlash(c, "error", "That login link was not started in this browser, so nothing changed: you are still signed in.")
		c.Redirect(http.StatusSeeOther, "/jobs")
		return
	}
	if sess == nil || sess.Data.RequestToken == "" || token == "" || token != sess.Data.RequestToken {
		if sess != nil {
			s.endSession(c) // a pending login answered with another token is abandoned
		}
		s.loginFailed(c, http.StatusBadRequest, "This login could not be matched to one started here (it may have been used already, or started in another browser). Please log in again.", nil)
		return
	}
	// The request token is single use: forget it before anything else.
	rt, rs, next := sess.Data.RequestToken, sess.Data.RequestSecret, sess.Data.Next
	s.endSession(c)
	if verifier == "" {
		s.loginFailed(c, http.StatusForbidden, "You did not allow Partnerhub to use your account, so you are not logged in.", nil)
		return
	}
	acct, err := s.login.Finish(ctx, rt, rs, verifier)
	if errors.Is(err, ErrLoginDenied) {
		s.loginFailed(c, http.StatusForbidden, "You did not allow Partnerhub to use your account, so you are not logged in.", err)
		return
	}
	if err != nil {
		s.loginFailed(c, http.StatusForbidden, "The wiki's answer could not be verified, so you are not logged in. Please try again.", err)
		return
	}
	u, err := s.store.UpsertUser(ctx, &acct.User)
	if err != nil {
		s.fail(c, err)
		return
	}
	tokSealed, err1 := s.sealer.Seal([]byte(acct.AccessToken), TokenAAD(u.ID, "token"))
	secSealed, err2 := s.sealer.Seal([]byte(acct.AccessSecret), TokenAAD(u.ID, "secret"))
	if err := errors.Join(err1, err2); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.SaveToken(ctx, store.SealedToken{UserID: u.ID, ConsumerKey: acct.ConsumerKey, TokenSealed: tokSealed, SecretSealed: secSealed}); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.newSession(c, u.ID, store.SessionData{}); err != nil {
		s.fail(c, err)
		return
	}
	s.rotateCSRF(c)
	s.logger.Info("user logged in", "user_id", u.ID, "username", u.Username, "blocked", u.Blocked)
	s.setFlash(c, "ok", "Welcome, "+u.Username+".")
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) loginFailed(c *gin.Context, status int, msg string, err error) {
	if err != nil {
		s.logger.Warn("login refused", "reason", err) // errors from the login carry no tokens
	}
	s.render(c, status, "login.html", page{Flash: &flash{Kind: "error", Text: msg}, Data: gin.H{"Next": "/jobs", "Enabled": s.login != nil}})
}

func (s *Server) logout(c *gin.Context) {
	if s.auth.LocalMode() {
		// There is no session to end: every request is the local user.
		who := ""
		if u := currentUser(c); u != nil {
			who = " " + u.Username
		}
		s.setFlash(c, "error", "There is no logging out in local mode: this installation serves only the local user"+who+". Configure an OAuth consumer (see the README) for people to log in with their wiki accounts.")
		c.Redirect(http.StatusSeeOther, "/jobs")
		return
	}
	s.endSession(c)
	s.rotateCSRF(c)
	s.setFlash(c, "ok", "You are logged out.")
	c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) mePage(c *gin.Context) {
	u := currentUser(c)
	tok, err := s.store.Token(c.Request.Context(), u.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "me.html", page{Nav: "me", Data: gin.H{"HasToken": tok != nil, "TokenUpdated": tokenTime(tok)}})
}

func tokenTime(t *store.SealedToken) any {
	if t == nil {
		return nil
	}
	return t.UpdatedAt
}

// revokeTokens forgets the user's stored wiki authorization and logs them
// out everywhere.
func (s *Server) revokeTokens(c *gin.Context) {
	u := currentUser(c)
	ctx := c.Request.Context()
	if err := s.store.DeleteToken(ctx, u.ID); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.endSession(c)
	s.rotateCSRF(c)
	s.logger.Info("user revoked stored tokens", "user_id", u.ID)
	s.setFlash(c, "ok", "Your stored wiki authorization is deleted and you are logged out everywhere. To withdraw the grant on the wiki as well, visit Special:OAuthManageMyGrants there.")
	c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps only local paths, so a login can never redirect elsewhere.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/jobs"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/jobs"
	}
	return next
}
