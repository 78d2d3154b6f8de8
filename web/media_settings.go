package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
)

// The media settings (where files come from, title and wikitext patterns,
// licence, categories, captions, structured-data choices) are the "media"
// object of the job's template. A job started from a library template gets
// the template's; saving them from the media page makes a new version of
// that template, like any template change, so that the working group shares
// them and every media plan records the version it was made from.

// mediaSettingsForm is the settings form's view of media.Settings.
type mediaSettingsForm struct {
	media.Settings
	CaptionsText, CategoriesText string
}

func settingsForm(raw json.RawMessage) mediaSettingsForm {
	var f mediaSettingsForm
	_ = json.Unmarshal(raw, &f.Settings) // what is unreadable shows empty; saving checks it all
	var lines []string
	for lang, pattern := range f.Captions {
		lines = append(lines, lang+": "+pattern)
	}
	slices.Sort(lines)
	f.CaptionsText, f.CategoriesText = strings.Join(lines, "\n"), strings.Join(f.Categories, "\n")
	return f
}

// mediaSettingsFromForm reads the form into media settings; the captions
// are "language: pattern" lines.
func mediaSettingsFromForm(c *gin.Context) (*media.Settings, error) {
	s := &media.Settings{
		Source:   media.SourceSettings{Kind: jobs.MediaSourceKind(c.PostForm("source_kind")), Column: c.PostForm("source_column")},
		Title:    strings.TrimSpace(c.PostForm("title")),
		Wikitext: strings.TrimSpace(strings.ReplaceAll(c.PostForm("wikitext"), "\r\n", "\n")),
		License: media.License{Template: strings.TrimSpace(c.PostForm("license_template")), QID: strings.TrimSpace(c.PostForm("license_qid")),
			CopyrightStatus: strings.TrimSpace(c.PostForm("copyright_status"))},
		Credit:   strings.TrimSpace(c.PostForm("credit")),
		Relation: c.PostForm("relation"),
		Creator:  strings.TrimSpace(c.PostForm("creator")),
	}
	if s.Wikitext != "" {
		s.Wikitext += "\n"
	}
	for _, line := range strings.Split(c.PostForm("categories"), "\n") {
		if line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "Category:")); line != "" {
			s.Categories = append(s.Categories, line)
		}
	}
	for i, line := range strings.Split(c.PostForm("captions"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		lang, pattern, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(pattern) == "" {
			return nil, jobs.Errorf(jobs.EINVALID, "Captions, line %d: write the language code, a colon and the caption pattern (en: {Title}), not %q.", i+1, line)
		}
		if s.Captions == nil {
			s.Captions = map[string]string{}
		}
		s.Captions[strings.TrimSpace(lang)] = strings.TrimSpace(pattern)
	}
	if v := strings.TrimSpace(c.PostForm("max_mb")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, jobs.Errorf(jobs.EINVALID, "The largest file must be a whole number of MB, not %q.", v)
		}
		s.MaxMB = n
	}
	return s, nil
}

// saveMediaSettings checks the media settings against the job's dataset,
// saves them in the job's template and, when the job comes from a library
// template the user may edit, as that template's next version.
func (s *Server) saveMediaSettings(c *gin.Context) {
	j := currentJob(c)
	ctx, u := c.Request.Context(), currentUser(c)
	back := func(err error) {
		s.setFlash(c, "error", jobs.ErrorMessage(err))
		c.Redirect(http.StatusSeeOther, s.jobMediaURL(j)+"#settings")
	}
	if len(j.Template) == 0 {
		back(jobs.Errorf(jobs.EINVALID, "Map the job's columns first: the media settings are part of its template."))
		return
	}
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	if err != nil {
		back(jobs.Errorf(jobs.EINVALID, "Upload the dataset first: the settings are checked against its columns."))
		return
	}
	set, err := mediaSettingsFromForm(c)
	if err != nil {
		back(err)
		return
	}
	raw, err := json.Marshal(set)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := media.ParseSettings(raw, ds.Columns); err != nil {
		back(err)
		return
	}
	body, err := media.WithSettings(j.Template, raw)
	if err == nil && len(body) > jobs.MaxTemplateBodySize {
		err = jobs.Errorf(jobs.ETOOLARGE, "The template would be larger than %d KB.", jobs.MaxTemplateBodySize>>10)
	}
	if err != nil {
		back(err)
		return
	}
	origin, err := s.jobTemplateOrigin(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if origin != nil && !s.canEditTemplate(c, origin.Template) {
		back(jobs.Errorf(jobs.EFORBIDDEN, "The media settings come from the template “%s” (version %d), which only its owner or group can change: ask them, or put this job's template into the library as your own (Template page) and change it there.",
			origin.Template.Name, origin.Version.Version))
		return
	}
	if err := s.store.SetJobTemplate(ctx, j.ID, body); err != nil {
		s.fail(c, err)
		return
	}
	msg := "Media settings saved in this job. Put the job's template into the library (Template page) to share them with your group and keep their versions."
	if origin != nil {
		v, err := s.saveMediaVersion(ctx, origin.Template, u, raw, j)
		if err != nil {
			back(err)
			return
		}
		msg = fmt.Sprintf("Media settings saved as version %d of the template “%s”; media plans made from now on record it.", v.Version, origin.Template.Name)
	}
	s.logger.Info("media settings saved", "job_id", j.ID, "user_id", u.ID)
	s.setFlash(c, "ok", msg)
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j))
}

// saveMediaVersion adds a version of t: its latest body with the media
// settings replaced (what others changed since keeps), and makes it the job's.
func (s *Server) saveMediaVersion(ctx context.Context, t *jobs.JobTemplate, u *jobs.User, raw json.RawMessage, j *jobs.Job) (*jobs.TemplateVersion, error) {
	latest, err := s.store.TemplateVersionByNumber(ctx, t.ID, t.Version)
	if err != nil {
		return nil, err
	}
	body, err := media.WithSettings(latest.Body, raw)
	if err != nil {
		return nil, err
	}
	v, err := s.store.AddTemplateVersion(ctx, t.ID, u.ID, body, fmt.Sprintf("Media settings saved from the job “%s”", j.Title))
	if err != nil {
		return nil, err
	}
	return v, s.store.SetJobTemplateVersion(ctx, j.ID, v.ID)
}

// templateOrigin is a library template version a job or plan comes from.
type templateOrigin struct {
	Template *jobs.JobTemplate
	Version  *jobs.TemplateVersion
}

// jobTemplateOrigin is the library template version the job's template
// comes from (nil: none, or deleted from the library).
func (s *Server) jobTemplateOrigin(ctx context.Context, jobID int64) (*templateOrigin, error) {
	vid, err := s.store.JobTemplateVersion(ctx, jobID)
	if err != nil || vid == 0 {
		return nil, err
	}
	return s.templateVersionOrigin(ctx, vid)
}

func (s *Server) templateVersionOrigin(ctx context.Context, vid int64) (*templateOrigin, error) {
	v, err := s.store.TemplateVersion(ctx, vid)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := s.store.Template(ctx, v.TemplateID)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &templateOrigin{Template: t, Version: v}, nil
}

// mediaTemplateVersion is the library template version whose media
// settings raw are (0: the job's own, changed since or never in the
// library), for a plan to record.
func (s *Server) mediaTemplateVersion(ctx context.Context, jobID int64, raw json.RawMessage) (int64, error) {
	origin, err := s.jobTemplateOrigin(ctx, jobID)
	if err != nil || origin == nil || !media.SameSettings(media.SettingsOf(origin.Version.Body), raw) {
		return 0, err
	}
	return origin.Version.ID, nil
}
