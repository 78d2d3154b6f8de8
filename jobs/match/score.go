package match

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/adrg/strutil"
	"github.com/adrg/strutil/metrics"

	"partnerhub/jobs"
)

// Weights of the evidence. A score is a sum clamped to 0..1; they are set so
// that an exact name on an item of the right type with one agreeing fact
// reaches 0.9 (the default auto-accept score), a name alone does not, and
// any conflict pulls a candidate well below.
const (
	weightName        = 0.6  // an exact name; similar names earn less
	bonusIdentifier   = 0.4  // an identifier matches
	penaltyIdentifier = 0.3  // the item has another value for the identifier
	bonusType         = 0.15 // instance of the template's class
	bonusNoType       = 0.1  // no type asked for: neither for nor against
	penaltyType       = 0.4  // not an instance of the class
	bonusFact         = 0.15 // per agreeing fact...
	maxFactBonus      = 0.3  // ...up to this much
	penaltyConflict   = 0.35 // a date, quantity or identifier that disagrees
	penaltyDiffers    = 0.1  // an item, string or URL that differs (often a variant, not an error)
	penaltyNear       = 0.0  // a date one year off: weak disagreement, see TEMPLATE.md
	// nameFloor is the similarity at or below which a name earns nothing.
	nameFloor = 0.6
	// identifierNameMin: an identifier match whose item's names are less
	// similar than this to the row's names is suspicious (a wrong identifier).
	identifierNameMin = 0.8
)

var (
	jaroWinkler = metrics.NewJaroWinkler()
	// levenshtein compares titles: Jaro-Winkler favours a shared beginning,
	// which titles have ("Morning at a Mill", "Morning at Haarlem": 0.91).
	levenshtein = metrics.NewLevenshtein()
)

// candidate is a scored item for one row.
type candidate struct {
	jobs.CandidateSummary
	conflict bool // some evidence speaks against the item: never auto-accepted
	// decisive: an identifier matches (within its scope), or an item cell
	// (the artist) and a date both agree; when candidates were left out
	// unscored, only a candidate with such evidence may be accepted.
	decisive bool
}

// decide scores a row's candidates and concludes.
func (e *Engine) decide(num int64, in rowInput, r rowRank, facts map[string]*itemFacts, found rowCands) jobs.RowMatch {
	m := jobs.RowMatch{Row: num, Status: jobs.MatchNone}
	var cs []candidate
	var wrongType string
	for _, q := range r.kept {
		c := e.score(in, q, facts[q])
		hold, wt := e.partnerEvidence(in.partner, &c, facts[q])
		if hold {
			c.conflict = true
		}
		if wt != "" {
			wrongType = wt
		}
		if via := found.via[q]; strings.HasPrefix(via, "linked ") {
			c.Evidence = append(c.Evidence, "found among the items whose "+strings.TrimPrefix(via, "linked ")[:strings.Index(strings.TrimPrefix(via, "linked "), " ")]+" is the row's item")
		}
		cs = append(cs, c)
	}
	sort.SliceStable(cs, func(a, b int) bool {
		if cs[a].Score != cs[b].Score {
			return cs[a].Score > cs[b].Score
		}
		return qidLess(cs[a].QID, cs[b].QID)
	})
	m.Note = partnerNote(in.partner, wrongType)
	if len(cs) == 0 {
		return m
	}
	best := &cs[0]
	m.Status, m.QID, m.Label, m.Score = jobs.MatchReview, best.QID, best.Label, best.Score
	margin := best.Score
	if len(cs) > 1 {
		margin = best.Score - cs[1].Score
	}
	hold := best.conflict
	if in.attribution != nil {
		hold = true
		best.Evidence = append(best.Evidence, fmt.Sprintf("%s %q is an attribution (%s), not a work by %s: review", in.attribution.Column, in.attribution.Value, in.attribution.Qualifier, in.attribution.Name))
	}
	if r.dropped > 0 {
		// Candidates left out unscored: accept only a best candidate with
		// decisive evidence that leads the most any left-out one could
		// score by the margin.
		switch {
		case !best.decisive:
			hold = true
			best.Evidence = append(best.Evidence, fmt.Sprintf("%d more candidates were not compared, and no identifier (or item and date together) singles this one out: review", r.dropped))
		case best.Score-r.ceiling < e.t.AutoAccept.Margin-1e-9:
			hold = true
			best.Evidence = append(best.Evidence, fmt.Sprintf("%d more candidates were not compared; one (%s) could score up to %.3f: review", r.dropped, r.ceilingQID, r.ceiling))
		default:
			best.Evidence = append(best.Evidence, fmt.Sprintf("%d more candidates were not compared; none could score more than %.3f", r.dropped, r.ceiling))
		}
	}
	if found.more {
		hold = true
		best.Evidence = append(best.Evidence, "there may be more candidates than were found (a full page of search hits or too many labels): review")
	}
	// A tiny epsilon: scores are rounded to 3 decimals.
	if best.Score >= e.t.AutoAccept.Score-1e-9 && margin >= e.t.AutoAccept.Margin-1e-9 && !hold {
		m.Status = jobs.MatchMatched
	}
	for i, c := range cs {
		if i == maxCandidates {
			break
		}
		m.Candidates = append(m.Candidates, c.CandidateSummary)
	}
	return m
}

