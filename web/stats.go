package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// jobStats shows a job's statistics to its members, reviewers by name.
func (s *Server) jobStats(c *gin.Context) {
	j := currentJob(c)
	st, err := s.store.JobStatistics(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "job_stats.html", page{Data: gin.H{"Job": j, "Stats": newStatsView("job", st, true)}})
}

// toolStats shows what the whole tool did, to everyone; reviewers are
// counted, not named.
func (s *Server) toolStats(c *gin.Context) {
	st, err := s.store.ToolStatistics(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "stats.html", page{Nav: "stats", Data: gin.H{"Stats": newStatsView("tool", st, false)}})
}
