package match

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"partnerhub/jobs"
	"partnerhub/sparql"
)

// Column kinds a mapped property can have.
const (
	KindExternalID = "external-id"
	KindTime       = "time"
	KindItem       = "item"
	KindString     = "string"
	KindQuantity   = "quantity"
	KindURL        = "url"
)

var kinds = []string{KindExternalID, KindTime, KindItem, KindString, KindQuantity, KindURL}

// Roles a column can have instead of a property.
const (
	// RoleLabel marks a column holding a name of the entity.
	RoleLabel = "label"
	// RoleItem marks a column holding the row's item id (a QID the partner
	// already has): it becomes the row's candidate, checked on the wiki.
	RoleItem = "item"
)

// Defaults filled in by ParseTemplate.
const (
	DefaultSPARQLEndpoint = "https://query.wikidata.org/sparql"
	DefaultAPIURL         = "https://www.wikidata.org/w/api.php"
	DefaultEntityPrefix   = "http://www.wikidata.org/entity/"
	DefaultPropertyPrefix = "http://www.wikidata.org/prop/direct/"
	DefaultSiteURL        = "https://www.wikidata.org/wiki/"
	// DefaultAutoAcceptScore and DefaultAutoAcceptMargin: see TEMPLATE.md
	// for why (an exact name and one agreeing fact on an item of the right
	// type reach 0.9; a namesake must trail by a clear 0.15).
	DefaultAutoAcceptScore  = 0.9
	DefaultAutoAcceptMargin = 0.15
)

// Template is a job's mapping and matching settings, shared by working
// groups as one JSON document.
type Template struct {
	Version   int             `json:"version"`
	Wikibase  Wikibase        `json:"wikibase"`
	Languages []string        `json:"languages"`
	Type      *TypeConstraint `json:"type,omitempty"`
	// Types are further classes rows' items may belong to (a painting
	// catalogue holds drawings and sculptures too): an item of any of
	// Type and Types is of the right type.
	Types   []TypeConstraint  `json:"types,omitempty"`
	Columns map[string]Column `json:"columns"`
	// Key is the column identifying rows across versions of the dataset;
	// empty: the first column whose values are unique and non-empty.
	Key        string     `json:"key,omitempty"`
	AutoAccept AutoAccept `json:"auto_accept"`
	// Write belongs to the edit-plan code; it is kept verbatim.
	Write json.RawMessage `json:"write,omitempty"`
	// Media belongs to the media-upload code (jobs/media, which checks
	// it); it is kept verbatim.
	Media json.RawMessage `json:"media,omitempty"`

	// problems found while parsing that only Validate reports, so a user
	// sees every problem at once.
	problems []string
}

// Wikibase says where the wiki and its query service are.
type Wikibase struct {
	SPARQLEndpoint string `json:"sparql_endpoint"`
	APIURL         string `json:"api_url"`
	EntityPrefix   string `json:"entity_prefix"`
	PropertyPrefix string `json:"property_prefix"`
	SiteURL        string `json:"site_url"`
}

// TypeConstraint is the class rows' items should be instances of; unless
// Exact, instances of subclasses count too.
type TypeConstraint struct {
	QID   string `json:"qid"`
	Exact bool   `json:"exact"`
}

