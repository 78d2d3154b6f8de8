package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
)

// PlanRunner builds, approves and writes edit plans.
type PlanRunner interface {
	BuildPlan(ctx context.Context, jobID, userID int64) (*jobs.EditPlan, error)
	ApprovePlan(ctx context.Context, planID, userID int64, itemNos []int64) error
	StartWriteback(ctx context.Context, planID int64, user *jobs.User) error
	PauseWriteback(ctx context.Context, planID int64) error
	CancelWriteback(ctx context.Context, planID int64) error
	RetryFailedItems(ctx context.Context, planID int64, user *jobs.User) (int64, error)
}

// planPageSize is how many items a plan page shows.
const planPageSize = 50

// failedShown is how many failed items the plan page names with their
// reasons next to the retry.
const failedShown = 10

// planItemView is one item as the plan page shows it.
type planItemView struct {
	*jobs.PlanItem
	Change  *plan.Change
	DiffURL string
}

func (s *Server) jobPlanURL(j *jobs.Job) string { return fmt.Sprintf("/jobs/%d/plan", j.ID) }

// itemPage reads one page of a list in item order: up to size items after
// the query's "after" (read with list), and data["Next"] links to the next
// page, in the query's "status", when there are more.
func itemPage[T any](c *gin.Context, data gin.H, size int, no func(T) int64, list func(after int64, n int) ([]T, error)) ([]T, error) {
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	items, err := list(after, size+1)
	if err != nil {
		return nil, err
	}
	if len(items) > size {
		items = items[:size]
		data["Next"] = fmt.Sprintf("?status=%s&after=%d", c.Query("status"), no(items[len(items)-1]))
	}
	return items, nil
}

// revisionDiffURL is the wiki's page of a revision's diff ("" for none).
func revisionDiffURL(indexURL string, revID int64) string {
	if revID <= 0 {
		return ""
	}
	return fmt.Sprintf("%s?diff=%d", indexURL, revID)
}

