package media

import (
	"strconv"
	"strings"
)

// EscapeWikitext makes a dataset value safe to put anywhere in a
// description page, in particular inside a template parameter: every
// character the wikitext preprocessor or parser would read as syntax is
// written as an HTML character reference, which the parser leaves alone and
// the browser shows as the character. So a value can neither end the
// template parameter (|, }}), open a template or link ({{, [[, [), add a tag
// (<), start bold or italics (”), sign (~~~), switch on a behaviour switch
// (__NOTOC__), nor start a list, heading or rule at a line start (its new
// lines are kept as character references, so the value stays on one line
// of wikitext).
func EscapeWikitext(v string) string {
	var b strings.Builder
	b.Grow(len(v) + len(v)/4)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '|':
			b.WriteString("&#124;")
		case '{':
			b.WriteString("&#123;")
		case '}':
			b.WriteString("&#125;")
		case '[':
			b.WriteString("&#91;")
		case ']':
			b.WriteString("&#93;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '~':
			b.WriteString("&#126;")
		case '_':
			b.WriteString("&#95;")
		case '=':
			b.WriteString("&#61;") // an unnamed parameter would become a named one
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			// dropped: \r\n is a new line already
		case '*', '#', ':', ';', '-', ' ':
			// only special at the start of a line, and a value never starts
			// one (new lines are references); but a value may be the first
			// thing on a pattern's line.
			if b.Len() == 0 {
				b.WriteString("&#" + strconv.Itoa(int(c)) + ";")
			} else {
				b.WriteByte(c)
			}
		default:
			if c < 0x20 || c == 0x7F {
				continue // control characters: MediaWiki would strip or refuse them
			}
			b.WriteByte(c)
		}
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
