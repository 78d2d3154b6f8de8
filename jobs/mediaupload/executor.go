// Package mediaupload uploads a media plan's approved files to Wikimedia
// Commons in the name of the user who started it, each exactly once, and
// adds each file's structured data in one wbeditentity, never half.
//
// Before anything is sent for a file (the first time, and after any crash)
// Commons is asked whether it holds the file already: by SHA-1, and among
// the user's recent uploads by the file's marker. A file found there is not
// uploaded again: one this plan uploaded (its upload comment carries the
// marker) goes on to its structured data, one someone else uploaded is
// linked. The intent is recorded in the database before the upload request,
// the outcome after it; an upload whose answer was lost stays "sending" and
// is looked up only once it can no longer land (the request time-out, the
// time PHP may go on after the client left, and the replica lag of the
// lists have passed). The structured data is diffed against the file's
// MediaInfo entity first, so a retry sends only what is missing; its intent
// is recorded too, so an edit whose answer was lost is waited out before
// the entity is read again. Warnings are recorded for a person to decide;
// they are never ignored.
package mediaupload

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
	"partnerhub/jobs/store"
	"partnerhub/sparql"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
)

// Commons is what the executor needs of Commons (a *commons.Client with
// the uploader's credentials).
type Commons interface {
	UserInfo(ctx context.Context) (*wikidata.UserInfo, error)
	CheckTag(ctx context.Context) error
	FindBySHA1(ctx context.Context, sha1 string) ([]commons.File, error)
	UserUploads(ctx context.Context, user string, since time.Time, limit int) ([]commons.File, error)
	Pages(ctx context.Context, titles []string) (map[string]*commons.Page, error)
	Upload(ctx context.Context, req commons.UploadRequest) (*commons.Result, error)
	UploadChunk(ctx context.Context, ch commons.Chunk) (*commons.Result, error)
	StashInfo(ctx context.Context, fileKey string) (*commons.StashedFile, error)
	MediaInfo(ctx context.Context, id string) (*commons.MediaInfo, error)
	EditMediaInfo(ctx context.Context, ed commons.MediaInfoEdit) (*wikidata.EditResult, error)
}

// Connector gives a Commons client acting as a user (the plan's uploader).
type Connector func(ctx context.Context, userID int64) (Commons, error)

// Source writes a planned file's content to w: the media plan's source
// (the URL fetched again, or the archive's entry). The executor checks the
// content against the SHA-1 planned.
type Source interface {
	Content(ctx context.Context, plan *jobs.MediaPlan, f *jobs.MediaFile, w io.Writer) error
}

// Config tunes the pace and the crash-safety windows.
type Config struct {
	// WritesPerMinute paces uploads and structured-data edits together;
	// default 8 (Commons limits a user's uploads; chunks are not counted).
	WritesPerMinute float64
	MaxWait         time.Duration // longest single wait on maxlag/throttles; default 5 min
	FirstBackoff    time.Duration // first wait after a throttle without Retry-After; doubles; default 30 s
	// ChunkAbove sends files larger than this in chunks to the stash, then
	// commits them; default 20 MiB. ChunkSize is each chunk; default 5 MiB.
	ChunkAbove, ChunkSize int64
	MaxFileSize           int64 // default 100 MiB (the upload module's limit without server-side fetching)
	// RequestTimeout bounds each request (a whole small upload, one chunk,
	// the commit, an edit); default 10 min.
	RequestTimeout time.Duration
	LateSave       time.Duration // how long Commons may go on after its client left; default 5 min
	ReplicaLag     time.Duration // how long an upload may take to show in the lists; default 2 min
	Tool           string        // EditGroups tool code; default "CB"
	Tags           []string      // change tags on top of the client's own
	MaxAttempts    int           // uploads of one file before it fails; default 3
}

// Executor uploads media plans; it implements the worker's MediaUploader.
type Executor struct {
	cfg     Config
	store   *store.Store
	connect Connector
	source  Source
	logger  *slog.Logger
	now     func() time.Time
}

