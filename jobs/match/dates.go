package match

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A catalogue date is read as an interval of years (or, for an exact date,
// one day) with a note of how it was written, because catalogues write
// dates as people do: "c. 1650", "1650s", "1648–1652", "before 1700",
// "17th century". TEMPLATE.md lists the forms.
type dateSpan struct {
	from, to int  // years, inclusive
	exact    date // for YYYY, YYYY-MM, YYYY-MM-DD: the date itself
	isExact  bool
	approx   bool   // "c.", "ca.", "?", "omkring": the true year may lie a little outside
	text     string // how the span is shown in evidence
}

// width is the span's number of years.
func (s dateSpan) width() int { return s.to - s.from + 1 }

var (
	spanCirca   = regexp.MustCompile(`(?i)^(?:circa|cca|ca|c|approx|omkring|omkr|um|verso|vers|rond|ongeveer|ong|environ)\.?\s*`)
	spanBefore  = regexp.MustCompile(`(?i)^(?:before|bef|by|före|innan|vor|avant|voor|prima del|ante|until|till)\.?\s+`)
	spanAfter   = regexp.MustCompile(`(?i)^(?:after|aft|efter|nach|après|apres|na|dopo il|dopo|post|from|från)\.?\s+`)
	spanRange   = regexp.MustCompile(`^(\d{3,4})\s*(?:[-–—/]|to|till|bis|à|tot|-|until)\s*(\d{1,4})$`)
	spanDecade  = regexp.MustCompile(`(?i)^(\d{2,3})0\s*(?:s|'s|-talet|er|er jahre|er-jahre)$`)
	spanCentury = regexp.MustCompile(`(?i)^(\d{1,2})(?:st|nd|rd|th|\.|e|de|ste|ème|eme|°)?\s*(?:c|cent|century|jh|jahrhundert|jahrh|eeuw|siècle|siecle|secolo|sec)\.?$`)
	spanSvCent  = regexp.MustCompile(`(?i)^(\d{1,2})00-talet$`)
	spanRomanC  = regexp.MustCompile(`(?i)^([ivxl]{1,6})(?:e|ème|eme|°)?\s*(?:siècle|siecle|secolo|sec|s|century|c)\.?$`)
	spanPart    = regexp.MustCompile(`(?i)^(early|mid|late|first half of( the)?|second half of( the)?|anfang|mitte|ende|början av|mitten av|slutet av|début|milieu|fin)\s*-?\s*`)
	spanQuery   = regexp.MustCompile(`\s*\?$`)
)

// parseDateSpan reads a catalogue date; ok is false for text that is not
// one (reported to the reviewer as "not a date", never silently dropped).
func parseDateSpan(s string) (dateSpan, bool) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "[]()"))
	if s == "" {
		return dateSpan{}, false
	}
	text := s
	approx := false
	if spanQuery.MatchString(s) {
		approx, s = true, strings.TrimSpace(spanQuery.ReplaceAllString(s, ""))
	}
	if m := spanCirca.FindString(s); m != "" && len(m) < len(s) && (strings.HasSuffix(m, ".") || strings.HasSuffix(m, " ") || strings.IndexFunc(s[len(m):], isDigitRune) == 0) {
		approx, s = true, strings.TrimSpace(s[len(m):])
	}
	if m := spanBefore.FindString(s); m != "" {
		if sp, ok := parseDateSpan(s[len(m):]); ok {
			return dateSpan{from: sp.from - 100, to: sp.from, approx: true, text: text}, true
		}
		return dateSpan{}, false
	}
	if m := spanAfter.FindString(s); m != "" {
		if sp, ok := parseDateSpan(s[len(m):]); ok {
			return dateSpan{from: sp.to, to: sp.to + 100, approx: true, text: text}, true
		}
		return dateSpan{}, false
	}
	if d, ok := parseDate(s); ok {
		if approx { // "c. 1650": a few years either way
			return dateSpan{from: d.year - 2, to: d.year + 2, approx: true, text: text}, true
		}
		return dateSpan{from: d.year, to: d.year, exact: d, isExact: true, text: text}, true
	}
	if m := spanRange.FindStringSubmatch(s); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		if len(m[2]) < len(m[1]) { // "1648-52"
			p := 1
			for range len(m[2]) {
				p *= 10
			}
			b = a - a%p + b
		}
		if b < a || b-a > 300 {
			return dateSpan{}, false
		}
		return dateSpan{from: a, to: b, approx: approx, text: text}, true
	}
	if m := spanSvCent.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return dateSpan{from: n * 100, to: n*100 + 99, approx: true, text: text}, true
	}
	if m := spanDecade.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		if d%10 == 0 && len(m[1]) == 3 && strings.HasSuffix(strings.ToLower(s), "00s") {
			// "1600s" is said of a century more often than of a decade.
			return dateSpan{from: d * 10, to: d*10 + 99, approx: approx, text: text}, true
		}
		return dateSpan{from: d * 10, to: d*10 + 9, approx: approx, text: text}, true
	}
	part := ""
	if m := spanPart.FindString(s); m != "" {
		part, s = strings.ToLower(strings.TrimSpace(m)), strings.TrimSpace(s[len(m):])
		s = strings.TrimPrefix(strings.TrimPrefix(s, "the "), "of ")
	}
	c := 0
	if m := spanCentury.FindStringSubmatch(s); m != nil {
		c, _ = strconv.Atoi(m[1])
	} else if m := spanSvCent.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		c = n + 1
	} else if m := spanRomanC.FindStringSubmatch(s); m != nil {
		c = romanValue(m[1])
	}
	if c < 1 || c > 21 {
		return dateSpan{}, false
	}
	from, to := (c-1)*100, (c-1)*100+99
	switch {
	case part == "":
	case strings.HasPrefix(part, "early") || part == "anfang" || part == "början av" || part == "début":
		to = from + 40
	case strings.HasPrefix(part, "mid") || part == "mitte" || part == "mitten av" || part == "milieu":
		from, to = from+30, from+70
	case strings.HasPrefix(part, "late") || part == "ende" || part == "slutet av" || part == "fin":
		from = from + 60
	case strings.HasPrefix(part, "first"):
		to = from + 50
	case strings.HasPrefix(part, "second"):
		from = from + 50
	}
	return dateSpan{from: from, to: to, approx: true, text: text}, true
}

