package match

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/wikidata/wdqs"
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
	maxCandidates      = 5    // kept per row, best first
	maxLookupsPerRow   = 40   // candidates scored in full per row, after ranking
	maxFoundPerRow     = 2000 // candidates ranked per row; more and the row is never auto-accepted
	maxResolvedPerCell = 10   // items a name in an item cell (an artist) may stand for
	searchLimit        = 10   // hits asked of the Searcher per row
	searchConcurrency  = 4    // Searcher calls in flight
	queriesAtOnce      = 3    // a lookup's SPARQL queries in flight
	// genericTitle: a title that more items than this carry is generic,
	// and earns less (genericTitleWeight of the name's weight).
	genericTitle       = 5
	genericTitleWeight = 0.75
	maxNamesSearched   = 2 // row names tried with the Searcher
	maxSearchTextRunes = 250
	// worksTitleMin is how similar a title of a work linked to the row's
	// item (the artist's paintings) must be to the row's to be a candidate.
	worksTitleMin = 0.88
)

// Engine matches rows of one template. It is safe for concurrent use.
type Engine struct {
	q        Querier
	s        Searcher
	t        *Template
	log      *slog.Logger
	requests atomic.Int64
	searches atomic.Int64
	// items reads candidates' facts and the types' subclasses, with its
	// cache; a Matcher shares one per query service between its engines.
	items *wdqs.Reader
}

// NewEngine builds an engine for a validated template, with its own
// reader of items (and cache); s may be nil (no search fallback), logger
// nil for slog.Default().
func NewEngine(q Querier, s Searcher, t *Template, logger *slog.Logger) *Engine {
	return newEngine(q, s, t, logger, newItemReader(q, t))
}

func newEngine(q Querier, s Searcher, t *Template, logger *slog.Logger, items *wdqs.Reader) *Engine {
	if logger == nil {
		logger = slog.Default()
	}
	return &Engine{q: q, s: s, t: t, log: logger, items: items}
}

// newItemReader reads the template's Wikibase through q.
func newItemReader(q Querier, t *Template) *wdqs.Reader {
	cfg := ReaderConfig()
	cfg.EntityPrefix, cfg.PropertyPrefix = t.Wikibase.EntityPrefix, t.Wikibase.PropertyPrefix
	return wdqs.NewReader(q, cfg)
}

// Requests counts the SPARQL queries and searches the engine has sent.
func (e *Engine) Requests() int64 { return e.requests.Load() + e.searches.Load() }

// Queries counts the SPARQL queries alone; Searches the search calls.
func (e *Engine) Queries() int64  { return e.requests.Load() }
func (e *Engine) Searches() int64 { return e.searches.Load() }

type idPair struct{ Property, Value string }

type langText struct{ Text, Lang string }

// rowInput is a row read through the template.
type rowInput struct {
	names    []string // from label columns, as written
	variants []string // lookup spellings of the names
	title    bool     // the names are titles of works
	ids      []idFact
	facts    []idFact // mapped properties other than identifiers
	// sameName counts the items found with exactly the row's name: a
	// title many works share ("Portrait of a Man") says little by itself.
	sameName int
	// attribution is the first item cell written as an attribution
	// ("circle of Rembrandt"): the row is never matched without review.
	attribution *idFact
	// partner is the row's item column (the item the partner links it to).
	partner *partnerItem
}

type idFact struct {
	Column, Property, Kind, Value string
	// Lookup are the spellings an identifier is looked up under; for an
	// item cell, the spellings of the name it holds.
	Lookup []string
	// Qualifier and Name: an item cell read as an attribution
	// ("circle of", "Rembrandt"); Name is the cell when it is none.
	Qualifier, Name string
	// Resolved are the items an item cell stands for (its QID, or the
	// items its name is a label of); filled by MatchBatch.
	Resolved []string
	// Scope: for a scoped identifier, the item cell of its qualifier.
	Scope *idFact
}

