package suggest

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"partnerhub/sparql"
)

// Querier runs SPARQL SELECT queries; *sparql.Client is one.
type Querier interface {
	Select(ctx context.Context, q string) (*sparql.Results, error)
}

// Wikidata's ids for format constraints: property constraint (P2302) of
// the kind "format constraint" (Q21502404), whose qualifier "format as a
// regular expression" (P1793) holds the pattern.
const (
	propConstraint   = "P2302"
	formatConstraint = "Q21502404"
	propRegex        = "P1793"
)

// maxFormatValues is how many distinct values of a column are tried
// against the formats: enough to tell a format, cheap against thousands.
const maxFormatValues = 20

// retryAfterFailure is how long a failed load of the constraints is
// remembered before the next page view tries again.
const retryAfterFailure = time.Minute

// Formats holds the format constraints of a wiki's properties, fetched once
// through its query service and cached: an identifier column's values are
// matched against them to find the properties they could be values of.
// It is safe for concurrent use.
type Formats struct {
	q        Querier
	prefixes string
	log      *slog.Logger

	mu       sync.Mutex
	patterns []formatPattern
	loaded   bool
	err      error
	failedAt time.Time
	now      func() time.Time
}

// formatPattern is one distinct pattern and the properties that have it
// (many share one, e.g. plain digits), so that each is tried once.
type formatPattern struct {
	properties []string
	source     string
	re         *regexp.Regexp
	literals   int // see literalRunes
}

// FormatMatch is a property whose format constraint a column's values meet.
type FormatMatch struct {
	Property string // e.g. P214
	Pattern  string // the constraint's regular expression, as the wiki has it
	// Sharing is how many properties' formats all the values meet: a
	// format shared by hundreds of properties (plain numbers) says little.
	Sharing int

	literals int
}

// NewFormats builds the cache for a query service. entityPrefix and
// directPropertyPrefix are the wiki's IRIs for entities and truthy
// statements (Wikidata: http://www.wikidata.org/entity/ and
// http://www.wikidata.org/prop/direct/); the statement and qualifier
// prefixes are derived from the latter as Wikibase's RDF mapping does.
func NewFormats(q Querier, entityPrefix, directPropertyPrefix string, logger *slog.Logger) (*Formats, error) {
	if logger == nil {
		logger = slog.Default()
	}
	base, ok := strings.CutSuffix(directPropertyPrefix, "direct/")
	if !ok {
		return nil, fmt.Errorf("property prefix %q does not end in direct/, as Wikibase's do", directPropertyPrefix)
	}
	var prefixes string
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("prefixes of the query service: %v", r)
			}
		}()
		prefixes = sparql.Prefixes(map[string]string{"wd": entityPrefix, "p": base, "ps": base + "statement/", "pq": base + "qualifier/"})
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return &Formats{q: q, prefixes: prefixes, log: logger, now: time.Now}, nil
}

// Query is the SPARQL query that fetches every format constraint.
func (f *Formats) Query() string {
	return f.prefixes + `SELECT ?property ?regex WHERE {
  ?property p:` + propConstraint + ` ?constraint .
  ?constraint ps:` + propConstraint + ` wd:` + formatConstraint + ` ;
              pq:` + propRegex + ` ?regex .
}`
}

// load fetches the constraints unless they are cached; a failure is kept
// for retryAfterFailure so that a down query service is not asked on
// every page view.
func (f *Formats) load(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loaded {
		return nil
	}
	if f.err != nil && f.now().Sub(f.failedAt) < retryAfterFailure {
		return f.err
	}
	res, err := f.q.Select(ctx, f.Query())
	if err != nil {
		f.err, f.failedAt = fmt.Errorf("read the properties' format constraints: %w", err), f.now()
		return f.err
	}
	var skipped int
	bySource := map[string]*formatPattern{}
	for _, row := range res.Rows {
		iri, src := row["property"].Value, row["regex"].Value
		id := iri[strings.LastIndexByte(iri, '/')+1:]
		if !sparql.ValidEntityID(id) || src == "" {
			continue
		}
		if p, ok := bySource[src]; ok {
			if p != nil && !slices.Contains(p.properties, id) {
				p.properties = append(p.properties, id)
			}
			continue
		}
		// A format constraint must match the whole value. Patterns written
		// for PCRE that RE2 cannot compile (look-arounds, backreferences)
		// are skipped: they only cost a suggestion.
		re, err := regexp.Compile(`^(?:` + src + `)$`)
		if err != nil {
			bySource[src] = nil
			skipped++
			continue
		}
		bySource[src] = &formatPattern{properties: []string{id}, source: src, re: re, literals: literalRunes(src)}
	}
	for _, p := range bySource {
		if p != nil {
			sort.Strings(p.properties)
			f.patterns = append(f.patterns, *p)
		}
	}
	sort.Slice(f.patterns, func(i, j int) bool { return f.patterns[i].properties[0] < f.patterns[j].properties[0] })
	f.loaded, f.err = true, nil
	f.log.Info("format constraints loaded", "patterns", len(f.patterns), "skipped_not_re2", skipped)
	return nil
}

// Len is how many properties have a usable pattern cached (0 before the
// first load).
func (f *Formats) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.patterns {
		n += len(p.properties)
	}
	return n
}

// literalRunes is how many fixed characters every match of the pattern
// contains ("500\d{6}" has 3, "[1-9]\d+" none): a format that fixes
// characters tells more about a value than one of digits only.
func literalRunes(src string) int {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return 0
	}
	var walk func(*syntax.Regexp) int
	walk = func(r *syntax.Regexp) int {
		switch r.Op {
		case syntax.OpLiteral:
			return len(r.Rune)
		case syntax.OpCapture, syntax.OpPlus:
			return walk(r.Sub[0])
		case syntax.OpRepeat:
			return r.Min * walk(r.Sub[0])
		case syntax.OpConcat:
			n := 0
			for _, s := range r.Sub {
				n += walk(s)
			}
			return n
		case syntax.OpAlternate:
			n := -1
			for _, s := range r.Sub {
				if m := walk(s); n < 0 || m < n {
					n = m
				}
			}
			return max(n, 0)
		}
		return 0
	}
	return walk(re.Simplify())
}

// Matching returns the properties whose format every value meets, the most
// specific formats first (more fixed characters, then a longer pattern), at
// most limit.
// Blank values are ignored; no values match nothing.
func (f *Formats) Matching(ctx context.Context, values []string, limit int) ([]FormatMatch, error) {
	var vals []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(vals, v) {
			vals = append(vals, v)
			if len(vals) == maxFormatValues {
				break
			}
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	if err := f.load(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	patterns := f.patterns
	f.mu.Unlock()
	var out []FormatMatch
	seen := map[string]bool{}
	for _, p := range patterns {
		all := true
		for _, v := range vals {
			if !p.re.MatchString(v) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		for _, id := range p.properties {
			if !seen[id] {
				seen[id] = true
				out = append(out, FormatMatch{Property: id, Pattern: p.source, literals: p.literals})
			}
		}
	}
	for i := range out {
		out[i].Sharing = len(out)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].literals != out[j].literals {
			return out[i].literals > out[j].literals
		}
		return len(out[i].Pattern) > len(out[j].Pattern)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
