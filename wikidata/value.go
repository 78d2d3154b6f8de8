package wikidata

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DataValue is a typed value. The value is kept as the JSON the wiki sent,
// so that a statement sent back is byte-for-byte what was read; the As...
// methods read it by type.
type DataValue struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// Value types (DataValue.Type).
const (
	TypeString          = "string"
	TypeEntityID        = "wikibase-entityid"
	TypeTime            = "time"
	TypeQuantity        = "quantity"
	TypeMonolingualText = "monolingualtext"
	TypeGlobeCoordinate = "globecoordinate"
)

// Time is the value of a time. Time is "+1879-03-14T00:00:00Z"; fields
// finer than the precision are zero (or ignored by Wikibase).
type Time struct {
	Time          string `json:"time"`
	Timezone      int    `json:"timezone"`
	Before        int    `json:"before"`
	After         int    `json:"after"`
	Precision     int    `json:"precision"`
	CalendarModel string `json:"calendarmodel"`
}

// Time precisions Partnerhub reads and writes.
const (
	PrecisionYear  = 9
	PrecisionMonth = 10
	PrecisionDay   = 11
)

// Gregorian is the calendar model of dates Partnerhub writes.
const Gregorian = "http://www.wikidata.org/entity/Q1985727"

// Earth is the globe of coordinates Partnerhub writes.
const Earth = "http://www.wikidata.org/entity/Q2"

// Quantity is the value of a quantity. Amounts are decimal strings with a
// sign ("+12.5"); Unit is an entity IRI or "1" for none.
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

// Coordinate is the value of a globecoordinate. Precision is in degrees;
// old statements may have none (null).
type Coordinate struct {
	Latitude  float64  `json:"latitude"`
	Longitude float64  `json:"longitude"`
	Altitude  *float64 `json:"altitude"`
	Precision *float64 `json:"precision"`
	Globe     string   `json:"globe"`
}

func valueOf(typ string, v any) DataValue {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the fixed struct types above get here, and they always marshal.
		panic(fmt.Sprintf("wikidata: marshal %s value: %v", typ, err))
	}
	return DataValue{Type: typ, Value: b}
}

// StringValue is a value of the string datatypes (string, external-id, url,
// commonsMedia...).
func StringValue(s string) DataValue { return valueOf(TypeString, s) }

// ItemValue is a wikibase-entityid value for an item.
func ItemValue(qid string) DataValue {
	n, _ := strconv.ParseInt(strings.TrimPrefix(qid, "Q"), 10, 64)
	return valueOf(TypeEntityID, EntityID{EntityType: "item", NumericID: n, ID: qid})
}

// TimeValue is a time value; an empty calendar model means Gregorian.
func TimeValue(t Time) DataValue {
	if t.CalendarModel == "" {
		t.CalendarModel = Gregorian
	}
	return valueOf(TypeTime, t)
}

// QuantityValue is a quantity without bounds; unit "" means none ("1").
func QuantityValue(amount, unit string) DataValue {
	if unit == "" {
		unit = "1"
	}
	if !strings.HasPrefix(amount, "+") && !strings.HasPrefix(amount, "-") {
		amount = "+" + amount
	}
	return valueOf(TypeQuantity, Quantity{Amount: amount, Unit: unit})
}

// MonolingualValue is text in one language.
func MonolingualValue(text, lang string) DataValue {
	return valueOf(TypeMonolingualText, Monolingual{Text: text, Language: lang})
}

// CoordinateValue is a position on Earth with a precision in degrees.
func CoordinateValue(lat, lon, precision float64) DataValue {
	return valueOf(TypeGlobeCoordinate, Coordinate{Latitude: lat, Longitude: lon, Precision: &precision, Globe: Earth})
}

func decodeAs[T any](v DataValue, typ string) (T, bool) {
	var out T
	if v.Type != typ || json.Unmarshal(v.Value, &out) != nil {
		return out, false
	}
	return out, true
}

// AsString reads a string value.
func (v DataValue) AsString() (string, bool) { return decodeAs[string](v, TypeString) }

// AsEntityID reads a wikibase-entityid value.
func (v DataValue) AsEntityID() (EntityID, bool) { return decodeAs[EntityID](v, TypeEntityID) }

// AsTime reads a time value.
func (v DataValue) AsTime() (Time, bool) { return decodeAs[Time](v, TypeTime) }

// AsQuantity reads a quantity value.
func (v DataValue) AsQuantity() (Quantity, bool) { return decodeAs[Quantity](v, TypeQuantity) }

// AsMonolingual reads a monolingualtext value.
func (v DataValue) AsMonolingual() (Monolingual, bool) {
	return decodeAs[Monolingual](v, TypeMonolingualText)
}

