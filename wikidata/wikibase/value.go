package wikibase

import (
	"encoding/json"

	"fmt"
	"math"
	"strconv"
	"strings"
)

// Data value types as they appear in `datavalue.type`.
const (
	TypeString          = "string"
	TypeEntityID        = "wikibase-entityid"
	TypeTime            = "time"
	TypeQuantity        = "quantity"
	TypeMonolingualText = "monolingualtext"
	TypeGlobeCoordinate = "globecoordinate"
)

// GregorianCalendar is the calendar model of every date Partnerhub writes.
const GregorianCalendar = "http://www.wikidata.org/entity/Q1985727"

// Time precisions used by Partnerhub.
const (
	PrecisionYear  = 9
	PrecisionMonth = 10
	PrecisionDay   = 11
)

// DataValue is a snak's value. Value holds string, EntityID, Time, Quantity, MonolingualText,
// GlobeCoordinate, or json.RawMessage for types Partnerhub does not know (kept as they came).
type DataValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// EntityID is the value of an item or property reference.
type EntityID struct {
	EntityType string `json:"entity-type"`
	NumericID  int64  `json:"numeric-id,omitempty"`
	ID         string `json:"id"`
}

// Time is a Wikibase time value; Time keeps the signed ISO form, e.g. "+1879-03-14T00:00:00Z".
type Time struct {
	Time          string `json:"time"`
	Timezone      int    `json:"timezone"`
	Before        int    `json:"before"`
	After         int    `json:"after"`
	Precision     int    `json:"precision"`
	CalendarModel string `json:"calendarmodel"`
}

// Quantity is a Wikibase quantity; Unit is "1" for unitless or the unit item's IRI.
type Quantity struct {
	Amount     string `json:"amount"`
	Unit       string `json:"unit"`
	UpperBound string `json:"upperBound,omitempty"`
	LowerBound string `json:"lowerBound,omitempty"`
}

// MonolingualText is a text in one language.
type MonolingualText struct {
	Text     string `json:"text"`
	Language string `json:"language"`
}

// GlobeCoordinate is a position on a globe.
type GlobeCoordinate struct {
	Latitude  float64  `json:"latitude"`
	Longitude float64  `json:"longitude"`
	Altitude  *float64 `json:"altitude"`
	Precision float64  `json:"precision"`
	Globe     string   `json:"globe"`
}

// UnmarshalJSON decodes Value into the Go type matching Type.
func (d *DataValue) UnmarshalJSON(b []byte) error {
	var aux struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	d.Type = aux.Type
	var err error
	switch aux.Type {
	case TypeString:
		var s string
		err = json.Unmarshal(aux.Value, &s)
		d.Value = s
	case TypeEntityID:
		var v EntityID
		err = json.Unmarshal(aux.Value, &v)
		d.Value = v
	case TypeTime:
		var v Time
		err = json.Unmarshal(aux.Value, &v)
		d.Value = v
	case TypeQuantity:
		var v Quantity
		err = json.Unmarshal(aux.Value, &v)
		d.Value = v
	case TypeMonolingualText:
		var v MonolingualText
		err = json.Unmarshal(aux.Value, &v)
		d.Value = v
	case TypeGlobeCoordinate:
		var v GlobeCoordinate
		err = json.Unmarshal(aux.Value, &v)
		d.Value = v
	default:
		d.Value = aux.Value
	}
	if err != nil {
		return fmt.Errorf("decode %s value: %w", aux.Type, err)
	}
	return nil
}

// ItemValue is a reference to an item, e.g. ItemValue("Q42").
func ItemValue(qid string) DataValue {
	n, _ := strconv.ParseInt(strings.TrimPrefix(qid, "Q"), 10, 64)
	return DataValue{Type: TypeEntityID, Value: EntityID{EntityType: "item", NumericID: n, ID: qid}}
}

// StringValue is the value of string, external-id, url and commonsMedia properties.
func StringValue(s string) DataValue { return DataValue{Type: TypeString, Value: s} }

// TimeValue wraps a Time, defaulting the calendar to Gregorian.
func TimeValue(t Time) DataValue {
	if t.CalendarModel == "" {
		t.CalendarModel = GregorianCalendar
	}
	return DataValue{Type: TypeTime, Value: t}
}

// QuantityValue is an amount such as "12" or "+12.5"; an empty unitIRI means unitless ("1").
func QuantityValue(amount, unitIRI string) DataValue {
	if !strings.HasPrefix(amount, "+") && !strings.HasPrefix(amount, "-") {
		amount = "+" + amount
	}
	if unitIRI == "" {
		unitIRI = "1"
	}
	return DataValue{Type: TypeQuantity, Value: Quantity{Amount: amount, Unit: unitIRI}}
}

// MonolingualValue is a text in a language.
func MonolingualValue(text, lang string) DataValue {
	return DataValue{Type: TypeMonolingualText, Value: MonolingualText{Text: text, Language: lang}}
}

