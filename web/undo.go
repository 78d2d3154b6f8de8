package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// UndoRunner starts, confirms and stops undos of write-backs.
type UndoRunner interface {
	StartUndo(ctx context.Context, planID int64, user *jobs.User, scope jobs.UndoScope, resetDecisions bool) (*jobs.Undo, error)
	ConfirmUndo(ctx context.Context, undoID int64, user *jobs.User) error
	PauseUndo(ctx context.Context, undoID int64) error
	CancelUndo(ctx context.Context, undoID int64) error
}

// undoPageSize is how many items an undo page shows.
const undoPageSize = 100

// maxScopeEntries bounds each list of an undo's scope.
const maxScopeEntries = 10000

func (s *Server) undoRoutes(job *gin.RouterGroup) {
	job.GET("/plan/undo", s.undoScopePage)
	job.POST("/plan/undo", s.requireWriteBack, s.startUndo)
	job.GET("/undo/:undo", s.loadUndo, s.undoPage)
	job.GET("/undo/:undo/deletions.txt", s.loadUndo, s.undoDeletions)
	job.POST("/undo/:undo/:action", s.requireWriteBack, s.loadUndo, s.undoAction)
}

// requireWriteBack lets through only those who may write back for the job
// (and so undo a write-back): anyone who works on the job, when Partnerhub
// edits in users' names (not in plain local mode) and undos are available.
func (s *Server) requireWriteBack(c *gin.Context) {
	if s.undos == nil {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "This installation cannot undo write-backs."))
		c.Abort()
		return
	}
	if s.auth.LocalMode() {
		if la, ok := s.auth.(LocalAuth); !ok || !la.OwnerOnly {
			s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Writing to the wiki is off in local mode: configure an OAuth consumer (see the README)."))
			c.Abort()
			return
		}
	}
	c.Next()
}

const keyUndo = "partnerhub.undo"

// loadUndo loads the undo in the path; one of another job is not found.
func (s *Server) loadUndo(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("undo"), 10, 64)
	var u *jobs.Undo
	if err == nil {
		u, err = s.store.UndoByID(c.Request.Context(), id)
	}
	if err != nil || u.JobID != currentJob(c).ID {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such undo."))
		c.Abort()
		return
	}
	c.Set(keyUndo, u)
	c.Next()
}

func currentUndo(c *gin.Context) *jobs.Undo { return c.MustGet(keyUndo).(*jobs.Undo) }

func (s *Server) undoURL(u *jobs.Undo) string { return fmt.Sprintf("/jobs/%d/undo/%d", u.JobID, u.ID) }

