package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"partnerhub/jobs"
)

// maxString is Wikibase's limit on string values.
const maxString = 1500

var (
	dateRE    = regexp.MustCompile(`^([+-]?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$`)
	decimalRE = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)
	entityIRI = regexp.MustCompile(`^https?://[^/]+/(?:entity|wiki)/(Q[1-9]\d*)$`)
)

// NormaliseValue turns a partner's cell into the plan's form of a value of
// the given kind, or says clearly why it cannot be one. Dates become
// "YYYY[-MM[-DD]]/precision" (9 year, 10 month, 11 day).
func NormaliseValue(kind, raw string) (string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", nil
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("not valid text")
	}
	switch kind {
	case "external-id", "string":
		if utf8.RuneCountInString(v) > maxString {
			return "", fmt.Errorf("longer than %d characters", maxString)
		}
		if strings.ContainsAny(v, "\n\r\t") {
			return "", fmt.Errorf("contains a line break or tab")
		}
		return v, nil
	case "item":
		if m := entityIRI.FindStringSubmatch(v); m != nil {
			v = m[1]
		}
		v = strings.ToUpper(v)
		if !jobs.ValidQID(v) {
			return "", fmt.Errorf("%q is not an item id like Q42", raw)
		}
		return v, nil
	case "time":
		return normaliseDate(v)
	case "quantity":
		v = strings.ReplaceAll(v, ",", ".")
		if !decimalRE.MatchString(v) {
			return "", fmt.Errorf("%q is not a number", raw)
		}
		return strings.TrimPrefix(v, "+"), nil
	case "url":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(v, " \n") {
			return "", fmt.Errorf("%q is not an http(s) URL", raw)
		}
		if len(v) > maxString {
			return "", fmt.Errorf("URL longer than %d characters", maxString)
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}

func normaliseDate(v string) (string, error) {
	m := dateRE.FindStringSubmatch(v)
	if m == nil {
		// 1862-10-26T00:00:00Z and friends.
		if t, _, ok := strings.Cut(v, "T"); ok && dateRE.MatchString(t) {
			return normaliseDate(t)
		}
		return "", fmt.Errorf("%q is not a date (write 1862, 1862-10 or 1862-10-26)", v)
	}
	year, err := strconv.Atoi(m[1])
	if err != nil || year == 0 {
		return "", fmt.Errorf("%q has no year (there is no year 0)", v)
	}
	out := fmt.Sprintf("%04d", year)
	if year < 0 {
		out = fmt.Sprintf("-%04d", -year)
	}
	if m[2] == "" {
		return out + "/9", nil
	}
	month, _ := strconv.Atoi(m[2])
	if month < 1 || month > 12 {
		return "", fmt.Errorf("%q has month %d", v, month)
	}
	out += fmt.Sprintf("-%02d", month)
	if m[3] == "" {
		return out + "/10", nil
	}
	day, _ := strconv.Atoi(m[3])
	if day < 1 || day > daysIn(year, month) {
		return "", fmt.Errorf("%q has day %d, which month %d does not have", v, day, month)
	}
	return out + fmt.Sprintf("-%02d/11", day), nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
