// Package wikidata is the Wikibase side of Partnerhub: the entity model
// (claims, snaks, data values) as the Action API returns it, equality of
// values as Wikibase sees it, the change an item needs so that planned
// statements are on it (never a duplicate, never an overwrite), and a client
// for the Action API that signs with the user's OAuth tokens, honours maxlag
// and rate limits, and tells a refused edit from one whose outcome is
// unknown. It knows Wikibase, not jobs.
package wikidata

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Entity is an item (or other entity) in the Wikibase JSON format, as
// wbgetentities and Special:EntityData return it.
type Entity struct {
	ID        string `json:"id"`
	Type      string `json:"type,omitempty"`
	PageID    int64  `json:"pageid,omitempty"`
	NS        int    `json:"ns,omitempty"`
	Title     string `json:"title,omitempty"`
	LastRevID int64  `json:"lastrevid,omitempty"`
	Modified  string `json:"modified,omitempty"`
	// DataType is a property's datatype (e.g. "external-id"); "" for items.
	DataType     string                 `json:"datatype,omitempty"`
	Labels       map[string]Term        `json:"labels,omitempty"`
	Descriptions map[string]Term        `json:"descriptions,omitempty"`
	Aliases      map[string][]Term      `json:"aliases,omitempty"`
	Claims       map[string][]Statement `json:"claims,omitempty"`
	// Sitelinks are kept as read: Partnerhub never edits them.
	Sitelinks json.RawMessage `json:"sitelinks,omitempty"`
	// Missing is set for an id the wiki does not know.
	Missing bool `json:"-"`
}

