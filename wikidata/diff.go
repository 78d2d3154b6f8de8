package wikidata

import (
	"encoding/json"
	"fmt"
	"sort"
)

// PlannedStatement is a statement a plan wants on an item.
type PlannedStatement struct {
	Property   string
	Value      DataValue
	Datatype   string // wikibase-item, external-id, string, url, time, quantity...
	References []Reference
	// SingleValue makes a different existing value a Conflict instead of a
	// reason to add a second value.
	SingleValue bool
	// AddReferenceIfPresent adds the references to an existing statement
	// with the same value when it does not carry them yet.
	AddReferenceIfPresent bool
}

// ReferenceAddition is an existing statement that gains references. The
// Statement is the whole statement as it is on the item with the references
// appended, because wbeditentity replaces a statement sent with its id.
type ReferenceAddition struct {
	StatementID string
	Property    string
	References  []Reference
	Statement   Statement
}

// Conflict is a planned value that the item contradicts: nothing is
// overwritten, a person decides.
type Conflict struct {
	Planned  PlannedStatement
	Existing []Statement
	Reason   string
}

// ItemDiff is what an item needs so that the planned statements are on it.
type ItemDiff struct {
	QID            string
	BaseRevID      int64
	Add            []Statement
	AddReferences  []ReferenceAddition
	AlreadyPresent []PlannedStatement
	Conflicts      []Conflict
	Labels         map[string]string // only languages where the item has none
	Descriptions   map[string]string // only languages where the item has none
}

// Empty says whether nothing is to be sent.
func (d ItemDiff) Empty() bool {
	return len(d.Add) == 0 && len(d.AddReferences) == 0 && len(d.Labels) == 0 && len(d.Descriptions) == 0
}

// DiffItem computes what item e needs (e nil: a new item).
//
//   - A value already on the item, in any rank (deprecated too), is never
//     added again; at most its references are added, with
//     AddReferenceIfPresent, when the statement lacks them.
//   - A less precise date that agrees with a more precise one on the item
//     (1879 against 1879-03-14) is already present.
//   - For a SingleValue property, another value on the item (not
//     deprecated, including "unknown value" and "no value") is a Conflict.
//     Deprecated values are known to be wrong and do not conflict.
//   - Planned statements with the same property and value are merged into
//     one, with the references of both.
//   - Labels and descriptions are set only in languages where the item has
//     none.
func DiffItem(e *Entity, planned []PlannedStatement, labels, descriptions map[string]string) ItemDiff {
	d := ItemDiff{Labels: map[string]string{}, Descriptions: map[string]string{}}
	if e != nil {
		d.QID, d.BaseRevID = e.ID, e.LastRevID
	}
	addedRefs := map[string]int{} // statement id -> index in d.AddReferences
	for _, p := range mergePlanned(planned) {
		var existing []Statement
		if e != nil {
			existing = e.Claims[p.Property]
		}
		var (
			same    *Statement
			compat  bool
			differs []Statement
		)
		for i := range existing {
			st := &existing[i]
			v, ok := st.Value()
			switch {
			case ok && SameValue(v, p.Value):
				if same == nil {
					same = st
				}
			case ok && p.Value.Type == TypeTime && timePrecision(v) > timePrecision(p.Value) && CompatibleTime(p.Value, v):
				compat = true
			case st.Rank != RankDeprecated:
				differs = append(differs, *st)
			}
		}
		switch {
		case same != nil:
			d.AlreadyPresent = append(d.AlreadyPresent, p)
			if !p.AddReferenceIfPresent || same.ID == "" {
				continue
			}
			i, seen := addedRefs[same.ID]
			cur := same.References
			if seen {
				cur = d.AddReferences[i].Statement.References
			}
			var missing []Reference
			for _, r := range p.References {
				if !referenceCovered(cur, r) {
					missing = append(missing, r)
					cur = append(cur, r)
				}
			}
			if len(missing) == 0 {
				continue
			}
			if seen {
				d.AddReferences[i].References = append(d.AddReferences[i].References, missing...)
				d.AddReferences[i].Statement = d.AddReferences[i].Statement.WithReferences(missing...)
				continue
			}
			addedRefs[same.ID] = len(d.AddReferences)
			d.AddReferences = append(d.AddReferences, ReferenceAddition{
				StatementID: same.ID, Property: p.Property, References: missing, Statement: same.WithReferences(missing...),
			})
		case compat:
			d.AlreadyPresent = append(d.AlreadyPresent, p)
		case p.SingleValue && len(differs) > 0:
			d.Conflicts = append(d.Conflicts, Conflict{Planned: p, Existing: differs, Reason: conflictReason(p, differs)})
		default:
			d.Add = append(d.Add, NewStatement(p.Property, p.Datatype, p.Value, p.References...))
		}
	}
	for lang, v := range labels {
		if v != "" && (e == nil || e.Labels[lang].Value == "") {
			d.Labels[lang] = v
		}
	}
	for lang, v := range descriptions {
		if v != "" && (e == nil || e.Descriptions[lang].Value == "") {
			d.Descriptions[lang] = v
		}
	}
	return d
}

