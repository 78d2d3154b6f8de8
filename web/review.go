package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"partnerhub/jobs"
	"partnerhub/jobs/export"
)

// reviewPageSize is how many rows one review page shows.
const reviewPageSize = 25

// ItemCheck confirms that an item exists on the job's Wikibase, following
// a redirect (a merged item) to its target; used when a reviewer types a QID
// by hand. A missing item is an EINVALID error saying so.
type ItemCheck func(ctx context.Context, job *jobs.Job, qid string) (CheckedItem, error)

// CheckedItem is what a typed QID names on the wiki.
type CheckedItem struct {
	QID            string // the item to record: the redirect's target, or the QID typed
	Label          string
	RedirectedFrom string // the QID typed, when it redirects to QID
}

// templateView is the part of a job template the review page needs.
type templateView struct {
	SiteURL string
	// Language is the template's first language: labels in it need no
	// language named beside them.
	Language string
	// Properties maps a column to the property it holds, in column order.
	Properties []mappedColumn
}

type mappedColumn struct {
	Column   string
	Index    int
	Property string
}

func parseTemplateView(raw []byte, columns []string) templateView {
	var t struct {
		Wikibase struct {
			SiteURL string `json:"site_url"`
		} `json:"wikibase"`
		Columns map[string]struct {
			Property string `json:"property"`
		} `json:"columns"`
		Languages []string `json:"languages"`
	}
	_ = json.Unmarshal(raw, &t)
	v := templateView{SiteURL: t.Wikibase.SiteURL, Language: "en"}
	if len(t.Languages) > 0 {
		v.Language = t.Languages[0]
	}
	if v.SiteURL == "" {
		v.SiteURL = "https://www.wikidata.org/wiki/"
	}
	for i, c := range columns {
		if m, ok := t.Columns[c]; ok && m.Property != "" {
			v.Properties = append(v.Properties, mappedColumn{Column: c, Index: i, Property: m.Property})
		}
	}
	return v
}

// reviewQuery is the review page's filter as it travels in the URL.
type reviewQuery struct {
	Status, Min, Max, Text, Sort string
	View                         string // "" (detailed) or "compact": one line per row
}

func (q reviewQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "min": q.Min, "max": q.Max, "q": q.Text, "sort": q.Sort, "view": q.View} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

func (q reviewQuery) Encode() string { return q.values().Encode() }

// WithView is the address of the same filter shown in another view.
func (q reviewQuery) WithView(view string) string {
	q.View = view
	return "?" + q.Encode()
}