func isDigitRune(r rune) bool { return r >= '0' && r <= '9' }

func romanValue(s string) int {
	vals := map[rune]int{'i': 1, 'v': 5, 'x': 10, 'l': 50}
	total, prev := 0, 0
	rs := []rune(strings.ToLower(s))
	for i := len(rs) - 1; i >= 0; i-- {
		v := vals[rs[i]]
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	return total
}

// dateVerdict is how an item's date relates to a row's span.
type dateVerdict int

const (
	dateUnknown  dateVerdict = iota
	dateAgrees               // same date at the row's precision, or a year inside a narrow span
	dateInside               // inside a wide span (a decade, a century): consistent, weak evidence
	dateNear                 // one year off a year, or just outside an approximate span: weak disagreement
	dateConflict             // clearly another date
)

// spanSlack is how far outside an approximate span ("c. 1650") a date
// still counts as near rather than in conflict: catalogues' "circa" means
// a few years either way.
const spanSlack = 5

// compareSpan compares an item's date (Wikibase's "1650-01-01T00:00:00Z";
// a January 1st is taken as a year only) with a row's span.
func compareSpan(row dateSpan, item date) dateVerdict {
	if row.isExact {
		if row.exact.agrees(item) {
			return dateAgrees
		}
		if row.exact.precision == 1 || item.precision == 1 {
			if abs(row.exact.year-item.year) == 1 {
				return dateNear
			}
		}
		return dateConflict
	}
	y := item.year
	slack := 0
	if row.approx {
		slack = spanSlack
	}
	switch {
	case y >= row.from && y <= row.to:
		if row.width() <= 5 {
			return dateAgrees
		}
		return dateInside
	case y >= row.from-1-slack && y <= row.to+1+slack:
		return dateNear
	}
	return dateConflict
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// String shows a span as evidence: the row's own text and the years read.
func (s dateSpan) String() string {
	if s.isExact {
		return s.exact.String()
	}
	if s.from == s.to {
		return fmt.Sprintf("%q (%d)", s.text, s.from)
	}
	return fmt.Sprintf("%q (%d–%d)", s.text, s.from, s.to)
}
