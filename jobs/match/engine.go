package match

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"partnerhub/jobs"
	"partnerhub/sparql"
)

// Row is one dataset row to match: its number and its cells by column name.
type Row struct {
	Num    int64
	Values map[string]string
}

// Querier runs SPARQL SELECT queries; *sparql.Client is one.
type Querier interface {
	Select(ctx context.Context, q string) (*sparql.Results, error)
}

// Searcher finds entities by free text (e.g. the wiki's wbsearchentities),
// for rows whose names match no label exactly. It returns entity ids.
type Searcher interface {
	Search(ctx context.Context, text, language string, limit int) ([]string, error)
}

// Limits of the engine's work per row.
const (
	maxCandidates      = 5  // kept per row, best first
	maxLookupsPerRow   = 40 // candidate items scored per row
	searchLimit        = 5  // hits asked of the Searcher per row
	searchConcurrency  = 4  // Searcher calls in flight
	maxNamesSearched   = 2  // row names tried with the Searcher
	maxSearchTextRunes = 250
)

// Engine matches rows of one template. It is safe for concurrent use.
type Engine struct {
	q        Querier
	s        Searcher
	t        *Template
	log      *slog.Logger
	requests atomic.Int64
}

// NewEngine builds an engine for a validated template; s may be nil (no
// search fallback), logger nil for slog.Default().
func NewEngine(q Querier, s Searcher, t *Template, logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{q: q, s: s, t: t, log: logger}
}

// Requests counts the SPARQL queries and searches the engine has sent.
func (e *Engine) Requests() int64 { return e.requests.Load() }

type idPair struct{ Property, Value string }

type langText struct{ Text, Lang string }

// rowInput is a row read through the template.
type rowInput struct {
	names    []string // from label columns, as written
	variants []string // lookup spellings of the names
	ids      []idFact
	facts    []idFact // mapped properties other than identifiers
}

type idFact struct {
	Column, Property, Kind, Value string
}

func (e *Engine) readRow(r Row) rowInput {
	var in rowInput
	for _, col := range e.t.labelColumns() {
		v := strings.TrimSpace(r.Values[col])
		if v == "" {
			continue
		}
		in.names = append(in.names, v)
		for _, variant := range NameVariants(v) {
			if !containsString(in.variants, variant) {
				in.variants = append(in.variants, variant)
			}
		}
	}
	for _, col := range e.t.propertyColumns() {
		v := strings.TrimSpace(r.Values[col])
		if v == "" {
			continue
		}
		c := e.t.Columns[col]
		f := idFact{Column: col, Property: c.Property, Kind: c.Kind, Value: v}
		if c.Kind == KindExternalID {
			in.ids = append(in.ids, f)
		} else {
			in.facts = append(in.facts, f)
		}
	}
	return in
}

// MatchBatch matches rows, returning one result per row in the same order.
// The same rows against the same data always give the same results.
func (e *Engine) MatchBatch(ctx context.Context, rows []Row) ([]jobs.RowMatch, error) {
	start, before := time.Now(), e.requests.Load()
	inputs := make([]rowInput, len(rows))
	cands := make([][]string, len(rows)) // candidate QIDs per row, in the order found
	addCand := func(i int, qid string) {
		if len(cands[i]) < maxLookupsPerRow && !containsString(cands[i], qid) {
			cands[i] = append(cands[i], qid)
		}
	}
	for i, r := range rows {
		inputs[i] = e.readRow(r)
	}
	if err := e.findByIdentifier(ctx, inputs, addCand); err != nil {
		return nil, err
	}
	if err := e.findByLabel(ctx, inputs, addCand); err != nil {
		return nil, err
	}
	if err := e.findBySearch(ctx, inputs, cands, addCand); err != nil {
		return nil, err
	}
	var all []string
	seen := map[string]bool{}
	for _, cs := range cands {
		for _, q := range cs {
			if !seen[q] {
				seen[q] = true
				all = append(all, q)
			}
		}
	}
	sortQIDs(all)
	facts, err := e.fetchFacts(ctx, all)
	if err != nil {
		return nil, err
	}
	out := make([]jobs.RowMatch, len(rows))
	counts := map[jobs.MatchStatus]int{}
	for i, r := range rows {
		out[i] = e.decide(r.Num, inputs[i], cands[i], facts)
		counts[out[i].Status]++
	}
	e.log.Debug("matched a batch", "rows", len(rows), "candidates", len(all),
		"matched", counts[jobs.MatchMatched], "review", counts[jobs.MatchReview], "none", counts[jobs.MatchNone],
		"requests", e.requests.Load()-before, "elapsed", time.Since(start))
	return out, nil
}

