package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"partnerhub/jobs"
)

// PublishCaseStudy puts a job or a group on the public showcase; callers
// check that the user owns it. Publishing the same job or group again
// replaces its case study.
func (s *Store) PublishCaseStudy(ctx context.Context, cs *jobs.CaseStudy) (*jobs.CaseStudy, error) {
	if err := jobs.ValidateCaseStudy(cs); err != nil {
		return nil, err
	}
	if cs.TemplateID != 0 {
		t, err := s.Template(ctx, cs.TemplateID)
		if err != nil || t.Visibility != jobs.VisibilityPublic {
			return nil, jobs.Errorf(jobs.EINVALID, "Only a public template can be linked from the showcase; make the template public first.")
		}
		if cs.TemplateVersionID == 0 {
			cs.TemplateVersionID = t.VersionID
		}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM case_studies WHERE (job_id <> 0 AND job_id = ?) OR (group_id <> 0 AND group_id = ?)`, cs.JobID, cs.GroupID); err != nil {
		return nil, fmt.Errorf("replace case study: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO case_studies (job_id, group_id, owner_id, title, partner_name, partner_type, country, subject_qid, dataset_summary, template_id, template_version_id, published_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cs.JobID, cs.GroupID, cs.OwnerID, cs.Title, cs.PartnerName, cs.PartnerType, cs.Country, cs.SubjectQID,
		strings.TrimSpace(cs.DatasetSummary), cs.TemplateID, cs.TemplateVersionID, s.now())
	if err != nil {
		return nil, fmt.Errorf("publish case study: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	return s.CaseStudy(ctx, id)
}

const caseCols = `c.id, c.job_id, c.group_id, c.owner_id, c.title, c.partner_name, c.partner_type, c.country, c.subject_qid, c.dataset_summary, c.template_id, c.template_version_id, c.published_at`

// caseAlive keeps case studies whose job or group still exists.
const caseAlive = ` (EXISTS (SELECT 1 FROM jobs j WHERE j.id = c.job_id) OR EXISTS (SELECT 1 FROM working_groups g WHERE g.id = c.group_id)) `

func scanCase(sc interface{ Scan(...any) error }) (*jobs.CaseStudy, error) {
	var (
		cs  jobs.CaseStudy
		pub int64
	)
	if err := sc.Scan(&cs.ID, &cs.JobID, &cs.GroupID, &cs.OwnerID, &cs.Title, &cs.PartnerName, &cs.PartnerType, &cs.Country, &cs.SubjectQID,
		&cs.DatasetSummary, &cs.TemplateID, &cs.TemplateVersionID, &pub); err != nil {
		return nil, err
	}
	cs.PublishedAt = msToTime(pub)
	return &cs, nil
}

// CaseStudy loads a published case study.
func (s *Store) CaseStudy(ctx context.Context, id int64) (*jobs.CaseStudy, error) {
	cs, err := scanCase(s.db.QueryRowContext(ctx, `SELECT `+caseCols+` FROM case_studies c WHERE c.id = ? AND`+caseAlive, id))
	if err != nil {
		return nil, notFound(err, "The case study")
	}
	return cs, nil
}

// CaseStudyOf returns the case study of a job (or of a group when groupID
// is set), or nil when it is not published.
func (s *Store) CaseStudyOf(ctx context.Context, jobID, groupID int64) (*jobs.CaseStudy, error) {
	cs, err := scanCase(s.db.QueryRowContext(ctx, `SELECT `+caseCols+` FROM case_studies c WHERE (c.job_id <> 0 AND c.job_id = ?) OR (c.group_id <> 0 AND c.group_id = ?)`, jobID, groupID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return cs, err
}

// CaseStudies lists published case studies matching the filter, newest first.
func (s *Store) CaseStudies(ctx context.Context, f jobs.ShowcaseFilter, limit int) ([]*jobs.CaseStudy, error) {
	where := []string{caseAlive}
	var args []any
	if f.PartnerType != "" {
		where = append(where, "c.partner_type = ?")
		args = append(args, f.PartnerType)
	}
	if c := strings.ToUpper(strings.TrimSpace(f.Country)); c != "" {
		where = append(where, "c.country = ?")
		args = append(args, c)
	}
	if q := strings.ToUpper(strings.TrimSpace(f.SubjectQID)); q != "" {
		where = append(where, "c.subject_qid = ?")
		args = append(args, q)
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+caseCols+` FROM case_studies c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.published_at DESC, c.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list case studies: %w", err)
	}
	defer rows.Close()
	var out []*jobs.CaseStudy
	for rows.Next() {
		cs, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, rows.Err()
}

// UnpublishCaseStudy takes a case study off the showcase.
func (s *Store) UnpublishCaseStudy(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM case_studies WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("unpublish: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return jobs.Errorf(jobs.ENOTFOUND, "The case study was not found.")
	}
	return nil
}
