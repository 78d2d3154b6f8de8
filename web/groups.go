package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// Context keys for group routes.
const (
	keyGroup = "partnerhub.group"
	keyRole  = "partnerhub.role"
)

// groupJobsShown bounds the jobs listed on a group page.
const groupJobsShown = 200

func currentGroup(c *gin.Context) *jobs.WorkingGroup { return c.MustGet(keyGroup).(*jobs.WorkingGroup) }
func currentRole(c *gin.Context) jobs.Role           { return c.MustGet(keyRole).(jobs.Role) }

// loadGroup loads the group named in the path for one of its members.
// Everyone else gets the 404 of a group that does not exist.
func (s *Server) loadGroup(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("gid"), 10, 64)
	u := currentUser(c)
	if err != nil || id <= 0 || u == nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such group."))
		c.Abort()
		return
	}
	ctx := c.Request.Context()
	g, err := s.store.Group(ctx, id)
	var role jobs.Role
	if err == nil {
		role, err = s.store.MemberRole(ctx, id, u.ID)
		if err == nil && role == "" {
			err = jobs.Errorf(jobs.ENOTFOUND, "The group was not found.")
		}
	}
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	c.Set(keyGroup, g)
	c.Set(keyRole, role)
	c.Next()
}

// requireGroupOwner lets only the group's owners through.
func (s *Server) requireGroupOwner(c *gin.Context) {
	if currentRole(c) != jobs.RoleOwner {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Only an owner of the group can do this."))
		c.Abort()
		return
	}
	c.Next()
}

// requireJobOwner lets only the job's owner through: group members work on
// a group job, but moving it, sharing it, publishing or deleting it stay
// with the person who brought it.
func (s *Server) requireJobOwner(c *gin.Context) {
	if currentJob(c).OwnerID != currentUser(c).ID {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Only the job's owner can do this."))
		c.Abort()
		return
	}
	c.Next()
}

func (s *Server) listGroups(c *gin.Context) {
	groups, err := s.store.GroupsOf(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "groups_list.html", page{Nav: "groups", Data: gin.H{"Groups": groups}})
}

func (s *Server) createGroup(c *gin.Context) {
	name, desc, wiki := c.PostForm("name"), c.PostForm("description"), c.PostForm("wiki_page")
	g, err := s.store.CreateGroup(c.Request.Context(), currentUser(c).ID, name, desc, wiki)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.EINVALID {
			groups, _ := s.store.GroupsOf(c.Request.Context(), currentUser(c).ID)
			s.render(c, http.StatusUnprocessableEntity, "groups_list.html", page{Nav: "groups", Flash: &flash{Kind: "error", Text: jobs.ErrorMessage(err)},
				Data: gin.H{"Groups": groups, "Name": name, "Description": desc, "WikiPage": wiki}})
			return
		}
		s.fail(c, err)
		return
	}
	s.logger.Info("group created", "group_id", g.ID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "Group created. Invite the others by their wiki usernames.")
	c.Redirect(http.StatusSeeOther, groupPath(g.ID))
}

func groupPath(id int64) string { return "/groups/" + strconv.FormatInt(id, 10) }

// groupJob is a job with its progress, for the group page.
type groupJob struct {
	*jobs.Job
	Progress progressView
}