func conflictReason(p PlannedStatement, differs []Statement) string {
	for _, st := range differs {
		v, ok := st.Value()
		switch {
		case !ok && st.MainSnak.SnakType == SnakNoValue:
			return fmt.Sprintf("the item says %s has no value; nothing is overwritten", p.Property)
		case !ok:
			return fmt.Sprintf("the item says %s has an unknown value; nothing is overwritten", p.Property)
		case p.Value.Type == TypeTime && CompatibleTime(p.Value, v):
			return fmt.Sprintf("the item has a less precise date for %s that agrees (%s); nothing is overwritten", p.Property, v)
		}
	}
	v, _ := differs[0].Value()
	return fmt.Sprintf("the item has another value for %s (%s); nothing is overwritten", p.Property, v)
}

func timePrecision(v DataValue) int {
	t, _ := v.AsTime()
	return t.Precision
}

// mergePlanned folds planned statements with the same property and value
// into the first of them, keeping every distinct reference.
func mergePlanned(planned []PlannedStatement) []PlannedStatement {
	var out []PlannedStatement
	for _, p := range planned {
		merged := false
		for i := range out {
			if out[i].Property != p.Property || !SameValue(out[i].Value, p.Value) {
				continue
			}
			for _, r := range p.References {
				if !referenceCovered(out[i].References, r) {
					out[i].References = append(out[i].References, r)
				}
			}
			out[i].SingleValue = out[i].SingleValue || p.SingleValue
			out[i].AddReferenceIfPresent = out[i].AddReferenceIfPresent || p.AddReferenceIfPresent
			merged = true
			break
		}
		if !merged {
			p.References = append([]Reference(nil), p.References...)
			out = append(out, p)
		}
	}
	return out
}

// referenceCovered says whether one of refs already sources what r does:
// it has every snak of r, by value, apart from "retrieved" (P813), which
// only says when the source was read. Without that exception each run would
// add the same reference again with a newer date.
func referenceCovered(refs []Reference, r Reference) bool {
	for _, have := range refs {
		if referenceContains(have, r) {
			return true
		}
	}
	return false
}

func referenceContains(have, r Reference) bool {
	compared := 0
	for p, snaks := range r.Snaks {
		if p == PropRetrieved {
			continue
		}
		for _, s := range snaks {
			compared++
			if !snakIn(have.Snaks[p], s) {
				return false
			}
		}
	}
	if compared == 0 {
		// A reference of only a date: compare the dates.
		for _, s := range r.Snaks[PropRetrieved] {
			if !snakIn(have.Snaks[PropRetrieved], s) {
				return false
			}
		}
	}
	return true
}

func snakIn(snaks []Snak, s Snak) bool {
	for _, h := range snaks {
		if h.SnakType != s.SnakType {
			continue
		}
		if s.SnakType != SnakValue || (h.DataValue != nil && s.DataValue != nil && SameValue(*h.DataValue, *s.DataValue)) {
			return true
		}
	}
	return false
}

type termJSON struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

func terms(m map[string]string) map[string]termJSON {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]termJSON, len(m))
	for l, v := range m {
		out[l] = termJSON{Language: l, Value: v}
	}
	return out
}

type editData struct {
	Labels       map[string]termJSON `json:"labels,omitempty"`
	Descriptions map[string]termJSON `json:"descriptions,omitempty"`
	Claims       []Statement         `json:"claims,omitempty"`
}

// EditPayload is the data parameter of wbeditentity for an existing item:
// the new statements (without ids: the wiki assigns them), the statements
// gaining references (whole, with their ids, otherwise unchanged), and the
// new labels and descriptions. Nothing else on the item is touched, since
// wbeditentity without clear=1 keeps what data does not mention.
func EditPayload(diff ItemDiff) (json.RawMessage, error) {
	claims := make([]Statement, 0, len(diff.Add)+len(diff.AddReferences))
	for _, st := range diff.Add {
		if st.ID != "" {
			return nil, fmt.Errorf("new statement for %s already has the id %s", st.MainSnak.Property, st.ID)
		}
		claims = append(claims, st)
	}
	for _, ra := range diff.AddReferences {
		if ra.Statement.ID == "" {
			return nil, fmt.Errorf("reference addition for %s names no statement", ra.Property)
		}
		claims = append(claims, ra.Statement)
	}
	// Keep properties together, in a stable order, so that equal diffs give
	// equal payloads (and readable edits).
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].MainSnak.Property < claims[j].MainSnak.Property })
	for _, st := range claims {
		if err := checkStatement(st); err != nil {
			return nil, err
		}
	}
	b, err := json.Marshal(editData{terms(diff.Labels), terms(diff.Descriptions), claims})
	if err != nil {
		return nil, fmt.Errorf("encode edit of %s: %w", diff.QID, err)
	}
	return b, nil
}

// NewItemPayload is the data parameter of wbeditentity with new=item.
func NewItemPayload(labels, descriptions map[string]string, statements []Statement) (json.RawMessage, error) {
	if len(labels) == 0 && len(descriptions) == 0 && len(statements) == 0 {
		return nil, fmt.Errorf("a new item needs at least a label, a description or a statement")
	}
	return EditPayload(ItemDiff{Add: statements, Labels: labels, Descriptions: descriptions})
}

// checkStatement refuses what the wiki would refuse anyway, before a write
// request is spent on it.
func checkStatement(st Statement) error {
	s := st.MainSnak
	if !IsPropertyID(s.Property) {
		return fmt.Errorf("statement with invalid property id %q", s.Property)
	}
	if s.SnakType == SnakValue && (s.DataValue == nil || s.DataValue.Type == "" || len(s.DataValue.Value) == 0) {
		return fmt.Errorf("statement for %s has no value", s.Property)
	}
	return nil
}
