package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// nameGroup is one status's names on the item names page.
type nameGroup struct {
	Status jobs.ValueStatus
	Title  string
	Names  []*jobs.ValueResolution
}

// itemNamesPage lists the names met in the job's item columns and what each
// stands for, those waiting for a person first.
func (s *Server) itemNamesPage(c *gin.Context) {
	j := currentJob(c)
	all, err := s.store.ValueResolutions(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	groups := []*nameGroup{
		{Status: jobs.ValueAmbiguous, Title: "Several items fit: choose one"},
		{Status: jobs.ValueNone, Title: "No item of the expected type has this label: give its QID or leave it out"},
		{Status: jobs.ValueMatched, Title: "Found: one item of the expected type has this label"},
		{Status: jobs.ValueAccepted, Title: "Chosen by a person"},
		{Status: jobs.ValueRejected, Title: "Left out by a person"},
	}
	by := map[jobs.ValueStatus]*nameGroup{}
	for _, g := range groups {
		by[g.Status] = g
	}
	columns := make([]string, 0, len(all))
	for col := range all {
		columns = append(columns, col)
	}
	sort.Strings(columns)
	any := false
	for _, col := range columns {
		values := make([]string, 0, len(all[col]))
		for v := range all[col] {
			values = append(values, v)
		}
		sort.Strings(values)
		for _, v := range values {
			r := all[col][v]
			if g := by[r.Status]; g != nil {
				g.Names = append(g.Names, r)
				any = true
			}
		}
	}
	s.render(c, http.StatusOK, "job_names.html", page{Data: gin.H{"Job": j, "Groups": groups, "Any": any,
		"SiteURL": parseTemplateView(j.Template, nil).SiteURL, "Waiting": len(by[jobs.ValueAmbiguous].Names) + len(by[jobs.ValueNone].Names)}})
}

// decideItemName records what a name in an item column stands for: a
// candidate, a typed QID (checked on the wiki, redirects followed), or that
// the value is left out. The next plan uses it.
func (s *Server) decideItemName(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	column, value := c.PostForm("column"), c.PostForm("value")
	back := fmt.Sprintf("/jobs/%d/plan/names", j.ID)
	qid := ""
	msg := ""
	switch c.PostForm("action") {
	case "accept":
		qid = strings.ToUpper(strings.TrimSpace(c.PostForm("qid")))
		if !jobs.ValidQID(qid) {
			s.setFlash(c, "error", fmt.Sprintf("%q is not an item id like Q34.", qid))
			c.Redirect(http.StatusSeeOther, back)
			return
		}
		if c.PostForm("manual") == "1" && s.itemCheck != nil {
			item, err := s.itemCheck(ctx, j, qid)
			if err != nil {
				s.setFlash(c, "error", jobs.ErrorMessage(err))
				c.Redirect(http.StatusSeeOther, back)
				return
			}
			if item.RedirectedFrom != "" && jobs.ValidQID(item.QID) {
				msg = fmt.Sprintf(" %s was merged into %s (it redirects there), so %s is recorded.", item.RedirectedFrom, item.QID, item.QID)
				qid = item.QID
			}
		}
	case "reject":
	default:
		s.setFlash(c, "error", "Choose an item or leave the value out.")
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	if _, err := s.store.DecideValue(ctx, j.ID, column, value, qid, currentUser(c).ID); err != nil {
		if jobs.ErrorCode(err) == jobs.EINTERNAL {
			s.fail(c, err)
			return
		}
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	s.logger.Info("item name decided", "job_id", j.ID, "column", column, "qid", qid, "user_id", currentUser(c).ID)
	what := fmt.Sprintf("%q in column %q is left out.", value, column)
	if qid != "" {
		what = fmt.Sprintf("%q in column %q stands for %s.", value, column, qid)
	}
	s.setFlash(c, "ok", what+msg+" Plan again to use it.")
	c.Redirect(http.StatusSeeOther, back)
}
