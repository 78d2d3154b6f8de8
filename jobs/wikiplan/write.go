package wikiplan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
)

// Editor is what a write-back needs of the wiki (a *wikidata.Client with
// the user's credentials).
type Editor interface {
	Reader
	EditEntity(ctx context.Context, req wikidata.EditRequest) (*wikidata.EditResult, error)
	UserInfo(ctx context.Context) (*wikidata.UserInfo, error)
	Revisions(ctx context.Context, title, user string, limit int) ([]wikidata.Revision, error)
	Contributions(ctx context.Context, user string, since time.Time, limit int) ([]wikidata.Revision, error)
}

// itemWiki performs one plan's edits: it implements writeback.Wiki.
type itemWiki struct {
	c    Editor
	t    *plan.Template
	user string // the writer's wiki username, to find their edits
	now  func() time.Time
}

func (w *itemWiki) CheckWriter(ctx context.Context) error {
	u, err := w.c.UserInfo(ctx)
	if err != nil {
		return err
	}
	switch {
	case u.Anon:
		return fmt.Errorf("%w: the stored authorization is no longer valid; log in again", writeback.ErrWriterRefused)
	case u.Blocked:
		return fmt.Errorf("%w: the account %s is blocked (%s)", writeback.ErrWriterRefused, u.Name, u.BlockReason)
	}
	w.user = u.Name
	return nil
}

func (w *itemWiki) Edit(ctx context.Context, it *jobs.PlanItem, summary string) (int64, string, error) {
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		return 0, "", err
	}
	if len(ch.Data) == 0 {
		return 0, "", errors.New("the plan item has no edit to send")
	}
	req := wikidata.EditRequest{ID: it.QID, Data: ch.Data, BaseRevID: it.BaseRevID, Summary: summary}
	if it.QID == "" {
		req.New, req.BaseRevID = "item", 0
	}
	res, err := w.c.EditEntity(ctx, req)
	if err != nil {
		return 0, "", err
	}
	newQID := ""
	if it.QID == "" {
		newQID = res.ID
	}
	return res.LastRevID, newQID, nil
}

func (w *itemWiki) Refresh(ctx context.Context, it *jobs.PlanItem) (*jobs.PlanItem, bool, error) {
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		return nil, false, err
	}
	fresh, rev, err := Recheck(ctx, Wikibase{R: w.c}, w.t, it.QID, it.Rows, ch, w.now())
	if err != nil {
		return nil, false, err
	}
	out := *it
	out.BaseRevID = rev
	out.Diff, _ = plan.EncodeChange(fresh)
	out.Statements, out.References = len(fresh.Add), len(fresh.Add)+len(fresh.AddRefs)
	out.Labels, out.Conflicts = len(fresh.Labels)+len(fresh.Descriptions), len(fresh.Conflicts)
	return &out, fresh.Empty(), nil
}

func (w *itemWiki) FindEdit(ctx context.Context, it *jobs.PlanItem, marker string) (int64, string, bool, error) {
	if w.user == "" {
		if err := w.CheckWriter(ctx); err != nil {
			return 0, "", false, err
		}
	}
	needle := "(" + marker + ")"
	if it.QID != "" {
		title := it.QID
		if es, err := w.c.GetEntities(ctx, []string{it.QID}); err == nil && es[it.QID] != nil && es[it.QID].Title != "" {
			title = es[it.QID].Title
		}
		revs, err := w.c.Revisions(ctx, title, w.user, 50)
		if err != nil {
			return 0, "", false, err
		}
		for _, r := range revs {
			if strings.Contains(r.Comment, needle) {
				return r.RevID, "", true, nil
			}
		}
		return 0, "", false, nil
	}
	since := it.SentAt.Add(-time.Minute)
	contribs, err := w.c.Contributions(ctx, w.user, since, 500)
	if err != nil {
		return 0, "", false, err
	}
	for _, r := range contribs {
		if strings.Contains(r.Comment, needle) {
			qid := r.Title[strings.LastIndexByte(r.Title, ':')+1:]
			return r.RevID, qid, true, nil
		}
	}
	return 0, "", false, nil
}

// Classify tells the write-back how to react to a wiki error.
func Classify(err error) (writeback.Class, time.Duration) {
	var ae *wikidata.APIError
	retryAfter := time.Duration(0)
	if errors.As(err, &ae) {
		retryAfter = ae.RetryAfter
	}
	switch {
	case wikidata.IsMaxlag(err):
		return writeback.ClassWait, max(retryAfter, 5*time.Second)
	case wikidata.IsRateLimited(err):
		return writeback.ClassWait, max(retryAfter, time.Minute)
	case wikidata.IsEditConflict(err):
		return writeback.ClassEditConflict, 0
	case errors.Is(err, wikidata.ErrOutcomeUnknown):
		return writeback.ClassOutcomeUnknown, 0
	case wikidata.IsFatalForUser(err), errors.Is(err, writeback.ErrWriterRefused):
		return writeback.ClassPause, 0
	}
	return writeback.ClassItemFailed, 0
}

