package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"partnerhub/jobs"
)

// MarkSDCSending records, before the call, that a file's structured data
// is being sent (now).
func (s *Store) MarkSDCSending(ctx context.Context, planID, no int64) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_sdc_sends WHERE plan_id = ? AND file_no = ?`, planID, no); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO media_sdc_sends (plan_id, file_no, sent_at) VALUES (?, ?, ?)`, planID, no, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("record structured-data intent: %w", err)
	}
	return nil
}

// SDCSentAt says when a file's structured data was sent without its answer
// being recorded since; zero when it was not.
func (s *Store) SDCSentAt(ctx context.Context, planID, no int64) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT sent_at FROM media_sdc_sends WHERE plan_id = ? AND file_no = ?`, planID, no).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read structured-data intent: %w", err)
	}
	return time.UnixMilli(at), nil
}

// ClearSDCSending records that the structured data's answer is known.
func (s *Store) ClearSDCSending(ctx context.Context, planID, no int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM media_sdc_sends WHERE plan_id = ? AND file_no = ?`, planID, no); err != nil {
		return fmt.Errorf("clear structured-data intent: %w", err)
	}
	return nil
}

// MediaStash is a chunked upload's recorded progress in Commons' upload
// stash (media_stash).
type MediaStash struct {
	Attempt      int    // the file's upload attempt that last used it
	FileKey      string // the chunk session's key, or the assembled file's; "" before the first chunk's answer
	Offset       int64  // bytes the stash accepted
	Size         int64
	SHA1         string
	Assembled    bool      // the last chunk was accepted: FileKey is the whole file, ready to commit
	CommitSentAt time.Time // the commit was sent without its answer recorded since; zero: not sent
	UpdatedAt    time.Time
}

// MediaStash returns a file's recorded chunked upload; nil when none.
func (s *Store) MediaStash(ctx context.Context, planID, no int64) (*MediaStash, error) {
	var (
		m                  MediaStash
		assembled          int
		commitSent, update int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT attempt, file_key, stash_offset, file_size, sha1, assembled, commit_sent_at, updated_at
		FROM media_stash WHERE plan_id = ? AND file_no = ?`, planID, no).
		Scan(&m.Attempt, &m.FileKey, &m.Offset, &m.Size, &m.SHA1, &assembled, &commitSent, &update)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the file's stash progress: %w", err)
	}
	m.Assembled, m.CommitSentAt, m.UpdatedAt = assembled != 0, msToTime(commitSent), msToTime(update)
	return &m, nil
}

// BeginMediaStash records, before attempt sends its first request, that
// the file goes to the stash in chunks. A recorded upload of the same
// content is kept (to be resumed) and taken over by this attempt; one of
// other content is started afresh. It returns what is recorded now.
func (s *Store) BeginMediaStash(ctx context.Context, planID, no int64, attempt int, size int64, sha1 string) (*MediaStash, error) {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media_stash SET attempt = ?, updated_at = ? WHERE plan_id = ? AND file_no = ? AND file_size = ? AND sha1 = ?`,
			attempt, now, planID, no, size, sha1)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_stash WHERE plan_id = ? AND file_no = ?`, planID, no); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO media_stash (plan_id, file_no, attempt, file_size, sha1, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			planID, no, attempt, size, sha1, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record a chunked upload: %w", err)
	}
	return s.MediaStash(ctx, planID, no)
}

// RecordMediaChunk records what the stash accepted for attempt: its file
// key and offset, and whether the file is assembled (the last chunk was
// taken; key is then the whole file's). key "" and offset 0 record that
// the stash lost the upload, which starts again. The file's stash_key
// follows. False when attempt no longer owns the upload.
func (s *Store) RecordMediaChunk(ctx context.Context, planID, no int64, attempt int, key string, offset int64, assembled bool) (bool, error) {
	now := s.now()
	var ok bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE media_stash SET file_key = ?, stash_offset = ?, assembled = ?, commit_sent_at = 0, updated_at = ?
			WHERE plan_id = ? AND file_no = ? AND attempt = ?`, key, offset, boolInt(assembled), now, planID, no, attempt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		ok = true
		_, err = tx.ExecContext(ctx, `UPDATE media_files SET stash_key = ?, updated_at = ? WHERE plan_id = ? AND file_no = ?`, key, now, planID, no)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record a chunk: %w", err)
	}
	return ok, nil
}

// SetMediaCommitSent records, before the call, that attempt commits the
// assembled file (sent true), or that the commit's answer is known (false).
func (s *Store) SetMediaCommitSent(ctx context.Context, planID, no int64, attempt int, sent bool) error {
	at := int64(0)
	if sent {
		at = s.now()
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE media_stash SET commit_sent_at = ?, updated_at = ? WHERE plan_id = ? AND file_no = ? AND attempt = ?`,
		at, s.now(), planID, no, attempt); err != nil {
		return fmt.Errorf("record a commit: %w", err)
	}
	return nil
}

// DropMediaStash forgets a file's chunked upload (published, linked, or
// failed for good).
func (s *Store) DropMediaStash(ctx context.Context, planID, no int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_stash WHERE plan_id = ? AND file_no = ?`, planID, no); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE media_files SET stash_key = '' WHERE plan_id = ? AND file_no = ?`, planID, no)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget a chunked upload: %w", err)
	}
	return nil
}

// PostponeMediaFile puts a file being sent by attempt back to pending
// without counting the attempt: its request was certainly not applied
// (maxlag, a throttle, read-only, or never sent), so waiting it out must
// not use up the file's attempts.
func (s *Store) PostponeMediaFile(ctx context.Context, planID, no int64, attempt int, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE media_files SET status = ?, attempts = attempts - 1, error = ?, updated_at = ?
		WHERE plan_id = ? AND file_no = ? AND status = ? AND attempts = ?`,
		jobs.MediaPending, truncateRunes(message, 2000), s.now(), planID, no, jobs.MediaSending, attempt)
	if err != nil {
		return fmt.Errorf("postpone an upload: %w", err)
	}
	return nil
}
