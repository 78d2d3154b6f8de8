// Package media plans a job's media upload to Wikimedia Commons: where each
// row's file comes from (a column of URLs fetched by the worker, or an
// uploaded ZIP archive), what it becomes (a title checked against Commons'
// rules, a description page from the template's wikitext pattern with every
// value escaped, structured data for the file's MediaInfo entity pointing at
// the row's item), and the problems a person must see before approving the
// plan. The upload itself is the executor's (jobs/mediaupload); this package
// never writes to a wiki.
package media

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"partnerhub/jobs"
)

// Settings are a template's "media" object: what each file becomes.
type Settings struct {
	// Source says where files come from: "url" (Column holds http(s) URLs)
	// or "zip" (Column names entries of the uploaded archive).
	Source SourceSettings `json:"source"`
	// Title is the file name pattern, e.g. "{Title} ({Inventory}).{ext}";
	// {ext} is the extension of the sniffed content.
	Title string `json:"title"`
	// Wikitext is the description page's pattern; {license}, {credit},
	// {source}, {categories}, {caption}, {qid}, {row} are filled in besides the
	// columns. Empty: an {{Information}} page.
	Wikitext string `json:"wikitext,omitempty"`
	// License is the licence: its wikitext template ("{{cc-by-4.0}}"), its
	// item for "copyright license" (P275) and the "copyright status"
	// (P6216) item, e.g. Q50423863 (copyrighted) or Q19652 (public domain).
	License License `json:"license"`
	// Credit is the credit line pattern ("Photo: {Photographer}, {Museum}").
	Credit string `json:"credit,omitempty"`
	// Categories are category name patterns, without "Category:".
	Categories []string `json:"categories,omitempty"`
	// Captions are caption patterns per language ("en": "{Title}").
	Captions map[string]string `json:"captions,omitempty"`
	// Relation is how the file relates to the row's item: "depicts" (P180,
	// a photo of a building) or "digital_representation" (P6243, a scan of a
	// painting: the file is the work).
	Relation string `json:"relation,omitempty"`
	// Creator is the creator (P170) of the file: an item id or a pattern
	// giving one ("{ArtistQID}"); empty: no creator statement.
	Creator string `json:"creator,omitempty"`
	// MaxMB is the largest file the plan takes, in MiB (default and ceiling:
	// the installation's limit).
	MaxMB int64 `json:"max_mb,omitempty"`
}

// SourceSettings say where files come from.
type SourceSettings struct {
	Kind   jobs.MediaSourceKind `json:"kind"`
	Column string               `json:"column"`
}

// License is a file's licence.
type License struct {
	Template        string `json:"template"`
	QID             string `json:"qid,omitempty"`
	CopyrightStatus string `json:"copyright_status,omitempty"`
}

// Relation properties.
const (
	PropDepicts         = "P180"
	PropDigitalRep      = "P6243"
	PropCreator         = "P170"
	PropCopyrightStatus = "P6216"
	PropLicense         = "P275"
	PropImage           = "P18"
)

