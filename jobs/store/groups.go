package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

// CreateGroup stores a new working group with its creator as the owner.
func (s *Store) CreateGroup(ctx context.Context, creatorID int64, name, description, wikiPage string) (*jobs.WorkingGroup, error) {
	name, description, wikiPage = strings.TrimSpace(name), strings.TrimSpace(description), strings.TrimSpace(wikiPage)
	if err := jobs.ValidateGroupFields(name, description, wikiPage); err != nil {
		return nil, err
	}
	now := s.now()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO working_groups (name, description, wiki_page, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			name, description, wikiPage, creatorID, now)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role, added_at) VALUES (?, ?, ?, ?)`, id, creatorID, jobs.RoleOwner, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Group(ctx, id)
}

const groupCols = `g.id, g.name, g.description, g.wiki_page, g.created_by, g.created_at`

func scanGroup(sc interface{ Scan(...any) error }, extra ...any) (*jobs.WorkingGroup, error) {
	var (
		g       jobs.WorkingGroup
		created int64
	)
	if err := sc.Scan(append([]any{&g.ID, &g.Name, &g.Description, &g.WikiPage, &g.CreatedBy, &created}, extra...)...); err != nil {
		return nil, err
	}
	g.CreatedAt = msToTime(created)
	return &g, nil
}

// Group loads a group by id; callers check membership.
func (s *Store) Group(ctx context.Context, id int64) (*jobs.WorkingGroup, error) {
	g, err := scanGroup(s.db.QueryRowContext(ctx, `SELECT `+groupCols+` FROM working_groups g WHERE g.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The group")
	}
	return g, nil
}

// UpdateGroup changes a group's name, description and wiki page link.
func (s *Store) UpdateGroup(ctx context.Context, id int64, name, description, wikiPage string) error {
	name, description, wikiPage = strings.TrimSpace(name), strings.TrimSpace(description), strings.TrimSpace(wikiPage)
	if err := jobs.ValidateGroupFields(name, description, wikiPage); err != nil {
		return err
	}
	return s.execOne(ctx, "The group", `UPDATE working_groups SET name = ?, description = ?, wiki_page = ? WHERE id = ?`, name, description, wikiPage, id)
}

// GroupsOf lists the groups a user belongs to, by name, with their role.
func (s *Store) GroupsOf(ctx context.Context, userID int64) ([]*jobs.WorkingGroup, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+groupCols+`, m.role FROM working_groups g
		JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name, g.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []*jobs.WorkingGroup
	for rows.Next() {
		var role string
		g, err := scanGroup(rows, &role)
		if err != nil {
			return nil, err
		}
		g.MyRole = jobs.Role(role)
		out = append(out, g)
	}
	return out, rows.Err()
}

// MemberRole returns the user's role in the group, or "" when they are not a member.
func (s *Store) MemberRole(ctx context.Context, groupID, userID int64) (jobs.Role, error) {
	var role string
	err := s.db.QueryRowContext(ctx, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID).Scan(&role)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read membership: %w", err)
	}
	return jobs.Role(role), nil
}

// Members lists a group's members, owners first.
func (s *Store) Members(ctx context.Context, groupID int64) ([]jobs.Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.user_id, u.username, m.role, m.added_at FROM group_members m
		JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END, u.username`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []jobs.Member
	for rows.Next() {
		m := jobs.Member{GroupID: groupID}
		var (
			role  string
			added int64
		)
		if err := rows.Scan(&m.UserID, &m.Username, &role, &added); err != nil {
			return nil, err
		}
		m.Role, m.AddedAt = jobs.Role(role), msToTime(added)
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddMember invites a user by wiki username. The user must have logged in
// to Partnerhub once, so that the account exists here.
func (s *Store) AddMember(ctx context.Context, groupID int64, username string, role jobs.Role) (*jobs.Member, error) {
	username = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(username), "User:"))
	if username == "" {
		return nil, jobs.Errorf(jobs.EINVALID, "Give the wiki username of the person to invite.")
	}
	if !jobs.ValidRole(role) {
		return nil, jobs.Errorf(jobs.EINVALID, "Choose a role: owner or member.")
	}
	// Wiki usernames start with a capital letter; people often type it small.
	if r := []rune(username); len(r) > 0 {
		username = strings.ToUpper(string(r[0])) + string(r[1:])
	}
	u, err := s.UserByName(ctx, username)
	if jobs.ErrorCode(err) == jobs.ENOTFOUND {
		return nil, jobs.Errorf(jobs.EINVALID, "%s has not used Partnerhub yet. Ask them to log in once, then invite them again.", username)
	}
	if err != nil {
		return nil, err
	}
	res, err := s.db.ExecContext(ctx, s.d.insertIgnore+` group_members (group_id, user_id, role, added_at) VALUES (?, ?, ?, ?)`, groupID, u.ID, role, s.now())
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, jobs.Errorf(jobs.ECONFLICT, "%s is already a member of this group.", u.Username)
	}
	return &jobs.Member{GroupID: groupID, UserID: u.ID, Username: u.Username, Role: role}, nil
}

