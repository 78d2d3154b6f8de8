package reconapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/wikidata/suggest"
)

// Candidate is one result of a query.
type Candidate struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Score       float64   `json:"score"`
	Match       bool      `json:"match"`
	Type        []typeRef `json:"type,omitempty"`
}

type typeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Result is a query's answer.
type Result struct {
	Result []Candidate `json:"result"`
}

var (
	itemID     = regexp.MustCompile(`^[QP][1-9][0-9]*$`)
	propertyID = regexp.MustCompile(`^P[1-9][0-9]*$`)
)

// reconcile answers a batch: queries of the same shape (type, property
// kinds) go to one engine as one batch, so a batch of 50 costs a handful
// of queries, not 50 times a handful.
func (s *Service) reconcile(ctx context.Context, root *Root, langs []string, batch map[string]query) (map[string]Result, error) {
	wiki, err := s.wiki(root)
	if err != nil {
		return nil, err
	}
	var pids []string
	for _, q := range batch {
		for _, p := range q.Properties {
			if propertyID.MatchString(p.PID) {
				pids = append(pids, p.PID)
			}
		}
	}
	kinds := map[string]string{}
	if len(pids) > 0 {
		props, err := wiki.GetProperties(ctx, sortedUnique(pids), langs)
		if err != nil {
			return nil, fmt.Errorf("read the properties' datatypes: %w", err)
		}
		for id, p := range props {
			if p != nil {
				kinds[id] = suggest.KindOf(p.DataType)
			}
		}
	}
	type group struct {
		ts   []*match.Template
		ids  []string
		rows []match.Row
	}
	groups := map[string]*group{}
	out := make(map[string]Result, len(batch))
	var keys []string
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for n, id := range ids {
		q := batch[id]
		ql := langs
		if q.Lang != "" && q.Lang != langs[0] {
			ql = append([]string{q.Lang}, slices.DeleteFunc(slices.Clone(langs), func(l string) bool { return l == q.Lang })...)
		}
		t, row, key, err := s.template(root, ql, q, kinds)
		if q.Unmatchable != "" {
			err = unmatchable{q.Unmatchable}
		}
		var un unmatchable
		if errors.As(err, &un) {
			// A well-formed query this wiki cannot answer (a type or
			// property it does not have): no candidates, as the protocol
			// expects, rather than failing the whole batch.
			s.cfg.Logger.Debug("reconciliation service: query not matchable", "query", id, "why", un.why)
			out[id] = Result{Result: []Candidate{}}
			continue
		}
		if err != nil {
			return nil, err
		}
		row.Num = int64(n + 1)
		g, ok := groups[key]
		if !ok {
			g = &group{}
			groups[key] = g
			keys = append(keys, key)
		}
		g.ts = append(g.ts, t)
		g.ids = append(g.ids, id)
		g.rows = append(g.rows, row)
	}
	for _, key := range keys {
		g := groups[key]
		t, err := mergeColumns(g.ts)
		if err != nil {
			return nil, err
		}
		e, err := s.cfg.Engines.Engine(t, s.cfg.Logger)
		if err != nil {
			return nil, err
		}
		matches, err := e.MatchBatch(ctx, g.rows)
		if err != nil {
			return nil, err
		}
		byRow := make(map[int64]jobs.RowMatch, len(matches))
		for _, m := range matches {
			byRow[m.Row] = m
		}
		for i, id := range g.ids {
			out[id] = result(byRow[g.rows[i].Num], batch[id])
		}
	}
	return out, nil
}

// mergeColumns is one template for queries of the same type and
// languages: every column any of them uses (a property maps to the same
// column in each), so the engine matches them as one batch; a query's
// row leaves the others' columns empty, as a partner file's gaps are.
func mergeColumns(ts []*match.Template) (*match.Template, error) {
	if len(ts) == 1 {
		return ts[0], nil
	}
	merged := *ts[0]
	merged.Columns = map[string]match.Column{}
	for _, t := range ts {
		for name, col := range t.Columns {
			if _, ok := merged.Columns[name]; !ok {
				merged.Columns[name] = col
			}
		}
	}
	raw, err := json.Marshal(&merged)
	if err != nil {
		return nil, err
	}
	parsed, err := match.ParseTemplate(raw)
	if err != nil {
		return nil, err
	}
	if err := parsed.Validate(sortedColumnNames(parsed.Columns)); err != nil {
		return nil, fmt.Errorf("merge the queries' templates: %w", err)
	}
	return parsed, nil
}

// result turns the engine's conclusion into candidates: scores 0–100, and
// match true only for the candidate the workers would accept unreviewed.
// type_strict "any" and "all" drop candidates the engine found of none of
// the types; "should" (the default) keeps them, ranked down.
func result(m jobs.RowMatch, q query) Result {
	r := Result{Result: []Candidate{}}
	strict := len(q.Types) > 0 && (q.TypeStrict == "any" || q.TypeStrict == "all")
	for i, c := range m.Candidates {
		if q.Limit > 0 && len(r.Result) == q.Limit {
			break
		}
		if strict && !ofType(c) {
			continue
		}
		name := c.Label
		if name == "" {
			name = c.QID
		}
		cand := Candidate{ID: c.QID, Name: name, Description: c.Description, Score: math.Round(c.Score*1000) / 10,
			Match: i == 0 && m.Status == jobs.MatchMatched && c.QID == m.QID}
		for _, ty := range c.Types {
			cand.Type = append(cand.Type, typeRef{ID: ty, Name: ty})
		}
		r.Result = append(r.Result, cand)
	}
	return r
}