func (e *Engine) selectAll(ctx context.Context, what string, queries []string) ([]*sparql.Results, error) {
	out := make([]*sparql.Results, len(queries))
	for n, q := range queries {
		e.requests.Add(1)
		res, err := e.q.Select(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("%s (query %d of %d): %w", what, n+1, len(queries), err)
		}
		out[n] = res
	}
	return out, nil
}

func (e *Engine) findByIdentifier(ctx context.Context, inputs []rowInput, add func(int, string)) error {
	rowsOf := map[idPair][]int{}
	var pairs []idPair
	for i, in := range inputs {
		for _, f := range in.ids {
			p := idPair{f.Property, f.Value}
			if _, ok := rowsOf[p]; !ok {
				pairs = append(pairs, p)
			}
			rowsOf[p] = append(rowsOf[p], i)
		}
	}
	var queries []string
	for _, chunk := range sparql.Chunk(pairs, identifierChunk) {
		q, err := e.identifierQuery(chunk)
		if err != nil {
			return fmt.Errorf("build the identifier query: %w", err)
		}
		queries = append(queries, q)
	}
	results, err := e.selectAll(ctx, "look up identifiers", queries)
	if err != nil {
		return err
	}
	var found [][3]string
	for _, res := range results {
		for _, row := range res.Rows {
			prop, okP := strings.CutPrefix(row["prop"].Value, e.t.Wikibase.PropertyPrefix)
			qid, okQ := e.qid(row["item"])
			if !okP || !okQ {
				continue
			}
			found = append(found, [3]string{prop, row["value"].Value, qid})
		}
	}
	// Answers come in no guaranteed order; sorting keeps results stable.
	sort.Slice(found, func(a, b int) bool { return lessTriple(found[a], found[b]) })
	for _, f := range found {
		for _, i := range rowsOf[idPair{f[0], f[1]}] {
			add(i, f[2])
		}
	}
	return nil
}

func (e *Engine) findByLabel(ctx context.Context, inputs []rowInput, add func(int, string)) error {
	langs := e.t.searchLanguages()
	rowsOf := map[string][]int{} // by text; every language of a text serves the same rows
	var lits []langText
	for i, in := range inputs {
		for _, v := range in.variants {
			if _, ok := rowsOf[v]; !ok {
				for _, l := range langs {
					lits = append(lits, langText{v, l})
				}
			}
			if !containsInt(rowsOf[v], i) {
				rowsOf[v] = append(rowsOf[v], i)
			}
		}
	}
	var queries []string
	for _, chunk := range sparql.Chunk(lits, labelChunk) {
		q, err := e.labelQuery(chunk)
		if err != nil {
			return fmt.Errorf("build the label query: %w", err)
		}
		queries = append(queries, q)
	}
	results, err := e.selectAll(ctx, "look up labels", queries)
	if err != nil {
		return err
	}
	var found [][3]string
	for _, res := range results {
		for _, row := range res.Rows {
			qid, ok := e.qid(row["item"])
			if !ok {
				continue
			}
			found = append(found, [3]string{row["text"].Value, qid, ""})
		}
	}
	sort.Slice(found, func(a, b int) bool { return lessTriple(found[a], found[b]) })
	// Rows take the candidates of their first variants first, so the
	// per-row cap drops the weakest spellings' candidates.
	for i, in := range inputs {
		for _, v := range in.variants {
			for _, f := range found {
				if f[0] == v {
					add(i, f[1])
				}
			}
		}
	}
	return nil
}

