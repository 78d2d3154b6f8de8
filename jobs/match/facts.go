package match

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"partnerhub/wikidata/wdqs"
)

// itemFacts is what the query service says of one candidate item, read
// through the shared wdqs.Reader and put in the terms scoring uses.
type itemFacts struct {
	Labels, Aliases, Descriptions []langText
	OtherLabels                   []langText          // in other languages, when Labels is empty: display only
	Types                         []string            // P31 values
	Values                        map[string][]string // property → values (QIDs for items)
	// ValueLabels: property → value item → that item's labels and aliases.
	ValueLabels map[string]map[string][]string
	// Scoped: property → its statements' (value, qualifier item) pairs,
	// for identifiers unique within a scope (P217 within P195).
	Scoped map[string][][2]string
	TypeOK bool
}

func newItemFacts() *itemFacts {
	return &itemFacts{Values: map[string][]string{}, ValueLabels: map[string]map[string][]string{}, Scoped: map[string][][2]string{}}
}

// factsWanted is what scoring reads of a candidate: labels, aliases and
// descriptions in the template's languages (and mul), labels in other
// languages of an item without one there (to show), P31, the mapped
// properties and the label columns' life-date properties, the labels of mapped items' values, scoped identifiers'
// statements with their qualifier, and membership of the types that take
// subclasses (exact types are checked against P31).
func (e *Engine) factsWanted() wdqs.Want {
	w := wdqs.Want{Languages: e.t.searchLanguages(), Aliases: true, Descriptions: true, OtherLabels: true}
	for _, name := range e.t.propertyColumns() {
		c := e.t.Columns[name]
		if !slices.Contains(w.Properties, c.Property) {
			w.Properties = append(w.Properties, c.Property)
		}
		if c.Kind == KindItem && !slices.Contains(w.ValueLabels, c.Property) {
			w.ValueLabels = append(w.ValueLabels, c.Property)
		}
		if c.Scope != nil {
			w.Scoped = append(w.Scoped, wdqs.Scope{Property: c.Property, Qualifier: c.Scope.Property})
		}
	}
	// Life dates written with a name ("Nilsson, Karl (1840-1900)").
	for _, col := range e.t.labelColumns() {
		b, d := e.t.lifeDateProperties(col)
		for _, p := range []string{b, d} {
			if p != "" && !slices.Contains(w.Properties, p) {
				w.Properties = append(w.Properties, p)
			}
		}
	}
	for _, t := range e.t.typeConstraints() {
		if !t.Exact && !slices.Contains(w.Classes, t.QID) {
			w.Classes = append(w.Classes, t.QID)
		}
	}
	return w
}

// fetchFacts reads what scoring needs of the candidates.
func (e *Engine) fetchFacts(ctx context.Context, items []string) (map[string]*itemFacts, error) {
	return e.readFacts(ctx, "fetch candidates' facts", items, e.factsWanted())
}

// readFacts reads items through the shared reader (its cache answers for
// items seen before) and counts the queries it sent.
func (e *Engine) readFacts(ctx context.Context, what string, items []string, w wdqs.Want) (map[string]*itemFacts, error) {
	got, n, err := e.items.ItemsCounted(ctx, items, w)
	e.requests.Add(int64(n))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make(map[string]*itemFacts, len(got))
	for id, it := range got {
		out[id] = e.itemFacts(it)
	}
	return out, nil
}

// itemFacts puts a reader's item in scoring's terms and says whether it is
// of one of the template's types.
func (e *Engine) itemFacts(it *wdqs.Item) *itemFacts {
	f := newItemFacts()
	texts := func(ts []wdqs.Text) []langText {
		out := make([]langText, len(ts))
		for i, t := range ts {
			out[i] = langText{t.Value, t.Lang}
		}
		return out
	}
	f.Labels, f.Aliases, f.Descriptions, f.OtherLabels = texts(it.Labels), texts(it.Aliases), texts(it.Descriptions), texts(it.OtherLabels)
	for _, t := range it.Types {
		if strings.HasPrefix(t, "Q") {
			f.Types = append(f.Types, t)
		}
	}
	for p, vs := range it.Claims {
		if p == "P31" { // read as Types, as it always was
			continue
		}
		var out []string
		for _, v := range vs {
			if strings.HasPrefix(v.ID, "Q") {
				out = append(out, v.ID)
			} else {
				out = append(out, v.Value)
			}
		}
		f.Values[p] = sortedUnique(out)
	}
	for p, byObj := range it.ValueLabels {
		f.ValueLabels[p] = byObj
	}
	for p, vs := range it.Scoped {
		for _, v := range vs {
			f.Scoped[p] = append(f.Scoped[p], [2]string{v.Value, v.Scope})
		}
	}
	f.TypeOK = len(it.Classes) > 0
	for _, t := range e.t.typeConstraints() {
		if t.Exact && slices.Contains(f.Types, t.QID) {
			f.TypeOK = true
		}
	}
	return f
}
