package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

// valueKey identifies a distinct value of a column.
func valueKey(v string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(v)))
	return hex.EncodeToString(h[:])
}

// maxColumnName is the longest column name a resolution is kept under.
const maxColumnName = 255

// ValueResolutions returns a job's resolutions of names in item columns,
// by column, then value. Distinct names are few (countries, places, people
// credited), so all are returned.
func (s *Store) ValueResolutions(ctx context.Context, jobID int64) (map[string]map[string]*jobs.ValueResolution, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT column_name, value_text, status, qid, candidates_json, evidence, n_rows, decided_by, updated_at
		FROM value_resolutions WHERE job_id = ? ORDER BY column_name, value_text`, jobID)
	if err != nil {
		return nil, fmt.Errorf("read item names: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]*jobs.ValueResolution{}
	for rows.Next() {
		v := &jobs.ValueResolution{JobID: jobID}
		var (
			status, cands string
			at            int64
		)
		if err := rows.Scan(&v.Column, &v.Value, &status, &v.QID, &cands, &v.Evidence, &v.Rows, &v.DecidedBy, &at); err != nil {
			return nil, err
		}
		v.Status, v.UpdatedAt = jobs.ValueStatus(status), msToTime(at)
		if err := json.Unmarshal([]byte(cands), &v.Candidates); err != nil {
			return nil, fmt.Errorf("decode candidates of %q: %w", v.Value, err)
		}
		if out[v.Column] == nil {
			out[v.Column] = map[string]*jobs.ValueResolution{}
		}
		out[v.Column][v.Value] = v
	}
	return out, rows.Err()
}

// SaveValueResolutions stores what the engine found for names; a value a
// person decided keeps that decision (only its row count is updated).
func (s *Store) SaveValueResolutions(ctx context.Context, jobID int64, vs []jobs.ValueResolution) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		for _, v := range vs {
			if len(v.Column) > maxColumnName {
				return jobs.Errorf(jobs.EINVALID, "Column names of item columns can be at most %d bytes long.", maxColumnName)
			}
			cands, err := json.Marshal(v.Candidates)
			if err != nil {
				return err
			}
			if v.Candidates == nil {
				cands = []byte("[]")
			}
			key := valueKey(v.Value)
			if _, err := tx.ExecContext(ctx, s.d.insertIgnore+` value_resolutions (job_id, column_name, value_key, value_text, status, qid, candidates_json, evidence, n_rows, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, jobID, v.Column, key, strings.TrimSpace(v.Value), string(v.Status), v.QID, string(cands), v.Evidence, v.Rows, now); err != nil {
				return fmt.Errorf("save item name %q: %w", v.Value, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE value_resolutions SET status = ?, qid = ?, candidates_json = ?, evidence = ?, n_rows = ?, updated_at = ?
				WHERE job_id = ? AND column_name = ? AND value_key = ? AND status NOT IN (?, ?)`,
				string(v.Status), v.QID, string(cands), v.Evidence, v.Rows, now, jobID, v.Column, key, jobs.ValueAccepted, jobs.ValueRejected); err != nil {
				return fmt.Errorf("update item name %q: %w", v.Value, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE value_resolutions SET n_rows = ? WHERE job_id = ? AND column_name = ? AND value_key = ?`,
				v.Rows, jobID, v.Column, key); err != nil {
				return err
			}
		}
		return nil
	})
}

// DecideValue records a person's decision on a name: the item it stands for
// (accept, qid) or that it is left out (reject, qid ""). The name must have
// been met by a plan.
func (s *Store) DecideValue(ctx context.Context, jobID int64, column, value, qid string, userID int64) (*jobs.ValueResolution, error) {
	status := jobs.ValueRejected
	evidence := "left out by a person"
	if qid != "" {
		if !jobs.ValidQID(qid) {
			return nil, jobs.Errorf(jobs.EINVALID, "%q is not an item id like Q34.", qid)
		}
		status, evidence = jobs.ValueAccepted, "chosen by a person"
	}
	res, err := s.db.ExecContext(ctx, `UPDATE value_resolutions SET status = ?, qid = ?, evidence = ?, decided_by = ?, updated_at = ?
		WHERE job_id = ? AND column_name = ? AND value_key = ?`, string(status), qid, evidence, userID, s.now(), jobID, column, valueKey(value))
	if err != nil {
		return nil, fmt.Errorf("decide item name: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// MariaDB counts changed rows only: look before calling it missing.
		all, err := s.ValueResolutions(ctx, jobID)
		if err != nil {
			return nil, err
		}
		if v := all[column][strings.TrimSpace(value)]; v != nil && v.Status == status && v.QID == qid {
			return v, nil
		}
		return nil, jobs.Errorf(jobs.ENOTFOUND, "No plan of this job met %q in column %q.", value, column)
	}
	all, err := s.ValueResolutions(ctx, jobID)
	if err != nil {
		return nil, err
	}
	return all[column][strings.TrimSpace(value)], nil
}
