package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
)

// bulkChoice is what a reviewer chose to accept in bulk, as it travels in
// the bulk page's address and forms.
type bulkChoice struct {
	Mode     string // jobs.BulkMatched or jobs.BulkScore
	MinScore float64
	Min      string // the threshold as typed
}

func readBulkChoice(mode, min string) (bulkChoice, error) {
	b := bulkChoice{Mode: mode, Min: strings.TrimSpace(min)}
	switch mode {
	case jobs.BulkMatched:
		b.Min = ""
	case jobs.BulkScore:
		f, err := parseScore(b.Min)
		if err == nil && f == 0 {
			err = jobs.Errorf(jobs.EINVALID, "Choose a score above 0 for bulk acceptance.")
		}
		if err != nil {
			return b, err
		}
		b.MinScore = f
	default:
		return b, jobs.Errorf(jobs.EINVALID, "Choose what to accept: the matched rows, or the rows scoring at least a threshold.")
	}
	return b, nil
}

// Describe says which rows the choice takes, in a reviewer's words.
func (b bulkChoice) describe(t *match.Template) string {
	if b.Mode == jobs.BulkMatched {
		return fmt.Sprintf("that reconciliation matched (its auto-accept threshold: best score at least %.2f and at least %.2f ahead of the next candidate)",
			t.AutoAccept.Score, t.AutoAccept.Margin)
	}
	return fmt.Sprintf("whose best candidate scores at least %.2f", b.MinScore)
}

// autoAccept reads the job's template for its thresholds; a job without a
// readable template shows the defaults it would reconcile with.
func autoAccept(j *jobs.Job) *match.Template {
	if t, err := match.ParseTemplate(j.Template); err == nil {
		return t
	}
	return &match.Template{AutoAccept: match.AutoAccept{Score: match.DefaultAutoAcceptScore, Margin: match.DefaultAutoAcceptMargin}}
}

// bulkPage is the confirmation step of bulk acceptance: how many rows the
// choice takes and at which threshold, with the score histogram to choose
// the threshold by. It changes nothing; its form does.
func (s *Server) bulkPage(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	mode := c.DefaultQuery("mode", jobs.BulkScore)
	min := c.Query("min_score")
	if mode == jobs.BulkScore && min == "" {
		min = "0.9"
	}
	h, err := s.store.ScoreHistogram(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	choice, err := readBulkChoice(mode, min)
	data := gin.H{"Job": j, "Choice": choice, "Return": reviewAddress(c.Query("return"), j)}
	if err != nil {
		data["Error"] = jobs.ErrorMessage(err)
	} else {
		// From the histogram's counts: what the page shows adds up.
		data["Count"] = h.Takes(choice.Mode, choice.MinScore)
		data["What"] = choice.describe(autoAccept(j))
	}
	base := fmt.Sprintf("/jobs/%d/review/bulk?", j.ID)
	ret := url.Values{"return": {data["Return"].(string)}}
	data["Histogram"] = newScoreHistogram("bulk-hist", h, choice.MinScore, func(from float64) string {
		v := url.Values{"mode": {jobs.BulkScore}, "min_score": {strconv.FormatFloat(from, 'f', 2, 64)}, "return": ret["return"]}
		return base + v.Encode()
	})
	data["Matched"] = h.Matched
	data["MatchedURL"] = base + url.Values{"mode": {jobs.BulkMatched}, "return": ret["return"]}.Encode()
	s.render(c, http.StatusOK, "job_bulk.html", page{Data: data})
}

// bulkAccept accepts in bulk once the reviewer confirmed on the bulk page;
// an unconfirmed request is sent to that page and changes nothing.
func (s *Server) bulkAccept(c *gin.Context) {
	j := currentJob(c)
	choice, err := readBulkChoice(c.PostForm("mode"), c.PostForm("min_score"))
	if err == nil && c.PostForm("confirm") != "1" {
		v := url.Values{"mode": {choice.Mode}, "return": {c.PostForm("return")}}
		if choice.Mode == jobs.BulkScore {
			v.Set("min_score", choice.Min)
		}
		c.Redirect(http.StatusSeeOther, fmt.Sprintf("/jobs/%d/review/bulk?%s", j.ID, v.Encode()))
		return
	}
	var b *jobs.BulkDecision
	if err == nil {
		b, err = s.store.AcceptInBulk(c.Request.Context(), j.ID, currentUser(c).ID, choice.Mode, choice.MinScore)
	}
	if err != nil {
		s.decisionFailed(c, j, err)
		return
	}
	if b == nil {
		s.setFlash(c, "error", "No undecided row qualifies any more: nothing was accepted.")
	} else {
		s.setFlash(c, "ok", fmt.Sprintf("Accepted the best candidate of %s %s. “Undo” under “Bulk acceptances” takes them back.", rowsWord(b.Rows), choice.describe(autoAccept(j))))
	}
	c.Redirect(http.StatusSeeOther, s.reviewReturn(c, j))
}

// undoBulk takes a bulk acceptance back and says which rows it kept.
func (s *Server) undoBulk(c *gin.Context) {
	j := currentJob(c)
	id, err := strconv.ParseInt(c.Param("bulk"), 10, 64)
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such bulk decision."))
		return
	}
	u, err := s.store.UndoBulk(c.Request.Context(), j.ID, id, currentUser(c).ID)
	if err != nil {
		s.decisionFailed(c, j, err)
		return
	}
	s.setFlash(c, "ok", undoSummary(u))
	c.Redirect(http.StatusSeeOther, s.reviewReturn(c, j))
}

// undoSummary says what an undo did, naming the rows it kept (up to a
// dozen; the count covers all).
func undoSummary(u *jobs.BulkUndo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Undid the bulk acceptance of %s by %s: %s undecided again.", rowsWord(u.Bulk.Rows), u.Bulk.UserName, rowsWord(u.Restored))
	if u.Withdrawn > 0 {
		fmt.Fprintf(&b, " %s had been undone already.", rowsWord(u.Withdrawn))
	}
	if u.Bulk.Kept > 0 {
		fmt.Fprintf(&b, " Kept %s decided since then:", rowsWord(u.Bulk.Kept))
		for i, d := range u.Kept {
			if i == 12 {
				break
			}
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " row %d (%s by %s)", d.Row, decisionWords(d), d.UserName)
		}
		if u.Bulk.Kept > 12 {
			fmt.Fprintf(&b, " and %d more", u.Bulk.Kept-12)
		}
		b.WriteString(".")
	}
	return b.String()
}

func rowsWord(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

func decisionWords(d jobs.Decision) string {
	switch d.Kind {
	case jobs.DecisionAccept:
		return "accepted " + d.QID
	case jobs.DecisionReject:
		return "rejected"
	default:
		return "not on Wikidata"
	}
}
