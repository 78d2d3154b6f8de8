package wikiplan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
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
	Account
	Revisions
	Contributions(ctx context.Context, user string, since time.Time, limit int) ([]wikidata.Revision, error)
}

// itemWiki performs one plan's edits: it implements writeback.Wiki.
type itemWiki struct {
	c    Editor
	t    *plan.Template
	user string // the writer's wiki username, to find their edits
	now  func() time.Time
	// read holds entities Prefetch read for the items about to be edited;
	// each is used once, and only while fresh.
	read map[string]prefetched
	// base holds the entity each item's edit was last computed on, to tell
	// from the wiki's answer what the edit added.
	base map[string]*wikidata.Entity
}

type prefetched struct {
	e  *wikidata.Entity
	at time.Time
}

// prefetchFresh is how long a prefetched entity counts as current data.
const prefetchFresh = 30 * time.Second

func (w *itemWiki) CheckWriter(ctx context.Context) error {
	user, err := CheckWriter(ctx, w.c, "written")
	if user != "" {
		w.user = user
	}
	return err
}

// Account is what checking an account needs of the wiki.
type Account interface {
	UserInfo(ctx context.Context) (*wikidata.UserInfo, error)
	CheckTag(ctx context.Context) error
}

// CheckWriter confirms the stored credentials work, the account may edit
// (an error wrapping writeback.ErrWriterRefused if not) and the edits'
// change tag is usable. It returns the account's name once the wiki said
// it, even with an error about the tag. nothing says what a configuration
// error leaves undone ("written").
func CheckWriter(ctx context.Context, c Account, nothing string) (user string, err error) {
	u, err := c.UserInfo(ctx)
	if err != nil {
		return "", explain("", err)
	}
	switch {
	case u.Anon:
		return "", fmt.Errorf("%w: the stored authorization is no longer valid; log in again", writeback.ErrWriterRefused)
	case u.Blocked:
		return "", fmt.Errorf("%w: the account %s is blocked (%s)", writeback.ErrWriterRefused, u.Name, u.BlockReason)
	}
	if err := c.CheckTag(ctx); err != nil {
		if errors.Is(err, wikidata.ErrTagNotUsable) {
			return u.Name, fmt.Errorf("configuration error, nothing was %s: %w; then resume", nothing, err)
		}
		return u.Name, err
	}
	return u.Name, nil
}