func (s *Server) planPage(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	p, err := s.store.LatestPlan(ctx, j.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	data := gin.H{"Job": j, "Plan": p}
	if names, err := s.store.ValueResolutions(ctx, j.ID); err == nil {
		waiting := 0
		for _, byValue := range names {
			for _, v := range byValue {
				if v.Status == jobs.ValueAmbiguous || v.Status == jobs.ValueNone {
					waiting++
				}
			}
		}
		data["NamesWaiting"] = waiting
	}
	pg := page{Data: data}
	if p != nil {
		counts, err := s.store.PlanCounts(ctx, p.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		status := jobs.ItemStatus(c.Query("status"))
		items, err := itemPage(c, data, planPageSize, func(it *jobs.PlanItem) int64 { return it.No },
			func(after int64, n int) ([]*jobs.PlanItem, error) {
				return s.store.PlanItems(ctx, p.ID, status, after, n)
			})
		if err != nil {
			s.fail(c, err)
			return
		}
		view := parseTemplateView(j.Template, nil)
		indexURL := indexURLFor(j.Template)
		var list []planItemView
		for _, it := range items {
			ch, err := plan.DecodeChange(it.Diff)
			if err != nil {
				s.fail(c, err)
				return
			}
			list = append(list, planItemView{PlanItem: it, Change: ch, DiffURL: revisionDiffURL(indexURL, it.RevID)})
		}
		data["Items"], data["Counts"], data["SiteURL"], data["Status"] = list, counts, view.SiteURL, string(status)
		if p.EditGroupID != "" {
			data["EditGroups"] = editGroupsURL(s.cfg.EditGroupsTool, p.EditGroupID)
		}
		if counts.Failed > 0 {
			// The reasons beside the retry button: the first few, the rest
			// under the "failed" filter.
			failed, err := s.store.PlanItems(ctx, p.ID, jobs.ItemFailed, 0, failedShown)
			if err != nil {
				s.fail(c, err)
				return
			}
			data["FailedItems"] = failed
		}
		settled := counts.Done + counts.Nothing + counts.Failed + counts.ConflictItems
		data["Settled"] = settled
		if p.Status == jobs.PlanWriting && !p.StartedAt.IsZero() && settled > 0 {
			perMin := float64(settled) / max(time.Since(p.StartedAt).Minutes(), 1.0/60)
			data["Rate"] = perMin
			if left := counts.Pending + counts.Sending; left > 0 {
				data["ETA"] = (time.Duration(float64(left)/perMin*60) * time.Second).Round(time.Second).String()
			}
		}
		if st, err := s.store.UndoStateForPlan(ctx, p.ID); err == nil && st != nil {
			data["UndoState"] = st
		}
		if p.Status == jobs.PlanBuilding || p.Status == jobs.PlanWriting {
			pg.Refresh = 5
		}
	}
	s.render(c, http.StatusOK, "job_plan.html", pg)
}

// indexURLFor is the wiki's index.php, for links to diffs.
func indexURLFor(tmpl []byte) string {
	api := parseAPIURL(tmpl)
	if api == "" {
		api = "https://www.wikidata.org/w/api.php"
	}
	return strings.TrimSuffix(api, "api.php") + "index.php"
}

func (s *Server) buildPlan(c *gin.Context) {
	j := currentJob(c)
	if _, err := s.plans.BuildPlan(c.Request.Context(), j.ID, currentUser(c).ID); err != nil {
		s.planActionFailed(c, j, err)
		return
	}
	s.setFlash(c, "ok", "Building the edit plan from the wiki's current data. Nothing is written until you approve it.")
	c.Redirect(http.StatusSeeOther, s.jobPlanURL(j))
}

// currentPlan loads the job's latest plan and checks it is the one the form
// was about.
func (s *Server) currentPlan(c *gin.Context, j *jobs.Job) (*jobs.EditPlan, bool) {
	p, err := s.store.LatestPlan(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	if strconv.FormatInt(p.ID, 10) != c.PostForm("plan") {
		s.planActionFailed(c, j, jobs.Errorf(jobs.ECONFLICT, "A newer plan was made since you loaded the page; look at it first."))
		return nil, false
	}
	return p, true
}

func (s *Server) approvePlan(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.currentPlan(c, j)
	if !ok {
		return
	}
	var items []int64
	if c.PostForm("scope") == "selected" {
		items = []int64{}
		for _, v := range c.PostFormArray("item") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				items = append(items, n)
			}
		}
		if len(items) == 0 {
			s.planActionFailed(c, j, jobs.Errorf(jobs.EINVALID, "Select the items to approve, or approve the whole plan."))
			return
		}
	}
	if err := s.plans.ApprovePlan(c.Request.Context(), p.ID, currentUser(c).ID, items); err != nil {
		s.planActionFailed(c, j, err)
		return
	}
	s.logger.Info("plan approved", "job_id", j.ID, "plan_id", p.ID, "user_id", currentUser(c).ID, "items", len(items))
	s.setFlash(c, "ok", "Plan approved. Start the write-back when you are ready.")
	c.Redirect(http.StatusSeeOther, s.jobPlanURL(j))
}

func (s *Server) writeAction(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.currentPlan(c, j)
	if !ok {
		return
	}
	ctx, u := c.Request.Context(), currentUser(c)
	var (
		err error
		msg string
	)
	action := c.Param("action")
	if action == "start" || action == "resume" || action == "retry" {
		if s.auth.LocalMode() {
			if la, ok := s.auth.(LocalAuth); !ok || !la.OwnerOnly {
				s.planActionFailed(c, j, jobs.Errorf(jobs.EFORBIDDEN, "Writing to the wiki is off in local mode: configure an OAuth consumer (see the README)."))
				return
			}
		}
	}
	switch action {
	case "start", "resume":
		err, msg = s.plans.StartWriteback(ctx, p.ID, u), "Writing to the wiki in your name. You can leave this page; the work goes on."
	case "pause":
		err, msg = s.plans.PauseWriteback(ctx, p.ID), "Paused after the item in progress."
	case "cancel":
		err, msg = s.plans.CancelWriteback(ctx, p.ID), "Cancelled. Items already written stay written; EditGroups can undo them."
	case "retry":
		var n int64
		n, err = s.plans.RetryFailedItems(ctx, p.ID, u)
		msg = fmt.Sprintf("%d failed items are queued again, in your name; nothing else is re-planned or sent. Each is re-read before its edit, and one sent before is first looked up on the wiki, so what is there already is not sent again.", n)
	default:
		err = jobs.Errorf(jobs.ENOTFOUND, "There is no such action.")
	}
	if err != nil {
		s.planActionFailed(c, j, err)
		return
	}
	s.logger.Info("write-back "+c.Param("action"), "job_id", j.ID, "plan_id", p.ID, "user_id", u.ID)
	s.setFlash(c, "ok", msg)
	c.Redirect(http.StatusSeeOther, s.jobPlanURL(j))
}

func (s *Server) planActionFailed(c *gin.Context, j *jobs.Job, err error) {
	if code := jobs.ErrorCode(err); code == jobs.EINTERNAL || code == jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	s.setFlash(c, "error", jobs.ErrorMessage(err))
	c.Redirect(http.StatusSeeOther, s.jobPlanURL(j))
}

// planQuickStatements streams, as QuickStatements v1, the edits the
// write-back would still send: the items waiting to be written (approved,
// or every item of a plan not approved yet), and failed ones a retry would
// send again. Each is rendered from the very data the write-back sends.
func (s *Server) planQuickStatements(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	p, err := s.store.LatestPlan(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="partnerhub-job-%d-plan-%d.qs.txt"`, j.ID, p.ID))
	c.Status(http.StatusOK)
	var after int64
	for {
		items, err := s.store.PlanItems(ctx, p.ID, "", after, 500)
		if err != nil {
			s.logger.Error("QuickStatements export failed", "plan_id", p.ID, "err", err)
			return
		}
		for _, it := range items {
			after = it.No
			if !it.Approved || (it.Status != jobs.ItemPending && it.Status != jobs.ItemFailed) {
				continue
			}
			ch, err := plan.DecodeChange(it.Diff)
			var lines []string
			if err == nil {
				lines, err = ch.QuickStatements(it.QID)
			}
			if err != nil {
				// Headers are gone; the truncated file is the signal, the log the detail.
				s.logger.Error("QuickStatements export failed", "plan_id", p.ID, "item", it.No, "err", err)
				return
			}
			for _, line := range lines {
				_, _ = c.Writer.WriteString(line + "\n")
			}
		}
		if len(items) < 500 {
			return
		}
	}
}