func (e *Engine) score(in rowInput, qid string, f *itemFacts) candidate {
	if f == nil {
		f = newItemFacts()
	}
	c := candidate{CandidateSummary: jobs.CandidateSummary{
		QID:         qid,
		Description: e.pick(f.Descriptions),
		Types:       f.Types,
		Facts:       e.summaryFacts(f),
	}}
	c.Label, c.LabelLang = e.displayLabel(f)
	ev := func(format string, args ...any) { c.Evidence = append(c.Evidence, fmt.Sprintf(format, args...)) }
	score := 0.0

	// Names.
	sim := -1.0
	if len(in.names) > 0 {
		var best langText
		var bestAlias bool
		for _, pool := range []struct {
			texts []langText
			alias bool
		}{{f.Labels, false}, {f.Aliases, true}} {
			for _, l := range pool.texts {
				if s := nameSimilarity(in.variants, l.Text, in.title); s > sim {
					sim, best, bestAlias = s, l, pool.alias
				}
			}
		}
		what := "label"
		if bestAlias {
			what = "alias"
		}
		ignoring := "ignoring case, accents and word order"
		if in.title {
			ignoring = "ignoring case, accents, punctuation and a leading article"
		}
		switch {
		case sim < 0:
			sim = 0
			ev("no label in the languages")
		case containsString(in.variants, best.Text) && best.Text == tidy(in.names[0]):
			ev("%s %q@%s equals name", what, best.Text, best.Lang)
		case sim == 1:
			ev("%s %q@%s equals name %q %s", what, best.Text, best.Lang, in.names[0], ignoring)
		default:
			ev("%s %q@%s resembles name %q (%.2f)", what, best.Text, best.Lang, in.names[0], sim)
		}
		w := weightName
		if in.title && in.sameName > genericTitle {
			w *= genericTitleWeight
			ev("%d items have this title: it counts for less", in.sameName)
		}
		score += w * math.Max(0, (sim-nameFloor)/(1-nameFloor))
	} else {
		// No name to compare: neither for nor against.
		score += weightName * 0.75
	}

	// Identifiers.
	for _, id := range in.ids {
		col := e.t.Columns[id.Column]
		if col.Scope != nil {
			s, conflict := e.scopedIdentifier(id, col, f, ev)
			score += s
			c.conflict = c.conflict || conflict
			c.decisive = c.decisive || s >= bonusIdentifier
			continue
		}
		have := f.Values[id.Property]
		switch {
		case containsID(have, id, col):
			score += bonusIdentifier
			c.decisive = true
			ev("identifier %s = %s matches", id.Property, id.Value)
			if sim >= 0 && len(in.names) > 0 && sim < identifierNameMin {
				c.conflict = true
				ev("names differ although identifier %s matches (check the identifier)", id.Property)
			}
		case len(have) > 0:
			score -= penaltyIdentifier
			c.conflict = true
			ev("identifier %s = %s ≠ %s (conflict)", id.Property, id.Value, strings.Join(have, ", "))
		}
	}

	// Type.
	if types := e.t.typeConstraints(); len(types) > 0 {
		var qs []string
		for _, t := range types {
			qs = append(qs, t.QID)
		}
		if f.TypeOK {
			score += bonusType
			if len(types) == 1 && types[0].Exact {
				ev("instance of %s", qs[0])
			} else {
				ev("instance of %s or a subclass", strings.Join(qs, " or "))
			}
		} else {
			score -= penaltyType
			c.conflict = true
			ev("not an instance of %s", strings.Join(qs, " or "))
		}
	} else {
		score += bonusNoType
	}

	// Other mapped properties.
	factBonus := 0.0
	itemAgrees, dateAgrees := false, false
	for _, fact := range in.facts {
		var v verdict
		var text string
		var weight float64
		if fact.Kind == KindItem {
			v, text = e.compareItem(in, fact, f)
			weight = 1
			itemAgrees = itemAgrees || v == agrees
		} else {
			v, text, weight = compareFact(fact, f.Values[fact.Property])
			dateAgrees = dateAgrees || (fact.Kind == KindTime && v == agrees && weight > 0)
		}
		switch v {
		case agrees:
			factBonus += bonusFact * weight
		case conflicts:
			score -= penaltyConflict
			c.conflict = true
		case differs:
			score -= penaltyDiffers
		case weakly:
			score -= penaltyNear
		}
		if text != "" {
			ev("%s", text)
		}
	}
	score += math.Min(factBonus, maxFactBonus)
	c.decisive = c.decisive || (itemAgrees && dateAgrees)
	c.Score = math.Round(math.Max(0, math.Min(1, score))*1000) / 1000
	return c
}