// ofType says whether the engine found the candidate of the query's type
// (its evidence says so when it is not: see jobs/match/score.go).
func ofType(c jobs.CandidateSummary) bool {
	for _, e := range c.Evidence {
		if strings.HasPrefix(e, "not an instance of ") {
			return false
		}
	}
	return true
}

// wiki is the Action API of the root's Wikibase.
func (s *Service) wiki(root *Root) (suggest.Wiki, error) {
	if root.Template.Wikibase.APIURL == s.cfg.Wikibase.APIURL {
		return s.cfg.Wiki, nil
	}
	if s.cfg.WikiFor == nil {
		return nil, jobs.Errorf(jobs.EFORBIDDEN, "this service cannot read the wiki at %s", root.Template.Wikibase.APIURL)
	}
	return s.cfg.WikiFor(root.Template.Wikibase.APIURL)
}

// nameColumn is the label column of the templates built for queries;
// property columns are named by their property id.
const nameColumn = "name"

// template builds the engine's template and row for one query, and the
// key of queries that can be matched as one batch (same types and
// languages: see mergeColumns). It starts from the root's template:
// its Wikibase, thresholds and type (when the query names none), and for a
// property it maps, that column's settings (spelling, prefixes, form);
// properties it does not map are compared by their datatype's kind.
func (s *Service) template(root *Root, langs []string, q query, kinds map[string]string) (*match.Template, match.Row, string, error) {
	base := root.Template
	t := &match.Template{Version: 1, Wikibase: base.Wikibase, Languages: langs, Columns: map[string]match.Column{}, AutoAccept: base.AutoAccept}
	row := match.Row{Values: map[string]string{}}
	var key strings.Builder
	if len(q.Types) == 0 {
		t.Type, t.Types = base.Type, base.Types
		if base.Type != nil {
			key.WriteString(base.Type.QID + ",")
		}
		for _, ty := range base.Types {
			key.WriteString(ty.QID + ",")
		}
	}
	for i, ty := range q.Types {
		if !itemID.MatchString(ty) || ty[0] != 'Q' {
			return nil, row, "", unmatchable{fmt.Sprintf("type %q is not an item id like Q5", ty)}
		}
		if i == 0 {
			t.Type = &match.TypeConstraint{QID: ty}
		} else {
			t.Types = append(t.Types, match.TypeConstraint{QID: ty})
		}
		key.WriteString(ty + ",")
	}
	key.WriteString("|")
	mapped := map[string]match.Column{}
	label := match.Column{Role: match.RoleLabel}
	for _, name := range sortedColumnNames(base.Columns) {
		col := base.Columns[name]
		switch {
		case col.Role == match.RoleLabel:
			label = col
		case col.Property != "":
			if _, seen := mapped[col.Property]; !seen {
				col.Scope = nil // its qualifier's column is not in a query
				mapped[col.Property] = col
			}
		}
	}
	if q.Query != "" {
		t.Columns[nameColumn] = label
		row.Values[nameColumn] = q.Query
	}
	if q.ItemID != "" {
		t.Columns[itemColumn] = match.Column{Role: match.RoleItem}
		row.Values[itemColumn] = q.ItemID
	}
	for _, p := range q.Properties {
		if !propertyID.MatchString(p.PID) {
			// Property paths and non-Wikibase ids: not something the
			// engine compares; the query still matches on the rest.
			continue
		}
		col, ok := mapped[p.PID]
		if !ok {
			kind := kinds[p.PID]
			if kind == "" {
				return nil, row, "", unmatchable{fmt.Sprintf("property %s does not exist on this wiki or holds values the engine cannot compare", p.PID)}
			}
			col = match.Column{Property: p.PID, Kind: kind}
		}
		if _, dup := t.Columns[p.PID]; dup || len(p.Values) == 0 {
			continue
		}
		t.Columns[p.PID] = col
		// The engine compares one value per column: the first.
		row.Values[p.PID] = p.Values[0]
	}
	key.WriteString(strings.Join(langs, ","))
	names := make([]string, 0, len(t.Columns))
	for n := range t.Columns {
		names = append(names, n)
	}
	// Round-trip through ParseTemplate so the template is the one the
	// workers would read, with every default, then validate it.
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, row, "", err
	}
	parsed, err := match.ParseTemplate(raw)
	if err != nil {
		return nil, row, "", err
	}
	if err := parsed.Validate(names); err != nil {
		return nil, row, "", unmatchable{err.Error()}
	}
	return parsed, row, key.String(), nil
}

// itemColumn holds a query's entity id (1.0-draft's matchType "id").
const itemColumn = "item"

func sortedColumnNames(cols map[string]match.Column) []string {
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// unmatchable says why a well-formed query cannot be matched on this wiki.
type unmatchable struct{ why string }

func (u unmatchable) Error() string { return u.why }

func sortedUnique(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
