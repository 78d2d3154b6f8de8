package web

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/media"
)

// MediaRunner builds, approves and runs media plans (tasks.Runner).
type MediaRunner interface {
	BuildMediaPlan(ctx context.Context, p *jobs.MediaPlan) (*jobs.MediaPlan, error)
	ApproveMediaPlan(ctx context.Context, planID int64, user *jobs.User, fileNos []int64) error
	StartMediaUpload(ctx context.Context, planID int64, user *jobs.User) error
	PauseMediaUpload(ctx context.Context, planID int64) error
	CancelMediaUpload(ctx context.Context, planID int64) error
}

// mediaPageSize is how many files a media plan page shows.
const mediaPageSize = 25

// mediaFileView is one file as the media plan page shows it.
type mediaFileView struct {
	*jobs.MediaFile
	Structured *media.Structured
	SizeText   string
	Warned     jobs.MediaWarnings   // Commons' warnings, for a file at "warning"
	Decisions  []jobs.MediaDecision // what people chose for it after warnings
}

func (s *Server) jobMediaURL(j *jobs.Job) string { return fmt.Sprintf("/jobs/%d/media", j.ID) }

func (s *Server) mediaPage(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	p, err := s.store.LatestMediaPlan(ctx, j.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	data := gin.H{"Job": j, "Plan": p, "Enabled": s.media != nil, "CommonsChecked": s.cfg.CommonsChecks}
	settings := media.SettingsOf(j.Template)
	data["Form"] = settingsForm(settings)
	if vid, err := s.mediaTemplateVersion(ctx, j.ID, settings); err == nil && vid > 0 {
		data["SettingsFrom"] = s.visibleOrigin(ctx, currentUser(c), vid)
	} else if origin, err := s.jobTemplateOrigin(ctx, j.ID); err == nil && origin != nil {
		data["SettingsChangedFrom"] = origin
	}
	if p != nil && p.TemplateVersionID > 0 {
		data["PlanFrom"] = s.visibleOrigin(ctx, currentUser(c), p.TemplateVersionID)
	}
	if ds, err := s.store.DatasetOfJob(ctx, j.ID); err == nil {
		if st, err := media.ParseSettings(settings, ds.Columns); err != nil {
			data["SettingsProblem"] = jobs.ErrorMessage(err)
		} else {
			data["Settings"] = st
		}
		data["Columns"] = ds.Columns
	} else {
		data["SettingsProblem"] = "The job has no dataset yet."
	}
	pg := page{Data: data}
	if p != nil {
		counts, err := s.store.MediaCounts(ctx, p.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
		status := jobs.MediaFileStatus(c.Query("status"))
		files, err := s.store.MediaFiles(ctx, p.ID, status, after, mediaPageSize+1)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(files) > mediaPageSize {
			files = files[:mediaPageSize]
			data["Next"] = fmt.Sprintf("?status=%s&after=%d", status, files[len(files)-1].No)
		}
		var (
			list []mediaFileView
			nos  []int64
		)
		for _, f := range files {
			sd, err := media.DecodeStructured(f.Statements)
			if err != nil {
				s.fail(c, err)
				return
			}
			list = append(list, mediaFileView{MediaFile: f, Structured: sd, SizeText: media.FormatBytes(f.Size), Warned: jobs.ParseMediaWarnings(f.Warnings)})
			nos = append(nos, f.No)
		}
		if len(nos) > 0 {
			decisions, err := s.store.MediaDecisions(ctx, p.ID, nos)
			if err != nil {
				s.fail(c, err)
				return
			}
			for _, d := range decisions {
				i := slices.IndexFunc(list, func(v mediaFileView) bool { return v.No == d.FileNo })
				list[i].Decisions = append(list[i].Decisions, d)
			}
		}
		data["Files"], data["Counts"], data["Status"] = list, counts, string(status)
		data["SizeText"] = media.FormatBytes(counts.Bytes)
		if p.Status == jobs.MediaPlanBuilding || p.Status == jobs.MediaPlanUploading {
			pg.Refresh = 5
		}
	}
	s.render(c, http.StatusOK, "job_media.html", pg)
}

// buildMediaPlan starts a media plan from the job template's media
// settings. A ZIP source comes with the form (multipart, token in the
// query); a URL source needs no upload.
func (s *Server) buildMediaPlan(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	if s.media == nil {
		s.mediaActionFailed(c, j, jobs.Errorf(jobs.EFORBIDDEN, "This installation does not upload media."))
		return
	}
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	if err != nil {
		s.mediaActionFailed(c, j, jobs.Errorf(jobs.EINVALID, "Upload the dataset first."))
		return
	}
	raw := media.SettingsOf(j.Template)
	settings, err := media.ParseSettings(raw, ds.Columns)
	if err != nil {
		s.mediaActionFailed(c, j, err)
		return
	}
	vid, err := s.mediaTemplateVersion(ctx, j.ID, raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := &jobs.MediaPlan{JobID: j.ID, SourceKind: settings.Source.Kind, SourceColumn: settings.Source.Column, Settings: raw, TemplateVersionID: vid, CreatedBy: currentUser(c).ID}
	if settings.Source.Kind == jobs.MediaFromZip {
		if err := s.receiveArchive(c, p); err != nil {
			s.mediaActionFailed(c, j, err)
			return
		}
	} else {
		p.ProposeP18 = c.PostForm("propose_p18") == "1"
	}
	if _, err := s.media.BuildMediaPlan(ctx, p); err != nil {
		if p.ArchivePath != "" {
			if path, perr := media.ArchivePath(s.cfg.DataDir, p.ArchivePath); perr == nil {
				_ = os.Remove(path)
			}
		}
		s.mediaActionFailed(c, j, err)
		return
	}
	s.logger.Info("media plan requested", "job_id", j.ID, "user_id", currentUser(c).ID, "source", p.SourceKind)
	s.removeUnneededArchives(ctx) // the replaced plan's
	s.setFlash(c, "ok", "Reading the files and planning what each becomes on Commons. Nothing is uploaded until you approve the plan.")
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j))
}

// receiveArchive stores the uploaded ZIP under the data directory and
// checks it (entry count, sizes, names, nested archives) before a plan is
// made from it.
func (s *Server) receiveArchive(c *gin.Context, p *jobs.MediaPlan) error {
	limit := s.cfg.MaxArchiveBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+64<<10)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return jobs.Errorf(jobs.EINVALID, "Send the ZIP archive with the form (multipart/form-data).")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return jobs.Errorf(jobs.EINVALID, "Choose the ZIP archive of the files.")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return jobs.Errorf(jobs.ETOOLARGE, "The archive is larger than %s, the most one upload may be.", media.FormatBytes(limit))
			}
			return jobs.Errorf(jobs.EINVALID, "The upload was cut short; try again.")
		}
		switch part.FormName() {
		case "propose_p18":
			b, _ := io.ReadAll(io.LimitReader(part, 8))
			p.ProposeP18 = strings.TrimSpace(string(b)) == "1"
			continue
		case "archive":
		default:
			continue
		}
		name := cleanFileName(part.FileName())
		if name == "" {
			return jobs.Errorf(jobs.EINVALID, "Choose the ZIP archive of the files.")
		}
		path, size, err := dataset.SaveUpload(part, filepath.Join(s.cfg.DataDir, media.ArchiveDir), limit)
		if jobs.ErrorCode(err) == jobs.ETOOLARGE {
			return jobs.Errorf(jobs.ETOOLARGE, "The archive is larger than %s, the most one upload may be (PARTNERHUB_MEDIA_ARCHIVE_MB): split it into several plans.", media.FormatBytes(limit))
		}
		if err != nil {
			return err
		}
		fail := func(err error) error { _ = os.Remove(path); return err }
		fh, err := os.Open(path)
		if err != nil {
			return fail(err)
		}
		defer fh.Close()
		if _, err := media.OpenArchive(fh, size, s.cfg.Zip); err != nil {
			return fail(err)
		}
		h := sha1.New()
		if _, err := io.Copy(h, io.NewSectionReader(fh, 0, size)); err != nil {
			return fail(err)
		}
		p.ArchivePath, p.ArchiveName, p.ArchiveSize = filepath.Join(media.ArchiveDir, filepath.Base(path)), name, size
		p.ArchiveSHA1 = hex.EncodeToString(h.Sum(nil))
		return nil
	}
}

