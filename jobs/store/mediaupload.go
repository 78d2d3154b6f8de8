package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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
