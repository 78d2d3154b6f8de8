package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"partnerhub/jobs"
)

const userCols = `id, COALESCE(wiki_user_id, ''), username, groups_json, rights_json, edit_count, blocked, created_at, last_login_at`

func scanUser(sc interface{ Scan(...any) error }) (*jobs.User, error) {
	var (
		u                  jobs.User
		groups, rights     string
		blocked            int
		created, lastLogin int64
	)
	if err := sc.Scan(&u.ID, &u.WikiUserID, &u.Username, &groups, &rights, &u.EditCount, &blocked, &created, &lastLogin); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(groups), &u.Groups)
	_ = json.Unmarshal([]byte(rights), &u.Rights)
	u.Blocked = blocked != 0
	u.CreatedAt, u.LastLogin = msToTime(created), msToTime(lastLogin)
	return &u, nil
}

// User loads a user by id.
func (s *Store) User(ctx context.Context, id int64) (*jobs.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The user")
	}
	return u, nil
}

// UserByName loads a user by wiki username.
func (s *Store) UserByName(ctx context.Context, name string) (*jobs.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, name))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("The user %q", name))
	}
	return u, nil
}

// UpsertUser creates the user or refreshes what the wiki said about them at
// login, keyed by the wiki's user id (or by username for the local user, who
// has none). It returns the stored user with its id.
func (s *Store) UpsertUser(ctx context.Context, u *jobs.User) (*jobs.User, error) {
	groups, _ := json.Marshal(nonNil(u.Groups))
	rights, _ := json.Marshal(nonNil(u.Rights))
	now := s.now()
	var wikiID any
	if u.WikiUserID != "" {
		wikiID = u.WikiUserID
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var err error
		if wikiID != nil {
			err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE wiki_user_id = ?`, wikiID).Scan(&id)
		} else {
			err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ? AND wiki_user_id IS NULL`, u.Username).Scan(&id)
		}
		switch {
		case err == sql.ErrNoRows:
			res, err := tx.ExecContext(ctx, `INSERT INTO users (wiki_user_id, username, groups_json, rights_json, edit_count, blocked, created_at, last_login_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, wikiID, u.Username, string(groups), string(rights), u.EditCount, boolInt(u.Blocked), now, now)
			if err != nil {
				return fmt.Errorf("create user %q: %w", u.Username, err)
			}
			id, err = res.LastInsertId()
			if err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("look up user %q: %w", u.Username, err)
		default:
			// A renamed wiki account keeps its central id; follow the new name.
			if _, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, groups_json = ?, rights_json = ?, edit_count = ?, blocked = ?, last_login_at = ? WHERE id = ?`,
				u.Username, string(groups), string(rights), u.EditCount, boolInt(u.Blocked), now, id); err != nil {
				return fmt.Errorf("update user %q: %w", u.Username, err)
			}
		}
		u.ID = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.User(ctx, u.ID)
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