func (e *Engine) readRow(r Row) rowInput {
	var in rowInput
	in.partner = e.readPartnerItem(r)
	for _, col := range e.t.labelColumns() {
		v := strings.TrimSpace(r.Values[col])
		if v == "" {
			continue
		}
		form := e.t.labelForm(col)
		in.title = in.title || form == FormTitle
		in.names = append(in.names, v)
		for _, variant := range lookupVariants(v, form) {
			if !containsString(in.variants, variant) {
				in.variants = append(in.variants, variant)
			}
		}
	}
	cells := map[string]*idFact{}
	for _, col := range e.t.propertyColumns() {
		v := strings.TrimSpace(r.Values[col])
		if v == "" {
			continue
		}
		c := e.t.Columns[col]
		f := idFact{Column: col, Property: c.Property, Kind: c.Kind, Value: v}
		switch c.Kind {
		case KindExternalID:
			f.Value = idValue(v, c)
			f.Lookup = idSpellings(f.Value, c)
			if f.Value == "" {
				continue
			}
			in.ids = append(in.ids, f)
		case KindItem:
			f.Qualifier, f.Name = Attribution(v)
			if q := strings.ToUpper(f.Name); itemID.MatchString(q) {
				f.Resolved = []string{q}
			} else {
				f.Lookup = lookupVariants(f.Name, FormPerson)
				if d := DisplayName(f.Name); d != "" && !containsString(f.Lookup, d) {
					f.Lookup = append(f.Lookup, d)
				}
			}
			in.facts = append(in.facts, f)
		default:
			in.facts = append(in.facts, f)
		}
	}
	in.facts = append(in.facts, e.lifeFacts(r, in.facts)...)
	for i := range in.facts {
		f := &in.facts[i]
		if f.Kind == KindItem {
			cells[f.Column] = f
			if f.Qualifier != "" && in.attribution == nil {
				in.attribution = f
			}
		}
	}
	for i := range in.ids {
		if sc := e.t.Columns[in.ids[i].Column].Scope; sc != nil {
			in.ids[i].Scope = cells[sc.Column]
		}
	}
	return in
}

// rowCands are a row's candidates in the order found, with what found them.
type rowCands struct {
	qids []string
	via  map[string]string // qid → how it was found, for the evidence
	// more: the finders may have left candidates out (a full search page,
	// more than maxFoundPerRow), so the row cannot be auto-accepted.
	more bool
	// byLabel: candidates with a label (not only an alias) that is one of
	// the row's spellings; their aliases cannot count (see fetchFacts).
	byLabel map[string]bool
}

func (c *rowCands) labelled(qid string) {
	if c.byLabel == nil {
		c.byLabel = map[string]bool{}
	}
	c.byLabel[qid] = true
}

func (c *rowCands) add(qid, via string) {
	if c.via == nil {
		c.via = map[string]string{}
	}
	if _, ok := c.via[qid]; ok {
		return
	}
	if len(c.qids) >= maxFoundPerRow {
		c.more = true
		return
	}
	c.qids = append(c.qids, qid)
	c.via[qid] = via
}

