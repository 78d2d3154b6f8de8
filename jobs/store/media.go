package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

// CreateMediaPlan starts building a new media plan for p.JobID (source,
// archive, settings and creator taken from p); earlier media plans that were
// never uploaded become obsolete. ECONFLICT while another is being built or
// uploaded.
func (s *Store) CreateMediaPlan(ctx context.Context, p *jobs.MediaPlan) (*jobs.MediaPlan, error) {
	now := s.now()
	settings := string(p.Settings)
	if settings == "" {
		settings = "{}"
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var busy int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_plans WHERE job_id = ? AND status IN (?, ?, ?)`,
			p.JobID, jobs.MediaPlanBuilding, jobs.MediaPlanUploading, jobs.MediaPlanPaused).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return jobs.Errorf(jobs.ECONFLICT, "A media plan of this job is being built or uploaded; wait for it, or cancel its upload, before planning again.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE media_plans SET status = ?, updated_at = ? WHERE job_id = ? AND status IN (?, ?, ?)`,
			jobs.MediaPlanObsolete, now, p.JobID, jobs.MediaPlanReady, jobs.MediaPlanApproved, jobs.MediaPlanFailed); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO media_plans (job_id, status, source_kind, source_column, archive_path, archive_name, archive_sha1, archive_size,
				settings_json, template_version_id, propose_p18, created_by, created_at, updated_at, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
			p.JobID, jobs.MediaPlanBuilding, p.SourceKind, p.SourceColumn, p.ArchivePath, p.ArchiveName, p.ArchiveSHA1, p.ArchiveSize,
			settings, p.TemplateVersionID, boolInt(p.ProposeP18), p.CreatedBy, now, now)
		if err != nil {
			return fmt.Errorf("create media plan: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.MediaPlan(ctx, id)
}

const mediaPlanCols = `id, job_id, status, source_kind, source_column, archive_path, archive_name, archive_sha1, archive_size, settings_json, template_version_id, propose_p18,
	created_by, created_at, updated_at, approved_by, approved_at, started_at, uploader_id, editgroup_id, error, rows_done, archive_removed_at`

func scanMediaPlan(sc scanner) (*jobs.MediaPlan, error) {
	var (
		p                                   jobs.MediaPlan
		status, kind, settings              string
		p18                                 int
		created, updated, approved, started int64
		removed                             int64
	)
	if err := sc.Scan(&p.ID, &p.JobID, &status, &kind, &p.SourceColumn, &p.ArchivePath, &p.ArchiveName, &p.ArchiveSHA1, &p.ArchiveSize, &settings,
		&p.TemplateVersionID, &p18, &p.CreatedBy, &created, &updated, &p.ApprovedBy, &approved, &started, &p.UploaderID, &p.EditGroupID, &p.Error, &p.RowsDone, &removed); err != nil {
		return nil, err
	}
	p.Status, p.SourceKind, p.Settings, p.ProposeP18 = jobs.MediaPlanStatus(status), jobs.MediaSourceKind(kind), json.RawMessage(settings), p18 != 0
	p.CreatedAt, p.UpdatedAt, p.ApprovedAt, p.StartedAt = msToTime(created), msToTime(updated), msToTime(approved), msToTime(started)
	p.ArchiveRemovedAt = msToTime(removed)
	return &p, nil
}

// MediaPlan loads a media plan.
func (s *Store) MediaPlan(ctx context.Context, id int64) (*jobs.MediaPlan, error) {
	p, err := scanMediaPlan(s.db.QueryRowContext(ctx, `SELECT `+mediaPlanCols+` FROM media_plans WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The media plan")
	}
	return p, nil
}

// LatestMediaPlan loads a job's newest media plan; ENOTFOUND when it has none.
func (s *Store) LatestMediaPlan(ctx context.Context, jobID int64) (*jobs.MediaPlan, error) {
	p, err := scanMediaPlan(s.db.QueryRowContext(ctx, `SELECT `+mediaPlanCols+` FROM media_plans WHERE job_id = ? ORDER BY id DESC LIMIT 1`, jobID))
	if err != nil {
		return nil, notFound(err, "The job's media plan")
	}
	return p, nil
}

// MediaPlansWithStatus lists media plans in a state (for recovery sweeps).
func (s *Store) MediaPlansWithStatus(ctx context.Context, status jobs.MediaPlanStatus) ([]*jobs.MediaPlan, error) {
	return queryAll(ctx, s.db, scanMediaPlan, "media plans", `SELECT `+mediaPlanCols+` FROM media_plans WHERE status = ? ORDER BY id`, status)
}

// AddMediaFiles stores planned files (replaying a batch after a crash
// replaces the same file numbers) and the number of rows read so far. A
// file's status comes from its problems: blocked when one blocks, else
// pending.
func (s *Store) AddMediaFiles(ctx context.Context, planID int64, files []jobs.MediaFile, rowsDone int64) error {
	now := s.now()
	const cols = 16
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for len(files) > 0 {
			chunk := files[:min(len(files), 100)]
			files = files[len(chunk):]
			var b strings.Builder
			args := make([]any, 0, len(chunk)*cols)
			b.WriteString(`INSERT INTO media_files (plan_id, file_no, row_num, qid, source, title, wikitext, statements_json, sha1, size, content_type, width, height,
				problems_json, approved, status, warnings_json, commons_url, error, created_at, updated_at) VALUES `)
			for i := range chunk {
				f := &chunk[i]
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '', '', ?, ?)")
				problems, _ := json.Marshal(f.Problems)
				if f.Problems == nil {
					problems = []byte("[]")
				}
				statements := string(f.Statements)
				if statements == "" {
					statements = "{}"
				}
				status := jobs.MediaPending
				if f.Blocked() {
					status = jobs.MediaBlocked
				}
				args = append(args, planID, f.No, f.Row, f.QID, f.Source, truncateBytes(f.Title, 255), f.Wikitext, statements, f.SHA1, f.Size,
					truncateBytes(f.ContentType, 127), f.Width, f.Height, string(problems), 1, status, now, now)
			}
			b.WriteString(s.d.upsert([]string{"plan_id", "file_no"}, "row_num", "qid", "source", "title", "wikitext", "statements_json", "sha1", "size",
				"content_type", "width", "height", "problems_json", "approved", "status", "updated_at"))
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("store media files: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE media_plans SET rows_done = ?, updated_at = ? WHERE id = ?`, rowsDone, now, planID)
		return err
	})
}

// truncateBytes cuts s to at most n bytes on a rune boundary (titles are
// checked against the 240-byte limit before; this only keeps a bad one
// storable so that its problem can be shown).
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// SetMediaPlanStatus moves a media plan from one of the from states to
// status (with a message for failures); ECONFLICT when it is in none of them.
func (s *Store) SetMediaPlanStatus(ctx context.Context, planID int64, status jobs.MediaPlanStatus, message string, from ...jobs.MediaPlanStatus) error {
	args := []any{status, truncateRunes(message, 2000), s.now(), planID}
	for _, f := range from {
		args = append(args, f)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE media_plans SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status IN `+inList(len(from)), args...)
	if err != nil {
		return fmt.Errorf("change media plan status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		p, err := s.MediaPlan(ctx, planID)
		if err != nil {
			return err
		}
		return jobs.Errorf(jobs.ECONFLICT, "The media plan is %s, so it cannot become %s.", p.Status, status)
	}
	return nil
}

// ApproveMediaPlan records who approved a ready media plan and which files:
// all pending ones when fileNos is nil, else exactly those (the other
// pending files are skipped). Blocked files stay blocked either way.
func (s *Store) ApproveMediaPlan(ctx context.Context, planID, userID int64, fileNos []int64) error {
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media_plans SET status = ?, approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			jobs.MediaPlanApproved, userID, now, now, planID, jobs.MediaPlanReady)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ECONFLICT, "Only a media plan that is ready can be approved.")
		}
		if fileNos == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE media_files SET approved = 0, status = ?, updated_at = ? WHERE plan_id = ? AND status = ?`,
			jobs.MediaSkipped, now, planID, jobs.MediaPending); err != nil {
			return err
		}
		for _, chunk := range chunkInt64(fileNos, 500) {
			args := []any{jobs.MediaPending, now, planID}
			for _, n := range chunk {
				args = append(args, n)
			}
			args = append(args, jobs.MediaSkipped)
			if _, err := tx.ExecContext(ctx, `UPDATE media_files SET approved = 1, status = ?, updated_at = ? WHERE plan_id = ? AND file_no IN `+
				inList(len(chunk))+` AND status = ?`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// StartUploading marks an approved (or paused) media plan as being uploaded
// with uploaderID's account under an EditGroups-style batch id (kept from
// the first start).
func (s *Store) StartUploading(ctx context.Context, planID, uploaderID int64, editGroupID string) error {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE media_plans SET status = ?, uploader_id = ?, editgroup_id = CASE WHEN editgroup_id = '' THEN ? ELSE editgroup_id END,
		started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, error = '', updated_at = ?
		WHERE id = ? AND status IN (?, ?) AND archive_removed_at = 0`, jobs.MediaPlanUploading, uploaderID, editGroupID, now, now, planID, jobs.MediaPlanApproved, jobs.MediaPlanPaused)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if p, err := s.MediaPlan(ctx, planID); err == nil && !p.ArchiveRemovedAt.IsZero() {
			return jobs.Errorf(jobs.EINVALID, "The archive %s of this plan was deleted from the server (unused for too long); plan again with the archive.", p.ArchiveName)
		}
		return jobs.Errorf(jobs.ECONFLICT, "Only an approved or paused media plan can be uploaded.")
	}
	return nil
}

const mediaFileCols = `plan_id, file_no, row_num, qid, source, title, wikitext, statements_json, sha1, size, content_type, width, height, problems_json, approved, status,
	attempts, stash_key, warnings_json, commons_page_id, commons_title, commons_url, sdc_rev_id, error, sent_at, created_at, updated_at,
	resolution, resolution_json, resolved_attempts`

func scanMediaFile(sc scanner) (*jobs.MediaFile, error) {
	var (
		f                                              jobs.MediaFile
		statements, problems, status, warn, resolution string
		detail                                         string
		approved                                       int
		sent, created, updated                         int64
	)
	if err := sc.Scan(&f.PlanID, &f.No, &f.Row, &f.QID, &f.Source, &f.Title, &f.Wikitext, &statements, &f.SHA1, &f.Size, &f.ContentType, &f.Width, &f.Height,
		&problems, &approved, &status, &f.Attempts, &f.StashKey, &warn, &f.PageID, &f.FileTitle, &f.URL, &f.SDCRevID, &f.Error, &sent, &created, &updated,
		&resolution, &detail, &f.ResolvedAttempts); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(problems), &f.Problems)
	f.Statements, f.Warnings = json.RawMessage(statements), json.RawMessage(warn)
	f.Approved, f.Status = approved != 0, jobs.MediaFileStatus(status)
	f.Resolution, f.ResolutionDetail = jobs.MediaResolution(resolution), jobs.DecodeMediaDecisionDetail(json.RawMessage(detail))
	f.SentAt, f.CreatedAt, f.UpdatedAt = msToTime(sent), msToTime(created), msToTime(updated)
	return &f, nil
}

// MediaFile loads one file of a plan.
func (s *Store) MediaFile(ctx context.Context, planID, no int64) (*jobs.MediaFile, error) {
	f, err := scanMediaFile(s.db.QueryRowContext(ctx, `SELECT `+mediaFileCols+` FROM media_files WHERE plan_id = ? AND file_no = ?`, planID, no))
	if err != nil {
		return nil, notFound(err, "The media file")
	}
	return f, nil
}

// MediaFiles lists a plan's files after file number after; status "" means
// any.
func (s *Store) MediaFiles(ctx context.Context, planID int64, status jobs.MediaFileStatus, after int64, limit int) ([]*jobs.MediaFile, error) {
	q := `SELECT ` + mediaFileCols + ` FROM media_files WHERE plan_id = ? AND file_no > ?`
	args := []any{planID, after}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY file_no LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.db, scanMediaFile, "media files", q, args...)
}

// MediaCounts sums a media plan's files.
func (s *Store) MediaCounts(ctx context.Context, planID int64) (jobs.MediaCounts, error) {
	var c jobs.MediaCounts
	rows, err := s.db.QueryContext(ctx, `SELECT status, approved, COUNT(*), COALESCE(SUM(size), 0), SUM(CASE WHEN problems_json <> '[]' THEN 1 ELSE 0 END)
		FROM media_files WHERE plan_id = ? GROUP BY status, approved`, planID)
	if err != nil {
		return c, fmt.Errorf("count media files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status                string
			approved              int
			n, bytes, withProblem int64
		)
		if err := rows.Scan(&status, &approved, &n, &bytes, &withProblem); err != nil {
			return c, err
		}
		c.Files += n
		c.Problems += withProblem
		if approved != 0 && jobs.MediaFileStatus(status) != jobs.MediaBlocked {
			c.Approved += n
			c.Bytes += bytes
		}
		switch jobs.MediaFileStatus(status) {
		case jobs.MediaPending:
			c.Pending += n
		case jobs.MediaBlocked:
			c.Blocked += n
		case jobs.MediaSkipped:
			c.Skipped += n
		case jobs.MediaSending:
			c.Sending += n
		case jobs.MediaUploaded:
			c.Uploaded += n
		case jobs.MediaDone:
			c.Done += n
		case jobs.MediaLinked:
			c.Linked += n
		case jobs.MediaWarning:
			c.Warning += n
		case jobs.MediaFailed:
			c.Failed += n
		}
	}
	return c, rows.Err()
}

// MarkMediaSending records the intent to upload a file before any API call:
// pending → sending, counting the attempt. False when the file is not
// pending (another worker has it, or it is settled).
func (s *Store) MarkMediaSending(ctx context.Context, planID, no int64) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE media_files SET status = ?, attempts = attempts + 1, sent_at = ?, updated_at = ? WHERE plan_id = ? AND file_no = ? AND status = ?`,
		jobs.MediaSending, now, now, planID, no, jobs.MediaPending)
	if err != nil {
		return false, fmt.Errorf("record upload intent: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SettleMediaFile records how a file being sent (or uploaded, waiting for
// its structured data) ended, for attempt (0: whichever). A zero PageID,
// empty FileTitle, URL or nil Warnings keep what was recorded (the
// structured-data step does not repeat the upload's answer). False when the
// file is not in flight at that attempt any more, so a late worker never
// settles a newer attempt.
func (s *Store) SettleMediaFile(ctx context.Context, planID, no int64, attempt int, o jobs.MediaOutcome) (bool, error) {
	warn := string(o.Warnings)
	q := `UPDATE media_files SET status = ?,
			commons_page_id = CASE WHEN ? = 0 THEN commons_page_id ELSE ? END,
			commons_title = CASE WHEN ? = '' THEN commons_title ELSE ? END,
			commons_url = CASE WHEN ? = '' THEN commons_url ELSE ? END,
			sdc_rev_id = CASE WHEN ? = 0 THEN sdc_rev_id ELSE ? END,
			warnings_json = CASE WHEN ? = '' THEN warnings_json ELSE ? END,
			error = ?, updated_at = ?
		WHERE plan_id = ? AND file_no = ? AND status IN (?, ?)`
	args := []any{o.Status, o.PageID, o.PageID, o.FileTitle, o.FileTitle, o.URL, o.URL, o.SDCRevID, o.SDCRevID, warn, warn,
		truncateRunes(o.Message, 2000), s.now(), planID, no, jobs.MediaSending, jobs.MediaUploaded}
	if attempt > 0 {
		q += ` AND attempts = ?`
		args = append(args, attempt)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("record upload outcome: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseMediaFile puts a file being sent back to pending: the call was
// definitely not applied (maxlag, rate limit), so it may be sent again.
func (s *Store) ReleaseMediaFile(ctx context.Context, planID, no int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE media_files SET status = ?, error = ?, updated_at = ? WHERE plan_id = ? AND file_no = ? AND status = ?`,
		jobs.MediaPending, truncateRunes(message, 2000), s.now(), planID, no, jobs.MediaSending)
	return err
}

// RetryFailedMedia puts a plan's failed files back to pending.
func (s *Store) RetryFailedMedia(ctx context.Context, planID int64) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE media_files SET status = ?, error = '', updated_at = ? WHERE plan_id = ? AND status = ?`,
		jobs.MediaPending, s.now(), planID, jobs.MediaFailed)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// MediaFilesBySHA1 lists the files of any plan with this content that are
// on Commons or in flight: the executor's recovery and the planner's
// "uploaded already by Partnerhub" check.
func (s *Store) MediaFilesBySHA1(ctx context.Context, sha1 string) ([]*jobs.MediaFile, error) {
	return queryAll(ctx, s.db, scanMediaFile, "media files", `SELECT `+mediaFileCols+` FROM media_files WHERE sha1 = ? AND status IN (?, ?, ?, ?, ?) ORDER BY plan_id, file_no`,
		sha1, jobs.MediaSending, jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked, jobs.MediaWarning)
}

// RowMedia lists, per row of a job, the newest of its files that is on
// Commons (across the job's media plans), ordered by row.
func (s *Store) RowMedia(ctx context.Context, jobID int64) ([]jobs.RowMedia, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.row_num, f.qid, f.commons_title, f.commons_url FROM media_files f JOIN media_plans p ON p.id = f.plan_id
		WHERE p.job_id = ? AND f.status IN (?, ?, ?) AND f.commons_title <> ''
		ORDER BY f.row_num, f.plan_id DESC, f.file_no`, jobID, jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked)
	if err != nil {
		return nil, fmt.Errorf("list the job's files on Commons: %w", err)
	}
	defer rows.Close()
	var out []jobs.RowMedia
	for rows.Next() {
		var m jobs.RowMedia
		if err := rows.Scan(&m.Row, &m.QID, &m.FileTitle, &m.URL); err != nil {
			return nil, err
		}
		if len(out) > 0 && out[len(out)-1].Row == m.Row {
			continue // an older plan's file of the same row
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MediaTotals counts a job's files on Commons: uploaded by its plans,
// linked (found on Commons already), and the distinct items they illustrate.
type MediaTotals struct {
	Uploaded, Linked, Items int64
}

// JobMediaTotals sums the files of all of a job's media plans.
func (s *Store) JobMediaTotals(ctx context.Context, jobID int64) (MediaTotals, error) {
	return s.mediaTotals(ctx, `p.job_id = ?`, jobID)
}

// mediaTotals sums the files on Commons of the media plans that cond (on
// media_plans p) selects.
func (s *Store) mediaTotals(ctx context.Context, cond string, args ...any) (MediaTotals, error) {
	var t MediaTotals
	q := `SELECT
			COALESCE(SUM(CASE WHEN f.status IN (?, ?) THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN f.status = ? THEN 1 ELSE 0 END), 0),
			COUNT(DISTINCT CASE WHEN f.qid <> '' THEN f.qid END)
		FROM media_files f JOIN media_plans p ON p.id = f.plan_id
		WHERE f.status IN (?, ?, ?) AND ` + cond
	all := append([]any{jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked, jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked}, args...)
	if err := s.db.QueryRowContext(ctx, q, all...).Scan(&t.Uploaded, &t.Linked, &t.Items); err != nil {
		return t, fmt.Errorf("count files on Commons: %w", err)
	}
	return t, nil
}

// MediaTitlesPlanned returns those of titles that files of other plans hold
// (planned, in flight or on Commons; of obsolete or cancelled plans only
// those on Commons), other than plan excludePlan's: two plans must not aim
// at one title.
func (s *Store) MediaTitlesPlanned(ctx context.Context, excludePlan int64, titles []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(titles) > 0 {
		chunk := titles[:min(len(titles), 500)]
		titles = titles[len(chunk):]
		args := []any{excludePlan, jobs.MediaPlanObsolete, jobs.MediaPlanCancelled, jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked,
			jobs.MediaSkipped, jobs.MediaBlocked, jobs.MediaFailed}
		for _, t := range chunk {
			args = append(args, t)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT f.title FROM media_files f JOIN media_plans p ON p.id = f.plan_id
			WHERE f.plan_id <> ? AND (p.status NOT IN (?, ?) OR f.status IN (?, ?, ?)) AND f.status NOT IN (?, ?, ?) AND f.title IN `+inList(len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("look up planned titles: %w", err)
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, err
			}
			out[t] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EachMediaRow streams every row of a job's dataset in row order with the
// item it was accepted as (accepted, auto-matched, or created by a
// write-back; "" when none), so that the media plan can flag rows without
// an item instead of leaving them out silently.
func (s *Store) EachMediaRow(ctx context.Context, jobID, datasetID int64, fn func(PlanRow) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT r.row_num, r.cells_json,
			COALESCE(CASE WHEN d.kind = 'accept' THEN d.qid WHEN d.kind = 'new' THEN d.created_qid WHEN d.kind IS NULL AND m.status = 'matched' THEN m.qid ELSE '' END, '')
		FROM dataset_rows r
		LEFT JOIN row_matches m ON m.job_id = ? AND m.row_num = r.row_num
		LEFT JOIN decisions d ON d.job_id = ? AND d.row_num = r.row_num
		WHERE r.dataset_id = ?
		ORDER BY r.row_num`, jobID, jobID, datasetID)
	if err != nil {
		return fmt.Errorf("read rows for the media plan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pr    PlanRow
			cells string
		)
		if err := rows.Scan(&pr.Row, &cells, &pr.QID); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(cells), &pr.Cells); err != nil {
			return fmt.Errorf("decode row %d: %w", pr.Row, err)
		}
		if err := fn(pr); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AddMediaProblems adds problems found on the plan as a whole (duplicate
// titles, titles taken) to files still pending or blocked; a blocking one
// blocks the file.
func (s *Store) AddMediaProblems(ctx context.Context, planID int64, problems map[int64][]jobs.MediaProblem) error {
	if len(problems) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for no, add := range problems {
			var raw, status string
			err := tx.QueryRowContext(ctx, `SELECT problems_json, status FROM media_files WHERE plan_id = ? AND file_no = ?`, planID, no).Scan(&raw, &status)
			if err != nil {
				return notFound(err, "The media file")
			}
			if jobs.MediaFileStatus(status) != jobs.MediaPending && jobs.MediaFileStatus(status) != jobs.MediaBlocked {
				continue
			}
			var have []jobs.MediaProblem
			_ = json.Unmarshal([]byte(raw), &have)
			f := jobs.MediaFile{Problems: append(have, add...)}
			if f.Blocked() {
				status = string(jobs.MediaBlocked)
			}
			out, _ := json.Marshal(f.Problems)
			if _, err := tx.ExecContext(ctx, `UPDATE media_files SET problems_json = ?, status = ?, updated_at = ? WHERE plan_id = ? AND file_no = ?`,
				string(out), status, now, planID, no); err != nil {
				return fmt.Errorf("record the problems of media file %d: %w", no, err)
			}
		}
		return nil
	})
}

// RowImages maps the rows of a job whose media plan proposed P18 (image)
// to the file name (without "File:") of their newest file on Commons, for
// the edit plan's opt-in P18 lines.
func (s *Store) RowImages(ctx context.Context, jobID int64) (map[int64]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.row_num, f.commons_title FROM media_files f JOIN media_plans p ON p.id = f.plan_id
		WHERE p.job_id = ? AND p.propose_p18 = 1 AND f.status IN (?, ?, ?) AND f.commons_title <> ''
		ORDER BY f.row_num, f.plan_id DESC, f.file_no`, jobID, jobs.MediaUploaded, jobs.MediaDone, jobs.MediaLinked)
	if err != nil {
		return nil, fmt.Errorf("list the job's images: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var (
			row   int64
			title string
		)
		if err := rows.Scan(&row, &title); err != nil {
			return nil, err
		}
		if _, ok := out[row]; !ok {
			out[row] = strings.TrimPrefix(title, "File:")
		}
	}
	return out, rows.Err()
}
