package match

import (
	"regexp"
	"strings"
	"unicode"
)

// Life dates and qualifiers catalogues append to a name:
// "(1576–1650)", "[painter]", ", 1606-1669", ", b. 1850", ", fl. 1650",
// ", active 1640s", ", 1850-".
var (
	trailingLifeDates = regexp.MustCompile(`(?i)[,;]?\s*(?:(?:b|d|born|died|fl|floruit|active|verksam|född|död|geb|gest|né|née|c|ca|circa)\.?\s*)?\d{3,4}(?:s|\?)?(?:\s*[-–—/]\s*(?:(?:d|c|ca)\.?\s*)?\d{0,4}\??)?\s*$`)
	nameSuffix        = regexp.MustCompile(`(?i)^(jr|sr|junior|senior|d\.\s*ä|d\.\s*y|[ivx]{1,5})\.?$`)
	romanNumeral      = regexp.MustCompile(`^[IVXLC]{1,6}$`)
)

// DisplayName is the form of a person's name to show as a label: "Surname,
// Given" turned round ("Bergsten, Pehr (1576–1650)" → "Pehr Bergsten"),
// parenthetical qualifiers and trailing life dates removed, and the case of
// words written all in capitals (or a name all in lower case) repaired
// ("Olof BRÄNNSTEN" → "Olof Brännsten", "REMBRANDT" → "Rembrandt"), name
// particles lower case after the first word ("VAN GOGH, VINCENT" →
// "Vincent van Gogh"), initials and Roman numerals kept ("GUSTAV III").
// Words already in mixed case ("McNeil", "DeLillo") are left as written.
// A name that is nothing but qualifiers is returned tidied rather than
// emptied.
func DisplayName(s string) string {
	base := tidy(s)
	if base == "" {
		return ""
	}
	n := tidy(parenthetical.ReplaceAllString(base, " "))
	for {
		m := tidy(trailingLifeDates.ReplaceAllString(n, ""))
		if m == n || m == "" {
			break
		}
		n = m
	}
	n = strings.Trim(n, " ,;")
	if n == "" {
		return base
	}
	n = turnRound(n)
	return RepairCase(n)
}

// turnRound makes "Surname, Given" into "Given Surname"; "King, Martin
// Luther, Jr." becomes "Martin Luther King Jr.". Anything with more commas
// is a list or a title and is left alone.
func turnRound(s string) string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	switch {
	case len(parts) == 2 && parts[0] != "" && parts[1] != "" && !nameSuffix.MatchString(parts[1]):
		return parts[1] + " " + parts[0]
	case len(parts) == 2 && nameSuffix.MatchString(parts[1]):
		return parts[0] + " " + parts[1]
	case len(parts) == 3 && parts[0] != "" && parts[1] != "" && nameSuffix.MatchString(parts[2]):
		return parts[1] + " " + parts[0] + " " + parts[2]
	}
	return s
}

// RepairCase fixes the case of a name word by word: a word written all in
// capitals becomes Title Case (each part of "ANNA-KARIN" and "O'KEEFFE"
// too), except initials ("J.", "JMW" stays as written only when dotted)
// and Roman numerals; name particles other than the first word become
// lower case. A name entirely in lower case is title-cased the same way.
// Words in mixed case are kept: they were written with care.
func RepairCase(s string) string {
	words := strings.Fields(s)
	allLower := s == strings.ToLower(s) && s != strings.ToUpper(s)
	for i, w := range words {
		lw := strings.ToLower(w)
		upper := w == strings.ToUpper(w) && w != lw
		switch {
		case !upper && !(allLower && w == lw):
			continue // mixed case, or no letters
		case i > 0 && particles[strings.Trim(lw, ".,")]:
			words[i] = lw
		case upper && romanNumeral.MatchString(strings.Trim(w, ".,")) && i > 0:
			// "Gustav III", "Karl XII": kept.
		case upper && isInitials(w):
			// "J.", "J.M.W.": kept.
		default:
			words[i] = titleWord(lw)
		}
	}
	return strings.Join(words, " ")
}

// isInitials: one letter, or letters each followed by a dot ("J.M.W.").
func isInitials(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters <= 1 {
		return true
	}
	return strings.Count(w, ".") >= letters
}

// titleWord upper-cases the first letter of a lower-case word and of each
// part after a hyphen or an apostrophe ("o'keeffe" → "O'Keeffe").
func titleWord(w string) string {
	r := []rune(w)
	up := true
	for i, c := range r {
		if up && unicode.IsLetter(c) {
			r[i] = unicode.ToTitle(c)
			up = false
			continue
		}
		if c == '-' || ((c == '\'' || c == '’') && i == 1) {
			up = true
		}
	}
	return string(r)
}