func (e *Engine) findBySearch(ctx context.Context, inputs []rowInput, cands [][]string, add func(int, string)) error {
	if e.s == nil {
		return nil
	}
	var todo []int
	for i, in := range inputs {
		if len(cands[i]) == 0 && len(in.names) > 0 {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	hits := make([][]string, len(inputs))
	errs := make([]error, len(inputs))
	sem := make(chan struct{}, searchConcurrency)
	var wg sync.WaitGroup
	lang := e.t.Languages[0]
	for _, i := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			texts := inputs[i].variants
			// The turned-round, unqualified spelling searches best.
			if len(texts) > 1 {
				texts = append([]string{texts[len(texts)-1]}, texts[:len(texts)-1]...)
			}
			for n, text := range texts {
				if n >= maxNamesSearched || ctx.Err() != nil {
					break
				}
				e.requests.Add(1)
				ids, err := e.s.Search(ctx, truncateRunes(text, maxSearchTextRunes), lang, searchLimit)
				if err != nil {
					errs[i] = fmt.Errorf("search %q: %w", text, err)
					return
				}
				for _, id := range ids {
					if strings.HasPrefix(id, "Q") && sparql.ValidEntityID(id) && !containsString(hits[i], id) {
						hits[i] = append(hits[i], id)
					}
				}
				if len(hits[i]) > 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, i := range todo {
		if errs[i] != nil {
			return errs[i]
		}
		for _, id := range hits[i] {
			add(i, id)
		}
	}
	return nil
}

// qid reads an entity IRI of this Wikibase; anything else is not a candidate.
func (e *Engine) qid(t sparql.Term) (string, bool) {
	if t.Type != "uri" {
		return "", false
	}
	id, ok := strings.CutPrefix(t.Value, e.t.Wikibase.EntityPrefix)
	if !ok || !strings.HasPrefix(id, "Q") || !sparql.ValidEntityID(id) {
		return "", false
	}
	return id, true
}

// itemFacts is what the fact query says of one candidate item.
type itemFacts struct {
	Labels, Aliases, Descriptions []langText
	Types                         []string            // P31 values
	Values                        map[string][]string // property → values (QIDs for items)
	ValueLabels                   map[string][]string // property → labels of its item values
	TypeOK                        bool
}

func (e *Engine) fetchFacts(ctx context.Context, items []string) (map[string]*itemFacts, error) {
	var queries []string
	for _, chunk := range sparql.Chunk(items, factChunk) {
		q, err := e.factQuery(chunk)
		if err != nil {
			return nil, fmt.Errorf("build the fact query: %w", err)
		}
		queries = append(queries, q)
	}
	results, err := e.selectAll(ctx, "fetch candidates' facts", queries)
	if err != nil {
		return nil, err
	}
	facts := make(map[string]*itemFacts, len(items))
	for _, id := range items {
		facts[id] = &itemFacts{Values: map[string][]string{}, ValueLabels: map[string][]string{}}
	}
	for _, res := range results {
		for _, row := range res.Rows {
			qid, ok := e.qid(row["item"])
			f := facts[qid]
			if !ok || f == nil {
				continue
			}
			key, v := row["key"].Value, row["value"]
			switch {
			case key == keyTypeOK:
				f.TypeOK = true
			case key == "label":
				f.Labels = append(f.Labels, langText{v.Value, v.Lang})
			case key == "alias":
				f.Aliases = append(f.Aliases, langText{v.Value, v.Lang})
			case key == "description":
				f.Descriptions = append(f.Descriptions, langText{v.Value, v.Lang})
			case key == "P31":
				if t, ok := e.qid(v); ok {
					f.Types = append(f.Types, t)
				}
			case strings.HasSuffix(key, "/label"):
				p := strings.TrimSuffix(key, "/label")
				f.ValueLabels[p] = append(f.ValueLabels[p], v.Value)
			case strings.HasPrefix(key, "P"):
				val := v.Value
				if t, ok := e.qid(v); ok {
					val = t
				}
				f.Values[key] = append(f.Values[key], val)
			}
		}
	}
	for _, f := range facts {
		sortLangTexts(f.Labels)
		sortLangTexts(f.Aliases)
		sortLangTexts(f.Descriptions)
		f.Types = sortedUnique(f.Types)
		for k, vs := range f.Values {
			f.Values[k] = sortedUnique(vs)
		}
		for k, vs := range f.ValueLabels {
			f.ValueLabels[k] = sortedUnique(vs)
		}
		if e.t.Type != nil && e.t.Type.Exact {
			f.TypeOK = containsString(f.Types, e.t.Type.QID)
		}
	}
	return facts, nil
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(xs []int, n int) bool {
	for _, x := range xs {
		if x == n {
			return true
		}
	}
	return false
}

func lessTriple(a, b [3]string) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func sortLangTexts(xs []langText) {
	sort.Slice(xs, func(a, b int) bool {
		if xs[a].Lang != xs[b].Lang {
			return xs[a].Lang < xs[b].Lang
		}
		return xs[a].Text < xs[b].Text
	})
}

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

// sortQIDs orders ids numerically (Q2 before Q10).
func sortQIDs(ids []string) {
	sort.Slice(ids, func(a, b int) bool { return qidLess(ids[a], ids[b]) })
}

func qidLess(a, b string) bool {
	na, ea := strconv.ParseInt(a[1:], 10, 64)
	nb, eb := strconv.ParseInt(b[1:], 10, 64)
	if ea != nil || eb != nil || na == nb {
		return a < b
	}
	return na < nb
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
