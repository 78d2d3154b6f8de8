package sparql

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidTerm is returned for input that cannot be made into a safe term.
var ErrInvalidTerm = errors.New("invalid SPARQL term")

// Literal quotes s as a SPARQL string literal. Every character that could end
// the literal or that SPARQL forbids raw (quote, backslash, line breaks,
// other control characters) is escaped, so no input can break out of it.
// Invalid UTF-8 bytes are replaced by U+FFFD: a query is UTF-8 text.
func Literal(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

var langTag = regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)

// LangLiteral quotes s as a language-tagged literal, "s"@lang.
func LangLiteral(s, lang string) (string, error) {
	if !langTag.MatchString(lang) {
		return "", fmt.Errorf("%w: %q is not a language tag", ErrInvalidTerm, lang)
	}
	return Literal(s) + "@" + lang, nil
}

// TypedLiteral quotes s as a literal of the given datatype, "s"^^<datatype>.
func TypedLiteral(s, datatypeIRI string) (string, error) {
	dt, err := IRI(datatypeIRI)
	if err != nil {
		return "", err
	}
	return Literal(s) + "^^" + dt, nil
}

// IRI wraps iri in angle brackets after checking it has a scheme and none of
// the characters SPARQL's IRIREF forbids (<>"{}|^`\ and 0x00-0x20); there is
// no escaping inside an IRIREF, so anything else is refused.
func IRI(iri string) (string, error) {
	if iri == "" || !utf8.ValidString(iri) {
		return "", fmt.Errorf("%w: empty or not UTF-8 IRI", ErrInvalidTerm)
	}
	// A whitelist, not a blacklist: RFC 3986's characters, and letters,
	// digits and marks beyond ASCII (all within RFC 3987's ucschar).
	for _, r := range iri {
		ok := r < 0x80 && (('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r))
		if r >= 0x80 {
			ok = unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
		}
		if !ok {
			return "", fmt.Errorf("%w: IRI %q contains %q", ErrInvalidTerm, iri, r)
		}
	}
	if strings.Count(iri, "#") > 1 {
		return "", fmt.Errorf("%w: IRI %q has more than one fragment", ErrInvalidTerm, iri)
	}
	colon := strings.IndexByte(iri, ':')
	if colon < 1 || !schemeRE.MatchString(iri[:colon]) {
		return "", fmt.Errorf("%w: IRI %q has no scheme", ErrInvalidTerm, iri)
	}
	// Engines check IRIs against RFC 3987: percent signs must start an
	// escape, and the authority and path must parse.
	for i := 0; i < len(iri); i++ {
		if iri[i] == '%' && (i+2 >= len(iri) || !isHex(iri[i+1]) || !isHex(iri[i+2])) {
			return "", fmt.Errorf("%w: IRI %q has a %% that starts no %%XX escape", ErrInvalidTerm, iri)
		}
	}
	u, err := url.Parse(iri)
	if err != nil || (u.Host != "" && u.Port() != "" && !allDigits(u.Port())) {
		return "", fmt.Errorf("%w: IRI %q does not parse", ErrInvalidTerm, iri)
	}
	// Square brackets belong only around an IPv6 host.
	rest := strings.Replace(iri, "["+strings.TrimSuffix(strings.TrimPrefix(u.Hostname(), "["), "]")+"]", "", 1)
	if strings.ContainsAny(rest, "[]") {
		return "", fmt.Errorf("%w: IRI %q has square brackets outside an IPv6 host", ErrInvalidTerm, iri)
	}
	return "<" + iri + ">", nil
}

var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*$`)

var entityID = regexp.MustCompile(`^[QPL][1-9][0-9]{0,11}$`)

// ValidEntityID says whether id looks like a Wikibase entity id (Q, P or L).
func ValidEntityID(id string) bool { return entityID.MatchString(id) }

// PrefixedEntity builds the IRI of a Wikibase entity from the prefix its
// Wikibase uses, e.g. ("http://www.wikidata.org/entity/", "Q42").
func PrefixedEntity(prefixIRI, id string) (string, error) {
	if !entityID.MatchString(id) {
		return "", fmt.Errorf("%w: %q is not an entity id like Q42 or P31", ErrInvalidTerm, id)
	}
	return IRI(prefixIRI + id)
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValuesBlock builds `VALUES (?a ?b) { (x y) ... }` from terms that are
// already escaped (Literal, IRI, ...). An empty term is UNDEF. It panics on a
// malformed variable name, a programming error.
func ValuesBlock(vars []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("VALUES (")
	for i, v := range vars {
		if !varName.MatchString(v) {
			panic("sparql: bad variable name " + v)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("?" + v)
	}
	b.WriteString(") {\n")
	for _, row := range rows {
		b.WriteString("  (")
		for i := range vars {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i < len(row) && row[i] != "" {
				b.WriteString(row[i])
			} else {
				b.WriteString("UNDEF")
			}
		}
		b.WriteString(")\n")
	}
	b.WriteString("}")
	return b.String()
}

// Prefixes renders PREFIX declarations, sorted by name, for engines that
// predefine none (only WDQS predefines Wikidata's).
func Prefixes(p map[string]string) string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		iri, err := IRI(p[n])
		if err != nil || (n != "" && !varName.MatchString(n)) {
			panic(fmt.Sprintf("sparql: bad prefix %q: %q", n, p[n]))
		}
		fmt.Fprintf(&b, "PREFIX %s: %s\n", n, iri)
	}
	return b.String()
}

// Chunk splits xs into slices of at most n elements.
func Chunk[T any](xs []T, n int) [][]T {
	if n <= 0 {
		n = 1
	}
	var out [][]T
	for len(xs) > 0 {
		k := min(n, len(xs))
		out = append(out, xs[:k])
		xs = xs[k:]
	}
	return out
}

func isHex(b byte) bool {
	return ('0' <= b && b <= '9') || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
