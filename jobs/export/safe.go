// Package export writes a job's enriched dataset for partners: the partner's
// columns unchanged plus what reconciliation and review found, streamed page
// by page so a million-row export never holds the file in memory, and safe to
// open in a spreadsheet.
package export

import (
	"regexp"
	"strings"
)

// plainNumber matches cells a spreadsheet reads as a number, never as a
// formula; they keep their sign so round-tripped data stays intact.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+([.,][0-9]+)?([eE][+-]?[0-9]+)?$`)

// SafeCell defuses spreadsheet formula injection: a cell starting with =, +,
// -, @, tab or carriage return is prefixed with a single quote (OWASP's advice),
// unless it is a plain number.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if (s[0] == '+' || s[0] == '-') && plainNumber.MatchString(s) {
			return s
		}
		return "'" + s
	}
	// Full-width look-alikes are read as formulas by some spreadsheets.
	if strings.HasPrefix(s, "＝") || strings.HasPrefix(s, "＋") || strings.HasPrefix(s, "－") || strings.HasPrefix(s, "＠") {
		return "'" + s
	}
	return s
}
