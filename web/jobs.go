package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

func (s *Server) listJobs(c *gin.Context) {
	list, err := s.store.JobsVisibleTo(c.Request.Context(), currentUser(c).ID, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "jobs_list.html", page{Nav: "jobs", Data: gin.H{"Jobs": list}})
}

func (s *Server) newJobForm(c *gin.Context) {
	s.render(c, http.StatusOK, "job_new.html", page{Nav: "new", Data: gin.H{}})
}

func (s *Server) createJob(c *gin.Context) {
	title := strings.TrimSpace(c.PostForm("title"))
	description := strings.TrimSpace(c.PostForm("description"))
	j, err := s.store.CreateJob(c.Request.Context(), currentUser(c).ID, title, description)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.EINVALID {
			// Show the form again with what was typed.
			s.render(c, http.StatusUnprocessableEntity, "job_new.html", page{Nav: "new",
				Flash: &flash{Kind: "error", Text: jobs.ErrorMessage(err)},
				Data:  gin.H{"Title": title, "Description": description}})
			return
		}
		s.fail(c, err)
		return
	}
	s.logger.Info("job created", "job_id", j.ID, "user_id", j.OwnerID)
	s.setFlash(c, "ok", "Job created. Now upload the partner's dataset.")
	c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
}

// maxFailedShown is how many failed batches the job page lists.
const maxFailedShown = 50

func (s *Server) showJob(c *gin.Context) {
	j := currentJob(c)
	ds, err := s.store.DatasetOfJob(c.Request.Context(), j.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	applied := s.applyTemplateOnImport(c.Request.Context(), j, ds)
	prog, err := s.store.JobProgress(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	pending, err := s.store.PendingDataset(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := page{Data: gin.H{"Job": j, "Dataset": ds, "Pending": pending, "MaxUpload": humanLimit(s.cfg.MaxUploadBytes), "Progress": newProgressView(prog)}}
	if prog.Failed > 0 {
		// Failed rows are shown as failed, with why, and can be retried.
		failed, err := s.store.FailedBatches(c.Request.Context(), j.ID, maxFailedShown)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Data.(gin.H)["Failed"] = failed
	}
	if plan, err := s.store.LatestPlan(c.Request.Context(), j.ID); err == nil {
		p.Data.(gin.H)["Plan"] = plan
	}
	if w, err := s.jobWatch(c.Request.Context(), j); err != nil {
		s.fail(c, err)
		return
	} else if w != nil {
		p.Data.(gin.H)["Watch"] = w
	}
	if s.endpointPace != nil && len(j.Template) > 0 && prog.Batches > 0 {
		if pace, err := s.endpointPace(c.Request.Context(), j); err == nil {
			p.Data.(gin.H)["Pace"] = pace
		} else {
			s.logger.Warn("could not read the query service's pace", "job_id", j.ID, "err", err)
		}
	}
	importing := func(d *jobs.Dataset) bool {
		return d != nil && (d.Status == jobs.DatasetUploaded || d.Status == jobs.DatasetImporting)
	}
	if importing(ds) || importing(pending) || j.Status == jobs.JobReconciling {
		p.Refresh = 5
	}
	if applied {
		p.Flash = &flash{Kind: "ok", Text: "The file is imported and the template's mapping is applied to it. Check it on the mapping page, then start the reconciliation."}
	}
	s.render(c, http.StatusOK, "job_show.html", p)
}

// jobStatus is the JSON the job page polls for progress.
func (s *Server) jobStatus(c *gin.Context) {
	j := currentJob(c)
	out := gin.H{"job": gin.H{"id": j.ID, "status": j.Status, "error": j.Error}}
	ds, err := s.store.DatasetOfJob(c.Request.Context(), j.ID)
	switch {
	case err == nil:
		out["dataset"] = gin.H{"status": ds.Status, "rows": ds.RowCount, "error": ds.Error, "file_name": ds.FileName, "version": ds.Version, "key_column": ds.KeyColumn,
			"refresh": gin.H{"kept": ds.Refresh.Kept, "changed": ds.Refresh.Changed, "added": ds.Refresh.Added, "removed": ds.Refresh.Removed}}
		if pending, err := s.store.PendingDataset(c.Request.Context(), j.ID); err == nil && pending != nil {
			out["new_version"] = gin.H{"version": pending.Version, "status": pending.Status, "rows": pending.RowCount, "error": pending.Error, "file_name": pending.FileName}
		}
	case jobs.ErrorCode(err) != jobs.ENOTFOUND:
		s.fail(c, err)
		return
	}
	prog, err := s.store.JobProgress(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out["reconciliation"] = newProgressView(prog)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

func (s *Server) deleteJob(c *gin.Context) {
	j := currentJob(c)
	archives, err := s.store.JobArchives(c.Request.Context(), j.ID)
	if err == nil {
		err = s.store.DeleteJob(c.Request.Context(), j.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	removed := s.archives.RemoveFiles(archives)
	s.logger.Info("job deleted", "job_id", j.ID, "user_id", currentUser(c).ID, "media_archives_deleted", removed)
	s.setFlash(c, "ok", "The job \""+j.Title+"\" was deleted.")
	c.Redirect(http.StatusSeeOther, "/jobs")
}
