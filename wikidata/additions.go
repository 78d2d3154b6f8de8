package wikidata

import (
	"encoding/json"
	"maps"
	"slices"
)

// Additions is what one edit added to an entity (a write-back only adds):
// the statements it created, references it put on statements already there,
// and labels and descriptions it set.
type Additions struct {
	QID   string `json:"qid"`    // the item edited (or created)
	RevID int64  `json:"rev_id"` // the edit's revision
	// Statements are the statements the edit added, as it left them.
	Statements []Statement `json:"statements,omitempty"`
	// References are the references it added to statements already there.
	References   []AddedReference  `json:"references,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
}

// AddedReference is a reference an edit added to a statement that was there
// before, and that statement as the edit left it.
type AddedReference struct {
	Statement Statement `json:"statement"`
	Reference Reference `json:"reference"`
}

// CompareRevisions says what the revision after added to the revision before it
// (before nil: a new item). It reads additions only: the write-back never
// changes or removes anything.
func CompareRevisions(before, after *Entity, revID int64) Additions {
	a := Additions{QID: after.ID, RevID: revID}
	if before == nil {
		before = &Entity{}
	}
	had := map[string]Statement{}
	for _, sts := range before.Claims {
		for _, st := range sts {
			had[st.ID] = st
		}
	}
	for _, p := range slices.Sorted(maps.Keys(after.Claims)) {
		for _, st := range after.Claims[p] {
			old, ok := had[st.ID]
			if !ok {
				a.Statements = append(a.Statements, st)
				continue
			}
			for _, ref := range st.References {
				if !HasReference(old, ref) {
					a.References = append(a.References, AddedReference{Statement: st, Reference: ref})
				}
			}
		}
	}
	a.Labels = addedTerms(before.Labels, after.Labels)
	a.Descriptions = addedTerms(before.Descriptions, after.Descriptions)
	return a
}

func addedTerms(before, after map[string]Term) map[string]string {
	var out map[string]string
	for l, t := range after {
		if before[l].Value != t.Value {
			if out == nil {
				out = map[string]string{}
			}
			out[l] = t.Value
		}
	}
	return out
}

// CanonicalJSON is a value's JSON with keys sorted and what the wiki recomputes or
// adds on reading left out (hashes, datatypes, orders), so that a statement
// read from a revision's content and from wbgetentities compare equal.
func CanonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return ""
	}
	var strip func(any) any
	strip = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for _, k := range []string{"hash", "datatype", "snaks-order", "qualifiers-order"} {
				delete(t, k)
			}
			for k, v := range t {
				t[k] = strip(v)
			}
		case []any:
			for i := range t {
				t[i] = strip(t[i])
			}
		}
		return x
	}
	out, _ := json.Marshal(strip(x))
	return string(out)
}

// HasReference says whether st has a reference with ref's snaks.
func HasReference(st Statement, ref Reference) bool {
	want := CanonicalJSON(ref.Snaks)
	for _, r := range st.References {
		if CanonicalJSON(r.Snaks) == want {
			return true
		}
	}
	return false
}
