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
	"errors"
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
	// OtherLabels (with Want.OtherLabels) are the item's labels in any
	// language when it has none in the languages asked for: a name to show.
	OtherLabels []Text
	Types       []string           // P31 values (item ids)
	Claims      map[string][]Value // property → values
	// ValueLabels: property → value item → that item's labels and aliases
	// in the languages (without their language).
	ValueLabels map[string]map[string][]string
	// Scoped: property → its statements' values with their scope
	// qualifier's item (Want.Scoped), "" when the statement has none.
	Scoped map[string][]ScopedValue
	// Classes are those of Want.Classes the item is an instance of,
	// through subclasses.
	Classes []string
}

// ScopedValue is a statement's value with the item its scope qualifier
// names (an inventory number with its collection).
type ScopedValue struct{ Value, Scope string }

// Scope asks for Property's statements with their Qualifier (P217 with
// P195): identifiers unique only within what the qualifier names.
type Scope struct{ Property, Qualifier string }

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
	// AliasesOf, without Aliases, are the items whose aliases to read (of
	// the items asked for); the others' Aliases are left empty. Answers
	// with aliases serve a later call that does not want them.
	AliasesOf   []string
	Properties  []string // direct claims to read (P31 is always read)
	ValueLabels []string // of those, the ones whose item values' labels are wanted
	Classes     []string // classes whose (subclass-closed) membership to report
	OtherLabels bool     // labels in any language of items without one in Languages
	Scoped      []Scope  // statements read with a qualifier
}