// Column is what one dataset column means: a name (Role "label") or the
// value of a property of the given kind.
type Column struct {
	Role     string `json:"role,omitempty"`
	Property string `json:"property,omitempty"`
	Kind     string `json:"kind,omitempty"`
	// Form says what a label column's names are, for the spellings they
	// are looked up and compared under: "person" (Surname, Given turned
	// round, life dates dropped), "title" (a work's title: sentence case,
	// leading article dropped), "name" (places, organisations: only
	// qualifiers and case). Empty: person when the template's type is
	// human (Q5) or there is no type, title otherwise.
	Form string `json:"form,omitempty"`
	// Scope, for an external-id column, is the qualifier an identifier is
	// unique within: an inventory number (P217) with its collection
	// (P195) in another column. Such an identifier matches only as a
	// statement with that qualifier.
	Scope *Scope `json:"scope,omitempty"`
	// Spelling, for an external-id column: "exact" (default) or "loose":
	// case, spaces and punctuation ignored ("NM1234" = "NM 1234" =
	// "nm-1234").
	Spelling string `json:"spelling,omitempty"`
	// StripPrefixes are words written before identifiers in this column
	// that the wiki does not store ("Inv.", "inv. nr"): "Inv. 3383" is
	// looked up as "3383".
	StripPrefixes []string `json:"strip_prefixes,omitempty"`
	// Finds, for an item column of a title template, says whether the
	// works linked to the row's item (a painting's creator) are searched
	// for the title; default true for creator-like properties (P170, P50,
	// …), false for others. Item columns always narrow and rank candidates.
	Finds *bool `json:"finds,omitempty"`
	// LifeDates, for a person-form label column, are the properties the
	// life dates written with a name ("Nilsson, Karl (1840-1900)") are
	// compared with; default P569 and P570 on Wikidata, none elsewhere.
	// {"born": "", "died": ""} turns them off.
	LifeDates *LifeDates `json:"life_dates,omitempty"`
}

// Scope is the qualifier an identifier is unique within and the column
// holding its value (an item, by QID or name).
type Scope struct {
	Property string `json:"property"`
	Column   string `json:"column"`
}

// Label forms (Column.Form).
const (
	FormPerson = "person"
	FormTitle  = "title"
	FormName   = "name"
)

// Identifier spellings (Column.Spelling).
const (
	SpellingExact = "exact"
	SpellingLoose = "loose"
)

// AutoAccept are the thresholds for accepting a match without review.
type AutoAccept struct {
	Score  float64 `json:"score"`
	Margin float64 `json:"margin"`
}

// ParseTemplate reads a template and fills in the defaults (Wikidata's
// URLs and prefixes, English, the default thresholds). It fails only on
// data that is not a JSON object; keys it does not know and values of the
// wrong type are problems that Validate reports with the others, so a user
// sees every problem at once and a stored template still loads.
func ParseTemplate(data []byte) (*Template, error) {
	t := &Template{Version: 1, AutoAccept: AutoAccept{Score: DefaultAutoAcceptScore, Margin: DefaultAutoAcceptMargin}}
	problems, err := jobs.DecodeStrict(data, t, "The template")
	if err != nil {
		return nil, err
	}
	t.problems = problems
	if len(bytes.TrimSpace(t.Write)) == 0 || string(bytes.TrimSpace(t.Write)) == "null" {
		t.Write = nil
	}
	if len(bytes.TrimSpace(t.Media)) == 0 || string(bytes.TrimSpace(t.Media)) == "null" {
		t.Media = nil
	}
	wb := &t.Wikibase
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&wb.SPARQLEndpoint, DefaultSPARQLEndpoint}, {&wb.APIURL, DefaultAPIURL},
		{&wb.EntityPrefix, DefaultEntityPrefix}, {&wb.PropertyPrefix, DefaultPropertyPrefix}, {&wb.SiteURL, DefaultSiteURL},
	} {
		*f.v = strings.TrimSpace(*f.v)
		if *f.v == "" {
			*f.v = f.def
		}
	}
	seen := map[string]bool{}
	languages := t.Languages
	t.Languages = nil
	for _, l := range languages {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		t.Languages = append(t.Languages, l)
	}
	if len(t.Languages) == 0 {
		t.Languages = []string{"en"}
	}
	if t.Type != nil {
		t.Type.QID = strings.ToUpper(strings.TrimSpace(t.Type.QID))
		if t.Type.QID == "" {
			t.Type = nil
		}
	}
	for i := range t.Types {
		t.Types[i].QID = strings.ToUpper(strings.TrimSpace(t.Types[i].QID))
	}
	if t.Columns == nil {
		t.Columns = map[string]Column{}
	}
	for name, c := range t.Columns {
		c.Role = strings.ToLower(strings.TrimSpace(c.Role))
		c.Property = strings.ToUpper(strings.TrimSpace(c.Property))
		c.Kind = strings.ToLower(strings.TrimSpace(c.Kind))
		c.Form = strings.ToLower(strings.TrimSpace(c.Form))
		c.Spelling = strings.ToLower(strings.TrimSpace(c.Spelling))
		if c.Scope != nil {
			c.Scope.Property = strings.ToUpper(strings.TrimSpace(c.Scope.Property))
		}
		if c.LifeDates != nil {
			c.LifeDates.Born = strings.ToUpper(strings.TrimSpace(c.LifeDates.Born))
			c.LifeDates.Died = strings.ToUpper(strings.TrimSpace(c.LifeDates.Died))
		}
		t.Columns[name] = c
	}
	return t, nil
}

