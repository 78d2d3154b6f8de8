// Package plan turns a job's decisions into an edit plan: for every item a
// row was matched to, the statements the partner's data adds that the item
// lacks, each with references, computed against the item's current data; and,
// if the job allows it, new items for rows that are not on the wiki yet. The
// plan is what a person approves before anything is written.
package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"partnerhub/jobs"
)

// WriteSettings are the "write" section of a job template: what to write
// for an accepted match.
type WriteSettings struct {
	// Columns whose values become statements; default every property column.
	Columns []string `json:"columns,omitempty"`
	// StatedIn is the item of the partner's database, for "stated in" (P248)
	// on every reference. Required: Partnerhub adds nothing unsourced.
	StatedIn string `json:"stated_in"`
	// ReferenceURL builds "reference URL" (P854) from the row, with {column}
	// placeholders, e.g. https://collection.example.org/person/{ulan}.
	ReferenceURL string `json:"reference_url,omitempty"`
	// Retrieved adds "retrieved" (P813) with the date the plan is built.
	Retrieved *bool `json:"retrieved,omitempty"`
	// AddReferenceIfPresent adds the reference to a statement the item has
	// already (same value) when that statement lacks it.
	AddReferenceIfPresent bool `json:"add_reference_if_present,omitempty"`
	// SingleValue lists properties where a different existing value is a
	// conflict for a person to look at; default: the time and external-id
	// columns' properties.
	SingleValue []string `json:"single_value,omitempty"`
	// Labels adds the row's name as a label in languages where the item has none.
	Labels *LabelSettings `json:"labels,omitempty"`
	// Descriptions adds fixed descriptions per language where the item has none.
	Descriptions map[string]string `json:"descriptions,omitempty"`
	// NewItems creates items for rows marked "not on Wikidata".
	NewItems *NewItemSettings `json:"new_items,omitempty"`
}

// LabelSettings say which column holds the label and in which languages.
type LabelSettings struct {
	Column    string   `json:"column"`
	Languages []string `json:"languages"`
}

// NewItemSettings configure new items.
type NewItemSettings struct {
	Enabled    bool   `json:"enabled"`
	InstanceOf string `json:"instance_of,omitempty"` // P31 of new items; default the template's type
}

// Template is what the plan needs of a job template.
type Template struct {
	Wikibase struct {
		APIURL  string `json:"api_url"`
		SiteURL string `json:"site_url"`
	} `json:"wikibase"`
	Type *struct {
		QID string `json:"qid"`
	} `json:"type"`
	Columns map[string]Column `json:"columns"`
	Write   *WriteSettings    `json:"write"`
	// Languages are the languages names are looked up in (and mul).
	Languages []string `json:"languages"`
}

// Column is a mapped column of the template.
type Column struct {
	Role     string `json:"role"`
	Property string `json:"property"`
	Kind     string `json:"kind"`
}

var (
	pid      = regexp.MustCompile(`^P[1-9][0-9]*$`)
	langCode = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
)

// ParseTemplate reads the template and checks its write settings against
// the dataset's columns, listing every problem.
func ParseTemplate(raw []byte, columns []string) (*Template, error) {
	return parseTemplate(raw, columns, true)
}

// CheckWrite checks a template's "write" section, when it has one, as
// ParseTemplate does: unknown keys, values of the wrong type, ids, URLs and
// languages. With columns nil (a library template, no dataset yet) what
// needs the dataset's columns is left to when the template is applied.
func CheckWrite(raw []byte, columns []string) error {
	var doc struct {
		Write json.RawMessage `json:"write"`
	}
	if json.Unmarshal(raw, &doc) != nil || len(doc.Write) == 0 || string(doc.Write) == "null" {
		return nil
	}
	if unknown := UnknownWriteKeys(raw); len(unknown) > 0 {
		return jobs.Errorf(jobs.EINVALID, "The template has problems: unknown key %s (check its spelling).", strings.Join(unknown, ", unknown key "))
	}
	_, err := parseTemplate(raw, columns, columns != nil)
	return err
}