// UnmarshalJSON accepts the "missing" marker, an empty string in format
// version 1 and true in version 2.
func (e *Entity) UnmarshalJSON(b []byte) error {
	type plain Entity
	var aux struct {
		plain
		Missing json.RawMessage `json:"missing"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*e = Entity(aux.plain)
	e.Missing = len(aux.Missing) > 0 && string(aux.Missing) != "false" && string(aux.Missing) != "null"
	return nil
}

// Label returns the entity's label in lang, or "".
func (e *Entity) Label(lang string) string { return e.Labels[lang].Value }

// Term is a label, description or alias in one language.
type Term struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

// Ranks of a statement.
const (
	RankPreferred  = "preferred"
	RankNormal     = "normal"
	RankDeprecated = "deprecated"
)

// Statement is a claim with its rank, qualifiers and references. Every part
// of it is kept as read, because adding a reference to a statement means
// sending the whole statement back: what is not sent would be removed.
type Statement struct {
	ID              string            `json:"id,omitempty"`
	Type            string            `json:"type"`
	MainSnak        Snak              `json:"mainsnak"`
	Rank            string            `json:"rank"`
	Qualifiers      map[string][]Snak `json:"qualifiers,omitempty"`
	QualifiersOrder []string          `json:"qualifiers-order,omitempty"`
	References      []Reference       `json:"references,omitempty"`
}

// Value is the main value, or false for "somevalue" and "novalue".
func (s Statement) Value() (DataValue, bool) {
	if s.MainSnak.SnakType != SnakValue || s.MainSnak.DataValue == nil {
		return DataValue{}, false
	}
	return *s.MainSnak.DataValue, true
}

// WithReferences returns the statement with refs appended.
func (s Statement) WithReferences(refs ...Reference) Statement {
	s.References = append(append([]Reference(nil), s.References...), refs...)
	return s
}

// Snak types.
const (
	SnakValue     = "value"
	SnakSomeValue = "somevalue" // unknown value
	SnakNoValue   = "novalue"   // known to have none
)

// Snak is a property and its value (or "somevalue"/"novalue").
type Snak struct {
	SnakType  string     `json:"snaktype"`
	Property  string     `json:"property"`
	Hash      string     `json:"hash,omitempty"`
	DataType  string     `json:"datatype,omitempty"`
	DataValue *DataValue `json:"datavalue,omitempty"`
}

// Reference is a group of snaks that source a statement.
type Reference struct {
	Hash       string            `json:"hash,omitempty"`
	Snaks      map[string][]Snak `json:"snaks"`
	SnaksOrder []string          `json:"snaks-order,omitempty"`
}

// ValueSnak builds a value snak of a property with the given datatype
// (wikibase-item, external-id, string, url, time, quantity, ...).
func ValueSnak(property, datatype string, v DataValue) Snak {
	return Snak{SnakType: SnakValue, Property: property, DataType: datatype, DataValue: &v}
}

// NewStatement builds a normal-rank statement without an id, ready to be
// sent in wbeditentity (the wiki assigns the id).
func NewStatement(property, datatype string, v DataValue, refs ...Reference) Statement {
	return Statement{Type: "statement", MainSnak: ValueSnak(property, datatype, v), Rank: RankNormal, References: refs}
}

// NewItemStatement says property p has item qid as value.
func NewItemStatement(p, qid string) Statement {
	return NewStatement(p, "wikibase-item", ItemValue(qid))
}

// NewStringStatement is for the string-valued datatypes: string,
// external-id, url, commonsMedia and the like.
func NewStringStatement(p, datatype, s string) Statement {
	return NewStatement(p, datatype, StringValue(s))
}

// NewTimeStatement says property p has date t.
func NewTimeStatement(p string, t Time) Statement {
	return NewStatement(p, "time", TimeValue(t))
}

// NewQuantityStatement says property p has amount (a decimal) in unit (an
// entity IRI, or "" or "1" for none).
func NewQuantityStatement(p, amount, unit string) Statement {
	return NewStatement(p, "quantity", QuantityValue(amount, unit))
}

// NewMonolingualStatement says property p has text in language lang.
func NewMonolingualStatement(p, text, lang string) Statement {
	return NewStatement(p, "monolingualtext", MonolingualValue(text, lang))
}

// NewCoordinateStatement says property p has a position on Earth.
func NewCoordinateStatement(p string, lat, lon, precision float64) Statement {
	return NewStatement(p, "globe-coordinate", CoordinateValue(lat, lon, precision))
}

// Properties Partnerhub uses in references.
const (
	PropStatedIn     = "P248"
	PropReferenceURL = "P854"
	PropRetrieved    = "P813"
)

// NewReference groups snaks into one reference, keeping their order.
func NewReference(snaks ...Snak) Reference {
	r := Reference{Snaks: map[string][]Snak{}}
	for _, s := range snaks {
		if _, seen := r.Snaks[s.Property]; !seen {
			r.SnaksOrder = append(r.SnaksOrder, s.Property)
		}
		r.Snaks[s.Property] = append(r.Snaks[s.Property], s)
	}
	return r
}

// StatedIn is a "stated in" (P248) reference snak.
func StatedIn(qid string) Snak { return ValueSnak(PropStatedIn, "wikibase-item", ItemValue(qid)) }

// ReferenceURL is a "reference URL" (P854) reference snak.
func ReferenceURL(u string) Snak { return ValueSnak(PropReferenceURL, "url", StringValue(u)) }

// Retrieved is a "retrieved" (P813) reference snak at day precision.
func Retrieved(day time.Time) Snak {
	d := day.UTC()
	t := Time{Time: "+" + d.Format("2006-01-02") + "T00:00:00Z", Precision: PrecisionDay, CalendarModel: Gregorian}
	return ValueSnak(PropRetrieved, "time", TimeValue(t))
}

// EntityID is the value of a wikibase-entityid.
type EntityID struct {
	EntityType string `json:"entity-type"`
	NumericID  int64  `json:"numeric-id,omitempty"`
	ID         string `json:"id,omitempty"`
}

// Key is the entity's id; older JSON carries only the numeric id.
func (e EntityID) Key() string {
	if e.ID != "" {
		return e.ID
	}
	if e.NumericID == 0 {
		return ""
	}
	prefix := "Q"
	switch e.EntityType {
	case "property":
		prefix = "P"
	case "lexeme":
		prefix = "L"
	}
	return prefix + strconv.FormatInt(e.NumericID, 10)
}

// IsItemID says whether s looks like an item id (Q42).
func IsItemID(s string) bool { return isID(s, 'Q') }

// IsPropertyID says whether s looks like a property id (P31).
func IsPropertyID(s string) bool { return isID(s, 'P') }

func isID(s string, prefix byte) bool {
	if len(s) < 2 || len(s) > 12 || s[0] != prefix || s[1] == '0' {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}
