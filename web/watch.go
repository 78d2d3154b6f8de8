package web

import (
	"context"

	"partnerhub/jobs"
)

// watchView is the job page's "what became of the edits" section.
type watchView struct {
	Summary    jobs.WatchSummary
	Items      []jobs.WatchedItem      // merged or deleted
	Statements []jobs.WatchedStatement // not as Partnerhub left them
	Runs       []*jobs.WatchRun
	SiteURL    string
}

// maxWatchShown bounds the rows of each watch table on the job page.
const maxWatchShown = 50

// jobWatch reads what the watch runs found of a job's writes; nil when the
// job has written nothing that was watched or is to be watched.
func (s *Server) jobWatch(ctx context.Context, j *jobs.Job) (*watchView, error) {
	sum, err := s.store.JobWatchSummary(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	runs, err := s.store.WatchRuns(ctx, j.ID, 5)
	if err != nil {
		return nil, err
	}
	if sum.Statements == 0 && len(runs) == 0 {
		written, err := s.store.WrittenItems(ctx, j.ID, 0, 0, 1)
		if err != nil || len(written) == 0 {
			return nil, err
		}
	}
	v := &watchView{Summary: sum, Runs: runs, SiteURL: parseTemplateView(j.Template, nil).SiteURL}
	if v.Items, err = s.store.WatchedItemsOfJob(ctx, j.ID, maxWatchShown); err != nil {
		return nil, err
	}
	if v.Statements, err = s.store.WatchedStatements(ctx, j.ID, true, maxWatchShown); err != nil {
		return nil, err
	}
	return v, nil
}