var (
	propertyID = regexp.MustCompile(`^P[1-9][0-9]{0,11}$`)
	itemID     = regexp.MustCompile(`^Q[1-9][0-9]{0,11}$`)
	// languageCode accepts Wikimedia's codes: "en", "sv", "zh-hans", "be-tarask".
	languageCode = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
)

// Validate checks the template against the dataset's columns (nil skips
// that check) and reports every problem at once as one EINVALID error.
func (t *Template) Validate(columns []string) error {
	problems := slices.Clone(t.problems)
	if t.Version != 1 {
		problems = append(problems, fmt.Sprintf("version %d is not supported (want 1)", t.Version))
	}
	for _, f := range []struct{ name, v string }{
		{"sparql_endpoint", t.Wikibase.SPARQLEndpoint}, {"api_url", t.Wikibase.APIURL},
		{"entity_prefix", t.Wikibase.EntityPrefix}, {"property_prefix", t.Wikibase.PropertyPrefix}, {"site_url", t.Wikibase.SiteURL},
	} {
		if !httpURL(f.v) {
			problems = append(problems, fmt.Sprintf("wikibase %s %q is not an http(s) URL", f.name, f.v))
		}
	}
	for _, l := range t.Languages {
		if !languageCode.MatchString(l) {
			problems = append(problems, fmt.Sprintf("language %q is not a language code like en, sv or zh-hans", l))
		}
	}
	if t.Type != nil && !itemID.MatchString(t.Type.QID) {
		problems = append(problems, fmt.Sprintf("type %q is not an item id like Q5", t.Type.QID))
	}
	for _, ty := range t.Types {
		if !itemID.MatchString(ty.QID) {
			problems = append(problems, fmt.Sprintf("types: %q is not an item id like Q3305213", ty.QID))
		}
	}
	inDataset := map[string]bool{}
	for _, c := range columns {
		inDataset[c] = true
	}
	names := make([]string, 0, len(t.Columns))
	for n := range t.Columns {
		names = append(names, n)
	}
	sort.Strings(names)
	if t.Key != "" && columns != nil && !inDataset[t.Key] {
		problems = append(problems, fmt.Sprintf("key column %q is not in the dataset", t.Key))
	}
	finder := false
	var itemColumns []string
	for _, n := range names {
		c := t.Columns[n]
		if columns != nil && !inDataset[n] {
			problems = append(problems, fmt.Sprintf("column %q is not in the dataset", n))
		}
		problems = append(problems, t.matchingOptionProblems(n, c)...)
		switch {
		case c.Role == RoleLabel:
			finder = true
			if c.Property != "" {
				problems = append(problems, fmt.Sprintf("column %q: a label column maps to no property (got %q)", n, c.Property))
			}
		case c.Role == RoleItem:
			finder = true
			itemColumns = append(itemColumns, n)
			if c.Property != "" || c.Kind != "" {
				problems = append(problems, fmt.Sprintf("column %q: a Wikidata item column maps to no property or kind", n))
			}
		case c.Role != "":
			problems = append(problems, fmt.Sprintf("column %q: unknown role %q (want label, item, or a property and kind)", n, c.Role))
		case c.Property == "":
			problems = append(problems, fmt.Sprintf("column %q: neither a label nor a property", n))
		default:
			if !propertyID.MatchString(c.Property) {
				problems = append(problems, fmt.Sprintf("column %q: %q is not a property id like P569", n, c.Property))
			}
			if !slices.Contains(kinds, c.Kind) {
				problems = append(problems, fmt.Sprintf("column %q: unknown kind %q (want %s)", n, c.Kind, strings.Join(kinds, ", ")))
			}
			if c.Kind == KindExternalID {
				finder = true
			}
		}
	}
	if len(itemColumns) > 1 {
		problems = append(problems, fmt.Sprintf("only one column can hold the rows' Wikidata items (got %s)", strings.Join(itemColumns, ", ")))
	}
	if !finder {
		problems = append(problems, "no label column, Wikidata item column or identifier (external-id) column: rows could not be found")
	}
	if s := t.AutoAccept.Score; s < 0 || s > 1 {
		problems = append(problems, fmt.Sprintf("auto_accept score %g is outside 0..1", s))
	}
	if m := t.AutoAccept.Margin; m < 0 || m > 1 {
		problems = append(problems, fmt.Sprintf("auto_accept margin %g is outside 0..1", m))
	}
	if len(problems) > 0 {
		return jobs.Errorf(jobs.EINVALID, "The template has problems: %s.", strings.Join(problems, "; "))
	}
	return nil
}