// New builds an executor.
func New(cfg Config, st *store.Store, connect Connector, source Source, logger *slog.Logger) *Executor {
	if cfg.WritesPerMinute <= 0 {
		cfg.WritesPerMinute = 8
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Minute
	}
	if cfg.FirstBackoff <= 0 {
		cfg.FirstBackoff = 30 * time.Second
	}
	if cfg.ChunkAbove <= 0 {
		cfg.ChunkAbove = 20 << 20
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 5 << 20
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 100 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Minute
	}
	if cfg.LateSave <= 0 {
		cfg.LateSave = 5 * time.Minute
	}
	if cfg.ReplicaLag <= 0 {
		cfg.ReplicaLag = 2 * time.Minute
	}
	if cfg.Tool == "" {
		cfg.Tool = "CB"
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Executor{cfg: cfg, store: st, connect: connect, source: source, logger: logger, now: time.Now}
}

// InFlightFor is how long after its intent a request may still land on
// Commons and show in its lists: before that, not finding it proves nothing.
func (e *Executor) InFlightFor() time.Duration {
	return e.cfg.RequestTimeout + e.cfg.LateSave + e.cfg.ReplicaLag
}

// Marker identifies one file of one media plan in its upload comment and
// its structured-data summary; finding it proves that this file was sent.
func Marker(p *jobs.MediaPlan, f *jobs.MediaFile) string {
	return fmt.Sprintf("(job %d, media plan %d, file %d)", p.JobID, p.ID, f.No)
}

// EditGroupsLink lets EditGroups for Commons gather a plan's uploads and edits.
func (e *Executor) EditGroupsLink(groupID string) string {
	return fmt.Sprintf("([[:toolforge:editgroups-commons/b/%s/%s|details]])", e.cfg.Tool, groupID)
}

func (e *Executor) summary(p *jobs.MediaPlan, jobTitle, what string, f *jobs.MediaFile) string {
	title := []rune(jobTitle)
	if len(title) > 60 {
		title = append(title[:59], '…')
	}
	return fmt.Sprintf("Partnerhub: %s from %q %s %s", what, string(title), Marker(p, f), e.EditGroupsLink(p.EditGroupID))
}

// ErrPaused is returned when the upload paused itself; the plan says why.
var ErrPaused = errors.New("media upload paused")

type run struct {
	e        *Executor
	c        Commons
	plan     *jobs.MediaPlan
	jobTitle string
	user     string
	limiter  *rate.Limiter
	log      *slog.Logger
	throttle int       // throttles in a row
	next     time.Time // when a structured-data edit whose answer was lost can be looked at again
}

// Upload uploads the plan's pending files until none is left and no lost
// request is waiting to be looked up (the plan is then done), the plan is
// paused or cancelled by a person, Commons makes it pause, or ctx ends (the
// plan stays "uploading" and a later Upload continues).
func (e *Executor) Upload(ctx context.Context, plan *jobs.MediaPlan) error {
	err := e.upload(ctx, plan)
	if errors.Is(err, ErrPaused) {
		return nil // the plan says why
	}
	return err
}

func (e *Executor) upload(ctx context.Context, plan *jobs.MediaPlan) error {
	plan, err := e.store.MediaPlan(ctx, plan.ID)
	if err != nil {
		return err
	}
	if plan.Status != jobs.MediaPlanUploading {
		return nil
	}
	job, err := e.store.Job(ctx, plan.JobID)
	if err != nil {
		return err
	}
	c, err := e.connect(ctx, plan.UploaderID)
	if err != nil {
		return e.pause(ctx, plan, "The upload cannot use the account that started it: "+jobs.ErrorMessage(err))
	}
	r := &run{e: e, c: c, plan: plan, jobTitle: job.Title, log: e.logger.With("media_plan_id", plan.ID, "job_id", plan.JobID),
		limiter: rate.NewLimiter(rate.Limit(e.cfg.WritesPerMinute/60), 1)}
	if err := r.checkUploader(ctx); err != nil {
		return err
	}
	for {
		if ok, err := r.stillUploading(ctx); err != nil || !ok {
			return err
		}
		next, err := r.recoverSending(ctx)
		if err != nil {
			return err
		}
		progressed, err := r.work(ctx)
		if err != nil {
			return err
		}
		if progressed {
			continue
		}
		if !r.next.IsZero() && (next.IsZero() || r.next.Before(next)) {
			next = r.next
		}
		r.next = time.Time{}
		if next.IsZero() {
			return r.finish(ctx)
		}
		// Only lost requests are left: wait until they can be looked up.
		if err := sparql.Sleep(ctx, time.Until(next)+10*time.Millisecond); err != nil {
			return err
		}
	}
}

// checkUploader confirms the grant works, the account may upload and the
// change tag is usable; it pauses the plan with the reason otherwise.
func (r *run) checkUploader(ctx context.Context) error {
	u, err := r.c.UserInfo(ctx)
	if err != nil {
		if wikidata.IsFatalForUser(err) {
			return r.e.pause(ctx, r.plan, "Commons refuses this account: "+err.Error())
		}
		return err
	}
	switch {
	case u.Anon:
		return r.e.pause(ctx, r.plan, "The stored authorization is no longer valid on Commons; log in again.")
	case u.Blocked:
		return r.e.pause(ctx, r.plan, fmt.Sprintf("The account %s is blocked on Commons (%s).", u.Name, u.BlockReason))
	case !u.HasRight("upload"):
		return r.e.pause(ctx, r.plan, fmt.Sprintf("Commons does not let %s upload through Partnerhub: the account, or Partnerhub's OAuth consumer (grant \"Upload new files\"), lacks the upload right.", u.Name))
	}
	r.user = u.Name
	if err := r.c.CheckTag(ctx); err != nil {
		if errors.Is(err, wikidata.ErrTagNotUsable) {
			return r.e.pause(ctx, r.plan, "Configuration error, nothing was uploaded: "+err.Error())
		}
		return err
	}
	return nil
}

func (e *Executor) pause(ctx context.Context, p *jobs.MediaPlan, reason string) error {
	if err := e.store.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanPaused, reason, jobs.MediaPlanUploading); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	e.logger.Warn("media upload paused", "media_plan_id", p.ID, "reason", reason)
	return fmt.Errorf("%w: %s", ErrPaused, reason)
}

