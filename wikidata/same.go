package wikidata

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// SameValue says whether two values are the same as Wikibase counts
// sameness for duplicates: item ids; strings exactly; times by date at
// their precision, precision and calendar; quantities by amount and unit;
// monolingual text by text and language; coordinates by position at the
// coarser precision and globe.
func SameValue(a, b *DataValue) bool {
	if a == nil || b == nil || a.Type != b.Type {
		return false
	}
	switch a.Type {
	case "string":
		var x, y string
		return json.Unmarshal(a.Value, &x) == nil && json.Unmarshal(b.Value, &y) == nil && x == y
	case "wikibase-entityid":
		var x, y EntityID
		return json.Unmarshal(a.Value, &x) == nil && json.Unmarshal(b.Value, &y) == nil && x.Key() == y.Key() && x.Key() != ""
	case "time":
		var x, y Time
		if json.Unmarshal(a.Value, &x) != nil || json.Unmarshal(b.Value, &y) != nil {
			return false
		}
		return x.Precision == y.Precision && normCalendar(x.CalendarModel) == normCalendar(y.CalendarModel) && displayTime(x) == displayTime(y)
	case "quantity":
		var x, y Quantity
		if json.Unmarshal(a.Value, &x) != nil || json.Unmarshal(b.Value, &y) != nil {
			return false
		}
		return sameDecimal(x.Amount, y.Amount) && x.Unit == y.Unit
	case "monolingualtext":
		var x, y Monolingual
		return json.Unmarshal(a.Value, &x) == nil && json.Unmarshal(b.Value, &y) == nil && x == y
	case "globecoordinate":
		var x, y Coordinate
		if json.Unmarshal(a.Value, &x) != nil || json.Unmarshal(b.Value, &y) != nil || x.Globe != y.Globe {
			return false
		}
		p := 1e-6
		for _, q := range []*float64{x.Precision, y.Precision} {
			if q != nil && *q > p {
				p = *q
			}
		}
		return math.Abs(x.Latitude-y.Latitude) < p/2+1e-12 && math.Abs(x.Longitude-y.Longitude) < p/2+1e-12
	}
	return string(a.Value) == string(b.Value)
}

// normCalendar treats http and https entity IRIs alike.
func normCalendar(c string) string {
	return strings.TrimPrefix(strings.TrimPrefix(c, "https://"), "http://")
}

func sameDecimal(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(strings.TrimPrefix(a, "+"))
	y, ok2 := new(big.Rat).SetString(strings.TrimPrefix(b, "+"))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// CompatibleTime says whether a (planned) and b (existing) are the same
// date at the coarser of their precisions: "1862" and "1862-10-26" are
// compatible, "1862" and "1863" are not.
func CompatibleTime(a, b *DataValue) bool {
	if a == nil || b == nil || a.Type != "time" || b.Type != "time" {
		return false
	}
	var x, y Time
	if json.Unmarshal(a.Value, &x) != nil || json.Unmarshal(b.Value, &y) != nil {
		return false
	}
	p := min(x.Precision, y.Precision)
	x.Precision, y.Precision = p, p
	return displayTime(x) == displayTime(y)
}

// TimePrecision returns a time value's precision (0 for other values).
func TimePrecision(v *DataValue) int {
	var t Time
	if v == nil || v.Type != "time" || json.Unmarshal(v.Value, &t) != nil {
		return 0
	}
	return t.Precision
}

// ParseDate reads "YYYY", "YYYY-MM" or "YYYY-MM-DD" (optionally signed)
// into a Gregorian time value at year, month or day precision.
func ParseDate(s string) (Time, error) {
	s = strings.TrimSpace(s)
	sign := "+"
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	s = strings.TrimPrefix(s, "+")
	parts := strings.Split(s, "-")
	if len(parts) < 1 || len(parts) > 3 {
		return Time{}, fmt.Errorf("not a date: %q", s)
	}
	var y, m, d int
	if _, err := fmt.Sscanf(parts[0], "%d", &y); err != nil || y <= 0 || len(parts[0]) > 11 {
		return Time{}, fmt.Errorf("not a date: %q", s)
	}
	prec := 9
	if len(parts) > 1 {
		if _, err := fmt.Sscanf(parts[1], "%d", &m); err != nil || m < 1 || m > 12 {
			return Time{}, fmt.Errorf("not a month: %q", s)
		}
		prec = 10
	}
	if len(parts) > 2 {
		if _, err := fmt.Sscanf(parts[2], "%d", &d); err != nil || d < 1 || d > 31 {
			return Time{}, fmt.Errorf("not a day: %q", s)
		}
		prec = 11
	}
	return Time{Time: fmt.Sprintf("%s%04d-%02d-%02dT00:00:00Z", sign, y, m, d), Precision: prec, CalendarModel: Gregorian}, nil
}
