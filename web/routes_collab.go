package web

import "github.com/gin-gonic/gin"

// collabRoutes adds working groups, the template library, partner sharing,
// exports, statistics, the showcase and the JSON API. app is the group with
// CSRF and identify; job is app's /jobs/:id group (a user who may see the job).
func (s *Server) collabRoutes(app, job *gin.RouterGroup) {
	app.GET("/groups", s.requireUser, s.listGroups)
	app.POST("/groups", s.requireUser, s.createGroup)
	group := app.Group("/groups/:gid", s.requireUser, s.loadGroup)
	group.GET("", s.showGroup)
	group.POST("/leave", s.leaveGroup)
	owner := group.Group("", s.requireGroupOwner)
	owner.POST("/edit", s.updateGroup)
	owner.POST("/members", s.inviteMember)
	owner.POST("/members/:uid/role", s.setMemberRole)
	owner.POST("/members/:uid/remove", s.removeMember)
	owner.POST("/delete", s.deleteGroup)
	owner.GET("/publish", s.publishForm)
	owner.POST("/publish", s.publish)

	app.GET("/templates", s.listTemplates)
	app.GET("/templates/import", s.requireUser, s.importTemplateForm)
	app.POST("/templates/import", s.requireUser, s.importTemplate)
	tmpl := app.Group("/templates/:tid", s.loadTemplate)
	tmpl.GET("", s.showTemplate)
	tmpl.GET("/versions/:n", s.showTemplate)
	tmpl.GET("/export.json", s.exportTemplate)
	tmpl.POST("/versions", s.requireUser, s.addTemplateVersion)
	tmpl.POST("/info", s.requireUser, s.updateTemplateInfo)
	tmpl.POST("/delete", s.requireUser, s.deleteTemplate)
	tmpl.POST("/start", s.requireUser, s.startFromTemplate)

	job.GET("/template", s.jobTemplatePage)
	job.POST("/template", s.saveJobTemplate)
	job.GET("/columns", s.columnsPage)
	job.POST("/columns", s.applyColumns)
	job.GET("/stats", s.jobStats)
	job.GET("/export/:format", s.jobExport)
	job.GET("/group", s.requireJobOwner, s.jobGroupPage)
	job.POST("/group", s.requireJobOwner, s.moveJob)
	job.GET("/share", s.requireJobOwner, s.showShareLinks)
	job.POST("/share", s.requireJobOwner, s.createShareLink)
	job.POST("/share/:lid/revoke", s.requireJobOwner, s.revokeShareLink)
	job.GET("/publish", s.requireJobOwner, s.publishForm)
	job.POST("/publish", s.requireJobOwner, s.publish)

	share := app.Group("/share/:token", s.loadShare)
	share.GET("", s.sharePage)
	share.GET("/export/:format", s.shareExport)

	app.GET("/stats", s.toolStats)
	app.GET("/showcase", s.showcase)
	app.GET("/showcase/:cid", s.caseStudy)
	app.POST("/showcase/:cid/unpublish", s.requireUser, s.unpublish)

	api := app.Group("/api/v1", s.apiAuth)
	api.GET("/jobs", s.apiJobs)
	apiJob := api.Group("/jobs/:id", s.apiJob)
	apiJob.GET("", s.apiJobStatus)
	apiJob.GET("/results", s.apiResults)
	apiJob.GET("/stats", s.apiJobStats)
	api.GET("/groups/:gid/stats", s.loadGroup, s.apiGroupStats)
}