// AsCoordinate reads a globecoordinate value.
func (v DataValue) AsCoordinate() (Coordinate, bool) {
	return decodeAs[Coordinate](v, TypeGlobeCoordinate)
}

// String renders a value briefly for people.
func (v DataValue) String() string {
	switch v.Type {
	case TypeString:
		s, _ := v.AsString()
		return s
	case TypeEntityID:
		e, _ := v.AsEntityID()
		return e.Key()
	case TypeTime:
		t, _ := v.AsTime()
		return t.String()
	case TypeQuantity:
		q, _ := v.AsQuantity()
		s := strings.TrimPrefix(q.Amount, "+")
		if q.Unit != "1" && q.Unit != "" {
			s += " " + q.Unit[strings.LastIndexByte(q.Unit, '/')+1:]
		}
		return s
	case TypeMonolingualText:
		m, _ := v.AsMonolingual()
		return m.Text + " (" + m.Language + ")"
	case TypeGlobeCoordinate:
		c, _ := v.AsCoordinate()
		return fmt.Sprintf("%g, %g", c.Latitude, c.Longitude)
	}
	return string(v.Value)
}

// String shows a time at its precision: 1862, 1862-10 or 1862-10-26 (a
// coarser precision shows the year).
func (t Time) String() string {
	sign, y, m, d, ok := t.parts()
	if !ok {
		return t.Time
	}
	year := fmt.Sprintf("%04d", y)
	if sign == "-" {
		year = "-" + year
	}
	switch {
	case t.Precision <= PrecisionYear:
		return year
	case t.Precision == PrecisionMonth:
		return fmt.Sprintf("%s-%02d", year, m)
	}
	return fmt.Sprintf("%s-%02d-%02d", year, m, d)
}

// parts splits "+1879-03-14T00:00:00Z" into sign, year, month and day.
func (t Time) parts() (sign string, y int64, m, d int, ok bool) {
	s := t.Time
	if s == "" || (s[0] != '+' && s[0] != '-') {
		return "", 0, 0, 0, false
	}
	sign, s = s[:1], s[1:]
	date, _, _ := strings.Cut(s, "T")
	f := strings.Split(date, "-")
	if len(f) != 3 {
		return "", 0, 0, 0, false
	}
	y, err1 := strconv.ParseInt(f[0], 10, 64)
	mm, err2 := strconv.Atoi(f[1])
	dd, err3 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || err3 != nil || y < 0 {
		return "", 0, 0, 0, false
	}
	return sign, y, mm, dd, true
}

// key is the date as far as the precision reaches, for comparing.
func (t Time) keyAt(precision int) (string, bool) {
	sign, y, m, d, ok := t.parts()
	if !ok {
		return "", false
	}
	switch {
	case precision <= PrecisionYear:
		// Coarser than a year (decade, century...) compares the year as
		// written; Wikibase does the same for its duplicate check.
		return fmt.Sprintf("%s%d", sign, y), true
	case precision == PrecisionMonth:
		return fmt.Sprintf("%s%d-%d", sign, y, m), true
	}
	return fmt.Sprintf("%s%d-%d-%d", sign, y, m, d), true
}

// SameValue says whether two values are the same for avoiding duplicates:
// entity ids by id; strings exactly; times by date up to their (equal)
// precision and calendar; quantities by amount (as a number) and unit;
// monolingual text by text and language; coordinates by globe and position
// within the coarser precision.
func SameValue(a, b DataValue) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case TypeString:
		x, ok1 := a.AsString()
		y, ok2 := b.AsString()
		return ok1 && ok2 && x == y
	case TypeEntityID:
		x, ok1 := a.AsEntityID()
		y, ok2 := b.AsEntityID()
		return ok1 && ok2 && x.Key() != "" && x.Key() == y.Key()
	case TypeTime:
		x, ok1 := a.AsTime()
		y, ok2 := b.AsTime()
		if !ok1 || !ok2 || x.Precision != y.Precision || normIRI(x.CalendarModel) != normIRI(y.CalendarModel) {
			return false
		}
		kx, ok1 := x.keyAt(x.Precision)
		ky, ok2 := y.keyAt(y.Precision)
		return ok1 && ok2 && kx == ky
	case TypeQuantity:
		x, ok1 := a.AsQuantity()
		y, ok2 := b.AsQuantity()
		return ok1 && ok2 && sameDecimal(x.Amount, y.Amount) && normIRI(x.Unit) == normIRI(y.Unit)
	case TypeMonolingualText:
		x, ok1 := a.AsMonolingual()
		y, ok2 := b.AsMonolingual()
		return ok1 && ok2 && x == y
	case TypeGlobeCoordinate:
		x, ok1 := a.AsCoordinate()
		y, ok2 := b.AsCoordinate()
		if !ok1 || !ok2 || normIRI(x.Globe) != normIRI(y.Globe) {
			return false
		}
		p := 1e-9
		for _, q := range []*float64{x.Precision, y.Precision} {
			if q != nil && *q > p {
				p = *q
			}
		}
		return math.Abs(x.Latitude-y.Latitude) < p/2+1e-12 && math.Abs(x.Longitude-y.Longitude) < p/2+1e-12
	}
	return a.Type != "" && string(a.Value) == string(b.Value)
}