// MatchBatch matches rows, returning one result per row in the same order.
// The same rows against the same data always give the same results.
func (e *Engine) MatchBatch(ctx context.Context, rows []Row) ([]jobs.RowMatch, error) {
	start, before := time.Now(), e.Requests()
	inputs := make([]rowInput, len(rows))
	cands := make([]rowCands, len(rows))
	for i, r := range rows {
		inputs[i] = e.readRow(r)
	}
	partners := make([]*partnerItem, len(rows))
	for i := range inputs {
		partners[i] = inputs[i].partner
	}
	if err := e.checkPartnerItems(ctx, partners, cands); err != nil {
		return nil, err
	}
	if err := e.findByIdentifier(ctx, inputs, cands); err != nil {
		return nil, err
	}
	if err := e.findByLabel(ctx, inputs, cands); err != nil {
		return nil, err
	}
	if err := e.findByLinkedItems(ctx, inputs, cands); err != nil {
		return nil, err
	}
	if err := e.findBySearch(ctx, inputs, cands); err != nil {
		return nil, err
	}
	for i := range inputs {
		for _, via := range cands[i].via {
			if via == "label" {
				inputs[i].sameName++
			}
		}
	}
	ranked, err := e.rank(ctx, inputs, cands)
	if err != nil {
		return nil, err
	}
	kept := make([][]string, len(ranked))
	for i, r := range ranked {
		kept[i] = r.kept
	}
	facts, err := e.fetchFacts(ctx, inputs, kept, cands)
	if err != nil {
		return nil, err
	}
	out := make([]jobs.RowMatch, len(rows))
	counts := map[jobs.MatchStatus]int{}
	for i, r := range rows {
		out[i] = e.decide(r.Num, inputs[i], ranked[i], facts, cands[i])
		counts[out[i].Status]++
	}
	e.log.Debug("matched a batch", "rows", len(rows), "candidates", len(facts),
		"matched", counts[jobs.MatchMatched], "review", counts[jobs.MatchReview], "none", counts[jobs.MatchNone],
		"requests", e.Requests()-before, "elapsed", time.Since(start))
	return out, nil
}

// selectAll runs a lookup's queries, a few at once (the client's limiter
// bounds what reaches the endpoint); answers keep the queries' order.
func (e *Engine) selectAll(ctx context.Context, what string, queries []string) ([]*sparql.Results, error) {
	out := make([]*sparql.Results, len(queries))
	errs := make([]error, len(queries))
	sem := make(chan struct{}, queriesAtOnce)
	var wg sync.WaitGroup
	for n, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			e.requests.Add(1)
			out[n], errs[n] = e.q.Select(ctx, q)
		}()
	}
	wg.Wait()
	for n, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s (query %d of %d): %w", what, n+1, len(queries), err)
		}
	}
	return out, nil
}

func (e *Engine) findByIdentifier(ctx context.Context, inputs []rowInput, cands []rowCands) error {
	rowsOf := map[idPair][]int{}
	var pairs []idPair
	for i, in := range inputs {
		for _, f := range in.ids {
			for _, v := range f.Lookup {
				p := idPair{f.Property, v}
				if _, ok := rowsOf[p]; !ok {
					pairs = append(pairs, p)
				}
				if !containsInt(rowsOf[p], i) {
					rowsOf[p] = append(rowsOf[p], i)
				}
			}
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
			cands[i].add(f[2], "identifier "+f[0])
		}
	}
	return nil
}