// Config is how the workers reach wikis.
type Config struct {
	ConsumerKey, ConsumerSecret string // the OAuth consumer users authorized
	UserAgent                   string
	Tag                         string // change tag (registered on the wiki); "" for none
	// AllowedAPIs, if set, are the only Action APIs templates may use, so a
	// template cannot point the workers at internal hosts.
	AllowedAPIs []string
	// ItemNames looks names in item columns up (the job's query service);
	// nil: such names are reported in the plan, not looked up.
	ItemNames plan.NamesFor
	Logger    *slog.Logger
}

// checkAPI refuses an API the installation does not allow.
func (c Config) checkAPI(api string) error {
	if len(c.AllowedAPIs) > 0 && !slices.Contains(c.AllowedAPIs, api) {
		return jobs.Errorf(jobs.EINVALID, "The wiki API %s is not one this installation allows.", api)
	}
	return nil
}

// Service builds and writes plans against the wiki of each job's template;
// it implements the worker's PlanBuilder and PlanWriter.
type Service struct {
	cfg     Config
	store   *store.Store
	tokens  *vault.Vault
	engine  *writeback.Engine
	builder *plan.Builder
}

// NewService wires plans and write-backs to the wikis.
func NewService(cfg Config, st *store.Store, tokens *vault.Vault, engine *writeback.Engine) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, store: st, tokens: tokens, engine: engine}
	s.builder = plan.NewBuilder(st, func(t *plan.Template) (plan.Wiki, error) {
		if err := cfg.checkAPI(t.Wikibase.APIURL); err != nil {
			return nil, err
		}
		c, err := wikidata.NewClient(wikidata.Config{APIURL: t.Wikibase.APIURL, UserAgent: cfg.UserAgent, Logger: cfg.Logger}, nil)
		if err != nil {
			return nil, err
		}
		return Wikibase{R: c}, nil
	}, cfg.Logger)
	if cfg.ItemNames != nil {
		s.builder.WithItemNames(cfg.ItemNames)
	}
	return s
}

// Build computes a plan's items.
func (s *Service) Build(ctx context.Context, p *jobs.EditPlan) error { return s.builder.Build(ctx, p) }

// Write writes a plan's pending items with its writer's stored tokens.
func (s *Service) Write(ctx context.Context, p *jobs.EditPlan) error {
	job, err := s.store.Job(ctx, p.JobID)
	if err != nil {
		return err
	}
	ds, err := s.store.DatasetOfJob(ctx, p.JobID)
	if err != nil {
		return err
	}
	t, err := plan.ParseTemplate(job.Template, ds.Columns)
	if err != nil {
		return s.store.SetPlanStatus(ctx, p.ID, jobs.PlanPaused, jobs.ErrorMessage(err), jobs.PlanWriting)
	}
	if err := s.cfg.checkAPI(t.Wikibase.APIURL); err != nil {
		return s.store.SetPlanStatus(ctx, p.ID, jobs.PlanPaused, jobs.ErrorMessage(err), jobs.PlanWriting)
	}
	creds, err := s.credentials(ctx, p.WriterID)
	if err != nil {
		return s.store.SetPlanStatus(ctx, p.ID, jobs.PlanPaused, "The write-back cannot use the account that started it: "+jobs.ErrorMessage(err), jobs.PlanWriting)
	}
	writer, err := s.store.User(ctx, p.WriterID)
	if err != nil {
		return err
	}
	// The edits are the writer's: their wiki account is the contact for them
	// (Wikimedia counts rate limits per client and asks for a contact).
	ua := wikidata.EditUserAgent(s.cfg.UserAgent, writer.Username, t.Wikibase.APIURL)
	c, err := wikidata.NewClient(wikidata.Config{APIURL: t.Wikibase.APIURL, UserAgent: ua, Tag: s.cfg.Tag, Logger: s.cfg.Logger}, creds)
	if err != nil {
		return err
	}
	return s.engine.Run(ctx, p.ID, job.Title, &itemWiki{c: c, t: t, now: time.Now})
}

// credentials opens the writer's sealed tokens.
func (s *Service) credentials(ctx context.Context, userID int64) (*wikidata.Credentials, error) {
	if s.cfg.ConsumerKey == "" {
		return nil, jobs.Errorf(jobs.EFORBIDDEN, "no OAuth consumer is configured")
	}
	sealed, err := s.store.Token(ctx, userID)
	if err != nil {
		return nil, err
	}
	if sealed.ConsumerKey != s.cfg.ConsumerKey {
		return nil, jobs.Errorf(jobs.EFORBIDDEN, "the stored authorization is for another OAuth consumer; log in again")
	}
	tok, err1 := s.tokens.Open(sealed.TokenSealed, vault.TokenAAD(userID, "token"))
	sec, err2 := s.tokens.Open(sealed.SecretSealed, vault.TokenAAD(userID, "secret"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("open the stored authorization: %w", err)
	}
	return &wikidata.Credentials{ConsumerKey: s.cfg.ConsumerKey, ConsumerSecret: s.cfg.ConsumerSecret, Token: string(tok), TokenSecret: string(sec)}, nil
}