func (r *run) stillUploading(ctx context.Context) (bool, error) {
	p, err := r.e.store.MediaPlan(ctx, r.plan.ID)
	if err != nil {
		return false, err
	}
	return p.Status == jobs.MediaPlanUploading, nil
}

func (r *run) finish(ctx context.Context) error {
	c, err := r.e.store.MediaCounts(ctx, r.plan.ID)
	if err != nil {
		return err
	}
	if c.Pending > 0 || c.Sending > 0 || c.Uploaded > 0 {
		return nil
	}
	err = r.e.store.SetMediaPlanStatus(ctx, r.plan.ID, jobs.MediaPlanDone, "", jobs.MediaPlanUploading)
	if jobs.ErrorCode(err) == jobs.ECONFLICT {
		return nil
	}
	return err
}

// work handles the files whose next step can be taken now: pending ones
// (uploaded or linked) and uploaded ones (their structured data). It says
// whether it did anything.
func (r *run) work(ctx context.Context) (bool, error) {
	progressed := false
	for _, status := range []jobs.MediaFileStatus{jobs.MediaUploaded, jobs.MediaPending} {
		after := int64(0)
		for {
			files, err := r.e.store.MediaFiles(ctx, r.plan.ID, status, after, 50)
			if err != nil {
				return false, err
			}
			if len(files) == 0 {
				break
			}
			for _, f := range files {
				after = f.No
				if ok, err := r.stillUploading(ctx); err != nil || !ok {
					return false, err
				}
				var did bool
				if status == jobs.MediaUploaded {
					did, err = r.structuredData(ctx, f)
				} else {
					did, err = r.uploadFile(ctx, f)
				}
				if err != nil {
					return false, err
				}
				progressed = progressed || did
			}
		}
	}
	return progressed, nil
}