// findByLabel looks up the rows' names, and the names in their item cells
// (an artist), as exact labels and aliases in one batch of queries. Row
// names give candidates; item cells are resolved to the items they name.
func (e *Engine) findByLabel(ctx context.Context, inputs []rowInput, cands []rowCands) error {
	langs := e.t.searchLanguages()
	asked := map[string]bool{}
	var lits []langText
	ask := func(v string) {
		if asked[v] {
			return
		}
		asked[v] = true
		for _, l := range langs {
			lits = append(lits, langText{v, l})
		}
	}
	for _, in := range inputs {
		for _, v := range in.variants {
			ask(v)
		}
		for _, f := range in.facts {
			for _, v := range f.Lookup {
				ask(v)
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
	items := map[string][]string{}           // text → items with that label or alias
	labelled := map[string]map[string]bool{} // text → items with that label
	for _, res := range results {
		for _, row := range res.Rows {
			text := row["text"].Value
			qid, ok := e.qid(row["item"])
			if ok {
				if labelled[text] == nil {
					labelled[text] = map[string]bool{}
				}
				labelled[text][qid] = true
			} else if qid, ok = e.qid(row["alias"]); !ok {
				continue
			}
			items[text] = append(items[text], qid)
		}
	}
	for k, vs := range items {
		sortQIDs(vs)
		items[k] = slices.Compact(vs)
	}
	for i := range inputs {
		// Rows take the candidates of their first variants first.
		for _, v := range inputs[i].variants {
			for _, q := range items[v] {
				cands[i].add(q, "label")
				if labelled[v][q] {
					cands[i].labelled(q)
				}
			}
		}
		for n := range inputs[i].facts {
			f := &inputs[i].facts[n]
			for _, v := range f.Lookup {
				for _, q := range items[v] {
					if len(f.Resolved) < maxResolvedPerCell && !containsString(f.Resolved, q) {
						f.Resolved = append(f.Resolved, q)
					}
				}
			}
		}
	}
	return nil
}

// findByLinkedItems finds works among the items linked to a row's item
// cells (the paintings whose creator is the row's artist) whose title is
// like the row's: titles written differently from the wiki's label
// ("The Mill" for "Mill", other case and punctuation) are found that way,
// and a generic title ("Portrait of a Man") is narrowed to the artist's.
func (e *Engine) findByLinkedItems(ctx context.Context, inputs []rowInput, cands []rowCands) error {
	rowsOf := map[idPair][]int{}
	var pairs []idPair
	for i, in := range inputs {
		if !in.title || len(in.names) == 0 {
			continue
		}
		for _, f := range in.facts {
			if f.Kind != KindItem || !e.t.finds(f.Column) {
				continue
			}
			for _, q := range f.Resolved {
				p := idPair{f.Property, q}
				if _, ok := rowsOf[p]; !ok {
					pairs = append(pairs, p)
				}
				if !containsInt(rowsOf[p], i) {
					rowsOf[p] = append(rowsOf[p], i)
				}
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	var queries []string
	for _, chunk := range sparql.Chunk(pairs, linkedChunk) {
		q, err := e.linkedQuery(chunk)
		if err != nil {
			return fmt.Errorf("build the linked-items query: %w", err)
		}
		queries = append(queries, q)
	}
	results, err := e.selectAll(ctx, "look up works of the rows' items", queries)
	if err != nil {
		return err
	}
	type hit struct{ prop, obj, item, text string }
	var hits []hit
	for _, res := range results {
		for _, row := range res.Rows {
			prop, okP := strings.CutPrefix(row["prop"].Value, e.t.Wikibase.PropertyPrefix)
			obj, okO := e.qid(row["obj"])
			item, okI := e.qid(row["item"])
			if okP && okO && okI {
				hits = append(hits, hit{prop, obj, item, row["text"].Value})
			}
		}
	}
	sort.Slice(hits, func(a, b int) bool {
		x, y := hits[a], hits[b]
		if x.item != y.item {
			return qidLess(x.item, y.item)
		}
		return x.text < y.text
	})
	for _, h := range hits {
		for _, i := range rowsOf[idPair{h.prop, h.obj}] {
			if nameSimilarity(inputs[i].variants, h.text, true) >= worksTitleMin {
				cands[i].add(h.item, "linked "+h.prop+" "+h.obj)
			}
		}
	}
	return nil
}

func (e *Engine) findBySearch(ctx context.Context, inputs []rowInput, cands []rowCands) error {
	if e.s == nil {
		return nil
	}
	var todo []int
	for i, in := range inputs {
		if len(cands[i].qids) == 0 && len(in.names) > 0 {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	hits := make([][]string, len(inputs))
	full := make([]bool, len(inputs))
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
			if len(texts) > 1 && !inputs[i].title {
				texts = append([]string{texts[len(texts)-1]}, texts[:len(texts)-1]...)
			}
			for n, text := range texts {
				if n >= maxNamesSearched || ctx.Err() != nil {
					break
				}
				e.searches.Add(1)
				ids, err := e.s.Search(ctx, truncateRunes(text, maxSearchTextRunes), lang, searchLimit)
				if err != nil {
					errs[i] = fmt.Errorf("search %q: %w", text, err)
					return
				}
				full[i] = len(ids) >= searchLimit
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
			cands[i].add(id, "search")
		}
		// A full page of hits: the search may know more than it said.
		cands[i].more = cands[i].more || full[i]
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
