// Package wdqs is the one place that reads a Wikibase's data from its query
// service: items' labels, aliases, descriptions and statement values in
// batched SPARQL queries, the subclass closure of a class, and whether an
// item exists. Matching, edit plans and exports share it, and with it one
// cache of what the service said, so an item seen by one batch costs the
// next batch nothing. It uses only standard SPARQL 1.1 and Wikibase's RDF
// vocabulary, so any Wikibase with a query service works. It knows Wikibase
// and SPARQL, not jobs.
package wdqs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"partnerhub/sparql"
)

// Querier runs SELECT queries (a *sparql.Client).
type Querier interface {
	Select(ctx context.Context, q string) (*sparql.Results, error)
}

const (
	rdfsNS   = "http://www.w3.org/2000/01/rdf-schema#"
	skosNS   = "http://www.w3.org/2004/02/skos/core#"
	schemaNS = "http://schema.org/"
	xsdNS    = "http://www.w3.org/2001/XMLSchema#"
)

// Config describes the Wikibase and tunes the cache; zero values take the
// defaults.
type Config struct {
	EntityPrefix   string // e.g. http://www.wikidata.org/entity/
	PropertyPrefix string // direct-claim prefix, e.g. http://www.wikidata.org/prop/direct/
	// CacheItems is how many items' data are kept (default 20,000), for
	// CacheTTL (default 15 minutes): long enough for a job's batches to
	// share candidates, short enough that edits on the wiki show up.
	CacheItems int
	CacheTTL   time.Duration
	// MaxClosure is the largest subclass closure fetched whole (default
	// 20,000 classes); past it membership is asked item by item.
	MaxClosure int
	// ItemsPerQuery bounds one query's VALUES (default 250); QueriesAtOnce
	// is how many of a call's queries run together (default 3), within
	// the client's limiter.
	ItemsPerQuery int
	QueriesAtOnce int
}

// Reader reads one Wikibase's items. It is safe for concurrent use; share
// one per query service and Wikibase so the cache serves every job.
type Reader struct {
	q        Querier
	cfg      Config
	items    *expirable.LRU[string, *Item]
	closures *expirable.LRU[string, closure]
	queries  atomic.Int64
	mu       sync.Mutex // serialises closure fetches of one class
}

type closure struct {
	classes  map[string]bool
	complete bool
}

// NewReader builds a reader.
func NewReader(q Querier, cfg Config) *Reader {
	if cfg.CacheItems <= 0 {
		cfg.CacheItems = 20_000
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 15 * time.Minute
	}
	if cfg.MaxClosure <= 0 {
		cfg.MaxClosure = 20_000
	}
	if cfg.ItemsPerQuery <= 0 {
		cfg.ItemsPerQuery = 250
	}
	if cfg.QueriesAtOnce <= 0 {
		cfg.QueriesAtOnce = 3
	}
	return &Reader{q: q, cfg: cfg,
		items:    expirable.NewLRU[string, *Item](cfg.CacheItems, nil, cfg.CacheTTL),
		closures: expirable.NewLRU[string, closure](64, nil, cfg.CacheTTL)}
}

// Queries counts the queries sent so far.
func (r *Reader) Queries() int64 { return r.queries.Load() }

// Text is a language-tagged string.
type Text struct{ Value, Lang string }

// Value is one statement value (a direct claim).
type Value struct {
	ID       string // the item's id, when the value is an entity of this Wikibase
	Value    string // the lexical form, or the IRI
	Datatype string
}

// Display renders a value for a spreadsheet cell: items as their id, dates
// as YYYY-MM-DD, anything else as its text.
func (v Value) Display() string {
	if v.ID != "" {
		return v.ID
	}
	if v.Datatype == xsdNS+"dateTime" && len(v.Value) >= 10 {
		s := strings.TrimPrefix(v.Value, "+")
		if i := strings.IndexByte(s, 'T'); i > 0 {
			return s[:i]
		}
	}
	return v.Value
}

// Item is what the query service says of one item, in the languages and
// properties asked for. Lists are sorted, so answers compare equal however
// the engine ordered its rows.
type Item struct {
	Labels, Aliases, Descriptions []Text
	Types                         []string            // P31 values (item ids)
	Claims                        map[string][]Value  // property → values
	ValueLabels                   map[string][]string // property → labels and aliases of its item values
	// Classes are those of Want.Classes the item is an instance of,
	// through subclasses.
	Classes []string
}