// recoverSending settles the files whose upload answer was lost, once they
// can no longer land: found on Commons (uploaded), or not (pending again).
// It returns when the next of the others can be looked up (zero: none).
func (r *run) recoverSending(ctx context.Context) (time.Time, error) {
	var next time.Time
	after := int64(0)
	for {
		files, err := r.e.store.MediaFiles(ctx, r.plan.ID, jobs.MediaSending, after, 100)
		if err != nil || len(files) == 0 {
			return next, err
		}
		for _, f := range files {
			after = f.No
			due := f.SentAt.Add(r.e.InFlightFor())
			st, err := r.e.store.MediaStash(ctx, r.plan.ID, f.No)
			if err != nil {
				return next, err
			}
			// A chunked upload of this attempt whose commit was not sent has
			// published nothing: it is resumed from the stash once its last
			// chunk request cannot be under way any more (a worker still
			// sending would have recorded a chunk since). One whose commit
			// was sent waits until that commit can no longer land.
			resumable := st != nil && st.Attempt == f.Attempts && st.CommitSentAt.IsZero()
			switch {
			case resumable:
				due = st.UpdatedAt.Add(r.e.cfg.RequestTimeout)
			case st != nil && st.Attempt == f.Attempts:
				due = st.CommitSentAt.Add(r.e.InFlightFor())
			}
			if r.e.now().Before(due) {
				if next.IsZero() || due.Before(next) {
					next = due
				}
				continue
			}
			found, err := r.lookup(ctx, f)
			if err != nil {
				return next, err
			}
			if found != nil {
				if err := r.settleFound(ctx, f, found, f.Attempts); err != nil {
					return next, err
				}
				continue
			}
			if resumable {
				if err := r.resume(ctx, f); err != nil {
					return next, err
				}
				continue
			}
			r.log.Info("lost upload not on Commons; it will be sent again", "file_no", f.No)
			if err := r.e.store.ReleaseMediaFile(ctx, r.plan.ID, f.No, "The upload's answer was lost and the file is not on Commons; it will be sent again."); err != nil {
				return next, err
			}
		}
	}
}

// found is a file on Commons that holds a planned file's content.
type found struct {
	file commons.File
	ours bool // uploaded by this plan (its comment has the marker): its structured data is ours to add
}