var (
	qidPattern  = regexp.MustCompile(`^Q[1-9][0-9]*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
)

// DefaultWikitext is the description page when the template gives none.
const DefaultWikitext = "=={{int:filedesc}}==\n{{Information\n |description = {caption}\n |source      = {source}\n |author      = {credit}\n}}\n{{Wikidata item|{qid}}}\n\n=={{int:license-header}}==\n{license}\n\n{categories}\n"

// ParseSettings reads a template's media object and checks it against the
// dataset's columns, reporting every problem at once.
func ParseSettings(raw json.RawMessage, columns []string) (*Settings, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, jobs.Errorf(jobs.EINVALID, `The template has no "media" settings: add a title pattern, a licence and the column naming each row's file.`)
	}
	s := &Settings{}
	problems, err := jobs.DecodeStrict(raw, s, `The template's "media" object`)
	if err != nil {
		return nil, err
	}
	s.Title = strings.TrimSpace(s.Title)
	if s.Wikitext == "" {
		s.Wikitext = DefaultWikitext
	}
	if s.Relation == "" {
		s.Relation = "depicts"
	}
	if s.Source.Kind == "" {
		s.Source.Kind = jobs.MediaFromURL
	}
	has := func(c string) bool { return slices.Contains(columns, c) }
	switch {
	case s.Source.Kind != jobs.MediaFromURL && s.Source.Kind != jobs.MediaFromZip:
		problems = append(problems, fmt.Sprintf(`source.kind must be "url" or "zip", not %q`, s.Source.Kind))
	case s.Source.Column == "":
		problems = append(problems, "source.column must name the column holding each row's file")
	case !has(s.Source.Column):
		problems = append(problems, fmt.Sprintf("source.column %q is not a column of the dataset", s.Source.Column))
	}
	if s.Title == "" {
		problems = append(problems, `title must give the file name pattern, e.g. "{Title} ({Inventory}).{ext}"`)
	}
	check := func(field, pattern string) {
		for _, name := range Placeholders(pattern) {
			if !builtin[name] && !has(name) {
				problems = append(problems, fmt.Sprintf("%s names {%s}, which is neither a column of the dataset nor one of {ext}, {qid}, {row}", field, name))
			}
		}
	}
	check("title", s.Title)
	check("wikitext", s.Wikitext)
	check("credit", s.Credit)
	check("creator", s.Creator)
	for i, c := range s.Categories {
		check(fmt.Sprintf("categories[%d]", i), c)
	}
	for lang, c := range s.Captions {
		if !langPattern.MatchString(lang) {
			problems = append(problems, fmt.Sprintf("captions: %q is not a language code", lang))
		}
		check("captions."+lang, c)
	}
	switch s.Relation {
	case "depicts", "digital_representation":
	default:
		problems = append(problems, fmt.Sprintf(`relation must be "depicts" (P180) or "digital_representation" (P6243), not %q`, s.Relation))
	}
	if s.Creator != "" && len(Placeholders(s.Creator)) == 0 && !qidPattern.MatchString(s.Creator) {
		problems = append(problems, fmt.Sprintf("creator %q is not an item id (Q…) or a pattern giving one", s.Creator))
	}
	for field, q := range map[string]string{"license.qid": s.License.QID, "license.copyright_status": s.License.CopyrightStatus} {
		if q != "" && !qidPattern.MatchString(q) {
			problems = append(problems, fmt.Sprintf("%s %q is not an item id (Q…)", field, q))
		}
	}
	if s.MaxMB < 0 {
		problems = append(problems, "max_mb must be positive")
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, jobs.Errorf(jobs.EINVALID, "The template's media settings have problems: %s.", strings.Join(problems, "; "))
	}
	return s, nil
}

// builtin placeholders, filled by the planner rather than from a column.
var builtin = map[string]bool{"ext": true, "qid": true, "row": true, "license": true, "credit": true, "source": true,
	"categories": true, "caption": true}

// Placeholders lists the {name}s of a pattern, in order. "{{" and "}}" are
// wikitext, not placeholders.
func Placeholders(pattern string) []string {
	var out []string
	_ = expand(pattern, func(name string) (string, bool) {
		out = append(out, name)
		return "", true
	})
	return out
}

// expand fills a pattern's placeholders with value(name); a placeholder for
// which value says false is an error naming it. "{{" and "}}" pass through
// as they are (templates in wikitext patterns).
func expand(pattern string, value func(name string) (string, bool)) error {
	_, err := expandTo(nil, pattern, value)
	return err
}

func expandTo(b *strings.Builder, pattern string, value func(string) (string, bool)) (*strings.Builder, error) {
	if b == nil {
		b = &strings.Builder{}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '{' && i+1 < len(pattern) && pattern[i+1] == '{':
			b.WriteString("{{")
			i += 2
		case c == '}' && i+1 < len(pattern) && pattern[i+1] == '}':
			b.WriteString("}}")
			i += 2
		case c == '{':
			end := strings.IndexAny(pattern[i+1:], "{}\n")
			if end < 0 || pattern[i+1+end] != '}' {
				b.WriteByte(c)
				i++
				continue
			}
			name := pattern[i+1 : i+1+end]
			v, ok := value(name)
			if !ok {
				return b, fmt.Errorf("{%s}", name)
			}
			b.WriteString(v)
			i += end + 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b, nil
}
