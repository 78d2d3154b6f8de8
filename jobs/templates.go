package jobs

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/adrg/strutil"
	"github.com/adrg/strutil/metrics"
)

// Visibility says who may see a saved job template.
type Visibility string

const (
	VisibilityPrivate Visibility = "private" // its owner only
	VisibilityGroup   Visibility = "group"   // the members of its group
	VisibilityPublic  Visibility = "public"  // everyone, listed in the library
)

// ValidVisibility says whether v is a known visibility.
func ValidVisibility(v Visibility) bool {
	return v == VisibilityPrivate || v == VisibilityGroup || v == VisibilityPublic
}

// JobTemplate is a job's mapping saved to the template library so that other
// jobs (and other people) can start from it. Editing adds a version; the
// versions themselves never change, so a job can record the one it used.
type JobTemplate struct {
	ID          int64
	OwnerID     int64
	OwnerName   string
	GroupID     int64 // for group visibility
	GroupName   string
	Visibility  Visibility
	Name        string
	Description string
	TypeQID     string   // type.qid of the latest version
	Properties  []string // properties the latest version maps, sorted
	Version     int      // latest version number
	VersionID   int64    // id of the latest version
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TemplateVersion is one immutable version of a saved template.
type TemplateVersion struct {
	ID         int64
	TemplateID int64
	Version    int
	Body       json.RawMessage
	AuthorID   int64
	AuthorName string
	Note       string
	CreatedAt  time.Time
}

// Limits for saved templates.
const (
	MaxTemplateNameLen  = 200
	MaxTemplateBodySize = 256 << 10 // also the import upload limit
)

// ValidateTemplateFields checks the name and description of a saved template.
func ValidateTemplateFields(name, description string, v Visibility) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(EINVALID, "A template needs a name.")
	case len([]rune(name)) > MaxTemplateNameLen:
		return Errorf(EINVALID, "The name is longer than %d characters.", MaxTemplateNameLen)
	case len([]rune(description)) > MaxDescriptionLen:
		return Errorf(EINVALID, "The description is longer than %d characters.", MaxDescriptionLen)
	case !ValidVisibility(v):
		return Errorf(EINVALID, "Choose who may see the template: private, group or public.")
	}
	return nil
}

// TemplateSummary is what the library needs to know of a template body:
// the columns it maps and what it looks for. It reads only those parts, so
// the full template format can grow without the library's help.
type TemplateSummary struct {
	Columns    []string // mapped columns, sorted
	TypeQID    string
	Properties []string // distinct properties, sorted
}

// SummariseTemplate checks that body is a JSON object with a "columns"
// object mapping at least one column, and summarises it.
func SummariseTemplate(body []byte) (TemplateSummary, error) {
	var sum TemplateSummary
	if len(body) > MaxTemplateBodySize {
		return sum, Errorf(ETOOLARGE, "The template is larger than %d KB.", MaxTemplateBodySize>>10)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return sum, Errorf(EINVALID, "The template is not a JSON object: %s.", SyntaxProblem(body, err))
	}
	var cols map[string]struct {
		Role     string `json:"role"`
		Property string `json:"property"`
	}
	raw, ok := doc["columns"]
	if !ok {
		return sum, Errorf(EINVALID, `The template has no "columns" object mapping the file's columns.`)
	}
	if err := json.Unmarshal(raw, &cols); err != nil || cols == nil {
		return sum, Errorf(EINVALID, `The template's "columns" must be an object of column name to mapping.`)
	}
	if len(cols) == 0 {
		return sum, Errorf(EINVALID, "The template maps no column.")
	}
	props := map[string]bool{}
	for name, c := range cols {
		if strings.TrimSpace(name) == "" {
			return sum, Errorf(EINVALID, "The template maps a column without a name.")
		}
		sum.Columns = append(sum.Columns, name)
		if p := strings.ToUpper(strings.TrimSpace(c.Property)); p != "" {
			props[p] = true
		}
	}
	for p := range props {
		sum.Properties = append(sum.Properties, p)
	}
	sort.Strings(sum.Columns)
	sort.Strings(sum.Properties)
	if t, ok := doc["type"]; ok {
		var typ struct {
			QID string `json:"qid"`
		}
		if json.Unmarshal(t, &typ) == nil {
			sum.TypeQID = strings.ToUpper(strings.TrimSpace(typ.QID))
		}
	}
	return sum, nil
}