func (s *Server) showGroup(c *gin.Context) {
	g := currentGroup(c)
	ctx := c.Request.Context()
	members, err := s.store.Members(ctx, g.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.store.GroupJobs(ctx, g.ID, groupJobsShown)
	if err != nil {
		s.fail(c, err)
		return
	}
	var gjobs []groupJob
	for _, j := range list {
		p, err := s.store.JobProgress(ctx, j.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		gjobs = append(gjobs, groupJob{Job: j, Progress: newProgressView(p)})
	}
	tmpls, err := s.store.SearchTemplates(ctx, currentUser(c).ID, store.TemplateQuery{GroupID: g.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.store.GroupStatistics(ctx, g.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.store.CaseStudyOf(ctx, 0, g.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "group_show.html", page{Nav: "groups", Data: gin.H{
		"Group": g, "Role": currentRole(c), "IsOwner": currentRole(c) == jobs.RoleOwner, "Me": currentUser(c).ID,
		"Members": members, "Jobs": gjobs, "Templates": tmpls, "Stats": newStatsView("group", st, true), "CaseStudy": cs,
		"PartnerTypes": jobs.PartnerTypes,
	}})
}

func (s *Server) updateGroup(c *gin.Context) {
	g := currentGroup(c)
	if err := s.store.UpdateGroup(c.Request.Context(), g.ID, c.PostForm("name"), c.PostForm("description"), c.PostForm("wiki_page")); err != nil {
		s.backToGroup(c, g, err)
		return
	}
	s.setFlash(c, "ok", "Group details saved.")
	c.Redirect(http.StatusSeeOther, groupPath(g.ID))
}

// backToGroup shows a user's mistake as a message on the group page, and
// anything else as an error page.
func (s *Server) backToGroup(c *gin.Context, g *jobs.WorkingGroup, err error) {
	switch jobs.ErrorCode(err) {
	case jobs.EINVALID, jobs.ECONFLICT:
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, groupPath(g.ID))
	default:
		s.fail(c, err)
	}
}

func (s *Server) inviteMember(c *gin.Context) {
	g := currentGroup(c)
	m, err := s.store.AddMember(c.Request.Context(), g.ID, c.PostForm("username"), jobs.Role(c.PostForm("role")))
	if err != nil {
		s.backToGroup(c, g, err)
		return
	}
	s.logger.Info("group member added", "group_id", g.ID, "member_id", m.UserID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", m.Username+" is now a "+string(m.Role)+" of the group.")
	c.Redirect(http.StatusSeeOther, groupPath(g.ID))
}

func memberParam(c *gin.Context) int64 {
	id, _ := strconv.ParseInt(c.Param("uid"), 10, 64)
	return id
}

func (s *Server) setMemberRole(c *gin.Context) {
	g := currentGroup(c)
	if err := s.store.SetMemberRole(c.Request.Context(), g.ID, memberParam(c), jobs.Role(c.PostForm("role"))); err != nil {
		s.backToGroup(c, g, err)
		return
	}
	s.setFlash(c, "ok", "Role changed.")
	c.Redirect(http.StatusSeeOther, groupPath(g.ID))
}

func (s *Server) removeMember(c *gin.Context) {
	g := currentGroup(c)
	if err := s.store.RemoveMember(c.Request.Context(), g.ID, memberParam(c)); err != nil {
		s.backToGroup(c, g, err)
		return
	}
	s.logger.Info("group member removed", "group_id", g.ID, "member_id", memberParam(c), "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "Member removed.")
	c.Redirect(http.StatusSeeOther, groupPath(g.ID))
}

func (s *Server) leaveGroup(c *gin.Context) {
	g := currentGroup(c)
	if err := s.store.RemoveMember(c.Request.Context(), g.ID, currentUser(c).ID); err != nil {
		s.backToGroup(c, g, err)
		return
	}
	s.setFlash(c, "ok", "You left "+g.Name+".")
	c.Redirect(http.StatusSeeOther, "/groups")
}

func (s *Server) deleteGroup(c *gin.Context) {
	g := currentGroup(c)
	if err := s.store.DeleteGroup(c.Request.Context(), g.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("group deleted", "group_id", g.ID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", "The group "+g.Name+" was deleted; its jobs went back to their owners.")
	c.Redirect(http.StatusSeeOther, "/groups")
}

// moveJob puts the job into one of the owner's groups, or takes it out (group 0).
func (s *Server) moveJob(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	gid, err := strconv.ParseInt(strings.TrimSpace(c.PostForm("group_id")), 10, 64)
	if err != nil || gid < 0 {
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Choose a group."))
		return
	}
	if gid > 0 {
		role, err := s.store.MemberRole(ctx, gid, currentUser(c).ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		if role == "" {
			s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such group."))
			return
		}
	}
	if err := s.store.SetJobGroup(ctx, j.ID, gid); err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("job moved", "job_id", j.ID, "group_id", gid, "user_id", currentUser(c).ID)
	if gid == 0 {
		s.setFlash(c, "ok", "The job is yours alone again.")
	} else {
		s.setFlash(c, "ok", "The job now belongs to the group: every member can see, run and review it.")
	}
	c.Redirect(http.StatusSeeOther, jobPath(j.ID))
}

func jobPath(id int64) string { return "/jobs/" + strconv.FormatInt(id, 10) }

// jobGroupPage offers the job's owner their groups to move the job into.
func (s *Server) jobGroupPage(c *gin.Context) {
	groups, err := s.store.GroupsOf(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "job_group.html", page{Data: gin.H{"Job": currentJob(c), "Groups": groups}})
}
