package match

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldLetters are letters that Unicode does not decompose into a base
// letter and a mark, spelled the way they are written without diacritics.
var foldLetters = strings.NewReplacer(
	"ø", "o", "Ø", "o", "ł", "l", "Ł", "l", "đ", "d", "Đ", "d", "ð", "d", "Ð", "d",
	"æ", "ae", "Æ", "ae", "œ", "oe", "Œ", "oe", "þ", "th", "Þ", "th", "ı", "i",
)

var caseFold = cases.Fold()

// foldCherokee finishes what cases.Fold gets wrong: Unicode folds Cherokee
// to its capital letters (the script was unicameral first), but
// x/text's Fold maps U+13F0–13F5 and U+13A0–13EF to the small letters and
// the small letters back, so a key would never be a fixed point.
func foldCherokee(r rune) rune {
	if unicode.Is(unicode.Cherokee, r) {
		return unicode.ToUpper(r)
	}
	return r
}

// NameKey reduces a name to the form names are compared in: decomposed
// (NFKD) with the marks stripped, case-folded, punctuation turned into
// spaces, apostrophes dropped, whitespace collapsed. "René  Magritte" and
// "rene magritte" have the same key.
func NameKey(s string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)))
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
	}
	folded = strings.Map(foldCherokee, caseFold.String(foldLetters.Replace(folded)))
	var b strings.Builder
	space := false
	for _, r := range folded {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

var (
	parenthetical = regexp.MustCompile(`\s*[(\[][^()\[\]]*[)\]]`)
	spaces        = regexp.MustCompile(`\s+`)
)

// particles stay lower case in a Title Case variant ("Hilma af Klint").
var particles = map[string]bool{
	"af": true, "av": true, "von": true, "van": true, "der": true, "den": true, "de": true, "del": true,
	"della": true, "di": true, "da": true, "du": true, "la": true, "le": true, "y": true, "of": true, "zu": true, "ter": true, "ten": true,
}

// maxVariants bounds the literals one name becomes, which bounds the
// label queries' size.
const maxVariants = 6

// NameVariants are the spellings a name is looked up under as exact labels:
// the name tidied (NFC, whitespace collapsed), without parenthetical
// qualifiers ("Carl Larsson (painter)"), "Surname, Given" turned round, and
// case variants (Title Case with lower-case particles, plain Title Case)
// when the name is all lower or all upper case. Order is stable, the tidy
// name first; no duplicates.
func NameVariants(s string) []string {
	base := tidy(s)
	if base == "" {
		return nil
	}
	var out []string
	add := func(v string) {
		v = tidy(v)
		if v == "" || len(out) >= maxVariants {
			return
		}
		for _, o := range out {
			if o == v {
				return
			}
		}
		out = append(out, v)
	}
	forms := []string{base}
	if p := tidy(parenthetical.ReplaceAllString(base, "")); p != base {
		forms = append(forms, p)
	}
	for _, f := range forms {
		if surname, given, ok := strings.Cut(f, ","); ok && strings.Count(f, ",") == 1 && !strings.ContainsAny(f, "()[]") && strings.TrimSpace(given) != "" && strings.TrimSpace(surname) != "" {
			forms = append(forms, strings.TrimSpace(given)+" "+strings.TrimSpace(surname))
		}
	}
	for _, f := range forms {
		add(f)
	}
	for _, f := range forms {
		if f == strings.ToLower(f) || f == strings.ToUpper(f) {
			add(titleCase(f, true))
			add(titleCase(f, false))
		}
	}
	return out
}

func tidy(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(spaces.ReplaceAllString(s, " "))
}

// titleCase upper-cases the first letter of each word (and of each part of
// a hyphenated word), lower-casing the rest; with keepParticles, name
// particles other than the first word stay lower case.
func titleCase(s string, keepParticles bool) string {
	words := strings.Split(strings.ToLower(s), " ")
	for i, w := range words {
		if keepParticles && i > 0 && particles[w] {
			continue
		}
		parts := strings.Split(w, "-")
		for j, p := range parts {
			r := []rune(p)
			if len(r) > 0 {
				r[0] = unicode.ToUpper(r[0])
			}
			parts[j] = string(r)
		}
		words[i] = strings.Join(parts, "-")
	}
	return strings.Join(words, " ")
}

// lookupVariants are the spellings a label cell is looked up under as
// exact labels, by the form of its names (Column.Form).
func lookupVariants(s, form string) []string {
	var out []string
	add := func(v string) {
		v = tidy(v)
		if v != "" && !containsString(out, v) && len(out) < maxVariants+2 {
			out = append(out, v)
		}
	}
	switch form {
	case FormTitle:
		base := tidy(s)
		forms := []string{base}
		if p := tidy(parenthetical.ReplaceAllString(base, "")); p != base {
			forms = append(forms, p)
		}
		for _, f := range forms {
			add(f)
			if f == strings.ToUpper(f) || f == strings.ToLower(f) {
				add(sentenceCase(f))
			}
			if rest, ok := withoutArticle(f); ok {
				add(rest)
				add(upperFirst(rest))
			}
		}
		for _, f := range forms {
			add(sentenceCase(f))
		}
	case FormName:
		base := tidy(s)
		add(base)
		add(parenthetical.ReplaceAllString(base, ""))
		add(RepairCase(parenthetical.ReplaceAllString(base, "")))
	default:
		for _, v := range NameVariants(s) {
			add(v)
		}
		add(RepairCase(tidy(s)))
		add(DisplayName(s))
	}
	return out
}

// sentenceCase: the first letter upper case, the rest lower ("PORTRAIT OF
// A MAN" → "Portrait of a man"), as Wikidata's English labels of works
// are often written.
func sentenceCase(s string) string { return upperFirst(strings.ToLower(s)) }

func upperFirst(s string) string {
	r := []rune(s)
	for i, c := range r {
		if unicode.IsLetter(c) {
			r[i] = unicode.ToUpper(c)
			break
		}
	}
	return string(r)
}

// leadingArticles of titles in the languages partners catalogue in.
var leadingArticles = map[string]bool{
	"the": true, "a": true, "an": true, "der": true, "die": true, "das": true, "ein": true, "eine": true,
	"le": true, "la": true, "les": true, "un": true, "une": true, "het": true, "een": true, "de": true,
	"il": true, "lo": true, "gli": true, "uno": true, "una": true, "el": true, "los": true, "las": true,
	"en": true, "ett": true, "den": true, "det": true,
}

// withoutArticle drops a title's leading article ("The Mill" → "Mill",
// "L'Atelier" → "Atelier"); ok is false when there is none.
func withoutArticle(s string) (string, bool) {
	for _, el := range []string{"l'", "l’", "L'", "L’"} {
		if rest, ok := strings.CutPrefix(s, el); ok && rest != "" {
			return rest, true
		}
	}
	first, rest, ok := strings.Cut(s, " ")
	if !ok || !leadingArticles[strings.ToLower(first)] || strings.TrimSpace(rest) == "" {
		return s, false
	}
	return strings.TrimSpace(rest), true
}

// titleKey is a title's NameKey without its leading article.
func titleKey(s string) string {
	if rest, ok := withoutArticle(tidy(s)); ok {
		s = rest
	}
	return NameKey(s)
}

// idValue is an identifier cell without the words the column's
// strip_prefixes name ("Inv. 3383" → "3383").
func idValue(v string, c Column) string {
	v = strings.TrimSpace(v)
	for _, p := range c.StripPrefixes {
		p = strings.TrimSpace(p)
		if len(v) > len(p) && strings.EqualFold(v[:len(p)], p) {
			v = strings.TrimLeft(v[len(p):], " .:#\t")
			break
		}
	}
	return v
}

// looseKey is an identifier with case, spaces and punctuation ignored.
func looseKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// idSpellings are the spellings an identifier is looked up under: itself,
// and for a loose column the usual ways of writing it ("NM1234",
// "NM 1234", "NM-1234", upper case), since the lookup is exact.
func idSpellings(v string, c Column) []string {
	out := []string{v}
	compact := looseKey(v)
	if c.Spelling != SpellingLoose || compact == "" {
		return out
	}
	var spaced, hyphen strings.Builder
	prev := rune(0)
	for _, r := range compact {
		if prev != 0 && unicode.IsLetter(prev) != unicode.IsLetter(r) {
			spaced.WriteByte(' ')
			hyphen.WriteByte('-')
		}
		spaced.WriteRune(r)
		hyphen.WriteRune(r)
		prev = r
	}
	for _, s := range []string{strings.ToUpper(v), compact, spaced.String(), hyphen.String()} {
		if s != "" && !containsString(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// sameID compares identifiers as the column says: exact, or loose, where
// a letters-only prefix on one side is the collection's own ("3383" is
// the Nationalmuseum's "NM 3383").
func sameID(a, b string, c Column) bool {
	if c.Spelling != SpellingLoose {
		return a == b
	}
	ka, kb := looseKey(a), looseKey(b)
	if ka == "" || kb == "" {
		return false
	}
	if ka == kb {
		return true
	}
	if len(ka) < len(kb) {
		ka, kb = kb, ka
	}
	prefix, ok := strings.CutSuffix(ka, kb)
	return ok && strings.IndexFunc(prefix, unicode.IsDigit) < 0 && strings.IndexFunc(kb, unicode.IsDigit) == 0
}

func containsID(have []string, id idFact, c Column) bool {
	for _, h := range have {
		if sameID(h, id.Value, c) {
			return true
		}
	}
	return false
}
