package wikidata

import (
	"encoding/json"
	"sort"
)

// Planned is a statement the plan wants on an item.
type Planned struct {
	Property        string
	DataType        string // wikibase-item, external-id, string, time, quantity, url
	Value           *DataValue
	References      []Reference
	SingleValue     bool   // a different existing value is a conflict, not a second value
	AddRefIfPresent bool   // add the reference to an equal statement that lacks it
	StatedIn        string // the "stated in" item, to tell whether a statement has our reference
}

// Conflict is a planned value the item contradicts.
type Conflict struct {
	Planned  Planned
	Existing []*DataValue
	Note     string
}

// Diff is what an item needs so that the planned statements are on it.
type Diff struct {
	Add          []Statement       // new statements
	AddRefs      []Statement       // existing statements, as they are, with the reference appended
	Present      []Planned         // already there: nothing to do
	Conflicts    []Conflict        // for a person: nothing is overwritten
	Labels       map[string]string // to add, where the item has none
	Descriptions map[string]string // to add, where the item has none
}

// Empty says whether nothing is to be sent.
func (d Diff) Empty() bool {
	return len(d.Add) == 0 && len(d.AddRefs) == 0 && len(d.Labels) == 0 && len(d.Descriptions) == 0
}

// DiffItem computes what item e needs: planned values already present (in any
// rank, even deprecated) are never added again; a different value of a
// single-value property is a conflict; a less precise date that agrees with
// a more precise one on the item is present already; equal planned values
// are merged; labels and descriptions only where the item has none.
func DiffItem(e *Entity, planned []Planned, labels, descriptions map[string]string) Diff {
	d := Diff{Labels: map[string]string{}, Descriptions: map[string]string{}}
	var merged []Planned
	for _, p := range planned {
		dup := false
		for i := range merged {
			if merged[i].Property == p.Property && SameValue(merged[i].Value, p.Value) {
				merged[i].References = mergeRefs(merged[i].References, p.References)
				dup = true
				break
			}
		}
		if !dup {
			merged = append(merged, p)
		}
	}
	touched := map[string]int{} // statement id -> index in AddRefs
	for _, p := range merged {
		var existing []Statement
		if e != nil {
			existing = e.Claims[p.Property]
		}
		var (
			same   *Statement
			others []*DataValue
			compat bool
		)
		for i := range existing {
			st := &existing[i]
			v := st.MainSnak.DataValue
			if st.MainSnak.SnakType != "value" || v == nil {
				continue
			}
			switch {
			case SameValue(v, p.Value):
				if same == nil {
					same = st
				}
			case p.Value.Type == "time" && CompatibleTime(p.Value, v) && TimePrecision(v) > TimePrecision(p.Value):
				compat = true
			default:
				if st.Rank != "deprecated" {
					others = append(others, v)
				}
			}
		}
		switch {
		case same != nil:
			d.Present = append(d.Present, p)
			if p.AddRefIfPresent && len(p.References) > 0 && !hasStatedIn(*same, p.StatedIn) {
				if i, ok := touched[same.ID]; ok {
					d.AddRefs[i].References = append(d.AddRefs[i].References, p.References...)
				} else {
					withRef := *same
					withRef.References = append(append([]Reference{}, same.References...), p.References...)
					touched[same.ID] = len(d.AddRefs)
					d.AddRefs = append(d.AddRefs, withRef)
				}
			}
		case compat:
			d.Present = append(d.Present, p)
		case p.SingleValue && len(others) > 0:
			note := "the item has another value; nothing is overwritten"
			if p.Value.Type == "time" {
				for _, o := range others {
					if CompatibleTime(p.Value, o) {
						note = "the item has a less precise date that agrees; nothing is overwritten"
					}
				}
			}
			d.Conflicts = append(d.Conflicts, Conflict{Planned: p, Existing: others, Note: note})
		default:
			d.Add = append(d.Add, NewStatement(p.Property, p.DataType, p.Value, p.References...))
		}
	}
	for lang, v := range labels {
		if e == nil || e.Labels[lang].Value == "" {
			d.Labels[lang] = v
		}
	}
	for lang, v := range descriptions {
		if e == nil || e.Descriptions[lang].Value == "" {
			d.Descriptions[lang] = v
		}
	}
	return d
}

func hasStatedIn(st Statement, statedIn string) bool {
	if statedIn == "" {
		return len(st.References) > 0
	}
	want := ItemValue(statedIn)
	for _, r := range st.References {
		for _, s := range r.Snaks["P248"] {
			if SameValue(s.DataValue, want) {
				return true
			}
		}
	}
	return false
}

// mergeRefs adds the references of b that a lacks (by content).
func mergeRefs(a, b []Reference) []Reference {
	seen := map[string]bool{}
	for _, r := range a {
		k, _ := json.Marshal(r.Snaks)
		seen[string(k)] = true
	}
	for _, r := range b {
		k, _ := json.Marshal(r.Snaks)
		if !seen[string(k)] {
			a = append(a, r)
			seen[string(k)] = true
		}
	}
	return a
}

type termJSON struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

func terms(m map[string]string) map[string]termJSON {
	if len(m) == 0 {
		return nil
	}
	out := map[string]termJSON{}
	for l, v := range m {
		out[l] = termJSON{Language: l, Value: v}
	}
	return out
}

// EditData is the data parameter of wbeditentity for an existing item: the
// new statements (without ids), the statements gaining a reference (with
// their ids, otherwise unchanged), and the new labels and descriptions.
func EditData(d Diff) (json.RawMessage, error) {
	claims := append(append([]Statement{}, d.Add...), d.AddRefs...)
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].MainSnak.Property < claims[j].MainSnak.Property })
	return json.Marshal(struct {
		Labels       map[string]termJSON `json:"labels,omitempty"`
		Descriptions map[string]termJSON `json:"descriptions,omitempty"`
		Claims       []Statement         `json:"claims,omitempty"`
	}{terms(d.Labels), terms(d.Descriptions), claims})
}

// NewItemData is the data parameter of wbeditentity with new=item.
func NewItemData(labels, descriptions map[string]string, claims []Statement) (json.RawMessage, error) {
	return EditData(Diff{Add: claims, Labels: labels, Descriptions: descriptions})
}

// Reference helpers: "stated in" (P248), "reference URL" (P854) and
// "retrieved" (P813, day precision).
func NewReference(statedIn, refURL string, retrieved *Time) Reference {
	r := Reference{Snaks: map[string][]Snak{}}
	if statedIn != "" {
		r.Snaks["P248"] = []Snak{ValueSnak("P248", "wikibase-item", ItemValue(statedIn))}
		r.SnaksOrder = append(r.SnaksOrder, "P248")
	}
	if refURL != "" {
		r.Snaks["P854"] = []Snak{ValueSnak("P854", "url", StringValue(refURL))}
		r.SnaksOrder = append(r.SnaksOrder, "P854")
	}
	if retrieved != nil {
		r.Snaks["P813"] = []Snak{ValueSnak("P813", "time", TimeValue(*retrieved))}
		r.SnaksOrder = append(r.SnaksOrder, "P813")
	}
	return r
}