// SetMemberRole changes a member's role; the last owner cannot be demoted.
func (s *Store) SetMemberRole(ctx context.Context, groupID, userID int64, role jobs.Role) error {
	if !jobs.ValidRole(role) {
		return jobs.Errorf(jobs.EINVALID, "Choose a role: owner or member.")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if role != jobs.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, groupID, userID, "demoted"); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?`, role, groupID, userID)
		if err != nil {
			return fmt.Errorf("change role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ENOTFOUND, "That person is not a member of this group.")
		}
		return nil
	})
}

// RemoveMember takes a user out of a group (an owner removing them, or the
// user leaving); the last owner cannot leave.
func (s *Store) RemoveMember(ctx context.Context, groupID, userID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.keepAnOwner(ctx, tx, groupID, userID, "removed"); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
		if err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ENOTFOUND, "That person is not a member of this group.")
		}
		return nil
	})
}

// keepAnOwner refuses to let userID stop being an owner when they are the
// group's only one. The owner rows are read FOR UPDATE on MariaDB so that
// two owners leaving at once cannot both pass; SQLite's immediate
// transactions already serialise writers.
func (s *Store) keepAnOwner(ctx context.Context, tx *sql.Tx, groupID, userID int64, what string) error {
	lock := ""
	if s.d.name == "mysql" {
		lock = " FOR UPDATE"
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = ? AND role = ?`+lock, groupID, jobs.RoleOwner)
	if err != nil {
		return fmt.Errorf("read owners: %w", err)
	}
	defer rows.Close()
	owners, isOwner := 0, false
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		owners++
		isOwner = isOwner || id == userID
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if isOwner && owners == 1 {
		return jobs.Errorf(jobs.ECONFLICT, "The last owner of a group cannot be %s. Make someone else an owner first, or delete the group.", what)
	}
	return nil
}

// DeleteGroup removes a group. Its jobs go back to their owners and its
// group templates become their authors' private templates: nothing anyone
// worked on is lost.
func (s *Store) DeleteGroup(ctx context.Context, groupID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET group_id = 0, updated_at = ? WHERE group_id = ?`, now, groupID); err != nil {
			return fmt.Errorf("return the group's jobs: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE job_templates SET visibility = CASE WHEN visibility = 'group' THEN 'private' ELSE visibility END, group_id = 0, updated_at = ? WHERE group_id = ?`, now, groupID); err != nil {
			return fmt.Errorf("return the group's templates: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_studies WHERE group_id = ?`, groupID); err != nil {
			return fmt.Errorf("unpublish the group: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = ?`, groupID); err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM working_groups WHERE id = ?`, groupID)
		if err != nil {
			return fmt.Errorf("delete group: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ENOTFOUND, "The group was not found.")
		}
		return nil
	})
}

// SetJobGroup moves a job into a group (groupID > 0) or back to its owner (0).
func (s *Store) SetJobGroup(ctx context.Context, jobID, groupID int64) error {
	return s.execOne(ctx, "The job", `UPDATE jobs SET group_id = ?, updated_at = ? WHERE id = ?`, groupID, s.now(), jobID)
}

// CanSeeJob says whether a user may see (and work on) a job: they own it,
// or it belongs to a group they are a member of.
func (s *Store) CanSeeJob(ctx context.Context, userID int64, j *jobs.Job) (bool, error) {
	if j.OwnerID == userID {
		return true, nil
	}
	if j.GroupID == 0 {
		return false, nil
	}
	role, err := s.MemberRole(ctx, j.GroupID, userID)
	return role != "", err
}

// JobsVisibleTo lists the jobs a user owns or shares through a group, newest first.
func (s *Store) JobsVisibleTo(ctx context.Context, userID int64, limit int) ([]*jobs.Job, error) {
	return s.listJobs(ctx, `WHERE j.owner_id = ? OR j.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)
		ORDER BY j.id DESC LIMIT ?`, userID, userID, limit)
}

// GroupJobs lists a group's jobs, newest first.
func (s *Store) GroupJobs(ctx context.Context, groupID int64, limit int) ([]*jobs.Job, error) {
	return s.listJobs(ctx, `WHERE j.group_id = ? ORDER BY j.id DESC LIMIT ?`, groupID, limit)
}

func (s *Store) listJobs(ctx context.Context, tail string, args ...any) ([]*jobs.Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs j JOIN users u ON u.id = j.owner_id `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*jobs.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