func parseTemplate(raw []byte, columns []string, dataset bool) (*Template, error) {
	var t Template
	if err := json.Unmarshal(raw, &t); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, jobs.Errorf(jobs.EINVALID, "The write settings have problems: %s.", jobs.TypeProblem(te))
		}
		return nil, jobs.Errorf(jobs.EINVALID, "The job template is not valid JSON: %s.", jobs.SyntaxProblem(raw, err))
	}
	if t.Wikibase.APIURL == "" {
		t.Wikibase.APIURL = "https://www.wikidata.org/w/api.php"
	}
	if t.Wikibase.SiteURL == "" {
		t.Wikibase.SiteURL = "https://www.wikidata.org/wiki/"
	}
	if len(t.Languages) == 0 {
		t.Languages = []string{"en"}
	}
	w := t.Write
	if w == nil {
		return nil, jobs.Errorf(jobs.EINVALID, "The job template says nothing about what to write: add a \"write\" section (at least \"stated_in\", the item of the partner's database).")
	}
	have := map[string]bool{}
	for _, c := range columns {
		have[c] = true
	}
	var problems []string
	if !jobs.ValidQID(w.StatedIn) {
		problems = append(problems, fmt.Sprintf(`"stated_in" must be the item of the partner's database, like Q123 (got %q)`, w.StatedIn))
	}
	if len(w.Columns) == 0 {
		for name, c := range t.Columns {
			if c.Property != "" {
				w.Columns = append(w.Columns, name)
			}
		}
		sort.Strings(w.Columns)
	}
	for _, name := range w.Columns {
		c, ok := t.Columns[name]
		switch {
		case !ok || c.Property == "":
			problems = append(problems, fmt.Sprintf("column %q is written but not mapped to a property", name))
		case !pid.MatchString(c.Property):
			problems = append(problems, fmt.Sprintf("column %q: %q is not a property id", name, c.Property))
		case dataset && !have[name]:
			problems = append(problems, fmt.Sprintf("column %q is not in the dataset", name))
		}
	}
	if w.ReferenceURL != "" {
		for _, ph := range placeholders(w.ReferenceURL) {
			if dataset && !have[ph] {
				problems = append(problems, fmt.Sprintf("reference URL: column {%s} is not in the dataset", ph))
			}
		}
		if u, err := url.Parse(placeholderRE.ReplaceAllString(w.ReferenceURL, "x")); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("reference URL %q is not an http(s) URL template", w.ReferenceURL))
		}
	}
	for _, p := range w.SingleValue {
		if !pid.MatchString(p) {
			problems = append(problems, fmt.Sprintf("single_value: %q is not a property id", p))
		}
	}
	if w.Labels != nil {
		if dataset && !have[w.Labels.Column] {
			problems = append(problems, fmt.Sprintf("labels: column %q is not in the dataset", w.Labels.Column))
		}
		for _, l := range w.Labels.Languages {
			if !langCode.MatchString(l) {
				problems = append(problems, fmt.Sprintf("labels: %q is not a language code", l))
			}
		}
	}
	for l := range w.Descriptions {
		if !langCode.MatchString(l) {
			problems = append(problems, fmt.Sprintf("descriptions: %q is not a language code", l))
		}
	}
	if n := w.NewItems; n != nil && n.Enabled {
		if n.InstanceOf == "" && t.Type != nil {
			n.InstanceOf = t.Type.QID
		}
		if !jobs.ValidQID(n.InstanceOf) {
			problems = append(problems, `new_items: "instance_of" (or the template's type) must be an item id, e.g. Q5`)
		}
		if w.Labels == nil || len(w.Labels.Languages) == 0 {
			problems = append(problems, `new_items: new items need a label: set "labels" with a column and languages`)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, jobs.Errorf(jobs.EINVALID, "The write settings have problems: %s.", strings.Join(problems, "; "))
	}
	if w.SingleValue == nil {
		for _, name := range w.Columns {
			if c := t.Columns[name]; c.Kind == "time" || c.Kind == "external-id" {
				w.SingleValue = append(w.SingleValue, c.Property)
			}
		}
	}
	return &t, nil
}

// UnknownWriteKeys lists the keys of a template's "write" section that the
// write settings do not know (a misspelt "refrence_url" must not be ignored).
func UnknownWriteKeys(raw []byte) []string {
	var doc struct {
		Write json.RawMessage `json:"write"`
	}
	if json.Unmarshal(raw, &doc) != nil || len(doc.Write) == 0 {
		return nil
	}
	var out []string
	for _, k := range jobs.UnknownKeys(doc.Write, reflect.TypeFor[WriteSettings]()) {
		out = append(out, "write."+k)
	}
	return out
}

// RetrievedOn says whether references carry "retrieved" (default yes).
func (w *WriteSettings) RetrievedOn() bool { return w.Retrieved == nil || *w.Retrieved }

var placeholderRE = regexp.MustCompile(`\{([^{}]+)\}`)

func placeholders(tmpl string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
		out = append(out, m[1])
	}
	return out
}

// ReferenceURLFor fills the reference URL template with a row's values
// (path-escaped); "" when a placeholder's cell is empty.
func (w *WriteSettings) ReferenceURLFor(cell func(column string) string) string {
	if w.ReferenceURL == "" {
		return ""
	}
	empty := false
	out := placeholderRE.ReplaceAllStringFunc(w.ReferenceURL, func(m string) string {
		v := strings.TrimSpace(cell(m[1 : len(m)-1]))
		if v == "" {
			empty = true
		}
		return url.PathEscape(v)
	})
	if empty {
		return ""
	}
	return out
}

// CheckTemplate is the one check every route applies to a template: size,
// the engine's reading (engine nil: JSON syntax only) and the write
// settings. columns nil (the library) leaves what needs a dataset for later.
func CheckTemplate(raw []byte, columns []string, engine func(template []byte, columns []string) ([]byte, error)) ([]byte, error) {
	if len(raw) > jobs.MaxTemplateBodySize {
		return nil, jobs.Errorf(jobs.ETOOLARGE, "The template is %d KB; templates can be at most %d KB.", (len(raw)+1023)>>10, jobs.MaxTemplateBodySize>>10)
	}
	checked := raw
	if engine == nil {
		if !json.Valid(raw) {
			return nil, jobs.Errorf(jobs.EINVALID, "the template is not valid JSON")
		}
	} else {
		if unknown := UnknownWriteKeys(raw); len(unknown) > 0 {
			return nil, jobs.Errorf(jobs.EINVALID, "The template has problems: unknown key %s (check its spelling).", strings.Join(unknown, ", unknown key "))
		}
		var err error
		if checked, err = engine(raw, columns); err != nil {
			return nil, err
		}
	}
	if err := CheckWrite(checked, columns); err != nil {
		return nil, err
	}
	return checked, nil
}
