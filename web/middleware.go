package web

import (
	"context"
	"io/fs"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"partnerhub/jobs"
)

// csrfCookie holds gorilla/csrf's secret token.
const csrfCookie = "partnerhub_csrf"

// Context keys.
const (
	keyUser = "partnerhub.user"
	keyJob  = "partnerhub.job"
)

// logRequests logs one line per request: never the query string, which may
// carry a CSRF token or an OAuth verifier.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.logger.Info("request",
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"status", c.Writer.Status(),
		"duration_ms", time.Since(start).Milliseconds(),
		"ip", c.ClientIP())
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			s.logger.Error("panic serving request", "path", c.Request.URL.Path, "panic", v)
			s.fail(c, jobs.Errorf(jobs.EINTERNAL, "Something went wrong on our side; the error has been logged."))
			c.Abort()
		}
	}()
	c.Next()
}

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https://commons.wikimedia.org https://upload.wikimedia.org; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"+s.formOrigins)
	c.Next()
}

// isHTTPS says whether the client reached us over HTTPS: directly, or through
// a trusted proxy that says so (Toolforge terminates TLS at its front proxy).
// X-Forwarded-Proto from anyone else is ignored.
func (s *Server) isHTTPS(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	return s.fromTrustedProxy(c) && strings.EqualFold(c.Request.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) fromTrustedProxy(c *gin.Context) bool {
	ip, err := netip.ParseAddr(c.RemoteIP())
	if err != nil {
		return false
	}
	for _, p := range s.proxies {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// csrf protects every state-changing request with gorilla/csrf's masked
// tokens. Multipart uploads carry the token in the query string instead of
// the body, so checking it never makes the server buffer a 100 MB upload.
func (s *Server) csrf() gin.HandlerFunc {
	protect := csrf.Protect(s.cfg.CSRFKey,
		csrf.CookieName(csrfCookie),
		csrf.FieldName("csrf_token"),
		csrf.Path("/"),
		csrf.HttpOnly(true),
		csrf.Secure(s.cfg.SecureCookies),
		csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.ErrorHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.logger.Info("csrf check failed", "path", r.URL.Path, "reason", csrf.FailureReason(r))
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("This form has expired or was sent from another site. Go back, reload the page and try again.\n"))
		})),
	)
	return func(c *gin.Context) {
		if strings.HasPrefix(c.ContentType(), "multipart/") && c.Request.Header.Get("X-CSRF-Token") == "" {
			if tok := c.Query("csrf_token"); tok != "" {
				c.Request.Header.Set("X-CSRF-Token", tok)
			}
		}
		if !s.isHTTPS(c) {
			c.Request = csrf.PlaintextHTTPRequest(c.Request)
		}
		passed := false
		protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
		}
	}
}

// csrfForPages gives the pages that answer any address (404, 405) a CSRF
// token for their header's forms, without refusing the unsafe requests that
// reach them: nothing changes on such a request, so there is nothing to guard.
func (s *Server) csrfForPages() gin.HandlerFunc {
	protect := s.csrf()
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			protect(c)
		default:
			c.Next()
		}
	}
}

// rotateCSRF drops the CSRF cookie, so the next page gets a new token: one
// issued before a login or a logout is never accepted after it.
func (s *Server) rotateCSRF(c *gin.Context) {
	s.setCookie(c, csrfCookie, "", -1)
}

// favicon is the tool's icon, for browsers that ask for /favicon.ico.
func (s *Server) favicon(c *gin.Context) {
	b, err := fs.ReadFile(s.static, "favicon.svg")
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "image/svg+xml", b)
}

// identify records who is asking, if anyone.
func (s *Server) identify(c *gin.Context) {
	u, err := s.auth.CurrentUser(c)
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	if u != nil {
		c.Set(keyUser, u)
	}
	c.Next()
}

func currentUser(c *gin.Context) *jobs.User {
	if v, ok := c.Get(keyUser); ok {
		return v.(*jobs.User)
	}
	return nil
}

// requireUser sends anonymous visitors to log in.
func (s *Server) requireUser(c *gin.Context) {
	if currentUser(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+c.Request.URL.Path)
		c.Abort()
		return
	}
	c.Next()
}

// loadJob loads the job named in the path and checks the user may see it.
// Anyone else gets the same 404 as for a job that does not exist, so job ids
// reveal nothing.
func (s *Server) loadJob(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such job."))
		c.Abort()
		return
	}
	j, err := s.store.Job(c.Request.Context(), id)
	if err == nil {
		var ok bool
		if ok, err = s.canSeeJob(c.Request.Context(), currentUser(c), j); err == nil && !ok {
			err = jobs.Errorf(jobs.ENOTFOUND, "The job was not found.")
		}
	}
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	c.Set(keyJob, j)
	c.Next()
}

// canSeeJob is the one rule for who may see and work on a job: its owner,
// and the members of the group it belongs to.
func (s *Server) canSeeJob(ctx context.Context, u *jobs.User, j *jobs.Job) (bool, error) {
	if u == nil {
		return false, nil
	}
	return s.store.CanSeeJob(ctx, u.ID, j)
}

func currentJob(c *gin.Context) *jobs.Job {
	return c.MustGet(keyJob).(*jobs.Job)
}

// serveStatic serves embedded assets. Their URLs carry the build version
// (see renderer), so browsers may keep them long.
func (s *Server) serveStatic() gin.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServer(http.FS(s.static)))
	return func(c *gin.Context) {
		if c.Query("v") != "" {
			c.Header("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Header("Cache-Control", "public, max-age=3600")
		}
		files.ServeHTTP(c.Writer, c.Request)
	}
}