// scopedIdentifier scores an identifier unique within a scope (an
// inventory number within its collection) against the item's statements
// and their qualifiers.
func (e *Engine) scopedIdentifier(id idFact, col Column, f *itemFacts, ev func(string, ...any)) (float64, bool) {
	var scopes []string
	scopeText := ""
	if id.Scope != nil {
		scopes = id.Scope.Resolved
		scopeText = id.Scope.Value
	}
	var inScope, elsewhere, otherValue []string
	for _, st := range f.Scoped[id.Property] {
		same := sameID(st[0], id.Value, col)
		switch {
		case same && st[1] != "" && containsString(scopes, st[1]):
			inScope = append(inScope, st[1])
		case same:
			elsewhere = append(elsewhere, st[1])
		case st[1] != "" && containsString(scopes, st[1]):
			otherValue = append(otherValue, st[0])
		}
	}
	switch {
	case len(inScope) > 0:
		ev("%s %s = %s in %s %q (%s) matches", id.Column, id.Property, id.Value, col.Scope.Property, scopeText, inScope[0])
		return bonusIdentifier, false
	case len(otherValue) > 0:
		ev("%s %s = %s ≠ %s in %s %q (conflict)", id.Column, id.Property, id.Value, strings.Join(sortedUnique(otherValue), ", "), col.Scope.Property, scopeText)
		return -penaltyIdentifier, true
	case len(elsewhere) > 0 && len(scopes) == 0 && scopeText == "":
		ev("%s %s = %s matches, in a collection the row does not name (weak)", id.Column, id.Property, id.Value)
		return bonusIdentifier / 4, false
	case len(elsewhere) > 0:
		ev("%s %s = %s is held in another %s than %q: not evidence", id.Column, id.Property, id.Value, col.Scope.Property, scopeText)
	}
	return 0, false
}

// compareItem compares an item cell (an artist, a country: a QID or a
// name) with the item's values of the property by the same name handling
// as row names, and names the value it compared.
func (e *Engine) compareItem(in rowInput, fact idFact, f *itemFacts) (verdict, string) {
	have := f.Values[fact.Property]
	if len(have) == 0 {
		return unknown, ""
	}
	labelOf := func(q string) string {
		if ls := f.ValueLabels[fact.Property][q]; len(ls) > 0 {
			return fmt.Sprintf("%q (%s)", e.pickPlain(ls), q)
		}
		return q
	}
	agree := func(q string) (verdict, string) {
		if fact.Qualifier != "" {
			// "circle of Rembrandt" is not Rembrandt's work: no bonus.
			return unknown, fmt.Sprintf("%s %q names %s with %q: an attribution, not the creator", fact.Column, fact.Value, labelOf(q), fact.Qualifier)
		}
		return agrees, fmt.Sprintf("%s %q agrees with %s %s", fact.Column, fact.Value, fact.Property, labelOf(q))
	}
	for _, q := range have {
		if containsString(fact.Resolved, q) {
			return agree(q)
		}
	}
	variants := fact.Lookup
	if len(variants) == 0 {
		variants = []string{fact.Name}
	}
	for _, q := range have {
		for _, l := range f.ValueLabels[fact.Property][q] {
			if nameSimilarity(variants, l, false) == 1 {
				return agree(q)
			}
		}
	}
	var names []string
	for _, q := range have {
		names = append(names, labelOf(q))
	}
	text := fmt.Sprintf("%s %q differs from %s %s", fact.Column, fact.Value, fact.Property, strings.Join(names, ", "))
	if in.title && creatorLike(e.t, fact.Column) && fact.Qualifier == "" && len(fact.Resolved) > 0 {
		// A work whose creator is another artist the row's name resolved
		// to nobody of: a different work with the same title.
		return conflicts, text + " (conflict)"
	}
	return differs, text
}