// matchingOptionProblems checks a column's matching options (form, scope,
// spelling, strip_prefixes, finds): each belongs to one kind of column.
func (t *Template) matchingOptionProblems(n string, c Column) []string {
	var problems []string
	switch {
	case c.Form != "" && c.Role != RoleLabel:
		problems = append(problems, fmt.Sprintf("column %q: form is for label columns", n))
	case c.Form != "" && c.Form != FormPerson && c.Form != FormTitle && c.Form != FormName:
		problems = append(problems, fmt.Sprintf("column %q: unknown form %q (want person, title or name)", n, c.Form))
	}
	if c.LifeDates != nil {
		if c.Role != RoleLabel {
			problems = append(problems, fmt.Sprintf("column %q: life_dates is for label columns", n))
		}
		for _, p := range []string{c.LifeDates.Born, c.LifeDates.Died} {
			if p != "" && !propertyID.MatchString(p) {
				problems = append(problems, fmt.Sprintf("column %q: life_dates property %q is not a property id like P569", n, p))
			}
		}
	}
	isID := c.Role == "" && c.Kind == KindExternalID
	if (c.Scope != nil || c.Spelling != "" || len(c.StripPrefixes) > 0) && !isID {
		problems = append(problems, fmt.Sprintf("column %q: scope, spelling and strip_prefixes are for external-id columns", n))
	}
	if c.Spelling != "" && c.Spelling != SpellingExact && c.Spelling != SpellingLoose {
		problems = append(problems, fmt.Sprintf("column %q: unknown spelling %q (want exact or loose)", n, c.Spelling))
	}
	for _, p := range c.StripPrefixes {
		if strings.TrimSpace(p) == "" || len(p) > 40 {
			problems = append(problems, fmt.Sprintf("column %q: strip_prefixes entry %q must be 1 to 40 characters", n, p))
		}
	}
	if c.Scope != nil {
		if _, ok := t.statementPrefixes(); !ok {
			problems = append(problems, fmt.Sprintf("column %q: a scope needs the wiki's statement prefixes: property_prefix must end in prop/direct/ (got %q)", n, t.Wikibase.PropertyPrefix))
		}
		if !propertyID.MatchString(c.Scope.Property) {
			problems = append(problems, fmt.Sprintf("column %q: scope property %q is not a property id like P195", n, c.Scope.Property))
		}
		if sc, ok := t.Columns[c.Scope.Column]; !ok || sc.Role != "" || sc.Kind != KindItem {
			problems = append(problems, fmt.Sprintf("column %q: scope column %q must be a mapped item column (the collection)", n, c.Scope.Column))
		}
	}
	if c.Finds != nil && !(c.Role == "" && c.Kind == KindItem) {
		problems = append(problems, fmt.Sprintf("column %q: finds is for item columns", n))
	}
	return problems
}