// ColumnCheck compares a template's columns with a new file's header.
type ColumnCheck struct {
	Matched []string // template columns the file has
	Missing []MissingColumn
	Unused  []string // file columns the template does not map
}

// MissingColumn is a template column the file lacks, with the file column
// that looks like its new name, if any.
type MissingColumn struct {
	Column    string
	Suggested string
}

// OK says whether every template column is in the file.
func (c ColumnCheck) OK() bool { return len(c.Missing) == 0 }

// renameThreshold is how alike two column names must be (0..1, after
// normalising case, spacing and punctuation) to suggest one as the other's
// new name.
const renameThreshold = 0.7

// CheckColumns compares the template's columns with the file's. Columns are
// matched exactly; for each missing one the most similar unused file column
// is suggested, so that "Date of birth" → "date_of_birth" is proposed, not
// guessed silently.
func CheckColumns(templateCols, fileCols []string) ColumnCheck {
	var out ColumnCheck
	inFile := map[string]bool{}
	for _, c := range fileCols {
		inFile[c] = true
	}
	used := map[string]bool{}
	for _, c := range templateCols {
		if inFile[c] {
			out.Matched = append(out.Matched, c)
			used[c] = true
		}
	}
	for _, c := range templateCols {
		if inFile[c] {
			continue
		}
		best, bestScore := "", 0.0
		for _, f := range fileCols {
			if used[f] {
				continue
			}
			if sc := columnSimilarity(c, f); sc > bestScore {
				best, bestScore = f, sc
			}
		}
		m := MissingColumn{Column: c}
		if bestScore >= renameThreshold {
			m.Suggested = best
			used[best] = true
		}
		out.Missing = append(out.Missing, m)
	}
	for _, f := range fileCols {
		if !used[f] {
			out.Unused = append(out.Unused, f)
		}
	}
	return out
}

