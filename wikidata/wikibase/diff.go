package wikibase

import (
	"encoding/json"
	"fmt"
	"sort"
)

// PlannedStatement is a statement the partner's data says an item should have.
type PlannedStatement struct {
	Property   string
	Datatype   string
	Value      DataValue
	References []Reference
	// SingleValue marks properties where a different existing value is a conflict to show
	// the reviewer, never something to add next to it or overwrite.
	SingleValue bool
	// AddReferenceIfPresent adds the planned references to an existing equal statement.
	AddReferenceIfPresent bool
}

// Conflict is a planned value that disagrees with what the item already says.
type Conflict struct {
	Property string
	Planned  DataValue
	Existing []DataValue
	Message  string
}

// ReferenceAddition is a reference to append to an existing statement.
type ReferenceAddition struct {
	StatementID string
	Property    string
	Reference   Reference
}

// ItemDiff is what an edit of one item would change.
type ItemDiff struct {
	QID            string
	BaseRevID      int64
	Add            []Statement
	AddReferences  []ReferenceAddition
	AlreadyPresent []PlannedStatement
	Conflicts      []Conflict
	Labels         map[string]string
	Descriptions   map[string]string
}

// Empty reports whether the diff would change nothing.
func (d ItemDiff) Empty() bool {
	return len(d.Add) == 0 && len(d.AddReferences) == 0 && len(d.Labels) == 0 && len(d.Descriptions) == 0
}

// DiffItem compares an item with the planned statements and terms. Values already on the
// item in any rank (deprecated included: someone decided against them) are never added again.
func DiffItem(e *Entity, planned []PlannedStatement, labels, descriptions map[string]string) ItemDiff {
	d := ItemDiff{QID: e.ID, BaseRevID: e.LastRevID}
	refAdded := map[string][]Reference{}
	for _, p := range mergePlanned(planned) {
		existing := e.Claims[p.Property]
		var match *Statement
		var others []DataValue
		for i := range existing {
			s := &existing[i]
			if s.MainSnak.SnakType != SnakValue || s.MainSnak.DataValue == nil {
				continue
			}
			if SameValue(*s.MainSnak.DataValue, p.Value) {
				if match == nil {
					match = s
				}
			} else if s.Rank != "deprecated" {
				others = append(others, *s.MainSnak.DataValue)
			}
		}
		switch {
		case match != nil:
			d.AlreadyPresent = append(d.AlreadyPresent, p)
			if !p.AddReferenceIfPresent || match.ID == "" {
				continue
			}
			for _, r := range p.References {
				if hasReference(match.References, r) || hasReference(refAdded[match.ID], r) {
					continue
				}
				refAdded[match.ID] = append(refAdded[match.ID], r)
				d.AddReferences = append(d.AddReferences, ReferenceAddition{StatementID: match.ID, Property: p.Property, Reference: r})
			}
		case p.SingleValue && len(others) > 0:
			d.Conflicts = append(d.Conflicts, Conflict{
				Property: p.Property, Planned: p.Value, Existing: others,
				Message: fmt.Sprintf("%s already has a different value on %s; not overwritten", p.Property, e.ID),
			})
		default:
			d.Add = append(d.Add, NewStatement(p.Property, p.Datatype, p.Value, p.References...))
		}
	}
	d.Labels = missingTerms(e.Labels, labels)
	d.Descriptions = missingTerms(e.Descriptions, descriptions)
	return d
}

// mergePlanned folds planned statements with the same property and value into one,
// keeping the first one's position and the union of their references.
func mergePlanned(planned []PlannedStatement) []PlannedStatement {
	var out []PlannedStatement
	for _, p := range planned {
		merged := false
		for i := range out {
			o := &out[i]
			if o.Property == p.Property && SameValue(o.Value, p.Value) {
				for _, r := range p.References {
					if !hasReference(o.References, r) {
						o.References = append(o.References, r)
					}
				}
				o.SingleValue = o.SingleValue || p.SingleValue
				o.AddReferenceIfPresent = o.AddReferenceIfPresent || p.AddReferenceIfPresent
				merged = true
				break
			}
		}
		if !merged {
			p.References = append([]Reference(nil), p.References...)
			out = append(out, p)
		}
	}
	return out
}

func hasReference(refs []Reference, r Reference) bool {
	for _, x := range refs {
		if SameReference(x, r) {
			return true
		}
	}
	return false
}

func missingTerms(have map[string]Term, want map[string]string) map[string]string {
	var out map[string]string
	for lang, v := range want {
		if v == "" {
			continue
		}
		if t, ok := have[lang]; ok && t.Value != "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[lang] = v
	}
	return out
}

type editPayload struct {
	Labels       map[string]Term `json:"labels,omitempty"`
	Descriptions map[string]Term `json:"descriptions,omitempty"`
	Claims       []Statement     `json:"claims,omitempty"`
}

func terms(m map[string]string) map[string]Term {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]Term, len(m))
	for lang, v := range m {
		out[lang] = Term{Language: lang, Value: v}
	}
	return out
}

// EditData is the `data` parameter of wbeditentity for an existing item. Reference
// additions send the existing claim (with its id) carrying its old references plus the new
// ones, because wbeditentity replaces a claim sent with an id as a whole.
func EditData(d ItemDiff, e *Entity) (json.RawMessage, error) {
	p := editPayload{Labels: terms(d.Labels), Descriptions: terms(d.Descriptions)}
	p.Claims = append(p.Claims, d.Add...)
	byID := map[string][]Reference{}
	var order []string
	for _, ra := range d.AddReferences {
		if _, ok := byID[ra.StatementID]; !ok {
			order = append(order, ra.StatementID)
		}
		byID[ra.StatementID] = append(byID[ra.StatementID], ra.Reference)
	}
	for _, id := range order {
		s, ok := findStatement(e, id)
		if !ok {
			return nil, fmt.Errorf("edit data for %s: statement %s is no longer on the item", e.ID, id)
		}
		s.References = append(append([]Reference(nil), s.References...), byID[id]...)
		p.Claims = append(p.Claims, s)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("edit data for %s: %w", e.ID, err)
	}
	return b, nil
}

func findStatement(e *Entity, id string) (Statement, bool) {
	props := make([]string, 0, len(e.Claims))
	for p := range e.Claims {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		for _, s := range e.Claims[p] {
			if s.ID == id {
				return s, true
			}
		}
	}
	return Statement{}, false
}

// NewItemData is the `data` parameter of wbeditentity with new=item.
func NewItemData(labels, descriptions map[string]string, statements []Statement) (json.RawMessage, error) {
	b, err := json.Marshal(editPayload{Labels: terms(labels), Descriptions: terms(descriptions), Claims: statements})
	if err != nil {
		return nil, fmt.Errorf("new item data: %w", err)
	}
	return b, nil
}
