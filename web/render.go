package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/csrf"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/templates"
)

// page is what every template receives.
type page struct {
	User      *jobs.User
	LocalMode bool
	OwnerOnly bool // local mode with an owner-only consumer: writing works
	Nav       string
	Flash     *flash
	CSRFField string
	CSRFToken string
	Version   string
	Refresh   int // seconds; a meta refresh for pages that follow progress without JavaScript
	Data      any
}

type flash struct {
	Kind string // "ok" or "error"
	Text string
}

// renderer parses each page together with the layout and partials once.
type renderer struct {
	pages   map[string]*template.Template
	version string
}

func newRenderer(static fs.FS, version, editGroupsTool string) (*renderer, error) {
	funcs := template.FuncMap{
		"editgroups":  func(id string) string { return editGroupsURL(editGroupsTool, id) },
		"msToSeconds": func(ms int64) float64 { return float64(ms) / 1000 },
		"static": func(name string) string {
			return "/static/" + name + "?v=" + url.QueryEscape(version)
		},
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"date":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"bytes":     dataset.HumanBytes,
		"percent":   func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"delimiter": func(r rune) string { return dataset.DelimiterWord(r) },
		"add":       func(a, b int) int { return a + b },
		"dict": func(kv ...string) map[string]string {
			m := map[string]string{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		},
		// args passes several values to a partial template.
		"args": func(kv ...any) (map[string]any, error) {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("args: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"langName":  languageName,
		"agreement": agreement,
		"list":      func(xs ...string) []string { return xs },
		"fileTitle": jobs.FileTitle,
		"percentOf": func(a, b int64) int64 {
			if b <= 0 {
				return 0
			}
			return min(100, 100*a/b)
		},
	}
	pageFiles, err := fs.Glob(templates.FS, "*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}, version: version}
	for _, f := range pageFiles {
		if f == "layout.html" {
			continue
		}
		t, err := template.New(f).Funcs(funcs).ParseFS(templates.FS, "layout.html", "partials/*.html", f)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", f, err)
		}
		r.pages[f] = t
	}
	return r, nil
}

// render writes a page; it renders into a buffer first so a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(c *gin.Context, status int, name string, p page) {
	t, ok := s.pages.pages[name]
	if !ok {
		s.logger.Error("no such template", "name", name)
		c.String(http.StatusInternalServerError, "template missing")
		return
	}
	p.User = currentUser(c)
	p.LocalMode = s.auth.LocalMode()
	if la, ok := s.auth.(LocalAuth); ok {
		p.OwnerOnly = la.OwnerOnly
	}
	p.CSRFField = "csrf_token"
	p.CSRFToken = csrf.Token(c.Request)
	p.Version = s.cfg.Version
	if p.Flash == nil {
		p.Flash = takeFlash(c)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.logger.Error("render page", "template", name, "err", err)
		c.String(http.StatusInternalServerError, "Something went wrong on our side; the error has been logged.")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// statusFor maps domain error codes to HTTP status, in one place.
func statusFor(code string) int {
	switch code {
	case jobs.ENOTFOUND:
		return http.StatusNotFound
	case jobs.EINVALID:
		return http.StatusUnprocessableEntity
	case jobs.ECONFLICT:
		return http.StatusConflict
	case jobs.EFORBIDDEN:
		return http.StatusForbidden
	case jobs.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// fail answers with an error page (or JSON for JSON routes); internal errors
// are logged with their detail and shown as a generic sentence.
func (s *Server) fail(c *gin.Context, err error) {
	code := jobs.ErrorCode(err)
	status := statusFor(code)
	if status == http.StatusInternalServerError {
		s.logger.Error("request failed", "path", c.Request.URL.Path, "err", err)
	}
	msg := jobs.ErrorMessage(err)
	if wantsJSON(c) {
		c.JSON(status, gin.H{"error": gin.H{"code": code, "message": msg}})
		return
	}
	title := map[int]string{404: "Not found", 422: "Please check your input", 409: "Conflict", 403: "Not allowed", 413: "File too large"}[status]
	if title == "" {
		title = "Something went wrong"
	}
	s.render(c, status, "error.html", page{Data: gin.H{"Title": title, "Message": msg}})
}

func wantsJSON(c *gin.Context) bool {
	return strings.HasSuffix(c.Request.URL.Path, ".json") || strings.HasPrefix(c.Request.URL.Path, "/api/") ||
		strings.Contains(c.GetHeader("Accept"), "application/json")
}

const flashCookie = "partnerhub_flash"

// setFlash leaves a one-time message for the next page (post/redirect/get).
func (s *Server) setFlash(c *gin.Context, kind, text string) {
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(flashCookie, url.QueryEscape(kind+"|"+text), 60, "/", "", s.cfg.SecureCookies, true)
}

func takeFlash(c *gin.Context) *flash {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return nil
	}
	c.SetCookie(flashCookie, "", -1, "/", "", false, true)
	raw, err := url.QueryUnescape(v)
	if err != nil {
		return nil
	}
	kind, text, ok := strings.Cut(raw, "|")
	if !ok || (kind != "ok" && kind != "error") {
		return nil
	}
	return &flash{Kind: kind, Text: text}
}

// agreement classes a row value against an item's values for the review
// page: "agree" when the item has it (dates compared on the row's precision),
// "conflict" when the item has other values, "" when either side is empty.
func agreement(rowValue string, itemValues []string) string {
	rowValue = strings.TrimSpace(rowValue)
	if rowValue == "" || len(itemValues) == 0 {
		return ""
	}
	for _, v := range itemValues {
		if strings.EqualFold(v, rowValue) || strings.HasPrefix(strings.TrimPrefix(v, "+"), rowValue) {
			return "agree"
		}
	}
	return "conflict"
}

// editGroupsURL is the page of an edit batch on EditGroups.
func editGroupsURL(tool, id string) string {
	return "https://editgroups.toolforge.org/b/" + url.PathEscape(tool) + "/" + url.PathEscape(id) + "/"
}