// currentMediaPlan loads the job's latest media plan and checks it is the
// one the form was about.
func (s *Server) currentMediaPlan(c *gin.Context, j *jobs.Job) (*jobs.MediaPlan, bool) {
	p, err := s.store.LatestMediaPlan(c.Request.Context(), j.ID)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	if strconv.FormatInt(p.ID, 10) != c.PostForm("plan") {
		s.mediaActionFailed(c, j, jobs.Errorf(jobs.ECONFLICT, "A newer media plan was made since you loaded the page; look at it first."))
		return nil, false
	}
	return p, true
}

// uploadableMediaPlan is currentMediaPlan for the actions that upload
// (approving, deciding on warned files): the installation and its login
// must let the user upload too.
func (s *Server) uploadableMediaPlan(c *gin.Context, j *jobs.Job) (*jobs.MediaPlan, bool) {
	p, ok := s.currentMediaPlan(c, j)
	if !ok {
		return nil, false
	}
	if err := s.mediaUploadAllowed(); err != nil {
		s.mediaActionFailed(c, j, err)
		return nil, false
	}
	return p, true
}

func (s *Server) mediaUploadAllowed() error {
	if s.media == nil {
		return jobs.Errorf(jobs.EFORBIDDEN, "This installation does not upload media.")
	}
	if s.auth.LocalMode() {
		if la, ok := s.auth.(LocalAuth); !ok || !la.OwnerOnly {
			return jobs.Errorf(jobs.EFORBIDDEN, "Uploading to Commons is off in local mode: configure an OAuth consumer with the upload grants (see the README).")
		}
	}
	return nil
}

