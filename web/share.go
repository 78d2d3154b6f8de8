package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/export"
)

const keyShareJob = "partnerhub.share_job"

// redactedToken replaces a share token in the request path, so that no log
// line (ours, the recover handler's, fail's) can carry it.
const redactedToken = "[token]"

// loadShare opens the job of the share token in the path. Unknown, revoked
// and expired tokens get the same 404. The token is taken out of the
// request's path before anything can log it.
func (s *Server) loadShare(c *gin.Context) {
	token := c.Param("token")
	c.Request.URL.Path = "/share/" + redactedToken + strings.TrimPrefix(c.Request.URL.Path, "/share/"+token)
	c.Request.URL.RawPath = ""
	if s.setShareJob(c, token) {
		c.Next()
	}
}

// setShareJob puts the job of a share token on the request; false: it
// answered the error and aborted.
func (s *Server) setShareJob(c *gin.Context, token string) bool {
	j, _, err := s.store.JobForShareToken(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return false
	}
	c.Set(keyShareJob, j)
	return true
}

func shareJob(c *gin.Context) *jobs.Job { return c.MustGet(keyShareJob).(*jobs.Job) }

// sharePage is what a partner sees: the job's summary, its statistics
// (reviewers as a count only) and the downloads.
func (s *Server) sharePage(c *gin.Context) {
	j := shareJob(c)
	ctx := c.Request.Context()
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	st, err := s.store.JobStatistics(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("X-Robots-Tag", "noindex")
	s.render(c, http.StatusOK, "share_show.html", page{Data: gin.H{
		"Job": j, "Dataset": ds, "Stats": newStatsView("share", st, false),
		// The partner's own token, already in their address bar; no other.
		"Base": "/share/" + c.Param("token"), "Formats": exportFormats,
	}})
}

// exportFormats are offered for download, in this order.
var exportFormats = []export.Format{export.FormatCSV, export.FormatTSV, export.FormatJSONLines, export.FormatJSON}

func (s *Server) shareExport(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	s.streamEnriched(c, shareJob(c))
}

// jobExport is the enriched export for the job's members.
func (s *Server) jobExport(c *gin.Context) { s.streamEnriched(c, currentJob(c)) }

// streamEnriched sends the job's enriched dataset in the format of the
// path, with the wiki columns asked for in the query.
func (s *Server) streamEnriched(c *gin.Context, j *jobs.Job) {
	format, err := export.ParseFormat(c.Param("format"))
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such export."))
		return
	}
	langs, props, err := export.ParseWikiColumns(c.Query("languages"), c.Query("properties"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ds, err := s.store.DatasetOfJob(c.Request.Context(), j.ID)
	if err == nil && ds.Status != jobs.DatasetImported {
		err = jobs.Errorf(jobs.ENOTFOUND, "The job has no imported dataset yet.")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	// The wiki columns come from the job's query service, when wired.
	var facts export.ItemFacts
	if s.itemFacts != nil && (len(langs) > 0 || len(props) > 0) {
		if facts, err = s.itemFacts(j); err != nil {
			s.fail(c, err)
			return
		}
	}
	files, err := s.store.RowMedia(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := strings.TrimSuffix(strings.TrimSuffix(ds.FileName, ".csv"), ".tsv")
	c.Header("Content-Type", format.ContentType())
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, url.PathEscape(name+"-enriched."+string(format))))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	err = export.WriteEnriched(c.Request.Context(), c.Writer, s.store, j.ID, ds, export.EnrichedOptions{Format: format, Languages: langs, Properties: props, Facts: facts,
		Watched: s.store, Media: export.MediaByRow(files)})
	if err != nil {
		// The headers are sent: a cut-off file is the partner's signal, the log ours.
		s.logger.Error("enriched export failed", "job_id", j.ID, "format", format, "err", err)
	}
}

// shareLinksPage lists the job's share links; newURL is set right after one
// was made (the only time its token is ever shown).
func (s *Server) shareLinksPage(c *gin.Context, status int, newURL string, fl *flash) {
	j := currentJob(c)
	links, err := s.store.ShareLinks(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now()
	type linkView struct {
		jobs.ShareLink
		Active bool
	}
	var views []linkView
	for _, l := range links {
		views = append(views, linkView{ShareLink: l, Active: l.Active(now)})
	}
	if newURL != "" {
		c.Header("Cache-Control", "no-store")
	}
	s.render(c, status, "job_share.html", page{Flash: fl, Data: gin.H{"Job": j, "Links": views, "NewURL": newURL, "Formats": exportFormats}})
}

func (s *Server) showShareLinks(c *gin.Context) { s.shareLinksPage(c, http.StatusOK, "", nil) }

func (s *Server) createShareLink(c *gin.Context) {
	j := currentJob(c)
	var expires time.Time
	if d := strings.TrimSpace(c.PostForm("expires")); d != "" {
		day, err := time.Parse("2006-01-02", d)
		if err != nil {
			s.shareLinksPage(c, http.StatusUnprocessableEntity, "", &flash{Kind: "error", Text: "Give the expiry as a date (YYYY-MM-DD), or leave it empty."})
			return
		}
		expires = day.Add(24 * time.Hour) // the link works through the whole day given
	}
	token, l, err := s.store.CreateShareLink(c.Request.Context(), j.ID, currentUser(c).ID, c.PostForm("label"), expires)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.EINVALID {
			s.shareLinksPage(c, http.StatusUnprocessableEntity, "", &flash{Kind: "error", Text: jobs.ErrorMessage(err)})
			return
		}
		s.fail(c, err)
		return
	}
	s.logger.Info("share link created", "job_id", j.ID, "link_id", l.ID, "user_id", currentUser(c).ID)
	scheme := "http"
	if s.isHTTPS(c) {
		scheme = "https"
	}
	s.shareLinksPage(c, http.StatusCreated, scheme+"://"+c.Request.Host+"/share/"+token,
		&flash{Kind: "ok", Text: "Share link created. Copy it now: it is shown only this once."})
}

func (s *Server) revokeShareLink(c *gin.Context) {
	j := currentJob(c)
	id, _ := strconv.ParseInt(c.Param("lid"), 10, 64)
	if err := s.store.RevokeShareLink(c.Request.Context(), j.ID, id); err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("share link revoked", "job_id", j.ID, "link_id", id, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "The link is revoked; it stopped working at once.")
	c.Redirect(http.StatusSeeOther, jobPath(j.ID)+"/share")
}
