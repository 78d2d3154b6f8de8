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
	"fmt"
	"strings"
)

// Entity is an item (or other entity) as wbgetentities returns it.
type Entity struct {
	ID           string                 `json:"id"`
	Type         string                 `json:"type,omitempty"`
	Title        string                 `json:"title,omitempty"`
	LastRevID    int64                  `json:"lastrevid,omitempty"`
	Labels       map[string]Term        `json:"labels,omitempty"`
	Descriptions map[string]Term        `json:"descriptions,omitempty"`
	Aliases      map[string][]Term      `json:"aliases,omitempty"`
	Claims       map[string][]Statement `json:"claims,omitempty"`
	Sitelinks    json.RawMessage        `json:"sitelinks,omitempty"`
	Missing      bool                   `json:"-"`
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
	e.Missing = len(aux.Missing) > 0 && string(aux.Missing) != "false"
	return nil
}

// Term is a label, description or alias in one language.
type Term struct {
	Language string `json:"language"`
	Value    string `json:"value"`
}

// Statement is a claim with its rank, qualifiers and references. Raw keeps
// the statement as read, so that re-sending it (to add a reference) changes
// nothing else on it.
type Statement struct {
	ID         string          `json:"id,omitempty"`
	Type       string          `json:"type"`
	MainSnak   Snak            `json:"mainsnak"`
	Rank       string          `json:"rank"`
	Qualifiers json.RawMessage `json:"qualifiers,omitempty"`
	QualOrder  json.RawMessage `json:"qualifiers-order,omitempty"`
	References []Reference     `json:"references,omitempty"`
}

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

// DataValue is a typed value; Value is kept as JSON and read by type.
type DataValue struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// EntityID is the value of a wikibase-entityid.
type EntityID struct {
	EntityType string `json:"entity-type"`
	NumericID  int64  `json:"numeric-id,omitempty"`
	ID         string `json:"id"`
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
	return fmt.Sprintf("%s%d", prefix, e.NumericID)
}

// Time is the value of a time.
type Time struct {
	Time          string `json:"time"`
	Timezone      int    `json:"timezone"`
	Before        int    `json:"before"`
	After         int    `json:"after"`
	Precision     int    `json:"precision"`
	CalendarModel string `json:"calendarmodel"`
}

// Quantity is the value of a quantity.
type Quantity struct {
	Amount     string `json:"amount"`
	Unit       string `json:"unit"`
	UpperBound string `json:"upperBound,omitempty"`
	LowerBound string `json:"lowerBound,omitempty"`
}

// Monolingual is the value of a monolingualtext.
type Monolingual struct {
	Text     string `json:"text"`
	Language string `json:"language"`
}

// Coordinate is the value of a globecoordinate.
type Coordinate struct {
	Latitude  float64  `json:"latitude"`
	Longitude float64  `json:"longitude"`
	Precision *float64 `json:"precision"`
	Globe     string   `json:"globe"`
}

// Gregorian is the calendar model of dates Partnerhub writes.
const Gregorian = "http://www.wikidata.org/entity/Q1985727"

func mustValue(typ string, v any) *DataValue {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only for types that always marshal
	}
	return &DataValue{Type: typ, Value: b}
}

// StringValue is a string, external-id or url value.
func StringValue(s string) *DataValue { return mustValue("string", s) }

// ItemValue is a wikibase-entityid value for an item.
func ItemValue(qid string) *DataValue {
	var n int64
	fmt.Sscanf(strings.TrimPrefix(qid, "Q"), "%d", &n)
	return mustValue("wikibase-entityid", EntityID{EntityType: "item", NumericID: n, ID: qid})
}

// TimeValue is a Gregorian time value.
func TimeValue(t Time) *DataValue {
	if t.CalendarModel == "" {
		t.CalendarModel = Gregorian
	}
	return mustValue("time", t)
}

// QuantityValue is a unitless (unit "1") or unit-carrying quantity.
func QuantityValue(amount, unit string) *DataValue {
	if unit == "" {
		unit = "1"
	}
	if !strings.HasPrefix(amount, "+") && !strings.HasPrefix(amount, "-") {
		amount = "+" + amount
	}
	return mustValue("quantity", Quantity{Amount: amount, Unit: unit})
}

// ValueSnak builds a value snak.
func ValueSnak(property, datatype string, v *DataValue) Snak {
	return Snak{SnakType: "value", Property: property, DataType: datatype, DataValue: v}
}

// NewStatement builds a normal-rank statement without an id, for sending.
func NewStatement(property, datatype string, v *DataValue, refs ...Reference) Statement {
	return Statement{Type: "statement", MainSnak: ValueSnak(property, datatype, v), Rank: "normal", References: refs}
}

// String renders a value briefly for people.
func (v *DataValue) String() string {
	if v == nil {
		return "(no value)"
	}
	switch v.Type {
	case "string":
		var s string
		_ = json.Unmarshal(v.Value, &s)
		return s
	case "wikibase-entityid":
		var e EntityID
		_ = json.Unmarshal(v.Value, &e)
		return e.Key()
	case "time":
		var t Time
		_ = json.Unmarshal(v.Value, &t)
		return displayTime(t)
	case "quantity":
		var q Quantity
		_ = json.Unmarshal(v.Value, &q)
		s := strings.TrimPrefix(q.Amount, "+")
		if q.Unit != "1" && q.Unit != "" {
			s += " " + q.Unit[strings.LastIndexByte(q.Unit, '/')+1:]
		}
		return s
	case "monolingualtext":
		var m Monolingual
		_ = json.Unmarshal(v.Value, &m)
		return m.Text + " (" + m.Language + ")"
	case "globecoordinate":
		var c Coordinate
		_ = json.Unmarshal(v.Value, &c)
		return fmt.Sprintf("%g, %g", c.Latitude, c.Longitude)
	}
	return string(v.Value)
}

// displayTime shows a time at its precision: 1862, 1862-10 or 1862-10-26.
func displayTime(t Time) string {
	s := strings.TrimPrefix(t.Time, "+")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	date, _, _ := strings.Cut(s, "T")
	parts := strings.Split(date, "-")
	if len(parts) != 3 {
		return t.Time
	}
	year := strings.TrimLeft(parts[0], "0")
	if len(year) < 4 {
		year = strings.Repeat("0", 4-len(year)) + year
	}
	if neg {
		year = "-" + year
	}
	switch {
	case t.Precision <= 9:
		return year
	case t.Precision == 10:
		return year + "-" + parts[1]
	}
	return year + "-" + parts[1] + "-" + parts[2]
}
