package store

import (
	"context"
	"fmt"
	"time"

	"partnerhub/jobs"
)

// An uploaded archive is needed while its plan may still read it: being
// built or uploaded, or with files a person may still approve, retry or
// decide on. archiveUnneeded is the condition (on media_plans) under which
// it is not: the plan cancelled, replaced or failed, or finished with no
// file pending, in flight, warned or failed; or, abandoned, untouched since
// the time given (a plan being built or uploaded never is).
const archiveUnneeded = `archive_path <> '' AND archive_removed_at = 0 AND status NOT IN (?, ?) AND (
	status IN (?, ?, ?)
	OR (status = ? AND NOT EXISTS (SELECT 1 FROM media_files f WHERE f.plan_id = media_plans.id AND f.status IN (?, ?, ?, ?, ?)))
	OR updated_at < ?)`

func archiveUnneededArgs(abandonedBefore time.Time) []any {
	before := int64(0)
	if !abandonedBefore.IsZero() {
		before = abandonedBefore.UnixMilli()
	}
	return []any{jobs.MediaPlanBuilding, jobs.MediaPlanUploading, jobs.MediaPlanCancelled, jobs.MediaPlanObsolete, jobs.MediaPlanFailed,
		jobs.MediaPlanDone, jobs.MediaPending, jobs.MediaSending, jobs.MediaUploaded, jobs.MediaWarning, jobs.MediaFailed, before}
}

// UnneededArchives lists the plans whose uploaded archive no plan needs any
// more; abandonedBefore (zero: never) is when an idle plan's archive counts
// as abandoned.
func (s *Store) UnneededArchives(ctx context.Context, abandonedBefore time.Time) ([]*jobs.MediaPlan, error) {
	return queryAll(ctx, s.db, scanMediaPlan, "media plans", `SELECT `+mediaPlanCols+` FROM media_plans WHERE `+archiveUnneeded+` ORDER BY id`,
		archiveUnneededArgs(abandonedBefore)...)
}

// MarkArchiveRemoved records, before the file is deleted, that a plan's
// archive is going, if it is still unneeded then (false otherwise: the plan
// was resumed meanwhile). A plan so marked is never uploaded again.
func (s *Store) MarkArchiveRemoved(ctx context.Context, planID int64, abandonedBefore time.Time) (bool, error) {
	args := append([]any{s.now(), planID}, archiveUnneededArgs(abandonedBefore)...)
	res, err := s.db.ExecContext(ctx, `UPDATE media_plans SET archive_removed_at = ? WHERE id = ? AND `+archiveUnneeded, args...)
	if err != nil {
		return false, fmt.Errorf("record the removal of a media archive: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ArchivesInUse lists the archive paths that plans still hold (not marked
// removed), so that a file on disk no plan names can be told apart.
func (s *Store) ArchivesInUse(ctx context.Context) (map[string]bool, error) {
	paths, err := queryAll(ctx, s.db, func(sc scanner) (string, error) {
		var p string
		return p, sc.Scan(&p)
	}, "media archives", `SELECT archive_path FROM media_plans WHERE archive_path <> '' AND archive_removed_at = 0`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(paths))
	for _, p := range paths {
		out[p] = true
	}
	return out, nil
}

// JobArchives lists the archives of a job's media plans, to delete with the
// job; ECONFLICT while one of its plans is being built or uploaded (it
// reads its archive).
func (s *Store) JobArchives(ctx context.Context, jobID int64) ([]string, error) {
	var busy int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_plans WHERE job_id = ? AND status IN (?, ?)`,
		jobID, jobs.MediaPlanBuilding, jobs.MediaPlanUploading).Scan(&busy); err != nil {
		return nil, fmt.Errorf("look for running media plans: %w", err)
	}
	if busy > 0 {
		return nil, jobs.Errorf(jobs.ECONFLICT, "A media plan of this job is being built or uploaded: pause or cancel it before deleting the job.")
	}
	return queryAll(ctx, s.db, func(sc scanner) (string, error) {
		var p string
		return p, sc.Scan(&p)
	}, "media archives", `SELECT archive_path FROM media_plans WHERE job_id = ? AND archive_path <> '' AND archive_removed_at = 0`, jobID)
}