// lookup asks Commons whether it holds the file: by SHA-1 and, for a file
// sent before, among the uploader's uploads since, by its marker.
func (r *run) lookup(ctx context.Context, f *jobs.MediaFile) (*found, error) {
	marker := Marker(r.plan, f)
	var best *found
	consider := func(cf commons.File) {
		ours := cf.User == r.user && strings.Contains(cf.Comment, marker)
		if best == nil || ours && !best.ours || (ours == best.ours && cf.Name == strings.ReplaceAll(f.Title, " ", "_")) {
			best = &found{file: cf, ours: ours}
		}
	}
	if f.SHA1 != "" {
		files, err := r.c.FindBySHA1(ctx, f.SHA1)
		if err != nil {
			return nil, err
		}
		for _, cf := range files {
			consider(cf)
		}
	}
	if f.Attempts > 0 && (best == nil || !best.ours) {
		since := f.SentAt.Add(-time.Minute)
		if f.SentAt.IsZero() {
			since = r.plan.StartedAt.Add(-time.Minute)
		}
		mine, err := r.c.UserUploads(ctx, r.user, since, 500)
		if err != nil {
			return nil, err
		}
		for _, cf := range mine {
			if strings.Contains(cf.Comment, marker) && (f.SHA1 == "" || cf.SHA1 == f.SHA1) {
				consider(cf)
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	if best.file.PageID == 0 {
		title := best.file.Title
		if title == "" {
			title = commons.FileTitle(best.file.Name)
		}
		pages, err := r.c.Pages(ctx, []string{title})
		if err != nil {
			return nil, err
		}
		if p := pages[title]; p != nil && !p.Missing {
			best.file.PageID = p.PageID
			best.file.Title = p.Title
		}
	}
	return best, nil
}

// settleFound records a file found on Commons: ours goes on to its
// structured data, someone else's is linked.
func (r *run) settleFound(ctx context.Context, f *jobs.MediaFile, fd *found, attempt int) error {
	o := jobs.MediaOutcome{Status: jobs.MediaLinked, PageID: fd.file.PageID, FileTitle: fd.file.Title, URL: fd.file.DescriptionURL,
		Message: "The same file was on Commons already; it is linked, not uploaded again."}
	if fd.ours || f.Resolution == jobs.ResolveLink { // ours, or a person chose to link it: its structured data is added
		o.Status, o.Message = jobs.MediaUploaded, ""
	}
	if o.FileTitle == "" {
		o.FileTitle = commons.FileTitle(fd.file.Name)
	}
	if _, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, attempt, o); err != nil {
		return err
	}
	r.log.Info("file found on Commons", "file_no", f.No, "title", o.FileTitle, "ours", fd.ours)
	return r.e.store.DropMediaStash(ctx, r.plan.ID, f.No)
}

// uploadFile takes a pending file: looked up first, linked if found, else
// read, checked and uploaded.
func (r *run) uploadFile(ctx context.Context, f *jobs.MediaFile) (bool, error) {
	if f.Attempts-f.ResolvedAttempts >= r.e.cfg.MaxAttempts {
		if ok, err := r.e.store.MarkMediaSending(ctx, r.plan.ID, f.No); err != nil || !ok {
			return false, err
		}
		_, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, jobs.MediaOutcome{Status: jobs.MediaFailed,
			Message: fmt.Sprintf("Not uploaded after %d attempts: %s", f.Attempts, f.Error)})
		return true, err
	}
	if f.Resolution == jobs.ResolveLink {
		return r.linkChosen(ctx, f)
	}
	fd, err := r.lookup(ctx, f)
	if err != nil {
		return false, r.readError(ctx, err)
	}
	if fd != nil {
		ok, err := r.e.store.MarkMediaSending(ctx, r.plan.ID, f.No)
		if err != nil || !ok {
			return false, err
		}
		return true, r.settleFound(ctx, f, fd, f.Attempts+1)
	}
	body, problem, err := r.readBody(ctx, f)
	if err != nil {
		return false, err
	}
	if problem != "" {
		return true, r.failUnsent(ctx, f, problem)
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return false, err
	}
	// The intent, before any request.
	ok, err := r.e.store.MarkMediaSending(ctx, r.plan.ID, f.No)
	if err != nil || !ok {
		return false, err
	}
	attempt := f.Attempts + 1
	res, err := r.send(ctx, f, attempt, body)
	if err != nil {
		return true, r.sendError(ctx, f, attempt, err)
	}
	return true, r.settleResult(ctx, f, attempt, res)
}

// readBody reads a planned file's content again; problem says why it
// cannot be uploaded (unreadable, changed since the plan).
func (r *run) readBody(ctx context.Context, f *jobs.MediaFile) (body []byte, problem string, err error) {
	var b bytes.Buffer
	if err := r.e.source.Content(ctx, r.plan, f, &limitWriter{w: &b, left: r.e.cfg.MaxFileSize, max: r.e.cfg.MaxFileSize}); err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "The file could not be read again: " + jobs.ErrorMessage(err), nil
	}
	if got := commonsSHA1(b.Bytes()); f.SHA1 != "" && got != f.SHA1 {
		return nil, "The file changed since the plan was made (its SHA-1 differs); plan again.", nil
	}
	return b.Bytes(), "", nil
}

// resume goes on with a chunked upload a stopped worker left, within its
// attempt: from where the stash stands, or from the first chunk if the
// stash lost it.
func (r *run) resume(ctx context.Context, f *jobs.MediaFile) error {
	body, problem, err := r.readBody(ctx, f)
	if err != nil {
		return err
	}
	if problem != "" {
		if _, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, f.Attempts, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: problem}); err != nil {
			return err
		}
		return r.e.store.DropMediaStash(ctx, r.plan.ID, f.No)
	}
	r.log.Info("resuming a chunked upload", "file_no", f.No)
	res, err := r.send(ctx, f, f.Attempts, body)
	if err != nil {
		return r.sendError(ctx, f, f.Attempts, err)
	}
	return r.settleResult(ctx, f, f.Attempts, res)
}