func normaliseColumn(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func columnSimilarity(a, b string) float64 {
	na, nb := normaliseColumn(a), normaliseColumn(b)
	if na == "" || nb == "" {
		return 0
	}
	if na == nb {
		return 1
	}
	// "ULAN" → "ULAN id": a name kept whole inside the new one is a
	// likely rename even when the edit distance is large for short names.
	if short := min(len(na), len(nb)); short >= 3 && (strings.Contains(na, nb) || strings.Contains(nb, na)) {
		return 0.85
	}
	return strutil.Similarity(na, nb, metrics.NewLevenshtein())
}

// RenameTemplateColumns rewrites a template body for a file whose columns
// have other names: renames maps template column → file column, and a
// template column renamed to "" is left out (the file lacks it and the
// user chose to do without). Every other target must be a column of the
// file and used once; the rest of the body is kept as it is.
func RenameTemplateColumns(body []byte, renames map[string]string, fileCols []string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, Errorf(EINVALID, "The template is not a JSON object.")
	}
	var cols map[string]json.RawMessage
	if err := json.Unmarshal(doc["columns"], &cols); err != nil || cols == nil {
		return nil, Errorf(EINVALID, `The template has no "columns" object.`)
	}
	inFile := map[string]bool{}
	for _, c := range fileCols {
		inFile[c] = true
	}
	out := make(map[string]json.RawMessage, len(cols))
	for name, m := range cols {
		target := name
		if r, ok := renames[name]; ok {
			if r == "" {
				continue
			}
			target = r
		}
		if !inFile[target] {
			return nil, Errorf(EINVALID, "Choose the file's column for the template column %q.", name)
		}
		if _, dup := out[target]; dup {
			return nil, Errorf(EINVALID, "The file column %q is chosen for two template columns.", target)
		}
		out[target] = m
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "Every template column would be left out; map at least one to a column of the file.")
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	doc["columns"] = raw
	if w, ok := doc["write"]; ok {
		var write map[string]any
		if json.Unmarshal(w, &write) == nil && write != nil {
			RenameWriteColumns(write, renames)
			if doc["write"], err = json.Marshal(write); err != nil {
				return nil, err
			}
		}
	}
	if m, ok := doc["media"]; ok {
		if doc["media"], err = renameMediaColumns(m, renames); err != nil {
			return nil, err
		}
	}
	var key string
	if json.Unmarshal(doc["key"], &key) == nil && renames[key] != "" {
		if doc["key"], err = json.Marshal(renames[key]); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// FitTemplate prepares a template for a new file: columns the file has by
// the same name are kept, renamed columns that CheckColumns recognises are
// renamed, and the rest are left out and returned as missing, for the user
// to map to another column or do without. A file with none of the
// template's columns gets a nil body.
func FitTemplate(body []byte, fileCols []string) ([]byte, []MissingColumn, error) {
	sum, err := SummariseTemplate(body)
	if err != nil {
		return nil, nil, err
	}
	check := CheckColumns(sum.Columns, fileCols)
	renames := map[string]string{}
	var missing []MissingColumn
	for _, m := range check.Missing {
		renames[m.Column] = m.Suggested // "" leaves it out
		if m.Suggested == "" {
			missing = append(missing, m)
		}
	}
	if len(check.Matched) == 0 && len(missing) == len(check.Missing) {
		return nil, check.Missing, nil
	}
	out, err := RenameTemplateColumns(body, renames, fileCols)
	if err != nil {
		return nil, nil, err
	}
	return out, missing, nil
}

// RenameWriteColumns follows renamed columns (old → new name) in a
// template's write section: the columns that become statements, the
// {column} placeholders of the reference URL and the label column. A
// column renamed to "" (left out) is dropped from the statement columns;
// a placeholder or label column naming it stays, for validation to report.
func RenameWriteColumns(write map[string]any, renames map[string]string) {
	if cols, ok := write["columns"].([]any); ok {
		out := cols[:0]
		for _, c := range cols {
			name, _ := c.(string)
			if to, ok := renames[name]; ok {
				if to == "" {
					continue
				}
				c = to
			}
			out = append(out, c)
		}
		write["columns"] = out
	}
	if u, ok := write["reference_url"].(string); ok {
		for from, to := range renames {
			if to != "" {
				u = strings.ReplaceAll(u, "{"+from+"}", "{"+to+"}")
			}
		}
		write["reference_url"] = u
	}
	if l, ok := write["labels"].(map[string]any); ok {
		if c, _ := l["column"].(string); renames[c] != "" {
			l["column"] = renames[c]
		}
	}
}

// renameMediaColumns follows renamed columns in a template's media
// settings: the column naming each row's file, and the {column}
// placeholders of every pattern (title, wikitext, captions, categories,
// credit, creator). A column left out stays named, for the media settings'
// check to report.
func renameMediaColumns(raw json.RawMessage, renames map[string]string) (json.RawMessage, error) {
	var media any
	if err := json.Unmarshal(raw, &media); err != nil {
		return raw, nil // not an object: the media settings' check says so
	}
	var pairs []string
	for from, to := range renames {
		if to != "" {
			pairs = append(pairs, "{"+from+"}", "{"+to+"}")
		}
	}
	placeholders := strings.NewReplacer(pairs...) // one pass: a→b, b→c does not make a c
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			return placeholders.Replace(v)
		case []any:
			for i := range v {
				v[i] = walk(v[i])
			}
		case map[string]any:
			for k := range v {
				v[k] = walk(v[k])
			}
		}
		return v
	}
	media = walk(media)
	if m, ok := media.(map[string]any); ok {
		if src, ok := m["source"].(map[string]any); ok {
			if c, _ := src["column"].(string); renames[c] != "" {
				src["column"] = renames[c]
			}
		}
	}
	return json.Marshal(media)
}