// undoScopePage lets a person choose what to undo of the job's latest
// write-back, and lists the earlier undos.
func (s *Server) undoScopePage(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	p, err := s.store.LatestPlan(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	undos, err := s.store.UndosOfPlan(ctx, p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	counts, err := s.store.PlanCounts(ctx, p.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	undoable := p.Status == jobs.PlanDone || p.Status == jobs.PlanCancelled || p.Status == jobs.PlanPaused
	data := gin.H{"Job": j, "Plan": p, "Undos": undos, "Counts": counts, "Undoable": undoable && counts.Done > 0, "Mode": "scope"}
	if p.EditGroupID != "" {
		data["EditGroups"] = editGroupsURL(s.cfg.EditGroupsTool, p.EditGroupID)
	}
	s.render(c, http.StatusOK, "job_undo.html", page{Data: data})
}

var (
	qidRE  = regexp.MustCompile(`^Q[1-9][0-9]*$`)
	pidRE  = regexp.MustCompile(`^P[1-9][0-9]*$`)
	splitR = regexp.MustCompile(`[\s,;]+`)
)

// parseUndoScope reads the scope form: rows ("2, 5-7"), items ("Q1 Q2"),
// properties ("P569 label"), plan lines ("3 4"). Each mistake is named.
func parseUndoScope(rows, items, props, lines string) (jobs.UndoScope, error) {
	var sc jobs.UndoScope
	fields := func(s string) []string {
		var out []string
		for _, f := range splitR.Split(strings.TrimSpace(s), -1) {
			if f != "" {
				out = append(out, f)
			}
		}
		return out
	}
	numbers := func(field, text string, ranges bool) ([]int64, error) {
		var out []int64
		for _, f := range fields(text) {
			lo, hi, isRange := strings.Cut(f, "-")
			if !isRange {
				hi = lo
			} else if !ranges {
				lo = "" // not a number here
			}
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 != nil || err2 != nil || a <= 0 || b < a {
				return nil, jobs.Errorf(jobs.EINVALID, "%s: %q is not a number%s.", field, f, map[bool]string{true: " or a range like 5-7", false: ""}[ranges])
			}
			if b-a+int64(len(out)) >= maxScopeEntries {
				return nil, jobs.Errorf(jobs.EINVALID, "%s: at most %d entries; undo the whole write-back instead.", field, maxScopeEntries)
			}
			// Counted, not compared with b: b may be the largest int64.
			for i := int64(0); i <= b-a; i++ {
				if n := a + i; !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		return out, nil
	}
	var err error
	if sc.Rows, err = numbers("Rows", rows, true); err != nil {
		return sc, err
	}
	if sc.PlanItems, err = numbers("Plan lines", lines, false); err != nil {
		return sc, err
	}
	for _, f := range fields(items) {
		q := strings.ToUpper(f)
		if !qidRE.MatchString(q) {
			return sc, jobs.Errorf(jobs.EINVALID, "Items: %q is not an item id like Q42.", f)
		}
		if len(sc.Items) >= maxScopeEntries {
			return sc, jobs.Errorf(jobs.EINVALID, "Items: at most %d entries.", maxScopeEntries)
		}
		sc.Items = append(sc.Items, q)
	}
	for _, f := range fields(props) {
		p := strings.ToUpper(f)
		switch strings.ToLower(f) {
		case "label", "labels":
			p = "label"
		case "description", "descriptions":
			p = "description"
		}
		if p != "label" && p != "description" && !pidRE.MatchString(p) {
			return sc, jobs.Errorf(jobs.EINVALID, "Properties: %q is not a property id like P569, nor \"label\" or \"description\".", f)
		}
		if !slices.Contains(sc.Properties, p) {
			sc.Properties = append(sc.Properties, p)
		}
	}
	return sc, nil
}

func (s *Server) startUndo(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.currentPlan(c, j)
	if !ok {
		return
	}
	var scope jobs.UndoScope
	if c.PostForm("scope") != "all" {
		var err error
		scope, err = parseUndoScope(c.PostForm("rows"), c.PostForm("items"), c.PostForm("properties"), c.PostForm("lines"))
		if err == nil && scope.Whole() {
			err = jobs.Errorf(jobs.EINVALID, "Say which rows, items, properties or plan lines to undo, or choose the whole write-back.")
		}
		if err != nil {
			s.setFlash(c, "error", jobs.ErrorMessage(err))
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/jobs/%d/plan/undo", j.ID))
			return
		}
	}
	reset := c.PostForm("decisions") == "reset"
	u, err := s.undos.StartUndo(c.Request.Context(), p.ID, currentUser(c), scope, reset)
	if err != nil {
		if code := jobs.ErrorCode(err); code == jobs.EINTERNAL || code == jobs.ENOTFOUND {
			s.fail(c, err)
			return
		}
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, fmt.Sprintf("/jobs/%d/plan/undo", j.ID))
		return
	}
	s.logger.Info("undo started", "job_id", j.ID, "plan_id", p.ID, "undo_id", u.ID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "Reading what the write-back added and what is still as it left it. Nothing is removed until you confirm.")
	c.Redirect(http.StatusSeeOther, s.undoURL(u))
}

// undoItemView is an undo item as the page shows it.
type undoItemView struct {
	*jobs.UndoItem
	DiffURL string
}

func (s *Server) undoPage(c *gin.Context) {
	j, u := currentJob(c), currentUndo(c)
	ctx := c.Request.Context()
	counts, err := s.store.UndoCounts(ctx, u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.store.Plan(ctx, u.PlanID)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := jobs.UndoItemStatus(c.Query("status"))
	data := gin.H{"Job": j, "Plan": p, "Undo": u, "Counts": counts, "Mode": "undo", "Status": string(status)}
	items, err := itemPage(c, data, undoPageSize, func(it *jobs.UndoItem) int64 { return it.No },
		func(after int64, n int) ([]*jobs.UndoItem, error) {
			return s.store.UndoItems(ctx, u.ID, status, after, n)
		})
	if err != nil {
		s.fail(c, err)
		return
	}
	indexURL := indexURLFor(j.Template)
	var list []undoItemView
	for _, it := range items {
		list = append(list, undoItemView{UndoItem: it, DiffURL: revisionDiffURL(indexURL, it.RevID)})
	}
	data["Items"] = list
	data["SiteURL"] = parseTemplateView(j.Template, nil).SiteURL
	if u.EditGroupID != "" {
		data["EditGroups"] = editGroupsURL(s.cfg.EditGroupsTool, u.EditGroupID)
	}
	pg := page{Data: data}
	if u.Status == jobs.UndoPreparing || u.Status == jobs.UndoRunning {
		pg.Refresh = 5
	}
	s.render(c, http.StatusOK, "job_undo.html", pg)
}

// undoDeletions is every deletion request of an undo's created items, as
// one text to paste at Wikidata:Requests for deletions.
func (s *Server) undoDeletions(c *gin.Context) {
	u := currentUndo(c)
	ctx := c.Request.Context()
	var b strings.Builder
	var after int64
	for {
		items, err := s.store.UndoItems(ctx, u.ID, jobs.UndoItemListed, after, 500)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			after = it.No
			if it.DeletionRequest != "" {
				b.WriteString(it.DeletionRequest)
				b.WriteString("\n")
			}
		}
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="partnerhub-undo-%d-deletion-requests.txt"`, u.ID))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(b.String()))
}

func (s *Server) undoAction(c *gin.Context) {
	u := currentUndo(c)
	ctx, user := c.Request.Context(), currentUser(c)
	var (
		err error
		msg string
	)
	switch c.Param("action") {
	case "confirm", "resume":
		err, msg = s.undos.ConfirmUndo(ctx, u.ID, user), "Removing in your name, one edit per item. You can leave this page; the work goes on."
	case "pause":
		err, msg = s.undos.PauseUndo(ctx, u.ID), "Paused after the item in progress."
	case "cancel":
		err, msg = s.undos.CancelUndo(ctx, u.ID), "Cancelled. What was removed already stays removed."
	default:
		err = jobs.Errorf(jobs.ENOTFOUND, "There is no such action.")
	}
	if err != nil {
		if code := jobs.ErrorCode(err); code == jobs.EINTERNAL || code == jobs.ENOTFOUND {
			s.fail(c, err)
			return
		}
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, s.undoURL(u))
		return
	}
	s.logger.Info("undo "+c.Param("action"), "job_id", u.JobID, "undo_id", u.ID, "user_id", user.ID)
	s.setFlash(c, "ok", msg)
	c.Redirect(http.StatusSeeOther, s.undoURL(u))
}