func (r *run) failUnsent(ctx context.Context, f *jobs.MediaFile, msg string) error {
	if ok, err := r.e.store.MarkMediaSending(ctx, r.plan.ID, f.No); err != nil || !ok {
		return err
	}
	_, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: msg})
	return err
}

// send uploads in one request, or in chunks to the stash then a commit;
// warnings a person confirmed for the file are then committed past
// (commitConfirmed), on a first attempt and on a resumed one alike.
func (r *run) send(ctx context.Context, f *jobs.MediaFile, attempt int, body []byte) (*commons.Result, error) {
	res, err := r.sendOnce(ctx, f, attempt, body)
	if err == nil && res.Result == "Warning" {
		return r.commitConfirmed(ctx, f, attempt, res)
	}
	return res, err
}

func (r *run) sendOnce(ctx context.Context, f *jobs.MediaFile, attempt int, body []byte) (*commons.Result, error) {
	req := r.uploadRequest(f)
	if int64(len(body)) > r.e.cfg.ChunkAbove {
		return r.sendChunked(ctx, f, attempt, body, req)
	}
	// A chunked upload recorded under other settings must not make this
	// one look resumable after a crash: it goes in one request.
	if err := r.e.store.DropMediaStash(ctx, r.plan.ID, f.No); err != nil {
		return nil, storeError{err}
	}
	req.Body = body
	rctx, cancel := context.WithTimeout(ctx, r.e.cfg.RequestTimeout)
	defer cancel()
	return r.c.Upload(rctx, req)
}

// uploadRequest is a file's upload: name, description page, the comment
// with the marker and the EditGroups link, the tags.
func (r *run) uploadRequest(f *jobs.MediaFile) commons.UploadRequest {
	return commons.UploadRequest{Filename: f.Title, Text: f.Wikitext, Comment: r.e.summary(r.plan, r.jobTitle, "file", f), Tags: r.e.cfg.Tags}
}

// settleResult records an upload's answer.
func (r *run) settleResult(ctx context.Context, f *jobs.MediaFile, attempt int, res *commons.Result) error {
	switch res.Result {
	case "Success":
		o := jobs.MediaOutcome{Status: jobs.MediaUploaded, FileTitle: commons.FileTitle(strings.ReplaceAll(res.Filename, "_", " "))}
		if res.File != nil {
			o.URL = res.File.DescriptionURL
		}
		if _, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, attempt, o); err != nil {
			return err
		}
		r.throttle = 0
		r.log.Info("file uploaded", "file_no", f.No, "title", o.FileTitle)
		return r.e.store.DropMediaStash(ctx, r.plan.ID, f.No)
	case "Warning":
		w, _ := json.Marshal(warningsJSON(res.Warnings))
		_, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, attempt, jobs.MediaOutcome{Status: jobs.MediaWarning, Warnings: w,
			Message: "Commons warned, nothing was uploaded: " + res.Warnings.String() + ". A person decides (rename, or link the existing file)."})
		return err
	}
	return fmt.Errorf("unexpected upload result %q", res.Result)
}

