package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

const templateCols = `t.id, t.owner_id, u.username, t.group_id, COALESCE(g.name, ''), t.visibility, t.name, t.description, t.type_qid, t.properties,
	t.latest_version, t.latest_version_id, t.created_at, t.updated_at`

const templateFrom = ` FROM job_templates t JOIN users u ON u.id = t.owner_id LEFT JOIN working_groups g ON g.id = t.group_id `

func scanTemplate(sc interface{ Scan(...any) error }) (*jobs.JobTemplate, error) {
	var (
		t                jobs.JobTemplate
		vis, props       string
		created, updated int64
	)
	if err := sc.Scan(&t.ID, &t.OwnerID, &t.OwnerName, &t.GroupID, &t.GroupName, &vis, &t.Name, &t.Description, &t.TypeQID, &props,
		&t.Version, &t.VersionID, &created, &updated); err != nil {
		return nil, err
	}
	t.Visibility = jobs.Visibility(vis)
	t.Properties = strings.Fields(props)
	t.CreatedAt, t.UpdatedAt = msToTime(created), msToTime(updated)
	return &t, nil
}

// visibleTo is the condition under which user userID may see template t:
// public, theirs, or shared with a group they belong to.
const visibleTo = `(t.visibility = 'public' OR t.owner_id = ? OR (t.visibility = 'group' AND t.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)))`

// SaveTemplate adds a template to the library with body as its version 1.
// A group template needs groupID of a group the owner belongs to (callers check).
func (s *Store) SaveTemplate(ctx context.Context, t *jobs.JobTemplate, body []byte) (*jobs.JobTemplate, error) {
	t.Name, t.Description = strings.TrimSpace(t.Name), strings.TrimSpace(t.Description)
	if err := jobs.ValidateTemplateFields(t.Name, t.Description, t.Visibility); err != nil {
		return nil, err
	}
	if t.Visibility == jobs.VisibilityGroup && t.GroupID == 0 {
		return nil, jobs.Errorf(jobs.EINVALID, "Choose the group to share the template with.")
	}
	if t.Visibility != jobs.VisibilityGroup {
		t.GroupID = 0
	}
	sum, err := jobs.SummariseTemplate(body)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_templates (owner_id, group_id, visibility, name, description, type_qid, properties, latest_version, latest_version_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)`, t.OwnerID, t.GroupID, t.Visibility, t.Name, t.Description, sum.TypeQID, propertyList(sum.Properties), now, now)
		if err != nil {
			return fmt.Errorf("save template: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = s.addVersion(ctx, tx, id, t.OwnerID, body, "First version", sum, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Template(ctx, id)
}

func propertyList(props []string) string {
	if len(props) == 0 {
		return ""
	}
	return " " + strings.Join(props, " ") + " "
}

func (s *Store) addVersion(ctx context.Context, tx *sql.Tx, templateID, authorID int64, body []byte, note string, sum jobs.TemplateSummary, now int64) (int64, error) {
	var latest int
	if err := tx.QueryRowContext(ctx, `SELECT latest_version FROM job_templates WHERE id = ?`, templateID).Scan(&latest); err != nil {
		return 0, notFound(err, "The template")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO template_versions (template_id, version, body, author_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		templateID, latest+1, string(body), authorID, truncateRunes(note, 500), now)
	if err != nil {
		// The unique (template_id, version) index turns a concurrent edit into an error here.
		return 0, jobs.Errorf(jobs.ECONFLICT, "Someone saved another version of this template at the same time; reload and try again.")
	}
	vid, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE job_templates SET latest_version = ?, latest_version_id = ?, type_qid = ?, properties = ?, updated_at = ? WHERE id = ?`,
		latest+1, vid, sum.TypeQID, propertyList(sum.Properties), now, templateID)
	return vid, err
}

