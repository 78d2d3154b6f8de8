// Package suggest finds what a dataset column could mean on a Wikibase: the
// properties whose label or alias is the column's name (with the datatype
// deciding the column's kind), the properties whose format constraint the
// column's values meet, whether the values are dates, and items to use as
// the rows' type. The searches are plain functions over the Action API
// client, so the mapping page and a reconciliation service's suggest
// endpoints can share them.
package suggest

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"partnerhub/wikidata"
)

// Wiki is the part of the Action API client the searches use;
// *wikidata.Client is one.
type Wiki interface {
	SearchProperties(ctx context.Context, search, language string, limit int) ([]wikidata.PropertyHit, error)
	SearchEntities(ctx context.Context, search, language string, limit int) ([]wikidata.SearchHit, error)
	GetProperties(ctx context.Context, ids, languages []string) (map[string]*wikidata.Entity, error)
}

// Column kinds of the job template (see jobs/match).
const (
	KindExternalID = "external-id"
	KindTime       = "time"
	KindItem       = "item"
	KindString     = "string"
	KindQuantity   = "quantity"
	KindURL        = "url"
)

// KindOf is the column kind that values of a property with this datatype
// have, or "" when a mapping cannot use such a property.
func KindOf(datatype string) string {
	switch datatype {
	case "external-id":
		return KindExternalID
	case "time":
		return KindTime
	case "wikibase-item":
		return KindItem
	case "quantity":
		return KindQuantity
	case "url":
		return KindURL
	case "string", "commonsMedia", "math", "musical-notation", "geo-shape", "tabular-data":
		return KindString
	}
	return ""
}

// Property is a property as people choose it: what it is called, what it
// is for, and what kind of values it holds.
type Property struct {
	ID          string
	Label       string
	Description string
	Datatype    string
	Kind        string // KindOf(Datatype)
}

// Type is an item to use as the rows' class.
type Type struct {
	ID          string
	Label       string
	Description string
}

// SearchProperties finds properties by label or alias in language (with
// the wiki's fallback to other languages).
func SearchProperties(ctx context.Context, w Wiki, text, language string, limit int) ([]Property, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	hits, err := w.SearchProperties(ctx, text, language, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Property, 0, len(hits))
	for _, h := range hits {
		out = append(out, Property{ID: h.ID, Label: h.Label, Description: h.Description, Datatype: h.Datatype, Kind: KindOf(h.Datatype)})
	}
	return out, nil
}

// SearchTypes finds items to use as the rows' type (e.g. "human" finds Q5).
func SearchTypes(ctx context.Context, w Wiki, text, language string, limit int) ([]Type, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	hits, err := w.SearchEntities(ctx, text, language, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Type, 0, len(hits))
	for _, h := range hits {
		out = append(out, Type{ID: h.ID, Label: h.Label, Description: h.Description})
	}
	return out, nil
}

// Suggestion is a property a column could hold values of, and why.
type Suggestion struct {
	Property
	Reasons []string
	score   float64
}

// Column is what the suggester makes of one column.
type Column struct {
	Name string
	// Role is "label" when the column looks like the name to match.
	Role string
	// Kind is the kind the values show ("time" for years and dates), "" when
	// they do not tell; KindReason says why.
	Kind, KindReason string
	Properties       []Suggestion // best first
	// Problems are searches that failed (shown, not fatal).
	Problems []string
}

// Best is the first suggested property, if any.
func (c Column) Best() (Suggestion, bool) {
	if len(c.Properties) == 0 {
		return Suggestion{}, false
	}
	return c.Properties[0], true
}

// Suggester suggests mappings for columns of one Wikibase.
type Suggester struct {
	Wiki     Wiki
	Formats  *Formats // nil: no matching by format
	Language string   // of searches and labels; default "en"
}

// Limits of one column's suggestions.
const (
	maxSuggestions  = 5
	maxByName       = 5
	maxByFormat     = 5
	maxValuesTested = 50
)

// labelNames are column names that hold the name to match.
var labelNames = map[string]bool{"name": true, "label": true, "title": true, "full name": true, "fullname": true, "display name": true,
	"preferred name": true, "namn": true, "naam": true, "nom": true, "nombre": true, "navn": true, "nimi": true, "titel": true, "titre": true}