func warningsJSON(w commons.Warnings) map[string]any {
	out := map[string]any{"codes": w.Codes(), "text": w.String()}
	if len(w.Duplicate) > 0 {
		out["duplicate"] = w.Duplicate
	}
	for k, v := range map[string]string{"exists": w.Exists, "was-deleted": w.WasDeleted, "badfilename": w.BadFilename, "duplicate-archive": w.DuplicateArchive} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// sendError records what a failed upload request means.
func (r *run) sendError(ctx context.Context, f *jobs.MediaFile, attempt int, err error) error {
	var se storeError
	switch {
	case errors.As(err, &se):
		// The database failed mid-upload: the file stays "sending", and is
		// resumed or looked up when the executor runs again.
		return se.error
	case ctx.Err() != nil && !errors.Is(err, wikidata.ErrNotSent):
		// Shutting down with a request out: it stays "sending", looked up later.
		return ctx.Err()
	case errors.Is(err, wikidata.ErrOutcomeUnknown) && !errors.Is(err, errStashRestart):
		r.log.Warn("upload answer lost; it will be looked up before any resend", "file_no", f.No, "err", err)
		return nil
	case errors.Is(err, errStashRestart):
		return r.e.store.ReleaseMediaFile(ctx, r.plan.ID, f.No, "Not uploaded yet: "+err.Error())
	case errors.Is(err, wikidata.ErrNotSent), commons.IsStashLost(err):
		// Nothing was applied: the attempt does not count.
		if perr := r.e.store.PostponeMediaFile(ctx, r.plan.ID, f.No, attempt, "Not uploaded yet: "+err.Error()); perr != nil {
			return perr
		}
		if errors.Is(err, wikidata.ErrNotSent) {
			return sparql.Sleep(ctx, r.backoff(err))
		}
		return nil
	case commons.IsNoChange(err):
		// This very name holds this very content: it is there.
		fd, lerr := r.lookup(ctx, f)
		if lerr != nil {
			return lerr
		}
		if fd != nil {
			return r.settleFound(ctx, f, fd, attempt)
		}
	case wikidata.IsMaxlag(err), wikidata.IsRateLimited(err), wikidata.IsReadOnly(err):
		// Not applied: waiting it out does not use up the file's attempts.
		if rerr := r.e.store.PostponeMediaFile(ctx, r.plan.ID, f.No, attempt, "Waiting for Commons: "+err.Error()); rerr != nil {
			return rerr
		}
		return sparql.Sleep(ctx, r.backoff(err))
	case wikidata.IsFatalForUser(err), wikidata.IsBadTags(err):
		if rerr := r.e.store.PostponeMediaFile(ctx, r.plan.ID, f.No, attempt, ""); rerr != nil {
			return rerr
		}
		msg := "Commons refuses this account's uploads: " + err.Error()
		if wikidata.IsPermissionDenied(err) {
			msg += " (Partnerhub's OAuth consumer needs the grant \"Upload new files\".)"
		}
		if wikidata.IsBadTags(err) {
			msg = "Configuration error, nothing was uploaded: " + err.Error()
		}
		return r.e.pause(ctx, r.plan, msg)
	}
	var ae *wikidata.APIError
	if errors.As(err, &ae) {
		if _, serr := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, attempt, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: "Commons refused the file: " + err.Error()}); serr != nil {
			return serr
		}
		return r.e.store.DropMediaStash(ctx, r.plan.ID, f.No)
	}
	// Neither sent nor refused for sure (e.g. the database failed): leave
	// it sending, to be looked up.
	r.log.Error("upload failed", "file_no", f.No, "err", err)
	return nil
}

// readError turns a failed lookup into a wait (maxlag, throttles are
// retried inside reads) or a pause.
func (r *run) readError(ctx context.Context, err error) error {
	if wikidata.IsFatalForUser(err) {
		return r.e.pause(ctx, r.plan, "Commons refuses this account: "+err.Error())
	}
	return err
}

func (r *run) backoff(err error) time.Duration {
	var ae *wikidata.APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		r.throttle = 0
		return min(ae.RetryAfter, r.e.cfg.MaxWait)
	}
	d := min(r.e.cfg.FirstBackoff<<min(r.throttle, 10), r.e.cfg.MaxWait)
	r.throttle++
	return d/2 + rand.N(d/2+1)
}

