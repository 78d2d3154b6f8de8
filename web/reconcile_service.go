package web

import (
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/web/reconapi"
)

// templateReconcileRoot is the reconciliation service of a shared job
// template (/templates/{id}/reconcile): its Wikibase, type, property
// mapping and thresholds. Anonymous clients reach only public templates;
// any other template answers like a missing one, except to someone signed
// in who may see it (its owner, its group's members). This is the one
// place the service reads a session cookie, and it never sets one.
func (s *Server) templateReconcileRoot(c *gin.Context) (*reconapi.Root, error) {
	id, err := strconv.ParseInt(c.Param("tid"), 10, 64)
	if err != nil || id <= 0 {
		return nil, reconapi.ErrNoRoot
	}
	ctx := c.Request.Context()
	t, err := s.store.Template(ctx, id)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, reconapi.ErrNoRoot
	}
	if err != nil {
		return nil, err
	}
	var uid int64
	if t.Visibility != jobs.VisibilityPublic {
		u, err := s.auth.CurrentUser(c)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, reconapi.ErrNoRoot
		}
		uid = u.ID
	}
	ok, err := s.store.CanSeeTemplate(ctx, uid, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, reconapi.ErrNoRoot
	}
	v, err := s.store.TemplateVersion(ctx, t.VersionID)
	if err != nil {
		return nil, err
	}
	mt, err := match.ParseTemplate(v.Body)
	if err != nil {
		return nil, fmt.Errorf("template %d version %d: %w", t.ID, v.Version, err)
	}
	return &reconapi.Root{Name: "Partnerhub: " + t.Name, Template: mt}, nil
}
