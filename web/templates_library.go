package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// templateFile is the JSON file a template is exported as and imported from.
// A bare job template (an object with "columns") is accepted on import too.
type templateFile struct {
	Format      string          `json:"partnerhub_template"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Version     int             `json:"version,omitempty"`
	Template    json.RawMessage `json:"template"`
}

const templateFileFormat = "1"

const keyTemplate = "partnerhub.template"

func currentTemplate(c *gin.Context) *jobs.JobTemplate {
	return c.MustGet(keyTemplate).(*jobs.JobTemplate)
}

func userID(c *gin.Context) int64 {
	if u := currentUser(c); u != nil {
		return u.ID
	}
	return 0
}

// loadTemplate loads the template in the path for someone who may see it;
// for anyone else it does not exist.
func (s *Server) loadTemplate(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("tid"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such template."))
		c.Abort()
		return
	}
	t, err := s.store.Template(c.Request.Context(), id)
	if err == nil {
		var ok bool
		if ok, err = s.store.CanSeeTemplate(c.Request.Context(), userID(c), t); err == nil && !ok {
			err = jobs.Errorf(jobs.ENOTFOUND, "The template was not found.")
		}
	}
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	c.Set(keyTemplate, t)
	c.Next()
}

// canEditTemplate: the owner, and for a group template any member of the group.
func (s *Server) canEditTemplate(c *gin.Context, t *jobs.JobTemplate) bool {
	u := currentUser(c)
	if u == nil {
		return false
	}
	if t.OwnerID == u.ID {
		return true
	}
	if t.Visibility == jobs.VisibilityGroup {
		role, err := s.store.MemberRole(c.Request.Context(), t.GroupID, u.ID)
		return err == nil && role != ""
	}
	return false
}

func (s *Server) listTemplates(c *gin.Context) {
	q := store.TemplateQuery{Text: c.Query("q"), TypeQID: strings.TrimSpace(c.Query("type")), Property: strings.TrimSpace(c.Query("property")), OnlyPublic: c.Query("public") == "1"}
	list, err := s.store.SearchTemplates(c.Request.Context(), userID(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "templates_list.html", page{Nav: "templates", Data: gin.H{"Templates": list, "Query": q}})
}

func (s *Server) showTemplate(c *gin.Context) {
	t := currentTemplate(c)
	ctx := c.Request.Context()
	n := t.Version
	if v, err := strconv.Atoi(c.Param("n")); err == nil {
		n = v
	}
	v, err := s.store.TemplateVersionByNumber(ctx, t.ID, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	versions, err := s.store.TemplateVersions(ctx, t.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, v.Body, "", "  ") != nil {
		pretty.Write(v.Body)
	}
	data := gin.H{"Template": t, "Version": v, "Body": pretty.String(), "Versions": versions, "CanEdit": s.canEditTemplate(c, t),
		"IsOwner": currentUser(c) != nil && currentUser(c).ID == t.OwnerID}
	if u := currentUser(c); u != nil {
		groups, err := s.store.GroupsOf(ctx, u.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		data["Groups"] = groups
	}
	s.render(c, http.StatusOK, "template_show.html", page{Nav: "templates", Data: data})
}

func templatePath(id int64) string { return "/templates/" + strconv.FormatInt(id, 10) }

// backToTemplate shows a user's mistake on the template page.
func (s *Server) backToTemplate(c *gin.Context, t *jobs.JobTemplate, err error) {
	switch jobs.ErrorCode(err) {
	case jobs.EINVALID, jobs.ECONFLICT, jobs.ETOOLARGE:
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, templatePath(t.ID))
	default:
		s.fail(c, err)
	}
}

func (s *Server) addTemplateVersion(c *gin.Context) {
	t := currentTemplate(c)
	if !s.canEditTemplate(c, t) {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Only the template's owner (or, for a group template, the group's members) can edit it."))
		return
	}
	body := []byte(strings.TrimSpace(c.PostForm("body")))
	if _, err := s.checkTemplate(body, nil); err != nil {
		s.backToTemplate(c, t, err)
		return
	}
	v, err := s.store.AddTemplateVersion(c.Request.Context(), t.ID, currentUser(c).ID, body, c.PostForm("note"))
	if err != nil {
		s.backToTemplate(c, t, err)
		return
	}
	s.setFlash(c, "ok", fmt.Sprintf("Saved as version %d. Jobs started from earlier versions keep theirs.", v.Version))
	c.Redirect(http.StatusSeeOther, templatePath(t.ID))
}

// groupChoice reads the visibility and group of a template form, checking
// the user belongs to the group.
func (s *Server) groupChoice(c *gin.Context) (jobs.Visibility, int64, error) {
	vis := jobs.Visibility(c.PostForm("visibility"))
	var gid int64
	if vis == jobs.VisibilityGroup {
		gid, _ = strconv.ParseInt(c.PostForm("group_id"), 10, 64)
		role, err := s.store.MemberRole(c.Request.Context(), gid, currentUser(c).ID)
		if err != nil {
			return "", 0, err
		}
		if gid <= 0 || role == "" {
			return "", 0, jobs.Errorf(jobs.EINVALID, "Choose one of your groups to share the template with.")
		}
	}
	return vis, gid, nil
}

func (s *Server) updateTemplateInfo(c *gin.Context) {
	t := currentTemplate(c)
	if currentUser(c).ID != t.OwnerID {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Only the template's owner can change who sees it."))
		return
	}
	vis, gid, err := s.groupChoice(c)
	if err == nil {
		err = s.store.UpdateTemplateInfo(c.Request.Context(), t.ID, c.PostForm("name"), c.PostForm("description"), vis, gid)
	}
	if err != nil {
		s.backToTemplate(c, t, err)
		return
	}
	s.setFlash(c, "ok", "Template details saved.")
	c.Redirect(http.StatusSeeOther, templatePath(t.ID))
}

func (s *Server) deleteTemplate(c *gin.Context) {
	t := currentTemplate(c)
	if currentUser(c).ID != t.OwnerID {
		s.fail(c, jobs.Errorf(jobs.EFORBIDDEN, "Only the template's owner can delete it."))
		return
	}
	if err := s.store.DeleteTemplate(c.Request.Context(), t.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.setFlash(c, "ok", "Template deleted. Jobs started from it keep their mapping.")
	c.Redirect(http.StatusSeeOther, "/templates")
}

// exportTemplate downloads a version as a JSON file that import reads back.
func (s *Server) exportTemplate(c *gin.Context) {
	t := currentTemplate(c)
	n := t.Version
	if v, err := strconv.Atoi(c.Query("version")); err == nil {
		n = v
	}
	v, err := s.store.TemplateVersionByNumber(c.Request.Context(), t.ID, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := json.MarshalIndent(templateFile{Format: templateFileFormat, Name: t.Name, Description: t.Description, Version: v.Version, Template: v.Body}, "", "  ")
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, url.PathEscape(fmt.Sprintf("template-%d-v%d.json", t.ID, v.Version))))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/json; charset=utf-8", append(out, '\n'))
}

func (s *Server) importTemplateForm(c *gin.Context) {
	groups, err := s.store.GroupsOf(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "template_import.html", page{Nav: "templates", Data: gin.H{"Groups": groups, "MaxKB": jobs.MaxTemplateBodySize >> 10}})
}

// importTemplate reads an uploaded template file (at most 256 KB) into the
// library as the user's new template.
func (s *Server) importTemplate(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, jobs.MaxTemplateBodySize+16<<10)
	if err := c.Request.ParseMultipartForm(jobs.MaxTemplateBodySize + 16<<10); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(c, jobs.Errorf(jobs.ETOOLARGE, "The template file is larger than %d KB.", jobs.MaxTemplateBodySize>>10))
			return
		}
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Send the template with the upload form."))
		return
	}
	defer c.Request.MultipartForm.RemoveAll()
	fh, err := c.FormFile("file")
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Choose a template file to upload."))
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, jobs.MaxTemplateBodySize+1))
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(raw) > jobs.MaxTemplateBodySize {
		s.fail(c, jobs.Errorf(jobs.ETOOLARGE, "The template file is larger than %d KB.", jobs.MaxTemplateBodySize>>10))
		return
	}
	body, name, desc, err := readTemplateFile(raw)
	if err == nil {
		_, err = s.checkTemplate(body, nil)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if n := strings.TrimSpace(c.PostForm("name")); n != "" {
		name = n
	}
	if d := strings.TrimSpace(c.PostForm("description")); d != "" {
		desc = d
	}
	if name == "" {
		name = strings.TrimSuffix(cleanFileName(fh.Filename), ".json")
	}
	vis, gid, err := s.groupChoice(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.SaveTemplate(c.Request.Context(), &jobs.JobTemplate{OwnerID: currentUser(c).ID, GroupID: gid, Visibility: vis, Name: name, Description: desc}, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("template imported", "template_id", t.ID, "user_id", currentUser(c).ID, "bytes", len(raw))
	s.setFlash(c, "ok", "Template imported.")
	c.Redirect(http.StatusSeeOther, templatePath(t.ID))
}

// readTemplateFile accepts an exported template file or a bare template.
func readTemplateFile(raw []byte) (body []byte, name, description string, err error) {
	var f templateFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, "", "", jobs.Errorf(jobs.EINVALID, "The file is not valid JSON: %s.", jobs.SyntaxProblem(raw, err))
	}
	if f.Format != "" {
		if f.Format != templateFileFormat || len(f.Template) == 0 {
			return nil, "", "", jobs.Errorf(jobs.EINVALID, "The file is a Partnerhub template in a format this version does not read.")
		}
		body = f.Template
	} else {
		body = raw
	}
	if _, err := jobs.SummariseTemplate(body); err != nil {
		return nil, "", "", err
	}
	return body, f.Name, f.Description, nil
}

// jobTemplatePage shows where the job's mapping came from and offers to
// put it into the library.
func (s *Server) jobTemplatePage(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	data := gin.H{"Job": j}
	vid, err := s.store.JobTemplateVersion(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if vid > 0 {
		if v, err := s.store.TemplateVersion(ctx, vid); err == nil {
			if t, err := s.store.Template(ctx, v.TemplateID); err == nil {
				if ok, _ := s.store.CanSeeTemplate(ctx, currentUser(c).ID, t); ok {
					data["Origin"], data["OriginVersion"] = t, v
				}
			}
		}
	}
	groups, err := s.store.GroupsOf(ctx, currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	data["Groups"] = groups
	s.render(c, http.StatusOK, "job_template.html", page{Data: data})
}

func (s *Server) saveJobTemplate(c *gin.Context) {
	j := currentJob(c)
	if len(j.Template) == 0 {
		s.setFlash(c, "error", "Map the job's columns first; then the mapping can be saved as a template.")
		c.Redirect(http.StatusSeeOther, jobPath(j.ID)+"/template")
		return
	}
	vis, gid, err := s.groupChoice(c)
	if err == nil {
		_, err = s.checkTemplate(j.Template, nil)
	}
	if err == nil {
		var t *jobs.JobTemplate
		t, err = s.store.SaveTemplate(c.Request.Context(), &jobs.JobTemplate{OwnerID: currentUser(c).ID, GroupID: gid, Visibility: vis,
			Name: c.PostForm("name"), Description: c.PostForm("description")}, j.Template)
		if err == nil {
			// The job now comes from the library template: changes to its
			// media settings become the template's versions.
			err = s.store.SetJobTemplateVersion(c.Request.Context(), j.ID, t.VersionID)
		}
		if err == nil {
			s.setFlash(c, "ok", "The mapping is in the template library.")
			c.Redirect(http.StatusSeeOther, templatePath(t.ID))
			return
		}
	}
	if code := jobs.ErrorCode(err); code == jobs.EINVALID || code == jobs.ETOOLARGE {
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, jobPath(j.ID)+"/template")
		return
	}
	s.fail(c, err)
}

// startFromTemplate creates a draft job that records the template version;
// its mapping is set once a file is imported and its columns are checked.
func (s *Server) startFromTemplate(c *gin.Context) {
	t := currentTemplate(c)
	ctx := c.Request.Context()
	n := t.Version
	if v, err := strconv.Atoi(c.PostForm("version")); err == nil {
		n = v
	}
	v, err := s.store.TemplateVersionByNumber(ctx, t.ID, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	var gid int64
	if g := c.PostForm("group_id"); g != "" && g != "0" {
		gid, _ = strconv.ParseInt(g, 10, 64)
		if role, err := s.store.MemberRole(ctx, gid, currentUser(c).ID); err != nil || role == "" {
			s.fail(c, jobs.Errorf(jobs.EINVALID, "Choose one of your groups, or none."))
			return
		}
	}
	title := strings.TrimSpace(c.PostForm("title"))
	if title == "" {
		title = t.Name
	}
	j, err := s.store.CreateJobFromTemplate(ctx, currentUser(c).ID, gid, title, c.PostForm("description"), v.ID)
	if err != nil {
		s.backToTemplate(c, t, err)
		return
	}
	s.logger.Info("job started from template", "job_id", j.ID, "template_id", t.ID, "version", v.Version, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", fmt.Sprintf("Job created from %s, version %d. Upload the partner's file; its columns are then checked against the template.", t.Name, v.Version))
	c.Redirect(http.StatusSeeOther, jobPath(j.ID))
}

// columnsPage compares the imported file's columns with the template the
// job was started from, and offers to map missing ones.
func (s *Server) columnsPage(c *gin.Context) {
	j := currentJob(c)
	v, ds, ok := s.jobTemplateAndDataset(c, j)
	if !ok {
		return
	}
	sum, err := jobs.SummariseTemplate(v.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	check := jobs.CheckColumns(sum.Columns, ds.Columns)
	index := make(map[string]int, len(sum.Columns))
	for i, col := range sum.Columns {
		index[col] = i
	}
	s.render(c, http.StatusOK, "job_columns.html", page{Data: gin.H{"Job": j, "Dataset": ds, "Version": v, "Check": check, "ColumnIndex": index, "Applied": len(j.Template) > 0}})
}

func (s *Server) applyColumns(c *gin.Context) {
	j := currentJob(c)
	v, ds, ok := s.jobTemplateAndDataset(c, j)
	if !ok {
		return
	}
	if j.Status == jobs.JobReconciling {
		s.fail(c, jobs.Errorf(jobs.ECONFLICT, "The job is being reconciled; pause or cancel it before changing the mapping."))
		return
	}
	sum, err := jobs.SummariseTemplate(v.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	renames := map[string]string{}
	for i, col := range sum.Columns {
		switch to := c.PostForm("map_" + strconv.Itoa(i)); to {
		case "":
		case "-":
			renames[col] = "" // left out
		default:
			renames[col] = to
		}
	}
	body, err := jobs.RenameTemplateColumns(v.Body, renames, ds.Columns)
	if err == nil {
		body, err = s.checkTemplate(body, ds.Columns)
	}
	if err != nil {
		if jobs.ErrorCode(err) == jobs.EINVALID {
			s.setFlash(c, "error", jobs.ErrorMessage(err))
			c.Redirect(http.StatusSeeOther, jobPath(j.ID)+"/columns")
			return
		}
		s.fail(c, err)
		return
	}
	if err := s.store.SetJobTemplate(c.Request.Context(), j.ID, body); err != nil {
		s.fail(c, err)
		return
	}
	s.setFlash(c, "ok", "The template's mapping is applied to this file. Check it on the mapping page, then start reconciliation.")
	c.Redirect(http.StatusSeeOther, jobPath(j.ID))
}

// jobTemplateAndDataset loads the version a job was started from and its
// imported dataset, sending the user back to the job page when either is missing.
func (s *Server) jobTemplateAndDataset(c *gin.Context, j *jobs.Job) (*jobs.TemplateVersion, *jobs.Dataset, bool) {
	ctx := c.Request.Context()
	vid, err := s.store.JobTemplateVersion(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	if vid == 0 {
		s.setFlash(c, "error", "This job was not started from a library template.")
		c.Redirect(http.StatusSeeOther, jobPath(j.ID))
		return nil, nil, false
	}
	v, err := s.store.TemplateVersion(ctx, vid)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		s.setFlash(c, "error", "The template this job was started from has been deleted; map the columns by hand.")
		c.Redirect(http.StatusSeeOther, jobPath(j.ID))
		return nil, nil, false
	}
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	ds, ok := s.importedDataset(c, j)
	if !ok {
		return nil, nil, false
	}
	return v, ds, true
}