// labelForm is the form of a label column's names (Column.Form, or the
// default for the template's type).
func (t *Template) labelForm(col string) string {
	if f := t.Columns[col].Form; f != "" {
		return f
	}
	types := t.typeConstraints()
	if len(types) == 0 || slices.ContainsFunc(types, func(c TypeConstraint) bool { return c.QID == "Q5" }) {
		return FormPerson
	}
	return FormTitle
}

// statementPrefixes are the RDF prefixes of statements (p:), their main
// values (ps:) and qualifiers (pq:), which Wikibase puts beside the
// truthy prefix (wdt: is .../prop/direct/).
func (t *Template) statementPrefixes() (p [3]string, ok bool) {
	base, ok := strings.CutSuffix(t.Wikibase.PropertyPrefix, "prop/direct/")
	if !ok {
		return p, false
	}
	base += "prop/"
	return [3]string{base, base + "statement/", base + "qualifier/"}, true
}

// typeConstraints are Type and Types together.
func (t *Template) typeConstraints() []TypeConstraint {
	var out []TypeConstraint
	if t.Type != nil {
		out = append(out, *t.Type)
	}
	for _, ty := range t.Types {
		if !slices.ContainsFunc(out, func(o TypeConstraint) bool { return o == ty }) {
			out = append(out, ty)
		}
	}
	return out
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	_, err = sparql.IRI(s)
	return err == nil
}

// CheckTemplate parses and validates a template against the dataset's
// columns and returns it normalised (defaults filled, ids upper-cased),
// in a stable form: the same template always gives the same bytes.
// It is the one check every template passes before it is stored: in the
// library (import, new versions) and as a job's mapping.
func CheckTemplate(data []byte, columns []string) ([]byte, error) {
	if len(data) > jobs.MaxTemplateBodySize {
		return nil, jobs.Errorf(jobs.ETOOLARGE, "The template is %d KB; templates can be at most %d KB.", (len(data)+1023)>>10, jobs.MaxTemplateBodySize>>10)
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(columns); err != nil {
		return nil, err
	}
	return t.Marshal()
}

// Marshal renders the template as indented JSON (map keys sorted).
func (t *Template) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the template: %w", err)
	}
	return out, nil
}

// labelColumns are the columns holding names, sorted.
func (t *Template) labelColumns() []string {
	var out []string
	for n, c := range t.Columns {
		if c.Role == RoleLabel {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// propertyColumns are the columns mapped to properties, sorted.
func (t *Template) propertyColumns() []string {
	var out []string
	for n, c := range t.Columns {
		if c.Role == "" && c.Property != "" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// searchLanguages are the template's languages plus "mul", which Wikidata
// uses for names written the same in every language.
func (t *Template) searchLanguages() []string {
	out := slices.Clone(t.Languages)
	if !slices.Contains(out, "mul") {
		out = append(out, "mul")
	}
	return out
}

// creatorProperties are the Wikidata properties whose subjects are few
// per value (a creator's works, an author's books), so listing the items
// linked to a row's value is cheap: creator, author, composer, director,
// architect, librettist, illustrator, performer, screenwriter, editor,
// lyricist, designer, developer, translator.
var creatorProperties = map[string]bool{
	"P170": true, "P50": true, "P86": true, "P57": true, "P84": true, "P87": true, "P110": true, "P175": true,
	"P58": true, "P98": true, "P676": true, "P287": true, "P178": true, "P655": true,
}

// finds says whether an item column's linked items are searched for the
// row's title: as the column's finds says, else yes for creator-like
// properties (creatorProperties) and no for the rest (a country or a
// collection holds too many items to list), and never for an
// identifier's scope.
func (t *Template) finds(col string) bool {
	c := t.Columns[col]
	if c.Finds != nil {
		return *c.Finds
	}
	for _, o := range t.Columns {
		if o.Scope != nil && o.Scope.Column == col {
			return false
		}
	}
	return creatorProperties[c.Property]
}
