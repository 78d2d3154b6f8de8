package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// The JSON API (/api/v1) serves partners' scripts with the web's access
// rules: a signed-in user sees the jobs they own or share through a group;
// a share token (Authorization: Bearer, or ?token=) sees exactly its job,
// read-only. Every route is a GET, so CSRF does not apply. Errors are
// {"error":{"code","message"}}; a job one may not see is a 404 like a
// missing one.
//
//	GET /api/v1/jobs                        {"jobs":[{id,title,description,status,group_id,created_at,updated_at,url}]}
//	GET /api/v1/jobs/{id}                   {"job":{…},"dataset":{file_name,status,rows,columns},"progress":{rows,done,failed,matched,review,none,percent,rows_per_second,eta}}
//	GET /api/v1/jobs/{id}/results?after=N&limit=1..1000
//	                                        {"results":[{row,cells,wikidata_qid,match_status,match_score,match_label,decision}],"next_after":N}
//	GET /api/v1/jobs/{id}/stats             {jobs,rows,reconciled,matched,review,none,linked,decisions,decisions_taken,reviewers[,decisions_by_reviewer]}
//	GET /api/v1/groups/{id}/stats           the same for a group's jobs (members only)

// apiResultsMax bounds one page of results.
const apiResultsMax = 1000

// apiAuth reads a share token when one is sent; a token that does not work
// is refused outright rather than falling back to the session, so a
// script learns its link was revoked.
func (s *Server) apiAuth(c *gin.Context) {
	token := c.Query("token")
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Send a share token as Authorization: Bearer <token>."))
			c.Abort()
			return
		}
		token = strings.TrimSpace(rest)
	}
	if token != "" {
		if !s.setShareJob(c, token) {
			return
		}
	} else if currentUser(c) == nil {
		c.JSON(http.StatusUnauthorized, gin.H{"error": gin.H{"code": "unauthorized", "message": "Log in, or send a share token (Authorization: Bearer <token>)."}})
		c.Abort()
		return
	}
	c.Next()
}

func apiShareJob(c *gin.Context) *jobs.Job {
	if v, ok := c.Get(keyShareJob); ok {
		return v.(*jobs.Job)
	}
	return nil
}