// CompatibleTime says whether a and b name the same date at the coarser of
// their precisions and in the same calendar: 1862 and 1862-10-26 are
// compatible, 1862 and 1863 are not.
func CompatibleTime(a, b DataValue) bool {
	x, ok1 := a.AsTime()
	y, ok2 := b.AsTime()
	if !ok1 || !ok2 || normIRI(x.CalendarModel) != normIRI(y.CalendarModel) {
		return false
	}
	p := min(x.Precision, y.Precision)
	kx, ok1 := x.keyAt(p)
	ky, ok2 := y.keyAt(p)
	return ok1 && ok2 && kx == ky
}

// normIRI treats http and https entity IRIs alike.
func normIRI(c string) string {
	return strings.TrimPrefix(strings.TrimPrefix(c, "https://"), "http://")
}

// sameDecimal compares Wikibase decimal strings ("+12.50" and "12.5" are
// the same). Wikibase amounts have no exponent; anything else is compared
// as written, rather than parsed with big.Rat, where "1e999999999" would
// take forever.
func sameDecimal(a, b string) bool {
	x, ok1 := canonicalDecimal(a)
	y, ok2 := canonicalDecimal(b)
	if !ok1 || !ok2 {
		return a == b
	}
	return x == y
}

func canonicalDecimal(s string) (string, bool) {
	sign := ""
	switch {
	case strings.HasPrefix(s, "-"):
		sign, s = "-", s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if !allDigits(whole) || (frac != "" && !allDigits(frac)) {
		return "", false
	}
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	if whole == "0" && frac == "" {
		sign = "" // -0 is 0
	}
	if frac != "" {
		return sign + whole + "." + frac, true
	}
	return sign + whole, true
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// ParseTime reads a date written the ISO way into a Gregorian time value:
// "1879" (year precision), "1879-03" (month), "1879-03-14" (day), each
// optionally signed ("-0044" is 45 BCE in ISO, but Wikibase counts -44 as
// 44 BCE, so the year is taken as written) and optionally followed by
// "T00:00:00Z". Years have 1 to 11 digits; year 0 does not exist. Other
// forms ("14 March 1879", "03/14/1879") are refused because their reading
// depends on the source's conventions: normalise them before.
func ParseTime(s string) (Time, error) {
	in := s
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "T00:00:00Z")
	sign := "+"
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	f := strings.Split(s, "-")
	if len(f) > 3 || !allDigits(f[0]) || len(f[0]) > 11 {
		return Time{}, fmt.Errorf("not a date (expected YYYY, YYYY-MM or YYYY-MM-DD): %q", in)
	}
	y, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || y == 0 {
		return Time{}, fmt.Errorf("not a year: %q", in)
	}
	m, d, prec := 0, 0, PrecisionYear
	if len(f) > 1 {
		if len(f[1]) != 2 || !allDigits(f[1]) {
			return Time{}, fmt.Errorf("not a month (expected two digits): %q", in)
		}
		m, _ = strconv.Atoi(f[1])
		if m < 1 || m > 12 {
			return Time{}, fmt.Errorf("month out of range: %q", in)
		}
		prec = PrecisionMonth
	}
	if len(f) > 2 {
		if len(f[2]) != 2 || !allDigits(f[2]) {
			return Time{}, fmt.Errorf("not a day (expected two digits): %q", in)
		}
		d, _ = strconv.Atoi(f[2])
		if d < 1 || d > daysIn[m] || (m == 2 && d == 29 && !leap(y, sign)) {
			return Time{}, fmt.Errorf("no such day: %q", in)
		}
		prec = PrecisionDay
	}
	return Time{Time: fmt.Sprintf("%s%04d-%02d-%02dT00:00:00Z", sign, y, m, d), Precision: prec, CalendarModel: Gregorian}, nil
}

func leap(y int64, sign string) bool {
	if sign == "-" {
		// Proleptic Gregorian with Wikibase's year numbering (no year 0):
		// 1 BCE is astronomical year 0.
		y = 1 - y
	}
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