// Column suggests how to map a column from its name and some of its values.
// A failing search is reported in Problems; the other suggestions stay.
func (s *Suggester) Column(ctx context.Context, name string, values []string) Column {
	lang := s.Language
	if lang == "" {
		lang = "en"
	}
	vals := nonBlank(values, maxValuesTested)
	c := Column{Name: name}
	words := columnWords(name)
	if labelNames[words] {
		c.Role = "label"
	}
	switch {
	case len(vals) > 0 && all(vals, isDate):
		c.Kind, c.KindReason = KindTime, "every example value is a year or an ISO date"
	case len(vals) > 0 && all(vals, isURL):
		c.Kind, c.KindReason = KindURL, "every example value is a web address"
	}
	byID := map[string]*Suggestion{}
	var order []string
	add := func(p Property, reason string, score float64) {
		sg, ok := byID[p.ID]
		if !ok {
			sg = &Suggestion{Property: p}
			byID[p.ID] = sg
			order = append(order, p.ID)
		}
		sg.Reasons = append(sg.Reasons, reason)
		sg.score += score
	}
	if words != "" && c.Role == "" {
		props, err := SearchProperties(ctx, s.Wiki, words, lang, maxByName)
		if err != nil {
			c.Problems = append(c.Problems, fmt.Sprintf("The property search for %q failed: %v", words, err))
		}
		for i, p := range props {
			if p.Kind == "" {
				continue
			}
			score := 1 - 0.1*float64(i)
			if c.Kind != "" && p.Kind == c.Kind {
				score += 0.5 // the values agree with the datatype
			} else if c.Kind != "" {
				score -= 0.5
			}
			add(p, fmt.Sprintf("its name “%s” matches the column name", p.Label), score)
		}
	}
	if s.Formats != nil && c.Kind == "" && len(vals) > 0 && mostly(vals, looksLikeID) {
		matches, err := s.Formats.Matching(ctx, vals, maxByFormat)
		if err != nil {
			c.Problems = append(c.Problems, err.Error())
		}
		if len(matches) > 0 {
			ids := make([]string, len(matches))
			for i, m := range matches {
				ids[i] = m.Property
			}
			info, err := s.Wiki.GetProperties(ctx, ids, []string{lang})
			if err != nil {
				c.Problems = append(c.Problems, fmt.Sprintf("Reading the properties %s failed: %v", strings.Join(ids, ", "), err))
			}
			for i, m := range matches {
				p := Property{ID: m.Property, Datatype: "external-id", Kind: KindExternalID}
				if e := info[m.Property]; e != nil {
					p.Label, p.Description = termIn(e.Labels, lang), termIn(e.Descriptions, lang)
					if e.DataType != "" {
						p.Datatype, p.Kind = e.DataType, KindOf(e.DataType)
					}
				}
				if p.Kind == "" {
					continue
				}
				reason := fmt.Sprintf("every example value fits its format %s", m.Pattern)
				score := 0.9 - 0.1*float64(i)
				if m.Sharing > maxByFormat {
					reason += fmt.Sprintf(" (as %d properties' formats do)", m.Sharing)
					score = 0.3 - 0.05*float64(i)
				}
				add(p, reason, score)
			}
		}
	}
	for _, id := range order {
		c.Properties = append(c.Properties, *byID[id])
	}
	sort.SliceStable(c.Properties, func(i, j int) bool { return c.Properties[i].score > c.Properties[j].score })
	if len(c.Properties) > maxSuggestions {
		c.Properties = c.Properties[:maxSuggestions]
	}
	return c
}

func termIn(terms map[string]wikidata.Term, lang string) string {
	if t, ok := terms[lang]; ok {
		return t.Value
	}
	return terms["en"].Value
}

// columnWords turns a column name into search words: "date_of_birth",
// "dateOfBirth" and "Date of birth" all give "date of birth".
func columnWords(name string) string {
	var b strings.Builder
	var prev rune
	for _, r := range strings.TrimSpace(name) {
		switch {
		case r == '_' || r == '-' || r == '.' || unicode.IsSpace(r):
			b.WriteRune(' ')
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			b.WriteRune(' ')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func nonBlank(values []string, n int) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

func all(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if !f(v) {
			return false
		}
	}
	return true
}

// mostly: at least nine in ten.
func mostly(vals []string, f func(string) bool) bool {
	n := 0
	for _, v := range vals {
		if f(v) {
			n++
		}
	}
	return n*10 >= len(vals)*9
}

var year = regexp.MustCompile(`^[0-9]{4}$`)

// isDate: a four-digit year or an ISO date (YYYY-MM, YYYY-MM-DD).
func isDate(v string) bool {
	if year.MatchString(v) {
		return true
	}
	if !strings.Contains(strings.TrimLeft(v, "+-"), "-") {
		return false // longer plain numbers are identifiers, not years
	}
	_, err := wikidata.ParseTime(v)
	return err == nil
}

func isURL(v string) bool {
	return (strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://")) && !strings.ContainsAny(v, " \t")
}

// looksLikeID: one token of letters, digits and a few separators with at
// least one digit (ULAN 500115493, VIAF 24604287, ISNI 0000 0001 2138 5426
// written without spaces, "n79021164").
func looksLikeID(v string) bool {
	if len(v) > 100 || strings.ContainsAny(v, " \t") || isURL(v) {
		return false
	}
	digit := false
	for _, r := range v {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r), strings.ContainsRune("-_./:#", r):
		default:
			return false
		}
	}
	return digit
}
