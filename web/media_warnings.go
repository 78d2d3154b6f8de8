package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
)

// A file whose upload met a warning waits at "warning": nothing was
// published. These handlers record what a person chose for it (link the
// duplicate, a new title, Commons' corrected name, upload despite a
// deletion after confirming it, or skip); the upload executor then carries
// the choice out in the worker, exactly once like any upload.

// decideMediaFile records the choice for one warned file.
func (s *Server) decideMediaFile(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.uploadableMediaPlan(c, j)
	if !ok {
		return
	}
	ctx, u := c.Request.Context(), currentUser(c)
	no, err := strconv.ParseInt(c.Param("no"), 10, 64)
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.ENOTFOUND, "There is no such file."))
		return
	}
	f, err := s.store.MediaFile(ctx, p.ID, no)
	if err != nil {
		s.fail(c, err)
		return
	}
	action, detail, err := mediaDecision(c.PostForm("action"), f, c.PostForm("title"), c.PostForm("confirm"))
	if err == nil {
		err = s.store.DecideMediaFile(ctx, p.ID, f.No, u.ID, action, detail)
	}
	if err != nil {
		s.mediaActionFailed(c, j, fileError(f.No, err))
		return
	}
	s.logger.Info("media warning decided", "job_id", j.ID, "plan_id", p.ID, "file_no", f.No, "user_id", u.ID, "action", action)
	msg := fmt.Sprintf("File %d: %s", f.No, decisionDone(action))
	if action != jobs.ResolveSkip {
		msg += " " + s.continueMediaUpload(ctx, p, u)
	}
	s.setFlash(c, "ok", msg)
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j)+"?status=warning")
}

// decideMediaWarnings applies one choice to every warned file it fits
// without a further question: skip them all, accept Commons' corrected
// names, or link the duplicate where Commons named exactly one.
func (s *Server) decideMediaWarnings(c *gin.Context) {
	j := currentJob(c)
	p, ok := s.uploadableMediaPlan(c, j)
	if !ok {
		return
	}
	ctx, u := c.Request.Context(), currentUser(c)
	kind := c.PostForm("action")
	if !slices.Contains([]string{"skip", "accept", "link"}, kind) {
		s.mediaActionFailed(c, j, jobs.Errorf(jobs.EINVALID, "Choose what to do with the warned files: skip them, accept Commons' names, or link the duplicates."))
		return
	}
	var (
		done     int
		problems []string
	)
	for after := int64(0); ; {
		files, err := s.store.MediaFiles(ctx, p.ID, jobs.MediaWarning, after, 200)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(files) == 0 {
			break
		}
		for _, f := range files {
			after = f.No
			w := jobs.ParseMediaWarnings(f.Warnings)
			title := ""
			switch {
			case kind == "accept" && !w.CanAcceptName(), kind == "link" && len(w.Duplicate) != 1:
				continue // not this file's case, or a person must choose
			case kind == "link":
				title = jobs.FileTitle(w.Duplicate[0])
			}
			action, detail, err := mediaDecision(kind, f, title, "")
			if err == nil {
				err = s.store.DecideMediaFile(ctx, p.ID, f.No, u.ID, action, detail)
			}
			if err != nil {
				if code := jobs.ErrorCode(err); code != jobs.EINVALID && code != jobs.ECONFLICT {
					s.fail(c, err)
					return
				}
				problems = append(problems, fmt.Sprintf("file %d: %s", f.No, jobs.ErrorMessage(err)))
				continue
			}
			done++
		}
	}
	s.logger.Info("media warnings decided in bulk", "job_id", j.ID, "plan_id", p.ID, "user_id", u.ID, "action", kind, "files", done)
	msg := fmt.Sprintf("%d warned files: %s", done, decisionDone(jobs.MediaResolution(kind)))
	if done > 0 && kind != "skip" {
		msg += " " + s.continueMediaUpload(ctx, p, u)
	}
	if len(problems) > 0 {
		s.setFlash(c, "error", msg+" Not done for "+strings.Join(problems, "; "))
	} else {
		s.setFlash(c, "ok", msg)
	}
	c.Redirect(http.StatusSeeOther, s.jobMediaURL(j)+"?status=warning")
}

