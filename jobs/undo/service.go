package undo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
	"partnerhub/jobs/wikiplan"
	"partnerhub/wikidata"
)

// Reader is what preparing an undo reads of the wiki (a *wikidata.Client).
type Reader interface {
	GetEntities(ctx context.Context, ids []string) (map[string]*wikidata.Entity, error)
	RevisionContents(ctx context.Context, revIDs []int64) (map[int64]wikidata.RevisionContent, error)
	SearchEntities(ctx context.Context, search, language string, limit int) ([]wikidata.SearchHit, error)
	WithStatement(ctx context.Context, property, value string, limit int) ([]string, error)
}

// Editor is what running an undo needs of the wiki (a *wikidata.Client with
// the user's credentials).
type Editor interface {
	Reader
	EditEntity(ctx context.Context, req wikidata.EditRequest) (*wikidata.EditResult, error)
	wikiplan.Account
	wikiplan.Revisions
}

// Clients gives a client for a job's wiki: anonymous for userID 0, else with
// that user's stored authorization.
type Clients func(ctx context.Context, jobID, userID int64) (Editor, error)

// WikiplanClients adapts the write-back's service, which holds the users'
// sealed tokens and the installation's wiki settings.
func WikiplanClients(s *wikiplan.Service) Clients {
	return func(ctx context.Context, jobID, userID int64) (Editor, error) {
		c, _, err := s.WikiClient(ctx, jobID, userID)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Service prepares and runs undos; it implements the worker's Undoer.
type Service struct {
	store   *store.Store
	engine  *Engine
	clients Clients
	logger  *slog.Logger
}

// NewService wires undos to the wikis.
func NewService(st *store.Store, engine *Engine, clients Clients, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{store: st, engine: engine, clients: clients, logger: logger}
}

// Engine is the service's engine (for the EditGroups link of pages).
func (s *Service) Engine() *Engine { return s.engine }

// Prepare reads what each edit of the write-back in scope added (recorded,
// or derived from its revision and the revision before it) and the items'
// current data, and stores what the undo would remove and what stays and
// why: the preview a person confirms.
func (s *Service) Prepare(ctx context.Context, undoID int64) error {
	u, err := s.store.UndoByID(ctx, undoID)
	if err != nil || u.Status != jobs.UndoPreparing {
		return err
	}
	items, err := s.prepare(ctx, u)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		s.logger.Warn("preparing an undo failed", "undo_id", u.ID, "err", err)
		return s.store.SetUndoStatus(context.WithoutCancel(ctx), u.ID, jobs.UndoFailed, "Preparing the undo failed: "+jobs.ErrorMessage(err), jobs.UndoPreparing)
	}
	return s.store.UndoPrepared(ctx, u.ID, items)
}

// source is a written plan item in the undo's scope.
type source struct {
	it     *jobs.PlanItem
	ch     *plan.Change
	target string  // the item the edit went to (or created)
	rows   []int64 // its rows in scope
	added  Added
	known  bool // added was recorded or derived
	reason string
}

func (s *Service) prepare(ctx context.Context, u *jobs.Undo) ([]jobs.UndoItem, error) {
	c, err := s.clients(ctx, u.JobID, 0)
	if err != nil {
		return nil, err
	}
	job, err := s.store.Job(ctx, u.JobID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Plan(ctx, u.PlanID)
	if err != nil {
		return nil, err
	}
	var srcs []*source
	var after int64
	for {
		batch, err := s.store.PlanItems(ctx, u.PlanID, jobs.ItemDone, after, 500)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			break
		}
		for _, it := range batch {
			after = it.No
			if src := inScope(u.Scope, it); src != nil {
				srcs = append(srcs, src)
			}
		}
	}
	if err := s.knowAdded(ctx, c, u.PlanID, srcs); err != nil {
		return nil, err
	}
	var ids []string
	for _, src := range srcs {
		if src.known {
			ids = append(ids, src.target)
		}
	}
	cur, err := c.GetEntities(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []jobs.UndoItem
	for _, src := range srcs {
		it := jobs.UndoItem{No: int64(len(out) + 1), PlanItemNo: src.it.No, QID: src.target, Rows: src.rows, Kind: jobs.UndoEdit}
		e := cur[src.target]
		if !src.known {
			it.Status, it.Error = jobs.UndoItemNothing, src.reason
			out = append(out, it)
			continue
		}
		created := src.it.QID == ""
		sel := Selection{Properties: u.Scope.Properties, Rows: u.Scope.Rows, ItemRows: src.it.Rows, RowsOf: rowsOf(src.ch.Planned)}
		if created && len(u.Scope.Properties) == 0 && coversAll(u.Scope.Rows, src.it.Rows) {
			out = append(out, s.createdItem(ctx, c, job, p, u, src, e, it))
			continue
		}
		lines := Lines(src.added, sel, e)
		if len(lines) == 0 {
			continue
		}
		it.Lines = lines
		it.Remove, it.Stay = Count(lines)
		it.Status = jobs.UndoItemNothing
		if e != nil && !e.Missing {
			it.BaseRevID = e.LastRevID
			if e.ID != src.target {
				for i := range it.Lines {
					it.Lines[i].Remove, it.Lines[i].Reason = false, fmt.Sprintf("Stays: %s was merged into %s since; its statements moved there with new ids and are not taken back by Partnerhub.", src.target, e.ID)
				}
				it.Remove, it.Stay = Count(it.Lines)
			}
		}
		if it.Remove > 0 {
			data, err := Payload(it.Lines, e)
			if err != nil {
				return nil, fmt.Errorf("the removal from %s: %w", src.target, err)
			}
			it.Data, it.Status = data, jobs.UndoItemPending
		}
		out = append(out, it)
	}
	return out, nil
}

// inScope says whether a written plan item is in the undo's scope.
func inScope(sc jobs.UndoScope, it *jobs.PlanItem) *source {
	if it.RevID == 0 {
		return nil
	}
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		ch = &plan.Change{}
	}
	target := it.QID
	if ch.RedirectTarget != "" {
		target = ch.RedirectTarget
	}
	if it.QID == "" {
		target = it.NewQID
	}
	if target == "" {
		return nil
	}
	if len(sc.PlanItems) > 0 && !slices.Contains(sc.PlanItems, it.No) {
		return nil
	}
	if len(sc.Items) > 0 && !slices.Contains(sc.Items, target) && !slices.Contains(sc.Items, it.QID) {
		return nil
	}
	rows := it.Rows
	if len(sc.Rows) > 0 {
		rows = nil
		for _, r := range it.Rows {
			if slices.Contains(sc.Rows, r) {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			return nil
		}
	}
	return &source{it: it, ch: ch, target: target, rows: rows}
}

func coversAll(scope, rows []int64) bool {
	if len(scope) == 0 {
		return true
	}
	for _, r := range rows {
		if !slices.Contains(scope, r) {
			return false
		}
	}
	return true
}

// rowsOf says which rows planned a statement's value.
func rowsOf(planned []plan.PlannedValue) func(wikidata.Statement) []int64 {
	return func(st wikidata.Statement) []int64 {
		v, ok := st.Value()
		if !ok {
			return nil
		}
		var rows []int64
		for _, pv := range planned {
			if pv.Property != st.MainSnak.Property {
				continue
			}
			dv, err := wikiplan.PlannedDataValue(pv)
			if err == nil && wikidata.SameValue(dv, v) && !slices.Contains(rows, pv.Row) {
				rows = append(rows, pv.Row)
			}
		}
		return rows
	}
}

// knowAdded makes sure what each edit added is known: recorded on its plan
// item, or else derived from its revision compared with the revision
// before it (and then recorded).
func (s *Service) knowAdded(ctx context.Context, c Reader, planID int64, srcs []*source) error {
	var need []*source
	for _, src := range srcs {
		raw, err := s.store.PlanItemAdded(ctx, planID, src.it.No)
		if err != nil {
			return err
		}
		if raw != "" && json.Unmarshal([]byte(raw), &src.added) == nil && src.added.RevID == src.it.RevID {
			src.known = true
			continue
		}
		need = append(need, src)
	}
	for len(need) > 0 {
		batch := need[:min(len(need), 50)]
		need = need[len(batch):]
		revs := make([]int64, len(batch))
		for i, src := range batch {
			revs[i] = src.it.RevID
		}
		got, err := c.RevisionContents(ctx, revs)
		if err != nil {
			return err
		}
		var parents []int64
		for _, src := range batch {
			if rc, ok := got[src.it.RevID]; ok && rc.ParentID > 0 {
				parents = append(parents, rc.ParentID)
			}
		}
		before, err := c.RevisionContents(ctx, parents)
		if err != nil {
			return err
		}
		for _, src := range batch {
			rc, ok := got[src.it.RevID]
			switch {
			case !ok || rc.Entity == nil:
				src.reason = fmt.Sprintf("Nothing is removed: revision %d of %s, Partnerhub's edit, cannot be read on the wiki any more (deleted or hidden), so what it added is not known.", src.it.RevID, src.target)
				continue
			case rc.ParentID > 0 && before[rc.ParentID].Entity == nil:
				src.reason = fmt.Sprintf("Nothing is removed: the revision before Partnerhub's edit of %s (%d) cannot be read on the wiki, so what the edit added is not known.", src.target, rc.ParentID)
				continue
			}
			src.added = Compare(before[rc.ParentID].Entity, rc.Entity, src.it.RevID)
			src.added.QID = src.target
			b, _ := json.Marshal(src.added)
			if err := s.store.SetPlanItemAdded(ctx, planID, src.it.No, b); err != nil {
				return err
			}
			src.known = true
		}
	}
	return nil
}

// createdItem lists an item the write-back created: it is not edited
// (users cannot delete items, and an emptied item is still an item), but
// given a ready deletion request, or a merge target if an item with the
// same label exists, and unlinked from its rows when the undo finishes.
func (s *Service) createdItem(ctx context.Context, c Reader, job *jobs.Job, p *jobs.EditPlan, u *jobs.Undo, src *source, e *wikidata.Entity, it jobs.UndoItem) jobs.UndoItem {
	it.Kind, it.Status = jobs.UndoCreated, jobs.UndoItemListed
	lines := Lines(src.added, Selection{ItemRows: src.it.Rows}, e)
	for i := range lines {
		lines[i].Remove = false
		lines[i].Reason = "Goes with the item once it is deleted; Partnerhub does not empty an item it cannot delete."
	}
	it.Lines = lines
	_, it.Stay = Count(lines)
	qid := src.target
	if e == nil || e.Missing {
		it.Error = qid + " does not exist any more (deleted already): nothing to ask for."
		it.DeletionRequest = ""
		return it
	}
	var notes []string
	if e.LastRevID != src.it.RevID {
		notes = append(notes, fmt.Sprintf("Others edited %s after Partnerhub created it (it is at revision %d now, Partnerhub's was %d): look at its history before asking for deletion.", qid, e.LastRevID, src.it.RevID))
	}
	label, lang := "", ""
	for _, l := range sortedKeys(src.added.Labels) {
		if label == "" || l == "en" {
			label, lang = src.added.Labels[l], l
		}
	}
	// An item with one of its identifiers is the surest duplicate; one with
	// its label the next best.
	same := ""
	ids := map[string]bool{}
	for _, pv := range src.ch.Planned {
		if pv.Kind == "external-id" {
			ids[pv.Property] = true
		}
	}
	for _, st := range src.added.Statements {
		v, ok := st.Value()
		sv, isString := v.AsString()
		if !ok || !isString || !ids[st.MainSnak.Property] || it.MergeTarget != "" {
			continue
		}
		found, err := c.WithStatement(ctx, st.MainSnak.Property, sv, 5)
		if err != nil {
			s.logger.Warn("looking for a merge target failed", "qid", qid, "err", err)
			continue
		}
		for _, id := range found {
			if id != qid {
				it.MergeTarget, same = id, fmt.Sprintf("the same %s, %s", st.MainSnak.Property, sv)
				break
			}
		}
	}
	if label != "" && it.MergeTarget == "" {
		if hits, err := c.SearchEntities(ctx, label, lang, 10); err == nil {
			for _, h := range hits {
				if h.ID != qid && strings.EqualFold(h.Label, label) {
					it.MergeTarget, same = h.ID, fmt.Sprintf("the same label %q", label)
					break
				}
			}
		} else {
			s.logger.Warn("looking for a merge target failed", "qid", qid, "err", err)
		}
	}
	batch := ""
	if p.EditGroupID != "" {
		batch = " (EditGroups batch " + s.engine.EditGroupsURL(p.EditGroupID) + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "=== [[%s]] ===\n", qid)
	if it.MergeTarget != "" {
		fmt.Fprintf(&b, "%s was created by the Partnerhub write-back of %q%s for a partner dataset row that turned out to be about an existing item, [[%s]] (%s). It should be merged into [[%s]] (Special:MergeItems, which any autoconfirmed user can do) or deleted. --~~~~\n",
			qid, job.Title, batch, it.MergeTarget, same, it.MergeTarget)
		notes = append(notes, fmt.Sprintf("%s has %s: you can merge %s into it yourself (Special:MergeItems) instead of asking for deletion.", it.MergeTarget, same, qid))
	} else {
		fmt.Fprintf(&b, "Please delete %s: it was created by mistake by the Partnerhub write-back of %q%s, for a partner dataset row that did not call for a new item. Partnerhub has taken back the rest of that write-back; nothing links to the item. --~~~~\n",
			qid, job.Title, batch)
	}
	it.DeletionRequest = b.String()
	it.Error = strings.Join(notes, " ")
	return it
}

// Run runs a confirmed undo with the confirming user's account.
func (s *Service) Run(ctx context.Context, undoID int64) error {
	u, err := s.store.UndoByID(ctx, undoID)
	if err != nil || u.Status != jobs.UndoRunning {
		return err
	}
	job, err := s.store.Job(ctx, u.JobID)
	if err != nil {
		return err
	}
	c, err := s.clients(ctx, u.JobID, u.ConfirmedBy)
	if err != nil {
		return s.store.SetUndoStatus(ctx, u.ID, jobs.UndoPaused, "The undo cannot use the account that confirmed it: "+jobs.ErrorMessage(err), jobs.UndoRunning)
	}
	return s.engine.Run(ctx, u.ID, job.Title, &clientWiki{c: c})
}

// clientWiki is the Wiki of an undo on a client.
type clientWiki struct {
	c    Editor
	user string
}

func (w *clientWiki) CheckWriter(ctx context.Context) error {
	user, err := wikiplan.CheckWriter(ctx, w.c, "removed")
	if user != "" {
		w.user = user
	}
	return err
}

func (w *clientWiki) Entity(ctx context.Context, qid string) (*wikidata.Entity, error) {
	es, err := w.c.GetEntities(ctx, []string{qid})
	if err != nil {
		return nil, err
	}
	return es[qid], nil
}

func (w *clientWiki) Edit(ctx context.Context, qid string, data json.RawMessage, base int64, summary string) (int64, error) {
	res, err := w.c.EditEntity(ctx, wikidata.EditRequest{ID: qid, Data: data, BaseRevID: base, Summary: summary})
	if err != nil {
		return 0, wikiplan.Explain(qid, err)
	}
	return res.LastRevID, nil
}

func (w *clientWiki) FindEdit(ctx context.Context, qid string, base int64, marker string) (int64, bool, error) {
	if w.user == "" {
		if err := w.CheckWriter(ctx); err != nil {
			return 0, false, err
		}
	}
	return wikiplan.FindRevision(ctx, w.c, qid, w.user, base, marker)
}

// ClientWiki is the Wiki of an undo run on a client with the user's
// credentials.
func ClientWiki(c Editor) Wiki { return &clientWiki{c: c} }