// structuredData adds what is missing of an uploaded file's structured data
// in one wbeditentity; the file is done once nothing is missing.
func (r *run) structuredData(ctx context.Context, f *jobs.MediaFile) (bool, error) {
	sent, err := r.e.store.SDCSentAt(ctx, r.plan.ID, f.No)
	if err != nil {
		return false, err
	}
	if due := sent.Add(r.e.cfg.RequestTimeout + r.e.cfg.LateSave); !sent.IsZero() && r.e.now().Before(due) {
		// An edit whose answer was lost may still land: wait it out.
		if r.next.IsZero() || due.Before(r.next) {
			r.next = due
		}
		return false, nil
	}
	captions, statements, err := plannedSDC(f.Statements)
	if err != nil {
		_, serr := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: "The planned structured data cannot be read: " + err.Error()})
		return true, serr
	}
	var pageID, baseRev int64
	{
		title := f.FileTitle
		if title == "" {
			title = commons.FileTitle(f.Title)
		}
		pages, err := r.c.Pages(ctx, []string{title})
		if err != nil {
			return false, r.readError(ctx, err)
		}
		p := pages[title]
		if p == nil || p.Missing || p.File == nil {
			_, serr := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, jobs.MediaOutcome{Status: jobs.MediaFailed, Message: "The uploaded file " + title + " is not on Commons any more (deleted?)."})
			return true, serr
		}
		pageID, baseRev = p.PageID, p.LastRevID
	}
	mid := commons.MediaInfoID(pageID)
	mi, err := r.c.MediaInfo(ctx, mid)
	if err != nil {
		return false, r.readError(ctx, err)
	}
	if !mi.Missing {
		baseRev = mi.LastRevID
	}
	missC, missS := commons.Missing(mi, captions, statements)
	missS = addableTo(f, mi, missS)
	done := jobs.MediaOutcome{Status: settledStatus(f), PageID: pageID, SDCRevID: max(baseRev, 1)}
	if len(missC) == 0 && len(missS) == 0 {
		if err := r.e.store.ClearSDCSending(ctx, r.plan.ID, f.No); err != nil {
			return false, err
		}
		_, err := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, done)
		return true, err
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return false, err
	}
	if err := r.e.store.MarkSDCSending(ctx, r.plan.ID, f.No); err != nil {
		return false, err
	}
	rctx, cancel := context.WithTimeout(ctx, r.e.cfg.RequestTimeout)
	res, err := r.c.EditMediaInfo(rctx, commons.MediaInfoEdit{ID: mid, BaseRevID: baseRev, Captions: missC, Statements: missS,
		Summary: r.e.summary(r.plan, r.jobTitle, "structured data", f), Tags: r.e.cfg.Tags})
	cancel()
	switch {
	case err == nil:
		if cerr := r.e.store.ClearSDCSending(ctx, r.plan.ID, f.No); cerr != nil {
			return false, cerr
		}
		done.SDCRevID = res.LastRevID
		_, serr := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, done)
		r.log.Info("structured data added", "file_no", f.No, "mediainfo", mid, "rev", res.LastRevID)
		return true, serr
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.Is(err, wikidata.ErrOutcomeUnknown):
		r.log.Warn("structured-data answer lost; re-read once it cannot land any more", "file_no", f.No, "err", err)
		return true, nil
	}
	if cerr := r.e.store.ClearSDCSending(ctx, r.plan.ID, f.No); cerr != nil {
		return false, cerr
	}
	switch {
	case errors.Is(err, wikidata.ErrNotSent), wikidata.IsEditConflict(err):
		return true, nil // not applied: read again and diff again
	case wikidata.IsMaxlag(err), wikidata.IsRateLimited(err), wikidata.IsReadOnly(err):
		return true, sparql.Sleep(ctx, r.backoff(err))
	case wikidata.IsFatalForUser(err), wikidata.IsBadTags(err):
		return false, r.e.pause(ctx, r.plan, "Commons refuses this account's edits: "+err.Error())
	}
	_, serr := r.e.store.SettleMediaFile(ctx, r.plan.ID, f.No, 0, jobs.MediaOutcome{Status: jobs.MediaFailed, PageID: pageID,
		Message: "Uploaded, but Commons refused the structured data: " + err.Error() + " (retrying adds only what is missing)."})
	return true, serr
}

// plannedSDC reads a file's planned structured data as the planner wrote
// it (media.Structured): its captions and statements.
func plannedSDC(raw json.RawMessage) (map[string]string, []wikidata.Statement, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil, nil
	}
	sd, err := media.DecodeStructured(raw)
	if err != nil {
		return nil, nil, err
	}
	return sd.Captions, slices.Clip(sd.Statements), nil
}

func commonsSHA1(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

// limitWriter refuses to write past max bytes.
type limitWriter struct {
	w         io.Writer
	left, max int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, fmt.Errorf("the file is larger than %d bytes, the most Partnerhub uploads", l.max)
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}
