package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/jobs/watch"
	"partnerhub/wikidata"
)

func init() {
	commands = append(commands, command{"watch", "re-read the items write-backs wrote and record what became of them (a scheduled job)", runWatch})
}

// runWatch is the scheduled watch: every job with written edits whose last
// watch is older than --every (or one --job), each run recorded in the
// database and resumed where it stopped if it was cut short.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		jobID, limit int64
		every        time.Duration
		batch        int
	)
	err := flags("watch", "Re-read the items write-backs wrote and record what became of their statements", args, stderr, func(fs *flag.FlagSet) {
		fs.Int64Var(&jobID, "job", 0, "watch only this job (default: every job with written edits not watched within --every)")
		fs.Int64Var(&limit, "limit", 0, "check at most this many items in all (0: no limit); the next run goes on where this one stopped")
		fs.DurationVar(&every, "every", 20*time.Hour, "leave out jobs whose last watch finished less than this long ago (0: watch them all)")
		fs.IntVar(&batch, "batch", wikidata.MaxIDsPerRequest, "items read per request, 1 to 50 (the wiki's limit for wbgetentities)")
	})
	if err != nil {
		return err
	}
	switch {
	case jobID < 0:
		return fmt.Errorf("--job must be a job number, not %d", jobID)
	case limit < 0:
		return fmt.Errorf("--limit must be 0 (no limit) or more, not %d", limit)
	case every < 0:
		return fmt.Errorf("--every must be a duration like 20h, not %s", every)
	case batch < 1 || batch > wikidata.MaxIDsPerRequest:
		return fmt.Errorf("--batch must be between 1 and %d (the wiki's limit per request), not %d", wikidata.MaxIDsPerRequest, batch)
	}
	// The whole configuration is checked before anything is opened.
	cfg, err := configure(false, false)
	if err != nil {
		return err
	}
	a, err := open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer a.close()
	wikis := &watchWikis{userAgent: cfg.UserAgent, allowed: cfg.WikiAPIs, a: a}
	w, err := watch.New(watch.Config{Batch: batch, Logger: a.logger}, a.store, wikis.forJob)
	if err != nil {
		return err
	}
	ids := []int64{jobID}
	if jobID == 0 {
		if ids, err = a.store.JobsToWatch(ctx, time.Now().Add(-every)); err != nil {
			return err
		}
	} else if _, err := a.store.Job(ctx, jobID); err != nil {
		return fmt.Errorf("job %d: %s", jobID, jobs.ErrorMessage(err))
	}
	var failed []error
	var checked int64
	for _, id := range ids {
		left := int64(0)
		if limit > 0 {
			if left = limit - checked; left <= 0 {
				fmt.Fprintf(stdout, "stopped at --limit %d items; the next run goes on\n", limit)
				break
			}
		}
		res, err := w.Job(ctx, id, left)
		checked += res.Checked
		switch {
		case ctx.Err() != nil:
			fmt.Fprintf(stdout, "job %d: interrupted after %d items; the next run goes on there\n", id, res.Checked)
			return ctx.Err()
		case jobs.ErrorCode(err) == jobs.ECONFLICT:
			fmt.Fprintf(stdout, "job %d: %s\n", id, jobs.ErrorMessage(err))
			continue
		case err != nil:
			a.logger.Error("watch failed", "job_id", id, "err", err)
			fmt.Fprintf(stdout, "job %d: failed after %d items: %v\n", id, res.Checked, err)
			failed = append(failed, fmt.Errorf("job %d: %w", id, err))
			continue
		}
		more := ""
		if res.More {
			more = " (stopped at --limit; the next run goes on)"
		}
		sum, err := a.store.JobWatchSummary(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "job %d: %d items checked, %d re-read, %d requests%s: %s\n", id, res.Checked, res.Read, res.Requests, more, sum.Sentence())
	}
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "nothing to watch: no job has written edits that were not watched within --every")
	}
	return errors.Join(failed...)
}

// watchWikis gives each job's wiki an anonymous client, one per API, with
// the installation's User-Agent; the client waits out maxlag and honours
// Retry-After.
type watchWikis struct {
	userAgent string
	allowed   []string
	a         *app
	mu        sync.Mutex
	clients   map[string]*wikidata.Client
}

func (w *watchWikis) forJob(job *jobs.Job) (watch.Wiki, error) {
	t, err := match.ParseTemplate(job.Template)
	if err != nil {
		return nil, fmt.Errorf("the job's template: %w", err)
	}
	api := t.Wikibase.APIURL
	if len(w.allowed) > 0 && !slices.Contains(w.allowed, api) {
		return nil, jobs.Errorf(jobs.EINVALID, "The wiki API %s is not one this installation allows.", api)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[api]; ok {
		return c, nil
	}
	c, err := wikidata.NewClient(wikidata.Config{APIURL: api, UserAgent: w.userAgent, Logger: w.a.logger}, nil)
	if err != nil {
		return nil, err
	}
	if w.clients == nil {
		w.clients = map[string]*wikidata.Client{}
	}
	w.clients[api] = c
	return c, nil
}