func (w *itemWiki) Prefetch(ctx context.Context, items []*jobs.PlanItem) error {
	var ids []string
	for _, it := range items {
		if it.QID != "" {
			ids = append(ids, it.QID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	es, err := w.c.GetEntities(ctx, ids)
	if err != nil {
		return err
	}
	if w.read == nil {
		w.read = map[string]prefetched{}
	}
	at := w.now()
	for _, id := range ids {
		w.read[id] = prefetched{es[id], at}
	}
	return nil
}

// current is the item's data now: prefetched a moment ago, or read.
func (w *itemWiki) current(ctx context.Context, qid string) (*wikidata.Entity, error) {
	if p, ok := w.read[qid]; ok {
		delete(w.read, qid)
		if w.now().Sub(p.at) < prefetchFresh {
			return p.e, nil
		}
	}
	es, err := w.c.GetEntities(ctx, []string{qid})
	if err != nil {
		return nil, err
	}
	return es[qid], nil
}

// oneEntity answers reads with an entity already read.
type oneEntity struct{ e *wikidata.Entity }

func (o oneEntity) GetEntities(_ context.Context, ids []string) (map[string]*wikidata.Entity, error) {
	out := map[string]*wikidata.Entity{}
	for _, id := range ids {
		out[id] = o.e
	}
	return out, nil
}

func (w *itemWiki) Refresh(ctx context.Context, it *jobs.PlanItem) (*jobs.PlanItem, bool, error) {
	if it.QID == "" {
		return it, false, nil // a new item: nothing to re-read
	}
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		return nil, false, err
	}
	e, err := w.current(ctx, it.QID)
	if err != nil {
		return nil, false, err
	}
	if e == nil || e.Missing {
		return nil, false, fmt.Errorf("%w: %s does not exist on the wiki any more (deleted); the statements for it were not written", writeback.ErrItemGone, it.QID)
	}
	if w.base == nil {
		w.base = map[string]*wikidata.Entity{}
	}
	w.base[it.QID] = e
	// An item merged since the plan is read as its target, and the edit goes
	// there (Recheck records the target), as a plan made now would do.
	fresh, rev, err := Recheck(ctx, Wikibase{R: oneEntity{e}}, w.t, it.QID, it.Rows, ch, w.now())
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

func (w *itemWiki) Edit(ctx context.Context, it *jobs.PlanItem, summary string) (writeback.Saved, error) {
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		return writeback.Saved{}, err
	}
	if len(ch.Data) == 0 {
		return writeback.Saved{}, errors.New("the plan item has no edit to send")
	}
	req := wikidata.EditRequest{ID: editTarget(it, ch), Data: ch.Data, BaseRevID: it.BaseRevID, Summary: summary}
	if it.QID == "" {
		req.New, req.BaseRevID = "item", 0
	}
	res, err := w.c.EditEntity(ctx, req)
	if err != nil {
		return writeback.Saved{}, explain(req.ID, err)
	}
	saved := writeback.Saved{RevID: res.LastRevID}
	if it.QID == "" {
		saved.NewQID = res.ID
	}
	if res.Patched() {
		saved.Notice = w.checkPatched(context.WithoutCancel(ctx), req.ID, ch.Data, res.LastRevID)
	} else if res.Entity != nil && !res.NoChange {
		// Saved on the revision it was computed on: the answer less that
		// revision is exactly this edit. A patched save holds someone
		// else's edit too; an undo derives it from the revisions then.
		var before *wikidata.Entity
		if it.QID != "" {
			before = w.base[it.QID]
		}
		if it.QID == "" || (before != nil && before.LastRevID == it.BaseRevID && before.ID == req.ID) {
			saved.Added, _ = json.Marshal(wikidata.CompareRevisions(before, res.Entity, res.LastRevID))
		}
	}
	return saved, nil
}

// checkPatched re-reads an item the wiki saved onto a newer revision than
// the one the edit was computed on (someone edited it in between), and says
// what happened: whether a statement this edit added is now there twice, or
// a single-value property now has a second value.
func (w *itemWiki) checkPatched(ctx context.Context, qid string, data json.RawMessage, rev int64) string {
	lead := fmt.Sprintf("Someone else edited %s between Partnerhub's last read and its save; the wiki merged both edits (wikibase-conflict-patched, revision %d).", qid, rev)
	es, err := w.c.GetEntities(ctx, []string{qid})
	if err != nil || es[qid] == nil {
		return lead + " The item could not be re-read to check for duplicates: look at it."
	}
	e := es[qid]
	var sent struct {
		Claims []wikidata.Statement `json:"claims"`
	}
	_ = json.Unmarshal(data, &sent)
	single := map[string]bool{}
	for _, p := range w.t.Write.SingleValue {
		single[p] = true
	}
	var problems []string
	for _, st := range sent.Claims {
		if st.ID != "" {
			continue // a reference added to a statement already there
		}
		v, ok := st.Value()
		if !ok {
			continue
		}
		p := st.MainSnak.Property
		same, other := 0, map[string]bool{}
		for _, x := range e.Claims[p] {
			xv, ok := x.Value()
			switch {
			case ok && wikidata.SameValue(xv, v):
				same++
			case x.Rank != wikidata.RankDeprecated:
				other[x.MainSnak.SnakType+":"+func() string {
					if ok {
						return xv.String()
					}
					return ""
				}()] = true
			}
		}
		if same > 1 {
			problems = append(problems, fmt.Sprintf("%s %s is now there %d times", p, v.String(), same))
		}
		if single[p] && len(other) > 0 {
			problems = append(problems, fmt.Sprintf("%s (one value only) now has another value next to %s", p, v.String()))
		}
	}
	if len(problems) == 0 {
		return lead + " Checked afterwards: no statement is duplicated."
	}
	sort.Strings(problems)
	return writeback.DuplicateNotice + " " + lead + " On " + qid + " " + strings.Join(problems, "; ") + ". Please merge or remove the extra statement by hand (the EditGroups batch links to the edit)."
}

func (w *itemWiki) FindEdit(ctx context.Context, it *jobs.PlanItem, marker string) (int64, string, bool, error) {
	if w.user == "" {
		if err := w.CheckWriter(ctx); err != nil {
			return 0, "", false, err
		}
	}
	if it.QID != "" {
		ch, err := plan.DecodeChange(it.Diff)
		if err != nil {
			return 0, "", false, err
		}
		qid := editTarget(it, ch)
		title := qid
		if es, err := w.c.GetEntities(ctx, []string{qid}); err == nil && es[qid] != nil && es[qid].Title != "" {
			title = es[qid].Title
		}
		rev, found, err := FindRevision(ctx, w.c, title, w.user, it.BaseRevID, marker)
		return rev, "", found, err
	}
	since := it.SentAt.Add(-time.Minute)
	contribs, err := w.c.Contributions(ctx, w.user, since, 500)
	if err != nil {
		return 0, "", false, err
	}
	for _, r := range contribs {
		if strings.Contains(r.Comment, marker) && !r.Timestamp.Before(since) {
			qid := r.Title[strings.LastIndexByte(r.Title, ':')+1:]
			return r.RevID, qid, true, nil
		}
	}
	return 0, "", false, nil
}

// Revisions is what finding an edit among a page's revisions needs of the
// wiki.
type Revisions interface {
	Revisions(ctx context.Context, title, user string, limit int) ([]wikidata.Revision, error)
}

// FindRevision looks among the user's latest revisions of a page for one
// newer than base whose summary holds marker: the trace of an edit whose
// answer was lost. Only revisions after the one the edit was made on count:
// an older one cannot be this attempt's.
func FindRevision(ctx context.Context, c Revisions, title, user string, base int64, marker string) (int64, bool, error) {
	revs, err := c.Revisions(ctx, title, user, 50)
	if err != nil {
		return 0, false, err
	}
	for _, r := range revs {
		if r.RevID > base && strings.Contains(r.Comment, marker) {
			return r.RevID, true, nil
		}
	}
	return 0, false, nil
}

// editTarget is the item an existing item's edit goes to: the item the
// rows' item was merged into, if it was.
func editTarget(it *jobs.PlanItem, ch *plan.Change) string {
	if ch.RedirectTarget != "" {
		return ch.RedirectTarget
	}
	return it.QID
}

// userError is a refusal of the wiki said in the user's words, keeping the
// wiki's answer for classification.
type userError struct {
	msg string
	err error
}

func (e *userError) Error() string { return e.msg + " (" + e.err.Error() + ")" }
func (e *userError) Unwrap() error { return e.err }

// explain turns the wiki's refusals into sentences saying what happened and
// what to do.
func explain(qid string, err error) error {
	var msg string
	switch {
	case wikidata.IsBlocked(err):
		msg = "Your account is blocked on the wiki, so Partnerhub cannot edit in your name; resume once the block has ended or been lifted."
	case wikidata.IsAuthLost(err):
		msg = "The wiki no longer accepts Partnerhub's authorization for your account (it was revoked, or has expired): log out, log in again, then resume."
	case wikidata.IsBadTags(err):
		msg = fmt.Sprintf("Configuration error: the wiki does not let edits carry the change tag %s set by PARTNERHUB_EDIT_TAG. An administrator of the wiki must define it at Special:Tags, or the operator of this Partnerhub must change PARTNERHUB_EDIT_TAG; then resume. Nothing was written.",
			strings.Join(wikidata.DisallowedTags(err), ", "))
	case wikidata.IsProtected(err):
		msg = fmt.Sprintf("%s is protected on the wiki: only administrators may edit it, so its statements were not written. Ask on the wiki for them to be added, or add them by hand.", qid)
	case wikidata.IsMissingEntity(err):
		msg = fmt.Sprintf("%s does not exist on the wiki any more (deleted), so its statements were not written.", qid)
	case wikidata.IsRedirect(err):
		msg = fmt.Sprintf("%s was merged into another item (it is a redirect now), so its statements were not written; plan the job again.", qid)
	case wikidata.IsPermissionDenied(err):
		msg = "The wiki says your account may not make this edit (a missing right, or a grant Partnerhub was not given)."
	default:
		return err
	}
	return &userError{msg: msg, err: err}
}

// Classify tells the write-back how to react to a wiki error. Every entry of
// the wiki's answer counts: a throttle is waited out, never failed; a
// protected page fails that item only; a block, a lost authorization or a
// badly configured change tag pause the run.
func Classify(err error) (writeback.Class, time.Duration) {
	var ae *wikidata.APIError
	retryAfter := time.Duration(0)
	if errors.As(err, &ae) {
		retryAfter = ae.RetryAfter
	}
	switch {
	case wikidata.IsMaxlag(err):
		return writeback.ClassWait, max(retryAfter, 5*time.Second)
	case wikidata.IsRateLimited(err), wikidata.IsReadOnly(err), errors.Is(err, wikidata.ErrNotSent):
		return writeback.ClassWait, retryAfter // 0: the engine backs off
	case wikidata.IsEditConflict(err):
		return writeback.ClassEditConflict, 0
	case errors.Is(err, wikidata.ErrOutcomeUnknown):
		return writeback.ClassOutcomeUnknown, 0
	case wikidata.IsBadTags(err), errors.Is(err, wikidata.ErrTagNotUsable):
		return writeback.ClassPause, 0
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
	return OpenCredentials(ctx, s.store, s.tokens, s.cfg.ConsumerKey, s.cfg.ConsumerSecret, userID)
}

// OpenCredentials opens userID's stored (sealed) OAuth tokens as
// credentials for the consumer (consumerKey, consumerSecret), for anything
// that edits in the user's name (write-backs, Commons uploads). No consumer
// configured, or tokens stored for another consumer, is EFORBIDDEN.
func OpenCredentials(ctx context.Context, st *store.Store, tokens *vault.Vault, consumerKey, consumerSecret string, userID int64) (*wikidata.Credentials, error) {
	if consumerKey == "" {
		return nil, jobs.Errorf(jobs.EFORBIDDEN, "no OAuth consumer is configured")
	}
	sealed, err := st.Token(ctx, userID)
	if err != nil {
		return nil, err
	}
	if sealed.ConsumerKey != consumerKey {
		return nil, jobs.Errorf(jobs.EFORBIDDEN, "the stored authorization is for another OAuth consumer; log in again")
	}
	tok, err1 := tokens.Open(sealed.TokenSealed, vault.TokenAAD(userID, "token"))
	sec, err2 := tokens.Open(sealed.SecretSealed, vault.TokenAAD(userID, "secret"))
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("open the stored authorization: %w", err)
	}
	return &wikidata.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret, Token: string(tok), TokenSecret: string(sec)}, nil
}

// Explain turns the wiki's refusals into sentences saying what happened and
// what to do, keeping the wiki's answer for Classify (for the undo, which
// edits the same wikis).
func Explain(qid string, err error) error { return explain(qid, err) }

// PlannedDataValue is the Wikibase value a planned value writes.
func PlannedDataValue(pv plan.PlannedValue) (wikidata.DataValue, error) { return toValue(pv) }

// WikiClient is an Action API client for the wiki of a job's template:
// anonymous when userID is 0, otherwise with that user's stored
// authorization and the edit settings (User-Agent naming the user, change
// tag) of a write-back in their name.
func (s *Service) WikiClient(ctx context.Context, jobID, userID int64) (*wikidata.Client, *plan.Template, error) {
	job, err := s.store.Job(ctx, jobID)
	if err != nil {
		return nil, nil, err
	}
	ds, err := s.store.DatasetOfJob(ctx, jobID)
	if err != nil {
		return nil, nil, err
	}
	t, err := plan.ParseTemplate(job.Template, ds.Columns)
	if err != nil {
		return nil, nil, err
	}
	if err := s.cfg.checkAPI(t.Wikibase.APIURL); err != nil {
		return nil, nil, err
	}
	if userID == 0 {
		c, err := wikidata.NewClient(wikidata.Config{APIURL: t.Wikibase.APIURL, UserAgent: s.cfg.UserAgent, Logger: s.cfg.Logger}, nil)
		return c, t, err
	}
	creds, err := s.credentials(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	user, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	ua := wikidata.EditUserAgent(s.cfg.UserAgent, user.Username, t.Wikibase.APIURL)
	c, err := wikidata.NewClient(wikidata.Config{APIURL: t.Wikibase.APIURL, UserAgent: ua, Tag: s.cfg.Tag, Logger: s.cfg.Logger}, creds)
	return c, t, err
}