// Label is the item's label in the first language of langs that has one.
func (it *Item) Label(langs ...string) string {
	for _, l := range langs {
		for _, t := range it.Labels {
			if t.Lang == l {
				return t.Value
			}
		}
	}
	return ""
}

// Want says what to read of each item.
type Want struct {
	Languages             []string // of labels, aliases, descriptions and value labels
	Aliases, Descriptions bool
	Properties            []string // direct claims to read (P31 is always read)
	ValueLabels           []string // of those, the ones whose item values' labels are wanted
	Classes               []string // classes whose (subclass-closed) membership to report
}

// key identifies what a Want reads, for the cache.
func (w Want) key() string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return strings.Join([]string{strings.Join(w.Languages, ","), b(w.Aliases), b(w.Descriptions),
		strings.Join(w.Properties, ","), strings.Join(w.ValueLabels, ",")}, "|")
}

// Items reads ids (item ids like Q42) as w says. Items the service knows
// nothing of come back empty, never missing; answers are cached.
func (r *Reader) Items(ctx context.Context, ids []string, w Want) (map[string]*Item, error) {
	items, _, err := r.ItemsCounted(ctx, ids, w)
	return items, err
}

// ItemsCounted is Items that also says how many queries the call sent
// (none when the cache had everything).
func (r *Reader) ItemsCounted(ctx context.Context, ids []string, w Want) (map[string]*Item, int, error) {
	for _, id := range ids {
		if !sparql.ValidEntityID(id) {
			return nil, 0, fmt.Errorf("%q is not an entity id", id)
		}
	}
	queries := 0
	// Membership of small closures is worked out here from P31; the others
	// are asked in the query, and then the answer is only valid for them.
	closures := map[string]closure{}
	var askClasses []string
	for _, c := range w.Classes {
		cl, asked, err := r.subclasses(ctx, c)
		if asked {
			queries++
		}
		if err != nil {
			return nil, queries, err
		}
		if cl.complete {
			closures[c] = cl
		} else {
			askClasses = append(askClasses, c)
		}
	}
	key := w.key() + "|" + strings.Join(askClasses, ",") + "|"
	out := make(map[string]*Item, len(ids))
	var missing []string
	for _, id := range ids {
		if _, dup := out[id]; dup {
			continue
		}
		if it, ok := r.items.Get(key + id); ok {
			out[id] = it
			continue
		}
		out[id] = nil
		missing = append(missing, id)
	}
	chunks := sparql.Chunk(missing, r.cfg.ItemsPerQuery)
	results := make([]map[string]*Item, len(chunks))
	errs := make([]error, len(chunks))
	sem := make(chan struct{}, r.cfg.QueriesAtOnce)
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = r.fetch(ctx, chunk, w, askClasses)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, queries + len(chunks), fmt.Errorf("read items' data (query %d of %d): %w", i+1, len(chunks), err)
		}
	}
	for _, res := range results {
		for id, it := range res {
			r.items.Add(key+id, it)
			out[id] = it
		}
	}
	// Answers are shared with the cache: membership goes on a copy.
	for id, it := range out {
		if len(closures) == 0 {
			continue
		}
		cp := *it
		cp.Classes = slices.Clone(it.Classes)
		for _, c := range w.Classes {
			if cl, ok := closures[c]; ok && slices.ContainsFunc(it.Types, func(t string) bool { return cl.classes[t] }) {
				cp.Classes = append(cp.Classes, c)
			}
		}
		sort.Strings(cp.Classes)
		out[id] = &cp
	}
	return out, queries + len(chunks), nil
}