// apiJob loads the job in the path under the same rule as every job page
// (canSeeJob), or, with a share token, only the token's job.
func (s *Server) apiJob(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	notFound := jobs.Errorf(jobs.ENOTFOUND, "The job was not found.")
	if err != nil || id <= 0 {
		s.fail(c, notFound)
		c.Abort()
		return
	}
	if sj := apiShareJob(c); sj != nil {
		if sj.ID != id {
			s.fail(c, notFound)
			c.Abort()
			return
		}
		c.Set(keyJob, sj)
		c.Next()
		return
	}
	j, err := s.store.Job(c.Request.Context(), id)
	if err == nil {
		var ok bool
		if ok, err = s.canSeeJob(c.Request.Context(), currentUser(c), j); err == nil && !ok {
			err = notFound
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

type apiJobView struct {
	ID          int64          `json:"id"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Status      jobs.JobStatus `json:"status"`
	GroupID     int64          `json:"group_id,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	URL         string         `json:"url"`
}

func newAPIJob(j *jobs.Job) apiJobView {
	return apiJobView{ID: j.ID, Title: j.Title, Description: j.Description, Status: j.Status, GroupID: j.GroupID,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, URL: "/api/v1/jobs/" + strconv.FormatInt(j.ID, 10)}
}

func (s *Server) apiJobs(c *gin.Context) {
	var list []*jobs.Job
	if sj := apiShareJob(c); sj != nil {
		list = []*jobs.Job{sj}
	} else {
		var err error
		if list, err = s.store.JobsVisibleTo(c.Request.Context(), currentUser(c).ID, 500); err != nil {
			s.fail(c, err)
			return
		}
	}
	out := make([]apiJobView, 0, len(list))
	for _, j := range list {
		out = append(out, newAPIJob(j))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"jobs": out})
}

func (s *Server) apiJobStatus(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	out := gin.H{"job": newAPIJob(j)}
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	switch {
	case err == nil:
		out["dataset"] = gin.H{"file_name": ds.FileName, "status": ds.Status, "rows": ds.RowCount, "columns": ds.Columns}
	case jobs.ErrorCode(err) != jobs.ENOTFOUND:
		s.fail(c, err)
		return
	}
	p, err := s.store.JobProgress(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := newProgressView(p)
	out["progress"] = gin.H{"rows": p.Rows, "done": p.Done, "failed": p.Failed, "matched": p.Matched, "review": p.Review, "none": p.None,
		"percent": v.Percent, "rows_per_second": v.Rate, "eta": v.ETA}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

type apiResult struct {
	Row      int64             `json:"row"`
	Cells    map[string]string `json:"cells"`
	QID      string            `json:"wikidata_qid"`
	Status   jobs.MatchStatus  `json:"match_status"`
	Score    float64           `json:"match_score"`
	Label    string            `json:"match_label,omitempty"`
	Decision jobs.DecisionKind `json:"decision,omitempty"`
}

// apiResults pages through the job's rows by keyset: pass the returned
// next_after as ?after= for the next page.
func (s *Server) apiResults(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	limit, err := strconv.Atoi(c.DefaultQuery("limit", "100"))
	if err != nil || limit < 1 || limit > apiResultsMax || after < 0 {
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Use ?after=<row> and ?limit=1..%d.", apiResultsMax))
		return
	}
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	if err == nil && ds.Status != jobs.DatasetImported {
		err = jobs.Errorf(jobs.ENOTFOUND, "The job has no imported dataset yet.")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	rows, err := s.store.ExportPage(ctx, j.ID, ds.ID, after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiResult, 0, len(rows))
	for _, r := range rows {
		res := apiResult{Row: r.Row, Cells: make(map[string]string, len(ds.Columns)), QID: r.FinalQID(), Status: r.Match.Status, Score: r.Match.Score, Label: r.Match.Label}
		for i, col := range ds.Columns {
			if _, dup := res.Cells[col]; !dup && i < len(r.Cells) {
				res.Cells[col] = r.Cells[i]
			}
		}
		if r.Decision != nil {
			res.Decision = r.Decision.Kind
		}
		out = append(out, res)
	}
	body := gin.H{"results": out}
	if len(rows) == limit {
		body["next_after"] = rows[len(rows)-1].Row
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
}

func (s *Server) apiJobStats(c *gin.Context) {
	st, err := s.store.JobStatistics(c.Request.Context(), currentJob(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, apiStats(st, apiShareJob(c) == nil))
}

// apiGroupStats serves a group's statistics to its members (loadGroup).
func (s *Server) apiGroupStats(c *gin.Context) {
	st, err := s.store.GroupStatistics(c.Request.Context(), currentGroup(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, apiStats(st, true))
}

// apiStats names reviewers only for members; a share token gets counts.
func apiStats(st jobs.Statistics, withNames bool) gin.H {
	out := gin.H{"jobs": st.Jobs, "rows": st.Rows, "reconciled": st.Reconciled, "matched": st.Matched, "review": st.Review, "none": st.None,
		"linked": st.Linked, "decisions": st.Decisions, "decisions_taken": st.DecisionsTaken(), "reviewers": len(st.Reviewers),
		"items_edited": st.ItemsEdited, "items_created": st.ItemsCreated, "rows_on_new_items": st.RowsOnNewItems, "statements_added": st.StatementsAdded, "references_added": st.ReferencesAdded,
		"edits_by_day": st.EditsByDay, "editgroups": st.EditGroups}
	if withNames {
		by := make([]gin.H, 0, len(st.Reviewers))
		for _, r := range st.Reviewers {
			by = append(by, gin.H{"username": r.Username, "decisions": r.Decisions})
		}
		out["decisions_by_reviewer"] = by
	}
	return out
}