// key identifies what a Want reads, for the cache.
func (w Want) key() string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	scoped := make([]string, len(w.Scoped))
	for i, sc := range w.Scoped {
		scoped[i] = sc.Property + ">" + sc.Qualifier
	}
	return strings.Join([]string{strings.Join(w.Languages, ","), b(w.Aliases), b(w.Descriptions), b(w.OtherLabels),
		strings.Join(w.Properties, ","), strings.Join(w.ValueLabels, ","), strings.Join(scoped, ",")}, "|")
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
	// Items read with their aliases are cached apart from those without;
	// the first serve both.
	keyFor := func(aliases bool) string {
		k := w
		k.Aliases, k.AliasesOf = aliases, nil
		return k.key() + "|" + strings.Join(askClasses, ",") + "|"
	}
	withKey, withoutKey := keyFor(true), keyFor(false)
	aliasesOf := map[string]bool{}
	for _, id := range w.AliasesOf {
		aliasesOf[id] = true
	}
	out := make(map[string]*Item, len(ids))
	var missing []string
	for _, id := range ids {
		if _, dup := out[id]; dup {
			continue
		}
		if it, ok := r.items.Get(withKey + id); ok {
			out[id] = it
			continue
		}
		if !w.Aliases && !aliasesOf[id] {
			if it, ok := r.items.Get(withoutKey + id); ok {
				out[id] = it
				continue
			}
		}
		out[id] = nil
		missing = append(missing, id)
	}
	chunks := sparql.Chunk(missing, r.cfg.ItemsPerQuery)
	results := make([]map[string]*Item, len(chunks))
	errs := make([]error, len(chunks))
	var extra atomic.Int64 // second queries (labels in other languages)
	sem := make(chan struct{}, r.cfg.QueriesAtOnce)
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var more bool
			results[i], more, errs[i] = r.fetch(ctx, chunk, w, aliasesOf, askClasses)
			if more {
				extra.Add(1)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, queries + len(chunks) + int(extra.Load()), fmt.Errorf("read items' data (query %d of %d): %w", i+1, len(chunks), err)
		}
	}
	for _, res := range results {
		for id, it := range res {
			key := withoutKey
			if w.Aliases || aliasesOf[id] {
				key = withKey
			}
			r.items.Add(key+id, it)
			out[id] = it
		}
	}
	// Aliases read for another call are not what this one asked for.
	for id, it := range out {
		if !w.Aliases && !aliasesOf[id] && len(it.Aliases) > 0 {
			cp := *it
			cp.Aliases = nil
			out[id] = &cp
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
	return out, queries + len(chunks) + int(extra.Load()), nil
}

// fetch runs one query for ids, and says whether it needed a second.
func (r *Reader) fetch(ctx context.Context, ids []string, w Want, aliasesOf map[string]bool, askClasses []string) (_ map[string]*Item, more bool, _ error) {
	if !w.Aliases {
		w.AliasesOf = nil
		for _, id := range ids {
			if aliasesOf[id] {
				w.AliasesOf = append(w.AliasesOf, id)
			}
		}
		w.Aliases = len(w.AliasesOf) == len(ids)
	}
	q, err := r.itemsQuery(ids, w, askClasses)
	if err != nil {
		return nil, more, err
	}
	r.queries.Add(1)
	res, err := r.q.Select(ctx, q)
	if err != nil {
		return nil, more, err
	}
	out := make(map[string]*Item, len(ids))
	for _, id := range ids {
		out[id] = &Item{Claims: map[string][]Value{}, ValueLabels: map[string]map[string][]string{}, Scoped: map[string][]ScopedValue{}}
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
			obj, ok := r.entityID(row["object"])
			if !ok {
				continue
			}
			if it.ValueLabels[p] == nil {
				it.ValueLabels[p] = map[string][]string{}
			}
			it.ValueLabels[p][obj] = append(it.ValueLabels[p][obj], v.Value)
		case strings.HasSuffix(key, "/scoped"):
			p := strings.TrimSuffix(key, "/scoped")
			scope, _ := r.entityID(row["object"])
			it.Scoped[p] = append(it.Scoped[p], ScopedValue{v.Value, scope})
		case strings.HasPrefix(key, "P"):
			if v.Lang != "" && len(w.Languages) > 0 && !slices.Contains(w.Languages, v.Lang) {
				continue // monolingual text in a language not asked for
			}
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
	if w.OtherLabels && len(w.Languages) > 0 {
		var err error
		if more, err = r.otherLabels(ctx, out); err != nil {
			return nil, more, err
		}
	}
	for _, it := range out {
		sortTexts(it.Labels)
		sortTexts(it.Aliases)
		sortTexts(it.Descriptions)
		sortTexts(it.OtherLabels)
		it.Types = sortedUnique(it.Types)
		it.Classes = sortedUnique(it.Classes)
		for k, vs := range it.Claims {
			sort.Slice(vs, func(a, b int) bool { return vs[a].Display() < vs[b].Display() })
			it.Claims[k] = slices.CompactFunc(vs, func(a, b Value) bool { return a == b })
		}
		for _, byObj := range it.ValueLabels {
			for o, vs := range byObj {
				byObj[o] = sortedUnique(vs)
			}
		}
		for k, vs := range it.Scoped {
			sort.Slice(vs, func(a, b int) bool {
				if vs[a].Value != vs[b].Value {
					return vs[a].Value < vs[b].Value
				}
				return vs[a].Scope < vs[b].Scope
			})
			it.Scoped[k] = slices.Compact(vs)
		}
	}
	return out, more, nil
}

// otherLabels reads every label of the items that have none in the
// languages asked for, as their OtherLabels.
func (r *Reader) otherLabels(ctx context.Context, items map[string]*Item) (asked bool, _ error) {
	var bare []string
	for id, it := range items {
		if len(it.Labels) == 0 {
			bare = append(bare, id)
		}
	}
	sort.Strings(bare)
	var terms [][]string
	for _, id := range bare {
		{
			iri, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, id)
			if err != nil {
				return false, err
			}
			terms = append(terms, []string{iri})
		}
	}
	if len(terms) == 0 {
		return false, nil
	}
	r.queries.Add(1)
	res, err := r.q.Select(ctx, r.prefixes()+"SELECT ?item ?value WHERE {\n  "+sparql.ValuesBlock([]string{"item"}, terms)+"\n  ?item rdfs:label ?value .\n}")
	if err != nil {
		return true, fmt.Errorf("read labels in other languages: %w", err)
	}
	for _, row := range res.Rows {
		if id, ok := r.entityID(row["item"]); ok && items[id] != nil {
			items[id].OtherLabels = append(items[id].OtherLabels, Text{row["value"].Value, row["value"].Lang})
		}
	}
	return true, nil
}

func (r *Reader) prefixes() string {
	return sparql.Prefixes(map[string]string{
		"wd": r.cfg.EntityPrefix, "wdt": r.cfg.PropertyPrefix,
		"rdfs": rdfsNS, "skos": skosNS, "schema": schemaNS,
	})
}

// itemsQuery asks for one (item, key, value, object) row per fact: the
// items in one VALUES block, then a UNION with one branch per predicate,
// written out. Every branch is then a lookup by subject and predicate,
// which WDQS and Oxigraph both answer from an index. Two shapes that look
// equivalent are not: a predicate taken from VALUES (?item ?prop ?value)
// made Oxigraph scan every triple of those predicates (37 s for 200 items
// on a 100,000-item graph, against 10 ms), and copying the items into
// every branch costs parsing them once per branch. The class membership
// branches (a property path each) bind their items themselves: left open,
// a path branch is evaluated on its own over the whole graph. The answer
// is what the engine spends its time on (about 5 µs a row on Oxigraph), so
// labels come only in the languages wanted; a filter costs too, so
// monolingual claim values in other languages (few) are dropped here, not
// there. Labels in other languages (Want.OtherLabels) are a second query,
// for the few items left without a label: a FILTER NOT EXISTS branch for
// them doubled this one's time.
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
	prefixes := map[string]string{
		"wd": r.cfg.EntityPrefix, "wdt": r.cfg.PropertyPrefix,
		"rdfs": rdfsNS, "skos": skosNS, "schema": schemaNS,
	}
	var parts []string
	part := func(pattern, key, filter string) {
		p := "{ " + pattern + " BIND(" + sparql.Literal(key) + " AS ?key)"
		if filter != "" {
			p += " FILTER(" + filter + ")"
		}
		parts = append(parts, p+" }")
	}
	if len(langLits) > 0 {
		inLangs := "lang(?value) IN (" + langIn + ")"
		part("?item rdfs:label ?value .", "label", inLangs)
		switch {
		case w.Aliases:
			part("?item skos:altLabel ?value .", "alias", inLangs)
		case len(w.AliasesOf) > 0:
			// Some items' aliases: the branch binds them itself.
			terms := make([][]string, 0, len(w.AliasesOf))
			for _, id := range w.AliasesOf {
				iri, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, id)
				if err != nil {
					return "", err
				}
				terms = append(terms, []string{iri})
			}
			part(sparql.ValuesBlock([]string{"item"}, terms)+"\n    ?item skos:altLabel ?value .", "alias", inLangs)
		}
		if w.Descriptions {
			part("?item schema:description ?value .", "description", inLangs)
		}
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
		part("?item "+term+" ?value .", p, "")
		if slices.Contains(w.ValueLabels, p) && len(langLits) > 0 {
			part("?item "+term+" ?object . ?object rdfs:label|skos:altLabel ?value .", p+"/label", "lang(?value) IN ("+langIn+")")
		}
	}
	if len(w.Scoped) > 0 {
		pp, ps, pq, err := r.statementPrefixes()
		if err != nil {
			return "", err
		}
		prefixes["p"], prefixes["ps"], prefixes["pq"] = pp, ps, pq
		for _, sc := range w.Scoped {
			st, err1 := sparql.PrefixedEntity(pp, sc.Property)
			main, err2 := sparql.PrefixedEntity(ps, sc.Property)
			qual, err3 := sparql.PrefixedEntity(pq, sc.Qualifier)
			if err := errors.Join(err1, err2, err3); err != nil {
				return "", err
			}
			part("?item "+st+" ?statement . ?statement "+main+" ?value . OPTIONAL { ?statement "+qual+" ?object }", sc.Property+"/scoped", "")
		}
	}
	for _, c := range askClasses {
		class, err := sparql.PrefixedEntity(r.cfg.EntityPrefix, c)
		if err != nil {
			return "", err
		}
		// A path branch binds its items too, for the same reason.
		parts = append(parts, "{ "+items+"\n    ?item wdt:P31/wdt:P279* "+class+" . BIND("+sparql.Literal("class:"+c)+" AS ?key) }")
	}
	return sparql.Prefixes(prefixes) + "SELECT ?item ?key ?value ?object WHERE {\n  " + items + "\n  " + strings.Join(parts, "\n  UNION ") + "\n}", nil
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