// creatorLike: a column naming who made the work, so that another maker
// means another work.
func creatorLike(t *Template, col string) bool {
	c := t.Columns[col]
	return creatorProperties[c.Property] || (c.Finds != nil && *c.Finds)
}

// nameSimilarity is the best Jaro-Winkler similarity between the row's
// spellings and a label, compared as name keys and as sorted words (so
// "Klint Hilma af" meets "Hilma af Klint"); titles are compared as title
// keys (leading article dropped) by edit distance, and their word order
// counts.
func nameSimilarity(variants []string, label string, title bool) float64 {
	key := NameKey
	if title {
		key = titleKey
	}
	lk := key(label)
	if lk == "" {
		return 0
	}
	ls := sortedWords(lk)
	best := 0.0
	for _, v := range variants {
		vk := key(v)
		if vk == "" {
			continue
		}
		if vk == lk || (!title && sortedWords(vk) == ls) {
			return 1
		}
		if title {
			best = math.Max(best, strutil.Similarity(vk, lk, levenshtein))
		} else {
			best = math.Max(best, strutil.Similarity(vk, lk, jaroWinkler))
		}
	}
	return best
}

func sortedWords(s string) string {
	w := strings.Fields(s)
	sort.Strings(w)
	return strings.Join(w, " ")
}

// pick chooses the text in the first of the template's languages that has
// one, then mul, then any.
func (e *Engine) pick(texts []langText) string {
	l, _ := e.pickLang(texts, e.t.searchLanguages())
	return l.Text
}

// displayLabel is the name the review page shows for an item: its label in
// the template's languages, else in the most widely read language it has.
func (e *Engine) displayLabel(f *itemFacts) (text, lang string) {
	if l, ok := e.pickLang(f.Labels, e.t.searchLanguages()); ok {
		return l.Text, l.Lang
	}
	if l, ok := e.pickLang(f.OtherLabels, fallbackLanguages); ok {
		return l.Text, l.Lang
	}
	return "", ""
}

// fallbackLanguages order labels outside the template's languages: the
// languages with the most labels on Wikidata first; any other after them.
var fallbackLanguages = []string{"mul", "en", "de", "fr", "es", "it", "nl", "sv", "pt", "ru", "pl", "ja", "zh", "ca", "cs", "da", "fi", "nb", "uk", "ar"}

// pickLang is the first text in the first of langs that has one, else the
// first text of all (texts are sorted by language).
func (e *Engine) pickLang(texts []langText, langs []string) (langText, bool) {
	for _, l := range langs {
		for _, t := range texts {
			if t.Lang == l {
				return t, true
			}
		}
	}
	if len(texts) > 0 {
		return texts[0], true
	}
	return langText{}, false
}

// pickPlain chooses one of a value item's labels (they come without
// languages): the first in sorted order, for stable evidence.
func (e *Engine) pickPlain(labels []string) string { return labels[0] }

