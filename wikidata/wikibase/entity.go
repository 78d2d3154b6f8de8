// Package wikibase is Partnerhub's Wikibase side: the entity JSON model (claims, snaks,
// data values), diffing an item against the statements a partner's data plans to add,
// and the OAuth-signed Action API client that reads entities and writes edits.
package wikibase

import "encoding/json"

// Term is a label or description in one language.
type Term struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

// Entity is an item or property in the Wikibase JSON format as wbgetentities returns it.
type Entity struct {
	ID           string                 `json:"id"`
	Type         string                 `json:"type,omitempty"`
	LastRevID    int64                  `json:"lastrevid,omitempty"`
	Labels       map[string]Term        `json:"labels,omitempty"`
	Descriptions map[string]Term        `json:"descriptions,omitempty"`
	Aliases      map[string][]Term      `json:"aliases,omitempty"`
	Claims       map[string][]Statement `json:"claims,omitempty"`
	// Sitelinks are kept raw: Partnerhub never edits them, only passes them through.
	Sitelinks json.RawMessage `json:"sitelinks,omitempty"`
	// Missing is set when wbgetentities answered `"missing": ""` for the id.
	Missing bool `json:"-"`
}

type entityAlias Entity

// UnmarshalJSON reads the entity and the `missing` marker, whose value is an empty string.
func (e *Entity) UnmarshalJSON(b []byte) error {
	var aux struct {
		entityAlias
		Missing *json.RawMessage `json:"missing"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*e = Entity(aux.entityAlias)
	e.Missing = aux.Missing != nil
	return nil
}

// Statement is one claim with its rank, qualifiers and references.
type Statement struct {
	ID              string            `json:"id,omitempty"`
	Type            string            `json:"type,omitempty"`
	MainSnak        Snak              `json:"mainsnak"`
	Qualifiers      map[string][]Snak `json:"qualifiers,omitempty"`
	QualifiersOrder []string          `json:"qualifiers-order,omitempty"`
	References      []Reference       `json:"references,omitempty"`
	Rank            string            `json:"rank,omitempty"`
}

// Snak types.
const (
	SnakValue     = "value"
	SnakSomeValue = "somevalue"
	SnakNoValue   = "novalue"
)

// Snak is a property with a value, "some value" or "no value".
type Snak struct {
	SnakType  string     `json:"snaktype"`
	Property  string     `json:"property"`
	Hash      string     `json:"hash,omitempty"`
	Datatype  string     `json:"datatype,omitempty"`
	DataValue *DataValue `json:"datavalue,omitempty"`
}

// Reference is one reference (a group of snaks) of a statement.
type Reference struct {
	Hash       string            `json:"hash,omitempty"`
	Snaks      map[string][]Snak `json:"snaks"`
	SnaksOrder []string          `json:"snaks-order,omitempty"`
}

// NewStatement builds a normal-rank statement without id, as wbeditentity expects new claims.
func NewStatement(property, datatype string, v DataValue, refs ...Reference) Statement {
	return Statement{
		Type:       "statement",
		MainSnak:   valueSnak(property, datatype, v),
		References: refs,
		Rank:       "normal",
	}
}

func valueSnak(property, datatype string, v DataValue) Snak {
	return Snak{SnakType: SnakValue, Property: property, Datatype: datatype, DataValue: &v}
}

// Add appends a value snak to the reference, keeping snaks-order in insertion order.
func (r Reference) Add(property, datatype string, v DataValue) Reference {
	if r.Snaks == nil {
		r.Snaks = map[string][]Snak{}
	}
	if _, ok := r.Snaks[property]; !ok {
		r.SnaksOrder = append(r.SnaksOrder, property)
	}
	r.Snaks[property] = append(r.Snaks[property], valueSnak(property, datatype, v))
	return r
}

// StatedIn adds P248 "stated in" pointing to an item.
func (r Reference) StatedIn(qid string) Reference {
	return r.Add("P248", "wikibase-item", ItemValue(qid))
}

// ReferenceURL adds P854 "reference URL".
func (r Reference) ReferenceURL(u string) Reference {
	return r.Add("P854", "url", StringValue(u))
}

// Retrieved adds P813 "retrieved" with day precision; t must be a day-precision Time.
func (r Reference) Retrieved(t Time) Reference {
	t.Precision = PrecisionDay
	return r.Add("P813", "time", TimeValue(t))
}

// SameReference reports whether two references carry the same values, ignoring hashes and order.
func SameReference(a, b Reference) bool {
	if len(a.Snaks) != len(b.Snaks) {
		return false
	}
	for p, as := range a.Snaks {
		bs := b.Snaks[p]
		if len(as) != len(bs) {
			return false
		}
		for _, s := range as {
			found := false
			for _, t := range bs {
				if sameSnak(s, t) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func sameSnak(a, b Snak) bool {
	if a.SnakType != b.SnakType || a.Property != b.Property {
		return false
	}
	if a.DataValue == nil || b.DataValue == nil {
		return a.DataValue == nil && b.DataValue == nil
	}
	return SameValue(*a.DataValue, *b.DataValue)
}