// fetch runs one query for ids.
func (r *Reader) fetch(ctx context.Context, ids []string, w Want, askClasses []string) (map[string]*Item, error) {
	q, err := r.itemsQuery(ids, w, askClasses)
	if err != nil {
		return nil, err
	}
	r.queries.Add(1)
	res, err := r.q.Select(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Item, len(ids))
	for _, id := range ids {
		out[id] = &Item{Claims: map[string][]Value{}, ValueLabels: map[string][]string{}}
	}
	for _, row := range res.Rows {
		id, ok := r.entityID(row["item"])
		it := out[id]
		if !ok || it == nil {
			continue
		}
		key, v := row["key"].Value, row["value"]
		switch {
		case key == "label":
			it.Labels = append(it.Labels, Text{v.Value, v.Lang})
		case key == "alias":
			it.Aliases = append(it.Aliases, Text{v.Value, v.Lang})
		case key == "description":
			it.Descriptions = append(it.Descriptions, Text{v.Value, v.Lang})
		case strings.HasPrefix(key, "class:"):
			it.Classes = append(it.Classes, strings.TrimPrefix(key, "class:"))
		case strings.HasSuffix(key, "/label"):
			p := strings.TrimSuffix(key, "/label")
			it.ValueLabels[p] = append(it.ValueLabels[p], v.Value)
		case strings.HasPrefix(key, "P"):
			val := Value{Value: v.Value, Datatype: v.Datatype}
			if v.Type == "uri" {
				val.ID, _ = r.entityID(v)
			}
			if key == "P31" && val.ID != "" {
				it.Types = append(it.Types, val.ID)
			}
			it.Claims[key] = append(it.Claims[key], val)
		}
	}
	for _, it := range out {
		sortTexts(it.Labels)
		sortTexts(it.Aliases)
		sortTexts(it.Descriptions)
		it.Types = sortedUnique(it.Types)
		it.Classes = sortedUnique(it.Classes)
		for k, vs := range it.Claims {
			sort.Slice(vs, func(a, b int) bool { return vs[a].Display() < vs[b].Display() })
			it.Claims[k] = slices.CompactFunc(vs, func(a, b Value) bool { return a == b })
		}
		for k, vs := range it.ValueLabels {
			it.ValueLabels[k] = sortedUnique(vs)
		}
	}
	return out, nil
}

func (r *Reader) prefixes() string {
	return sparql.Prefixes(map[string]string{
		"wd": r.cfg.EntityPrefix, "wdt": r.cfg.PropertyPrefix,
		"rdfs": rdfsNS, "skos": skosNS, "schema": schemaNS,
	})
}

// itemsQuery asks for one (item, key, value) row per fact. Each part of the
// UNION names its predicate and carries the items itself: engines evaluate
// a UNION's branches on their own, and a branch that left ?item (or the
// predicate, taken from VALUES) open would read every triple of that
// predicate in the graph before joining (Oxigraph measurably: the fact query
// of 250 items cost what 100,000 do). So every branch is a lookup by subject
// and predicate, which is what WDQS and Oxigraph both answer from an index.
func (r *Reader) itemsQuery(ids []string, w Want, askClasses []string) (string, error) {
	itemTerms := make([][]string, 0, len(ids))
	for _, id := range ids {
		iri, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, id)
		if err != nil {
			return "", err
		}
		itemTerms = append(itemTerms, []string{iri})
	}
	var langLits []string
	for _, l := range w.Languages {
		lit, err := sparql.LangLiteral("x", l) // validates the tag
		if err != nil {
			return "", err
		}
		langLits = append(langLits, sparql.Literal(lit[strings.LastIndexByte(lit, '@')+1:]))
	}
	langIn := strings.Join(langLits, ", ")
	items := sparql.ValuesBlock([]string{"item"}, itemTerms)
	var parts []string
	part := func(pattern, key, filter string) {
		p := "{ " + items + "\n    " + pattern + " BIND(" + sparql.Literal(key) + " AS ?key)"
		if filter != "" {
			p += " FILTER(" + filter + ")"
		}
		parts = append(parts, p+" }")
	}
	if len(langLits) > 0 {
		inLangs := "lang(?value) IN (" + langIn + ")"
		part("?item rdfs:label ?value .", "label", inLangs)
		if w.Aliases {
			part("?item skos:altLabel ?value .", "alias", inLangs)
		}
		if w.Descriptions {
			part("?item schema:description ?value .", "description", inLangs)
		}
	}
	// Monolingual text values only in the languages asked for, if any.
	claimFilter := ""
	if len(langLits) > 0 {
		claimFilter = "!isLiteral(?value) || lang(?value) = \"\" || lang(?value) IN (" + langIn + ")"
	}
	props := append([]string{"P31"}, w.Properties...)
	seen := map[string]bool{}
	for _, p := range props {
		if seen[p] {
			continue
		}
		seen[p] = true
		term, err := sparql.PrefixedEntity(r.cfg.PropertyPrefix, p)
		if err != nil {
			return "", err
		}
		part("?item "+term+" ?value .", p, claimFilter)
		if slices.Contains(w.ValueLabels, p) && len(langLits) > 0 {
			part("?item "+term+" ?object . ?object rdfs:label|skos:altLabel ?value .", p+"/label", "lang(?value) IN ("+langIn+")")
		}
	}
	for _, c := range askClasses {
		class, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, c)
		if err != nil {
			return "", err
		}
		part("?item wdt:P31/wdt:P279* "+class+" .", "class:"+c, "")
	}
	return r.prefixes() + "SELECT ?item ?key ?value WHERE {\n  " + strings.Join(parts, "\n  UNION ") + "\n}", nil
}