// mediaDecision checks a choice against the file's recorded warnings:
// each action only where the warnings call for it, a new title against
// Commons' title rules, an upload despite warnings only with the
// confirmation naming exactly these warnings and titles.
func mediaDecision(kind string, f *jobs.MediaFile, title, confirm string) (jobs.MediaResolution, jobs.MediaDecisionDetail, error) {
	w := jobs.ParseMediaWarnings(f.Warnings)
	if f.Status != jobs.MediaWarning {
		return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.ECONFLICT, "It is %s now, no longer waiting for a decision; reload the page.", f.Status)
	}
	switch kind {
	case "skip":
		return jobs.ResolveSkip, jobs.MediaDecisionDetail{}, nil
	case "link":
		if !w.CanLink() {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "Commons named no file with the same content to link.")
		}
		for _, d := range w.Duplicate {
			if jobs.FileTitle(d) == jobs.FileTitle(title) {
				return jobs.ResolveLink, jobs.MediaDecisionDetail{Title: jobs.FileTitle(d)}, nil
			}
		}
		return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "Choose one of the files Commons named as holding the same content.")
	case "accept":
		if !w.CanAcceptName() {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "Commons proposed no other name for this file.")
		}
		title = strings.TrimPrefix(jobs.FileTitle(w.BadFilename), "File:")
		fallthrough
	case "rename":
		if kind == "rename" && !w.CanRename() {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "A new title does not answer this warning (the same content is on Commons): link the file or skip it.")
		}
		title = media.NormaliseTitle(title)
		if problems := media.CheckTitle(title, f.ContentType); len(problems) > 0 {
			msgs := make([]string, len(problems))
			for i, p := range problems {
				msgs[i] = p.Message
			}
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "The title %q cannot be used: %s", title, strings.Join(msgs, " "))
		}
		if title == f.Title && kind == "rename" {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "That is the title Commons warned about; choose another.")
		}
		return jobs.ResolveRename, jobs.MediaDecisionDetail{Title: title, From: f.Title}, nil
	case "ignore":
		if !w.CanUploadAnyway() {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "Only a deletion (was-deleted, duplicate-archive) may be overridden; this file's warnings would overwrite or duplicate a file on Commons.")
		}
		if confirm != w.Confirmation() {
			return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "Confirm that you checked the deletion (%s) before uploading anyway.", w.Confirmation())
		}
		return jobs.ResolveIgnore, jobs.MediaDecisionDetail{Warnings: w.Overrides()}, nil
	}
	return "", jobs.MediaDecisionDetail{}, jobs.Errorf(jobs.EINVALID, "There is no such choice for a warned file.")
}

func fileError(no int64, err error) error {
	if code := jobs.ErrorCode(err); code == jobs.EINVALID || code == jobs.ECONFLICT {
		return jobs.Errorf(code, "File %d: %s", no, jobs.ErrorMessage(err))
	}
	return err
}

func decisionDone(a jobs.MediaResolution) string {
	switch a {
	case jobs.ResolveSkip:
		return "skipped; nothing is uploaded."
	case jobs.ResolveLink:
		return "the file on Commons is linked, and only the structured data it lacks is added."
	case jobs.ResolveIgnore:
		return "uploaded despite the deletion you confirmed, if Commons warns of nothing else."
	}
	return "uploaded under the new title, if Commons takes it."
}

// continueMediaUpload has the worker carry out files queued again (failed
// files retried, warned files decided): a finished or paused plan is
// uploaded again in u's name; a running upload takes them up by itself.
// It says what happens, for the page.
func (s *Server) continueMediaUpload(ctx context.Context, p *jobs.MediaPlan, u *jobs.User) string {
	err := s.restartMediaUpload(ctx, p, u)
	switch {
	case err == nil:
		return "The upload goes on in your name."
	case jobs.ErrorCode(err) == jobs.ECONFLICT && p.Status == jobs.MediaPlanUploading:
		return "The running upload carries it out."
	}
	return "It is carried out once the upload is resumed: " + jobs.ErrorMessage(err)
}

// restartMediaUpload uploads a finished or paused plan again in u's name.
func (s *Server) restartMediaUpload(ctx context.Context, p *jobs.MediaPlan, u *jobs.User) error {
	if p.Status == jobs.MediaPlanDone {
		if err := s.store.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanPaused, "", jobs.MediaPlanDone); err != nil {
			return err
		}
	}
	if err := s.mediaUploadAllowed(); err != nil {
		return err
	}
	return s.media.StartMediaUpload(ctx, p.ID, u)
}