// ParseTime reads "1879", "1879-03", "1879-03-14" or the Wikibase form "+1879-03-14T00:00:00Z",
// with an optional sign; the precision follows from the form (year, month, day).
func ParseTime(s string) (Time, error) {
	orig := s
	s = strings.TrimSpace(s)
	sign := "+"
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		sign, s = s[:1], s[1:]
	}
	wikibaseForm := false
	if date, rest, ok := strings.Cut(s, "T"); ok {
		if rest != "00:00:00Z" {
			return Time{}, fmt.Errorf("not a date: %q (only midnight UTC times are supported)", orig)
		}
		s, wikibaseForm = date, true
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || parts[0] == "" {
		return Time{}, fmt.Errorf("not a date: %q", orig)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		if p == "" || len(p) > 16 {
			return Time{}, fmt.Errorf("not a date: %q", orig)
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return Time{}, fmt.Errorf("not a date: %q", orig)
			}
		}
		if i > 0 && len(p) != 2 {
			return Time{}, fmt.Errorf("not a date: %q (month and day need two digits)", orig)
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return Time{}, fmt.Errorf("not a date: %q", orig)
		}
		nums[i] = n
	}
	year, month, day := nums[0], nums[1], nums[2]
	if year == 0 {
		return Time{}, fmt.Errorf("not a date: %q (there is no year 0)", orig)
	}
	prec := PrecisionYear + len(parts) - 1
	if wikibaseForm {
		// The Wikibase form writes 00 for the parts that the precision leaves out.
		switch {
		case month == 0 && day == 0:
			prec = PrecisionYear
		case day == 0:
			prec = PrecisionMonth
		default:
			prec = PrecisionDay
		}
	}
	if prec >= PrecisionMonth && (month < 1 || month > 12) {
		return Time{}, fmt.Errorf("not a date: %q (month %d does not exist)", orig, month)
	}
	if prec == PrecisionDay {
		if day < 1 || day > daysIn(year, month, sign == "-") {
			return Time{}, fmt.Errorf("not a date: %q (day %d does not exist in month %d)", orig, day, month)
		}
	}
	return Time{
		Time:          fmt.Sprintf("%s%04d-%02d-%02dT00:00:00Z", sign, year, month, day),
		Precision:     prec,
		CalendarModel: GregorianCalendar,
	}, nil
}

func daysIn(year, month int, bce bool) int {
	switch month {
	case 2:
		y := year
		if bce {
			// Proleptic Gregorian: 1 BCE is astronomical year 0, a leap year.
			y = 1 - year
		}
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// SameValue reports whether two values are the same for deduplication: an equal value in
// any form Wikibase may store it (e.g. "+12" and "12", Q-ids regardless of numeric-id).
func SameValue(a, b DataValue) bool {
	if a.Type != b.Type {
		return false
	}
	switch av := a.Value.(type) {
	case string:
		bv, ok := b.Value.(string)
		return ok && av == bv
	case EntityID:
		bv, ok := b.Value.(EntityID)
		return ok && entityKey(av) == entityKey(bv)
	case Time:
		bv, ok := b.Value.(Time)
		return ok && normTime(av.Time, av.Precision) == normTime(bv.Time, bv.Precision) &&
			av.Precision == bv.Precision && av.CalendarModel == bv.CalendarModel
	case Quantity:
		bv, ok := b.Value.(Quantity)
		return ok && normAmount(av.Amount) == normAmount(bv.Amount) && av.Unit == bv.Unit
	case MonolingualText:
		bv, ok := b.Value.(MonolingualText)
		return ok && av == bv
	case GlobeCoordinate:
		bv, ok := b.Value.(GlobeCoordinate)
		if !ok || av.Globe != bv.Globe || av.Precision != bv.Precision {
			return false
		}
		tol := av.Precision / 2
		if tol == 0 {
			tol = 1e-9
		}
		return math.Abs(av.Latitude-bv.Latitude) <= tol && math.Abs(av.Longitude-bv.Longitude) <= tol
	case json.RawMessage:
		bv, ok := b.Value.(json.RawMessage)
		return ok && string(av) == string(bv)
	}
	return false
}

func entityKey(e EntityID) string {
	if e.ID != "" {
		return e.ID
	}
	prefix := "Q"
	if e.EntityType == "property" {
		prefix = "P"
	}
	return prefix + strconv.FormatInt(e.NumericID, 10)
}

// normTime blanks the parts of the timestamp below the precision, which Wikibase ignores.
func normTime(t string, prec int) string {
	p, err := ParseTime(t)
	if err != nil {
		return t
	}
	s := p.Time
	i := strings.Index(s[1:], "-") + 1
	if i <= 0 {
		return s
	}
	switch {
	case prec <= PrecisionYear:
		return s[:i] + "-00-00T00:00:00Z"
	case prec == PrecisionMonth:
		return s[:i+3] + "-00T00:00:00Z"
	}
	return s
}

func normAmount(a string) string {
	a = strings.TrimPrefix(a, "+")
	if strings.Contains(a, ".") {
		a = strings.TrimRight(a, "0")
		a = strings.TrimSuffix(a, ".")
	}
	if a == "-0" || a == "" {
		a = "0"
	}
	return a
}