// approveMediaPlan approves the plan (all files, or the selected ones) and
// starts the upload in the approver's name.
func (s *Server) approveMediaPlan(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.uploadableMediaPlan(c, j)
	if !ok {
		return
	}
	var files []int64
	if c.PostForm("scope") == "selected" {
		files = []int64{}
		for _, v := range c.PostFormArray("file") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				files = append(files, n)
			}
		}
		if len(files) == 0 {
			s.mediaActionFailed(c, j, jobs.Errorf(jobs.EINVALID, "Select the files to upload, or approve the whole plan."))
			return
		}
	}
	u := currentUser(c)
	if err := s.media.ApproveMediaPlan(c.Request.Context(), p.ID, u, files); err != nil {
		s.mediaActionFailed(c, j, err)
		return
	}
	s.logger.Info("media plan approved", "job_id", j.ID, "plan_id", p.ID, "user_id", u.ID, "files", len(files))
	s.setFlash(c, "ok", "Approved. Uploading to Commons in your name; you can leave this page, the work goes on.")
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j))
}

func (s *Server) mediaUploadAction(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.currentMediaPlan(c, j)
	if !ok {
		return
	}
	if s.media == nil {
		s.mediaActionFailed(c, j, jobs.Errorf(jobs.EFORBIDDEN, "This installation does not upload media."))
		return
	}
	ctx, u := c.Request.Context(), currentUser(c)
	var (
		err error
		msg string
	)
	switch c.Param("action") {
	case "resume":
		if err = s.mediaUploadAllowed(); err == nil {
			err, msg = s.media.StartMediaUpload(ctx, p.ID, u), "Uploading again in your name."
		}
	case "pause":
		err, msg = s.media.PauseMediaUpload(ctx, p.ID), "Paused after the file in progress."
	case "cancel":
		if err, msg = s.media.CancelMediaUpload(ctx, p.ID), "Cancelled. Files already uploaded stay on Commons."; err == nil {
			s.removeUnneededArchives(ctx)
		}
	case "retry":
		var n int64
		if n, err = s.store.RetryFailedMedia(ctx, p.ID); err == nil && n > 0 {
			err = s.restartMediaUpload(ctx, p, u)
		}
		msg = fmt.Sprintf("%d failed files are queued again.", n)
	default:
		err = jobs.Errorf(jobs.ENOTFOUND, "There is no such action.")
	}
	if err != nil {
		s.mediaActionFailed(c, j, err)
		return
	}
	s.logger.Info("media upload "+c.Param("action"), "job_id", j.ID, "plan_id", p.ID, "user_id", u.ID)
	s.setFlash(c, "ok", msg)
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j))
}

func (s *Server) mediaActionFailed(c *gin.Context, j *jobs.Job, err error) {
	if code := jobs.ErrorCode(err); code == jobs.EINTERNAL || code == jobs.ENOTFOUND {
		s.fail(c, err)
		return
	}
	s.setFlash(c, "error", jobs.ErrorMessage(err))
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j))
}

// removeUnneededArchives deletes the uploaded archives no plan needs any
// more (a replaced or cancelled plan's) now rather than at the worker's
// next sweep; a failure is logged, the sweep tries again.
func (s *Server) removeUnneededArchives(ctx context.Context) {
	if _, err := s.archives.RemoveUnneeded(ctx); err != nil {
		s.logger.Error("delete unneeded media archives", "err", err)
	}
}

// visibleOrigin is the template version vid for the page, if the user may
// see its template (nil otherwise: the page names the version only).
func (s *Server) visibleOrigin(ctx context.Context, u *jobs.User, vid int64) *templateOrigin {
	o, err := s.templateVersionOrigin(ctx, vid)
	if err != nil || o == nil {
		return nil
	}
	if ok, _ := s.store.CanSeeTemplate(ctx, u.ID, o.Template); !ok {
		return nil
	}
	return o
}
