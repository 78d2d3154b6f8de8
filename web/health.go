package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// health answers 200 when the database and Redis answer, 503 otherwise, with
// each dependency's state (no detail that would help an attacker).
func (s *Server) health(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	check := func(p Pinger) string {
		if p == nil {
			return "not configured"
		}
		if err := p.Ping(ctx); err != nil {
			s.logger.Warn("health check failed", "err", err)
			return "down"
		}
		return "ok"
	}
	db, rd := check(s.store), check(s.redis)
	status := http.StatusOK
	overall := "ok"
	if db != "ok" || rd != "ok" {
		status, overall = http.StatusServiceUnavailable, "degraded"
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"status": overall, "database": db, "redis": rd, "version": s.cfg.Version})
}