// Subclasses returns class and its subclasses (P279, transitively), and
// whether that is all of them: closures larger than MaxClosure are cut.
// Answers are cached.
func (r *Reader) Subclasses(ctx context.Context, class string) (map[string]bool, bool, error) {
	cl, _, err := r.subclasses(ctx, class)
	return cl.classes, cl.complete, err
}

// subclasses also says whether it asked the service.
func (r *Reader) subclasses(ctx context.Context, class string) (closure, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cl, ok := r.closures.Get(class); ok {
		return cl, false, nil
	}
	term, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, class)
	if err != nil {
		return closure{}, false, err
	}
	r.queries.Add(1)
	res, err := r.q.Select(ctx, r.prefixes()+fmt.Sprintf("SELECT DISTINCT ?class WHERE { ?class wdt:P279* %s . } LIMIT %d", term, r.cfg.MaxClosure+1))
	if err != nil {
		return closure{}, true, fmt.Errorf("read the subclasses of %s: %w", class, err)
	}
	cl := closure{classes: map[string]bool{class: true}, complete: len(res.Rows) <= r.cfg.MaxClosure}
	for _, row := range res.Rows {
		if id, ok := r.entityID(row["class"]); ok {
			cl.classes[id] = true
		}
	}
	r.closures.Add(class, cl)
	return cl, true, nil
}

// Exists says whether qid is an item with any statement or label on the
// query service, and returns one of its labels in languages if it has one.
func (r *Reader) Exists(ctx context.Context, qid string, languages []string) (label string, ok bool, err error) {
	term, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, qid)
	if err != nil {
		return "", false, err
	}
	r.queries.Add(1)
	res, err := r.q.Select(ctx, sparql.Prefixes(map[string]string{"rdfs": rdfsNS})+
		"SELECT ?l WHERE { { "+term+" ?p ?o } OPTIONAL { "+term+" rdfs:label ?l } } LIMIT 50")
	if err != nil {
		return "", false, fmt.Errorf("look up %s: %w", qid, err)
	}
	if len(res.Rows) == 0 {
		return "", false, nil
	}
	for _, want := range append(slices.Clone(languages), "mul", "en") {
		for _, row := range res.Rows {
			if l, ok := row["l"]; ok && l.Lang == want {
				return l.Value, true, nil
			}
		}
	}
	for _, row := range res.Rows {
		if l, ok := row["l"]; ok {
			return l.Value, true, nil
		}
	}
	return "", true, nil
}

// entityID reads an entity IRI of this Wikibase.
func (r *Reader) entityID(t sparql.Term) (string, bool) {
	if t.Type != "uri" {
		return "", false
	}
	id, ok := strings.CutPrefix(t.Value, r.cfg.EntityPrefix)
	if !ok || !sparql.ValidEntityID(id) {
		return "", false
	}
	return id, true
}

func sortTexts(xs []Text) {
	sort.Slice(xs, func(a, b int) bool {
		if xs[a].Lang != xs[b].Lang {
			return xs[a].Lang < xs[b].Lang
		}
		return xs[a].Value < xs[b].Value
	})
}

func sortedUnique(xs []string) []string {
	sort.Strings(xs)
	return slices.Compact(xs)
}