func (s *Server) reviewPage(c *gin.Context) {
	j := currentJob(c)
	ds, ok := s.importedDataset(c, j)
	if !ok {
		return
	}
	q := reviewQuery{Status: c.Query("status"), Min: c.Query("min"), Max: c.Query("max"), Text: c.Query("q"), Sort: c.Query("sort")}
	q.View = s.reviewView(c)
	f := jobs.ReviewFilter{Status: q.Status, Text: q.Text, SortBy: q.Sort}
	var err error
	if f.MinScore, err = parseScore(q.Min); err == nil {
		f.MaxScore, err = parseScore(q.Max)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur *jobs.ReviewCursor
	if a := c.Query("after"); a != "" {
		row, err1 := strconv.ParseInt(a, 10, 64)
		score, err2 := strconv.ParseFloat(c.DefaultQuery("after_score", "0"), 64)
		if err1 != nil || err2 != nil {
			s.fail(c, jobs.Errorf(jobs.EINVALID, "The page position in the address is malformed."))
			return
		}
		cur = &jobs.ReviewCursor{Row: row, Score: score}
	}
	rows, next, err := s.store.ReviewPage(c.Request.Context(), j.ID, ds.ID, f, cur, reviewPageSize)
	if err != nil {
		s.fail(c, err)
		return
	}
	counts, err := s.store.DecisionCounts(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	prog, err := s.store.JobProgress(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	bulk, err := s.store.BulkDecisions(c.Request.Context(), j.ID, 5)
	if err != nil {
		s.fail(c, err)
		return
	}
	byKind := map[string]int64{}
	for k, n := range counts {
		byKind[string(k)] = n
	}
	data := gin.H{"Job": j, "Dataset": ds, "Rows": rows, "Query": q, "Template": parseTemplateView(j.Template, ds.Columns),
		"Counts": byKind, "Progress": prog, "Return": c.Request.URL.RequestURI(), "Compact": q.View == "compact",
		"Bulk": bulk, "BulkOpen": len(bulk) > 0 && bulk[0].UndoneAt.IsZero()}
	if next != nil {
		v := q.values()
		v.Set("after", strconv.FormatInt(next.Row, 10))
		if q.Sort == "score" {
			v.Set("after_score", strconv.FormatFloat(next.Score, 'g', -1, 64))
		}
		data["Next"] = "?" + v.Encode()
	}
	if cur != nil {
		data["First"] = "?" + q.Encode()
	}
	s.render(c, http.StatusOK, "job_review.html", page{Data: data})
}

// reviewViewCookie remembers the view a reviewer last chose, so the
// review page opens in it from anywhere (links need not carry it).
const reviewViewCookie = "review_view"

// reviewView is the view to show: the one in the address, which is then
// remembered, else the remembered one, else the detailed view ("").
func (s *Server) reviewView(c *gin.Context) string {
	v, inURL := c.GetQuery("view")
	if inURL {
		c.SetSameSite(http.SameSiteLaxMode)
		c.SetCookie(reviewViewCookie, v, 365*24*3600, "/", "", s.cfg.SecureCookies, true)
	} else {
		v, _ = c.Cookie(reviewViewCookie)
	}
	if v == "compact" {
		return "compact"
	}
	return ""
}

func parseScore(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1 {
		return 0, jobs.Errorf(jobs.EINVALID, "A score bound must be a number from 0 to 1, not %q.", s)
	}
	return f, nil
}

// decide handles one row's decision: accept a candidate or a typed QID,
// reject all, mark "not on Wikidata", or undo.
func (s *Server) decide(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	row, err := strconv.ParseInt(c.Param("row"), 10, 64)
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such row."))
		return
	}
	version, _ := strconv.Atoi(c.PostForm("version"))
	user := currentUser(c)
	var (
		d    *jobs.Decision
		note string // what the reviewer should know about the decision recorded
	)
	switch action := c.PostForm("action"); action {
	case "accept":
		qid := strings.ToUpper(strings.TrimSpace(c.PostForm("qid")))
		if c.PostForm("manual") == "1" && jobs.ValidQID(qid) && s.itemCheck != nil {
			item, err := s.itemCheck(ctx, j, qid)
			if err != nil {
				s.decisionFailed(c, j, err)
				return
			}
			if item.RedirectedFrom != "" && jobs.ValidQID(item.QID) {
				note = fmt.Sprintf("%s was merged into %s (it redirects there): row %d is linked to %s.", item.RedirectedFrom, item.QID, row, item.QID)
				qid = item.QID
			}
		}
		d, err = s.store.Decide(ctx, j.ID, row, jobs.DecisionAccept, qid, user.ID, version)
	case "reject":
		d, err = s.store.Decide(ctx, j.ID, row, jobs.DecisionReject, "", user.ID, version)
	case "new":
		d, err = s.store.Decide(ctx, j.ID, row, jobs.DecisionNew, "", user.ID, version)
	case "undo":
		err = s.store.Undo(ctx, j.ID, row, user.ID, version)
	default:
		err = jobs.Errorf(jobs.EINVALID, "Unknown review action %q.", action)
	}
	if err != nil {
		s.decisionFailed(c, j, err)
		return
	}
	if note != "" {
		s.logger.Info("typed QID followed to its redirect target", "job_id", j.ID, "row", row, "qid", d.QID)
	}
	if wantsJSON(c) {
		out := gin.H{"row": row, "decision": decisionJSON(d)}
		if note != "" {
			out["message"] = note
		}
		c.JSON(http.StatusOK, out)
		return
	}
	if note != "" {
		s.setFlash(c, "ok", note)
	}
	c.Redirect(http.StatusSeeOther, s.reviewReturn(c, j)+"#row-"+strconv.FormatInt(row, 10))
}

func decisionJSON(d *jobs.Decision) any {
	if d == nil {
		return nil
	}
	return gin.H{"kind": d.Kind, "qid": d.QID, "user": d.UserName, "version": d.Version, "decided_at": d.DecidedAt}
}

// decisionFailed reports a refused decision: in JSON for the page's script,
// else as a message on the review page the reviewer came from.
func (s *Server) decisionFailed(c *gin.Context, j *jobs.Job, err error) {
	code := jobs.ErrorCode(err)
	if code == jobs.EINTERNAL {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(statusFor(code), gin.H{"error": gin.H{"code": code, "message": jobs.ErrorMessage(err)}})
		return
	}
	s.setFlash(c, "error", jobs.ErrorMessage(err))
	c.Redirect(http.StatusSeeOther, s.reviewReturn(c, j))
}

// reviewReturn is where to go back to after a review form: the page the form
// was on, if it is this job's review page.
func (s *Server) reviewReturn(c *gin.Context, j *jobs.Job) string {
	return reviewAddress(c.PostForm("return"), j)
}

// reviewAddress is ret if it is an address of this job's review page, else
// the review page itself: forms never send people elsewhere.
func reviewAddress(ret string, j *jobs.Job) string {
	base := fmt.Sprintf("/jobs/%d/review", j.ID)
	if ret == base || strings.HasPrefix(ret, base+"?") {
		return ret
	}
	return base
}

// exportDecisions streams the dataset with its decisions as CSV.
func (s *Server) exportDecisions(c *gin.Context) {
	j := currentJob(c)
	ds, ok := s.importedDataset(c, j)
	if !ok {
		return
	}
	name := strings.TrimSuffix(ds.FileName, ".csv")
	name = strings.TrimSuffix(name, ".tsv")
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, url.PathEscape(name+"-partnerhub.csv")))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := export.WriteDecisionsCSV(c.Request.Context(), c.Writer, s.store, j, ds, ','); err != nil {
		// Headers are gone; the truncated file is the signal, the log the detail.
		s.logger.Error("export failed", "job_id", j.ID, "err", err)
	}
}

// parseAPIURL reads the template's Action API URL, if any.
func parseAPIURL(raw []byte) string {
	var t struct {
		Wikibase struct {
			APIURL string `json:"api_url"`
		} `json:"wikibase"`
	}
	_ = json.Unmarshal(raw, &t)
	return t.Wikibase.APIURL
}

// languageName names a label's language for the reviewer: "German (de)",
// or the bare code when it is not one the language tables know.
func languageName(code string) string {
	tag, err := language.Parse(code)
	if err != nil {
		return code
	}
	if name := display.English.Tags().Name(tag); name != "" {
		return name + " (" + code + ")"
	}
	return code
}
