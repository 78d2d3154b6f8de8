package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// showcase lists published case studies, to everyone.
func (s *Server) showcase(c *gin.Context) {
	f := jobs.ShowcaseFilter{PartnerType: c.Query("type"), Country: c.Query("country"), SubjectQID: c.Query("subject")}
	list, err := s.store.CaseStudies(c.Request.Context(), f, 200)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "showcase_list.html", page{Nav: "showcase", Data: gin.H{"Cases": list, "Filter": f, "PartnerTypes": jobs.PartnerTypes}})
}

// caseStudy shows one case study with its statistics; reviewers are counted, not named.
func (s *Server) caseStudy(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("cid"), 10, 64)
	ctx := c.Request.Context()
	cs, err := s.store.CaseStudy(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	var st jobs.Statistics
	if cs.JobID != 0 {
		st, err = s.store.JobStatistics(ctx, cs.JobID)
	} else {
		st, err = s.store.GroupStatistics(ctx, cs.GroupID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	data := gin.H{"Case": cs, "Stats": newStatsView("case", st, false), "CanUnpublish": s.canUnpublish(c, cs)}
	if cs.TemplateID != 0 {
		if t, err := s.store.Template(ctx, cs.TemplateID); err == nil && t.Visibility == jobs.VisibilityPublic {
			data["Template"] = t
		}
	}
	s.render(c, http.StatusOK, "showcase_show.html", page{Nav: "showcase", Data: data})
}

// canUnpublish: whoever published it, the job's owner, or an owner of the group.
func (s *Server) canUnpublish(c *gin.Context, cs *jobs.CaseStudy) bool {
	u := currentUser(c)
	if u == nil {
		return false
	}
	if cs.OwnerID == u.ID {
		return true
	}
	ctx := c.Request.Context()
	if cs.JobID != 0 {
		j, err := s.store.Job(ctx, cs.JobID)
		return err == nil && j.OwnerID == u.ID
	}
	role, err := s.store.MemberRole(ctx, cs.GroupID, u.ID)
	return err == nil && role == jobs.RoleOwner
}

func (s *Server) unpublish(c *gin.Context) {
	id, _ := strconv.ParseInt(c.Param("cid"), 10, 64)
	ctx := c.Request.Context()
	cs, err := s.store.CaseStudy(ctx, id)
	if err == nil && !s.canUnpublish(c, cs) {
		err = jobs.Errorf(jobs.EFORBIDDEN, "Only the owner can take a case study off the showcase.")
	}
	if err == nil {
		err = s.store.UnpublishCaseStudy(ctx, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("case study unpublished", "case_id", id, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "The case study is off the showcase.")
	if cs.JobID != 0 {
		c.Redirect(http.StatusSeeOther, jobPath(cs.JobID)+"/publish")
	} else {
		c.Redirect(http.StatusSeeOther, groupPath(cs.GroupID))
	}
}

// publishForm offers a job's (or, under /groups, a group's) owner to publish it.
func (s *Server) publishForm(c *gin.Context) {
	s.renderPublish(c, http.StatusOK, nil, nil)
}

func (s *Server) renderPublish(c *gin.Context, status int, draft *jobs.CaseStudy, fl *flash) {
	ctx := c.Request.Context()
	data := gin.H{"PartnerTypes": jobs.PartnerTypes}
	var jobID, groupID int64
	if v, ok := c.Get(keyJob); ok {
		j := v.(*jobs.Job)
		jobID = j.ID
		data["Job"], data["Action"], data["Back"], data["Name"] = j, jobPath(j.ID)+"/publish", jobPath(j.ID), j.Title
		data["Finished"] = j.Status == jobs.JobReconciled
	} else {
		g := currentGroup(c)
		groupID = g.ID
		data["Group"], data["Action"], data["Back"], data["Name"] = g, groupPath(g.ID)+"/publish", groupPath(g.ID), g.Name
		data["Finished"] = true
	}
	cs, err := s.store.CaseStudyOf(ctx, jobID, groupID)
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Published"] = cs
	if draft == nil {
		draft = cs
	}
	if draft == nil {
		draft = &jobs.CaseStudy{Title: data["Name"].(string), TemplateID: s.publicOriginTemplate(c, jobID)}
	}
	data["Draft"] = draft
	tmpls, err := s.store.SearchTemplates(ctx, currentUser(c).ID, store.TemplateQuery{OnlyPublic: true, Limit: 200})
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Templates"] = tmpls
	s.render(c, status, "publish.html", page{Flash: fl, Data: data})
}

func (s *Server) publish(c *gin.Context) {
	cs := &jobs.CaseStudy{OwnerID: currentUser(c).ID, Title: c.PostForm("title"), PartnerName: c.PostForm("partner_name"), PartnerType: c.PostForm("partner_type"),
		Country: c.PostForm("country"), SubjectQID: c.PostForm("subject_qid"), DatasetSummary: c.PostForm("dataset_summary")}
	cs.TemplateID, _ = strconv.ParseInt(c.PostForm("template_id"), 10, 64)
	if v, ok := c.Get(keyJob); ok {
		j := v.(*jobs.Job)
		if j.Status != jobs.JobReconciled {
			s.renderPublish(c, http.StatusConflict, cs, &flash{Kind: "error", Text: "Only a finished (reconciled) job can be published."})
			return
		}
		cs.JobID = j.ID
	} else {
		cs.GroupID = currentGroup(c).ID
	}
	pub, err := s.store.PublishCaseStudy(c.Request.Context(), cs)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.EINVALID {
			s.renderPublish(c, http.StatusUnprocessableEntity, cs, &flash{Kind: "error", Text: jobs.ErrorMessage(err)})
			return
		}
		s.fail(c, err)
		return
	}
	s.logger.Info("case study published", "case_id", pub.ID, "job_id", pub.JobID, "group_id", pub.GroupID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "Published on the showcase.")
	c.Redirect(http.StatusSeeOther, "/showcase/"+strconv.FormatInt(pub.ID, 10))
}

// publicOriginTemplate is the library template a job was started from, when
// it is public (the only kind the showcase links to); 0 otherwise.
func (s *Server) publicOriginTemplate(c *gin.Context, jobID int64) int64 {
	if jobID == 0 {
		return 0
	}
	ctx := c.Request.Context()
	vid, err := s.store.JobTemplateVersion(ctx, jobID)
	if err != nil || vid == 0 {
		return 0
	}
	v, err := s.store.TemplateVersion(ctx, vid)
	if err != nil {
		return 0
	}
	t, err := s.store.Template(ctx, v.TemplateID)
	if err != nil || t.Visibility != jobs.VisibilityPublic {
		return 0
	}
	return t.ID
}