// summaryFacts are the mapped properties' values for the review screen:
// dates as YYYY-MM-DD, items as QIDs.
func (e *Engine) summaryFacts(f *itemFacts) map[string][]string {
	out := map[string][]string{}
	for _, col := range e.t.propertyColumns() {
		c := e.t.Columns[col]
		var vs []string
		for _, v := range f.Values[c.Property] {
			if c.Kind == KindTime {
				if d, ok := parseDate(v); ok {
					d.precision = 3
					v = d.String()
				}
			}
			vs = append(vs, v)
		}
		if len(vs) > 0 {
			out[c.Property] = sortedUnique(vs)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type verdict int

const (
	unknown verdict = iota
	agrees
	conflicts
	differs
	weakly // weak disagreement: a year off by one
)

// compareFact compares a row's value of a property with the item's; the
// weight scales an agreement's bonus (a date inside a century is weak
// evidence).
func compareFact(fact idFact, have []string) (verdict, string, float64) {
	if len(have) == 0 {
		return unknown, "", 0
	}
	switch fact.Kind {
	case KindTime:
		return compareTime(fact, have)
	case KindQuantity:
		want, err := strconv.ParseFloat(strings.ReplaceAll(fact.Value, ",", ""), 64)
		if err != nil {
			return unknown, fmt.Sprintf("%s %q is not a number", fact.Column, fact.Value), 0
		}
		for _, h := range have {
			if got, err := strconv.ParseFloat(h, 64); err == nil && math.Abs(got-want) <= 0.005*math.Max(math.Abs(want), 1e-9) {
				return agrees, fmt.Sprintf("%s %s agrees", fact.Column, fact.Value), 1
			}
		}
		return conflicts, fmt.Sprintf("%s %s ≠ %s (conflict)", fact.Column, fact.Value, strings.Join(have, ", ")), 0
	case KindURL:
		w := normaliseURL(fact.Value)
		for _, h := range have {
			if normaliseURL(h) == w {
				return agrees, fmt.Sprintf("%s agrees", fact.Column), 1
			}
		}
		return differs, fmt.Sprintf("%s %s differs", fact.Column, fact.Value), 0
	default:
		k := NameKey(fact.Value)
		for _, h := range have {
			if NameKey(h) == k {
				return agrees, fmt.Sprintf("%s %q agrees", fact.Column, fact.Value), 1
			}
		}
		return differs, fmt.Sprintf("%s %q differs", fact.Column, fact.Value), 0
	}
}

// compareTime compares a catalogue date (an interval, see dates.go) with
// the item's dates: the best of them counts.
func compareTime(fact idFact, have []string) (verdict, string, float64) {
	want, ok := parseDateSpan(fact.Value)
	if !ok {
		return unknown, fmt.Sprintf("%s %q is not a date this engine reads (not counted)", fact.Column, fact.Value), 0
	}
	best, bestAt := dateUnknown, ""
	var seen []string
	for _, h := range have {
		d, ok := parseDate(h)
		if !ok {
			continue
		}
		at := d.String()
		if want.isExact {
			at = d.at(want.exact.precision)
		}
		seen = append(seen, at)
		v := compareSpan(want, d)
		if best == dateUnknown || v < best {
			best, bestAt = v, at
		}
	}
	switch best {
	case dateAgrees:
		return agrees, fmt.Sprintf("%s %s agrees", fact.Column, want), 1
	case dateInside:
		w := 0.34
		if want.width() > 30 {
			w = 0
		}
		return agrees, fmt.Sprintf("%s %s includes %s (weak)", fact.Column, want, bestAt), w
	case dateNear:
		return weakly, fmt.Sprintf("%s %s is near %s (weak disagreement)", fact.Column, want, bestAt), 0
	case dateConflict:
		return conflicts, fmt.Sprintf("%s %s ≠ %s (conflict)", fact.Column, want, strings.Join(sortedUnique(seen), ", ")), 0
	}
	return unknown, "", 0
}

// date is a calendar date at year, month or day precision.
type date struct {
	year, month, day int
	precision        int // 1 year, 2 month, 3 day
}

var dateRE = regexp.MustCompile(`^([+-]?\d{1,6})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T[0-9:.]+Z?)?$`)

// parseDate reads "1862", "1862-10", "1862-10-26" and Wikibase's
// "1862-10-26T00:00:00Z". Wikibase stores a year-precision date as
// January 1st, so "-01-01" in a full timestamp counts as a year only.
func parseDate(s string) (date, bool) {
	m := dateRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return date{}, false
	}
	d := date{precision: 1}
	d.year, _ = strconv.Atoi(strings.TrimPrefix(m[1], "+"))
	if m[2] != "" {
		d.month, _ = strconv.Atoi(m[2])
		d.precision = 2
		if d.month < 1 || d.month > 12 {
			return date{}, false
		}
	}
	if m[3] != "" {
		d.day, _ = strconv.Atoi(m[3])
		d.precision = 3
		if d.day < 1 || d.day > 31 {
			return date{}, false
		}
	}
	if strings.Contains(s, "T") && d.month == 1 && d.day == 1 {
		d.precision = 1
	}
	return d, true
}

// agrees compares at the coarser of the two precisions.
func (d date) agrees(o date) bool {
	p := min(d.precision, o.precision)
	return d.year == o.year && (p < 2 || d.month == o.month) && (p < 3 || d.day == o.day)
}

func (d date) at(p int) string {
	return date{d.year, d.month, d.day, min(p, d.precision)}.String()
}

func (d date) String() string {
	y := fmt.Sprintf("%04d", d.year)
	if d.year < 0 {
		y = fmt.Sprintf("-%04d", -d.year)
	}
	switch d.precision {
	case 1:
		return y
	case 2:
		return fmt.Sprintf("%s-%02d", y, d.month)
	}
	return fmt.Sprintf("%s-%02d-%02d", y, d.month, d.day)
}

func normaliseURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return strings.ToLower(strings.TrimRight(strings.TrimSpace(s), "/"))
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	return host + strings.TrimRight(u.EscapedPath(), "/") + "?" + u.RawQuery
}
