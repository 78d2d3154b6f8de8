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

// factsWanted is what scoring reads of the candidates of a batch's rows:
// labels and descriptions in the template's languages (and mul), labels
// in other languages of an item without one there (to show), P31, the
// mapped properties, the life-date properties of the rows whose names
// carry dates, the labels of mapped items' values, scoped identifiers'
// statements with their qualifier, and membership of the types that take
// subclasses (exact types are checked against P31). Aliases are read
// apart, only where they can count (see fetchFacts).
func (e *Engine) factsWanted(inputs []rowInput) wdqs.Want {
	w := wdqs.Want{Languages: e.t.searchLanguages(), Descriptions: true, OtherLabels: true}
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
	// Life dates written with a name ("Nilsson, Karl (1840-1900)"): their
	// properties only when a row has them, in the template's order.
	dated := map[string]bool{}
	for _, in := range inputs {
		for _, f := range in.facts {
			dated[f.Property] = true
		}
	}
	for _, col := range e.t.labelColumns() {
		b, d := e.t.lifeDateProperties(col)
		for _, p := range []string{b, d} {
			if p != "" && dated[p] && !slices.Contains(w.Properties, p) {
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

// fetchFacts reads what scoring needs of each row's candidates (kept[i]
// are row i's, found as cands[i] says). A row's name is compared with a
// candidate's labels first, and an alias counts only when it is more like
// the name than every label; so the aliases of a candidate found by a
// label that is one of the row's spellings cannot count, and are read only
// for the other candidates, in the same query. On Wikidata, where a person
// has aliases in several languages, most of them are never read. Should a
// label found so compare as less than equal to the name after all (one
// that is all punctuation), that candidate's aliases are read after.
func (e *Engine) fetchFacts(ctx context.Context, inputs []rowInput, kept [][]string, cands []rowCands) (map[string]*itemFacts, error) {
	var all, aliased []string
	seen, need := map[string]bool{}, map[string]bool{}
	for i, qs := range kept {
		for _, q := range qs {
			if !seen[q] {
				seen[q] = true
				all = append(all, q)
			}
			if len(inputs[i].names) > 0 && !cands[i].byLabel[q] && !need[q] {
				need[q] = true
				aliased = append(aliased, q)
			}
		}
	}
	sortQIDs(all)
	sortQIDs(aliased)
	w := e.factsWanted(inputs)
	w.AliasesOf = aliased
	facts, err := e.readFacts(ctx, "fetch candidates' facts", all, w)
	if err != nil {
		return nil, err
	}
	var late []string
	for i, qs := range kept {
		if len(inputs[i].names) == 0 {
			continue // no name: aliases are not compared
		}
		for _, q := range qs {
			if !need[q] && !labelEqualsName(inputs[i], facts[q]) {
				need[q] = true
				late = append(late, q)
			}
		}
	}
	if len(late) == 0 {
		return facts, nil
	}
	sortQIDs(late)
	aliases, err := e.readFacts(ctx, "fetch candidates' aliases", late, wdqs.Want{Languages: e.t.searchLanguages(), Aliases: true})
	if err != nil {
		return nil, err
	}
	for _, q := range late {
		if f, a := facts[q], aliases[q]; f != nil && a != nil {
			f.Aliases = a.Aliases
		}
	}
	return facts, nil
}

// labelEqualsName says whether one of the item's labels is as like the
// row's name as anything can be.
func labelEqualsName(in rowInput, f *itemFacts) bool {
	if f == nil {
		return false
	}
	for _, l := range f.Labels {
		if nameSimilarity(in.variants, l.Text, in.title) >= 1 {
			return true
		}
	}
	return false
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