// AddTemplateVersion saves an edited body as the template's next version.
func (s *Store) AddTemplateVersion(ctx context.Context, templateID, authorID int64, body []byte, note string) (*jobs.TemplateVersion, error) {
	sum, err := jobs.SummariseTemplate(body)
	if err != nil {
		return nil, err
	}
	var vid int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		vid, err = s.addVersion(ctx, tx, templateID, authorID, body, strings.TrimSpace(note), sum, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.TemplateVersion(ctx, vid)
}

// UpdateTemplateInfo changes what the library shows about a template (not
// its body, which only changes by new versions).
func (s *Store) UpdateTemplateInfo(ctx context.Context, templateID int64, name, description string, v jobs.Visibility, groupID int64) error {
	name, description = strings.TrimSpace(name), strings.TrimSpace(description)
	if err := jobs.ValidateTemplateFields(name, description, v); err != nil {
		return err
	}
	if v == jobs.VisibilityGroup && groupID == 0 {
		return jobs.Errorf(jobs.EINVALID, "Choose the group to share the template with.")
	}
	if v != jobs.VisibilityGroup {
		groupID = 0
	}
	return s.execOne(ctx, "The template", `UPDATE job_templates SET name = ?, description = ?, visibility = ?, group_id = ?, updated_at = ? WHERE id = ?`,
		name, description, v, groupID, s.now(), templateID)
}

// Template loads a template by id; callers check CanSeeTemplate.
func (s *Store) Template(ctx context.Context, id int64) (*jobs.JobTemplate, error) {
	t, err := scanTemplate(s.db.QueryRowContext(ctx, `SELECT `+templateCols+templateFrom+`WHERE t.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "The template")
	}
	return t, nil
}

// CanSeeTemplate says whether user userID (0: anonymous) may see the template.
func (s *Store) CanSeeTemplate(ctx context.Context, userID int64, t *jobs.JobTemplate) (bool, error) {
	switch {
	case t.Visibility == jobs.VisibilityPublic:
		return true, nil
	case userID == 0:
		return false, nil
	case t.OwnerID == userID:
		return true, nil
	case t.Visibility == jobs.VisibilityGroup:
		role, err := s.MemberRole(ctx, t.GroupID, userID)
		return role != "", err
	}
	return false, nil
}

// TemplateVersions lists a template's versions, newest first, without bodies.
func (s *Store) TemplateVersions(ctx context.Context, templateID int64) ([]jobs.TemplateVersion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT v.id, v.version, v.author_id, COALESCE(u.username, ''), v.note, v.created_at
		FROM template_versions v LEFT JOIN users u ON u.id = v.author_id WHERE v.template_id = ? ORDER BY v.version DESC`, templateID)
	if err != nil {
		return nil, fmt.Errorf("list template versions: %w", err)
	}
	defer rows.Close()
	var out []jobs.TemplateVersion
	for rows.Next() {
		v := jobs.TemplateVersion{TemplateID: templateID}
		var created int64
		if err := rows.Scan(&v.ID, &v.Version, &v.AuthorID, &v.AuthorName, &v.Note, &created); err != nil {
			return nil, err
		}
		v.CreatedAt = msToTime(created)
		out = append(out, v)
	}
	return out, rows.Err()
}

// TemplateVersion loads one version with its body.
func (s *Store) TemplateVersion(ctx context.Context, id int64) (*jobs.TemplateVersion, error) {
	var (
		v       jobs.TemplateVersion
		body    string
		created int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT v.id, v.template_id, v.version, v.body, v.author_id, COALESCE(u.username, ''), v.note, v.created_at
		FROM template_versions v LEFT JOIN users u ON u.id = v.author_id WHERE v.id = ?`, id).
		Scan(&v.ID, &v.TemplateID, &v.Version, &body, &v.AuthorID, &v.AuthorName, &v.Note, &created)
	if err != nil {
		return nil, notFound(err, "The template version")
	}
	v.Body, v.CreatedAt = []byte(body), msToTime(created)
	return &v, nil
}

// TemplateVersionByNumber loads version n of a template.
func (s *Store) TemplateVersionByNumber(ctx context.Context, templateID int64, n int) (*jobs.TemplateVersion, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM template_versions WHERE template_id = ? AND version = ?`, templateID, n).Scan(&id); err != nil {
		return nil, notFound(err, "The template version")
	}
	return s.TemplateVersion(ctx, id)
}

// TemplateQuery searches the library.
type TemplateQuery struct {
	Text       string // in the name or description
	TypeQID    string // type.qid equals
	Property   string // the template maps this property
	GroupID    int64  // only this group's templates
	OnlyPublic bool
	Limit      int
}

// SearchTemplates lists the templates user userID (0: anonymous, who sees
// public ones only) may see that match q, recently changed first.
func (s *Store) SearchTemplates(ctx context.Context, userID int64, q TemplateQuery) ([]*jobs.JobTemplate, error) {
	var (
		where []string
		args  []any
	)
	if userID == 0 || q.OnlyPublic {
		where = append(where, "t.visibility = 'public'")
	} else {
		where = append(where, visibleTo)
		args = append(args, userID, userID)
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		where = append(where, "(LOWER(t.name) LIKE ? ESCAPE '!' OR LOWER(t.description) LIKE ? ESCAPE '!')")
		like := "%" + likeEscape(strings.ToLower(t)) + "%"
		args = append(args, like, like)
	}
	if q.TypeQID != "" {
		where = append(where, "t.type_qid = ?")
		args = append(args, strings.ToUpper(strings.TrimSpace(q.TypeQID)))
	}
	if p := strings.ToUpper(strings.TrimSpace(q.Property)); p != "" {
		where = append(where, "t.properties LIKE ? ESCAPE '!'")
		args = append(args, "% "+likeEscape(p)+" %")
	}
	if q.GroupID > 0 {
		where = append(where, "t.group_id = ? AND t.visibility = 'group'")
		args = append(args, q.GroupID)
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+templateCols+templateFrom+`WHERE `+strings.Join(where, " AND ")+` ORDER BY t.updated_at DESC, t.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search templates: %w", err)
	}
	defer rows.Close()
	var out []*jobs.JobTemplate
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// likeEscape quotes LIKE's wildcards with '!' (both engines accept an ESCAPE
// character; a backslash would mean different things to each).
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// DeleteTemplate removes a template with its versions. Jobs started from it
// keep their own copy of the mapping.
func (s *Store) DeleteTemplate(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM template_versions WHERE template_id = ?`, id); err != nil {
			return fmt.Errorf("delete template versions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE case_studies SET template_id = 0, template_version_id = 0 WHERE template_id = ?`, id); err != nil {
			return fmt.Errorf("unlink case studies: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM job_templates WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jobs.Errorf(jobs.ENOTFOUND, "The template was not found.")
		}
		return nil
	})
}

// CreateJobFromTemplate stores a new draft job of ownerID (in groupID, 0 for
// none) that records the template version it starts from. Its mapping is
// set once a file is imported and its columns are checked against the
// version (see SetJobTemplate).
func (s *Store) CreateJobFromTemplate(ctx context.Context, ownerID, groupID int64, title, description string, versionID int64) (*jobs.Job, error) {
	j, err := s.CreateJob(ctx, ownerID, title, description)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE jobs SET template_version_id = ?, group_id = ? WHERE id = ?`, versionID, groupID, j.ID); err != nil {
		return nil, fmt.Errorf("record the job's template: %w", err)
	}
	return s.Job(ctx, j.ID)
}

// JobTemplateVersion returns the id of the library template version a job
// was started from, or 0.
func (s *Store) JobTemplateVersion(ctx context.Context, jobID int64) (int64, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT template_version_id FROM jobs WHERE id = ?`, jobID).Scan(&id); err != nil {
		return 0, notFound(err, "The job")
	}
	return id, nil
}

// SetJobTemplateVersion records that a job's template is now the library
// template version versionID (its media settings were saved as a new
// version, or its mapping was put into the library).
func (s *Store) SetJobTemplateVersion(ctx context.Context, jobID, versionID int64) error {
	return s.execOne(ctx, "The job", `UPDATE jobs SET template_version_id = ?, updated_at = ? WHERE id = ?`, versionID, s.now(), jobID)
}
