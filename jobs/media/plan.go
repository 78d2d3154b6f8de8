package media

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"partnerhub/jobs"
	"partnerhub/wikidata"
)

// Row is a dataset row as the planner needs it.
type Row struct {
	Num    int64
	QID    string            // the row's accepted item; "" when none
	Values map[string]string // column → value
}

// FileInfo is what fetching or reading a file found.
type FileInfo struct {
	SHA1        string // hex
	Size        int64
	ContentType string // sniffed; "" when unknown
	Width       int
	Height      int
}

// MaxCaptionRunes is MediaInfo's limit on a caption's length.
const MaxCaptionRunes = 250

// Structured is a file's planned structured data, as statements_json holds
// it: the captions per language and the statements for its MediaInfo
// entity (wikidata.Statement's JSON). The upload executor sends what of it
// the file does not hold yet in one wbeditentity.
type Structured struct {
	Captions   map[string]string    `json:"captions"`
	Statements []wikidata.Statement `json:"statements"`
}

// DecodeStructured reads a file's statements_json.
func DecodeStructured(raw json.RawMessage) (*Structured, error) {
	var s Structured
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode a file's structured data: %w", err)
	}
	if s.Captions == nil {
		s.Captions = map[string]string{}
	}
	return &s, nil
}

// PlanFile works out what one row's file becomes. fetchErr is why the file
// could not be fetched or read (nil when info is valid); maxBytes the size
// limit. The file's plan-wide problems (duplicate titles, titles taken on
// Commons) are added later by CheckPlan.
func (s *Settings) PlanFile(no int64, row Row, source string, info FileInfo, fetchErr error, maxBytes int64) jobs.MediaFile {
	f := jobs.MediaFile{No: no, Row: row.Num, QID: row.QID, Source: source, SHA1: info.SHA1, Size: info.Size,
		ContentType: info.ContentType, Width: info.Width, Height: info.Height, Approved: true}
	problem := func(code string, blocking bool, format string, args ...any) {
		f.Problems = append(f.Problems, jobs.MediaProblem{Code: code, Message: fmt.Sprintf(format, args...), Blocking: blocking})
	}
	if row.QID == "" {
		problem(jobs.ProblemNoItem, true, "Row %d has no accepted item, so the file would point at nothing: accept a match for the row first.", row.Num)
	}
	fetched := false
	switch {
	case strings.TrimSpace(source) == "":
		problem(jobs.ProblemNoSource, true, "Row %d leaves the column %q empty: it names no file.", row.Num, s.Source.Column)
	case fetchErr != nil:
		code := jobs.ProblemFetch
		if jobs.ErrorCode(fetchErr) == jobs.ETOOLARGE {
			code = jobs.ProblemTooLarge
		}
		problem(code, true, "%s", jobs.ErrorMessage(fetchErr))
	case maxBytes > 0 && info.Size > maxBytes:
		problem(jobs.ProblemTooLarge, true, "The file is %s; this plan takes files of at most %s.", FormatBytes(info.Size), FormatBytes(maxBytes))
	case info.ContentType == "" || ExtensionFor(info.ContentType) == "":
		problem(jobs.ProblemType, true, "The file's content is %s, which Commons does not take.", orUnknown(info.ContentType))
	default:
		fetched = true
	}
	if strings.TrimSpace(s.License.Template) == "" {
		problem(jobs.ProblemNoLicense, true, "The template's media settings give no licence template: no file may be uploaded without one.")
	}

	ext := ExtensionFor(info.ContentType)
	var emptyTitle []string
	title, _ := expandTo(nil, s.Title, func(name string) (string, bool) {
		v := s.builtinValue(name, row, source, ext)
		if v == nil {
			col := titleValue(row.Values[name])
			if col == "" {
				emptyTitle = append(emptyTitle, name)
			}
			return col, true
		}
		return *v, true
	})
	f.Title = NormaliseTitle(title.String())
	if len(emptyTitle) > 0 {
		problem(jobs.ProblemValue, true, "Row %d leaves %s empty, which the title pattern needs.", row.Num, quoteList(emptyTitle))
	}
	ct := info.ContentType
	if !fetched {
		ct = ""
	}
	for _, p := range CheckTitle(f.Title, ct) {
		problem(jobs.ProblemTitle, true, "%s", p.Message)
	}

	var emptyText []string
	esc := func(name string) (string, bool) {
		if v := s.builtinWikitext(name, row, source, ext, &f); v != nil {
			return *v, true
		}
		v := strings.TrimSpace(row.Values[name])
		if v == "" {
			emptyText = append(emptyText, name)
		}
		return EscapeWikitext(v), true
	}
	text, _ := expandTo(nil, s.Wikitext, esc)
	f.Wikitext = text.String()
	if len(emptyText) > 0 {
		problem(jobs.ProblemValue, false, "Row %d leaves %s empty; the description page has gaps there.", row.Num, quoteList(dedupe(emptyText)))
	}

	st := Structured{Captions: map[string]string{}}
	for _, lang := range sortedKeys(s.Captions) {
		c := strings.Join(strings.Fields(s.plainText(s.Captions[lang], row, source, ext)), " ")
		switch {
		case c == "":
		case utf8.RuneCountInString(c) > MaxCaptionRunes:
			problem(jobs.ProblemValue, false, "The %s caption is %d characters long; captions hold at most %d, so it is left out.", lang, utf8.RuneCountInString(c), MaxCaptionRunes)
		default:
			st.Captions[lang] = c
		}
	}
	if row.QID != "" {
		prop := PropDepicts
		if s.Relation == "digital_representation" {
			prop = PropDigitalRep
		}
		st.Statements = append(st.Statements, wikidata.NewItemStatement(prop, row.QID))
	}
	if s.Creator != "" {
		c := strings.TrimSpace(s.plainText(s.Creator, row, source, ext))
		switch {
		case qidPattern.MatchString(c):
			st.Statements = append(st.Statements, wikidata.NewItemStatement(PropCreator, c))
		case c == "":
			problem(jobs.ProblemValue, false, "Row %d gives no creator, so the file gets no creator (P170) statement.", row.Num)
		default:
			problem(jobs.ProblemValue, false, "Row %d gives the creator %q, which is not an item id (Q…): no creator statement.", row.Num, c)
		}
	}
	if s.License.CopyrightStatus != "" {
		st.Statements = append(st.Statements, wikidata.NewItemStatement(PropCopyrightStatus, s.License.CopyrightStatus))
	}
	if s.License.QID != "" {
		st.Statements = append(st.Statements, wikidata.NewItemStatement(PropLicense, s.License.QID))
	}
	f.Statements, _ = json.Marshal(st)
	return f
}

// builtinValue fills the placeholders that come from the plan rather than
// a column, as plain text; nil for a column.
func (s *Settings) builtinValue(name string, row Row, source, ext string) *string {
	var v string
	switch name {
	case "ext":
		v = ext
		if v == "" {
			v = "bin" // unknown content: CheckTitle reports it
		}
	case "qid":
		v = row.QID
	case "row":
		v = strconv.FormatInt(row.Num, 10)
	default:
		return nil
	}
	return &v
}

// builtinWikitext fills the wikitext pattern's own placeholders (as
// wikitext, escaped where they hold data); nil for a column.
func (s *Settings) builtinWikitext(name string, row Row, source, ext string, f *jobs.MediaFile) *string {
	if v := s.builtinValue(name, row, source, ext); v != nil {
		e := EscapeWikitext(*v)
		return &e
	}
	var v string
	switch name {
	case "license":
		v = s.License.Template // the template author's wikitext
	case "credit":
		b, _ := expandTo(nil, s.Credit, func(n string) (string, bool) {
			if x := s.builtinValue(n, row, source, ext); x != nil {
				return EscapeWikitext(*x), true
			}
			return EscapeWikitext(strings.TrimSpace(row.Values[n])), true
		})
		v = b.String()
	case "source":
		if s.Source.Kind == jobs.MediaFromURL {
			v = wikitextURL(source)
		} else {
			v = EscapeWikitext(source)
		}
	case "caption":
		var parts []string
		for _, lang := range sortedKeys(s.Captions) {
			c := strings.Join(strings.Fields(s.plainText(s.Captions[lang], row, source, ext)), " ")
			if c != "" {
				parts = append(parts, "{{"+lang+"|1="+EscapeWikitext(c)+"}}")
			}
		}
		v = strings.Join(parts, " ")
	case "categories":
		var cats []string
		for _, pattern := range s.Categories {
			name := NormaliseTitle(s.plainText(pattern, row, source, ext))
			if name == "" {
				continue
			}
			if bad := forbiddenChars(name); bad != "" || strings.Contains(name, "~~~") || len(name) > 255 {
				f.Problems = append(f.Problems, jobs.MediaProblem{Code: jobs.ProblemValue,
					Message: fmt.Sprintf("The category %q is not a valid title, so it is left out.", name)})
				continue
			}
			cats = append(cats, "[[Category:"+name+"]]")
		}
		v = strings.Join(cats, "\n")
	default:
		return nil
	}
	return &v
}

// plainText fills a pattern with the row's values as they are (captions
// and the creator are data, not wikitext).
func (s *Settings) plainText(pattern string, row Row, source, ext string) string {
	b, _ := expandTo(nil, pattern, func(n string) (string, bool) {
		if v := s.builtinValue(n, row, source, ext); v != nil {
			return *v, true
		}
		return strings.TrimSpace(row.Values[n]), true
	})
	return b.String()
}

// titleValue makes a value usable inside a file name: characters titles
// forbid become "-", runs of spaces one space. CheckTitle still checks the
// result (the pattern itself may break a rule).
func titleValue(v string) string {
	v = strings.Map(func(r rune) rune {
		if forbidden(r) {
			if r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F) || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) {
				return ' '
			}
			return '-'
		}
		return r
	}, v)
	v = strings.ReplaceAll(v, "~~~", "-")
	return strings.TrimSpace(spaces.ReplaceAllString(v, " "))
}

// wikitextURL writes a URL so that it stays one external link in
// wikitext: the characters wikitext would read as syntax are
// percent-encoded (the URL means the same to the server).
func wikitextURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return EscapeWikitext(raw)
	}
	s := u.String()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte("|{}[]<>'\"~ \n\r\t", c) >= 0 || (c == '_' && i+1 < len(s) && s[i+1] == '_') {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// CheckPlan adds the problems that concern files together: two files of
// the plan with the same title (every one after the first is blocked), and
// titles taken (on Commons, or by another plan) as taken says.
func CheckPlan(files []jobs.MediaFile, taken map[string]string) {
	first := map[string]int64{}
	for i := range files {
		f := &files[i]
		if f.Title == "" {
			continue
		}
		key := f.Title
		if no, ok := first[key]; ok {
			f.Problems = append(f.Problems, jobs.MediaProblem{Code: jobs.ProblemDuplicateTitle, Blocking: true,
				Message: fmt.Sprintf("File %d of this plan has the title %q already: make the title pattern tell the rows apart.", no, f.Title)})
		} else {
			first[key] = f.No
		}
		if why, ok := taken[f.Title]; ok {
			f.Problems = append(f.Problems, jobs.MediaProblem{Code: jobs.ProblemTitleTaken, Blocking: true, Message: why})
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "of an unknown type"
	}
	return s
}

// FormatBytes writes a size for people.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// propertyNames are the properties a media plan writes, for people.
var propertyNames = map[string]string{PropDepicts: "depicts", PropDigitalRep: "digital representation of", PropCreator: "creator",
	PropCopyrightStatus: "copyright status", PropLicense: "copyright license", PropImage: "image"}

// Lines describes the planned statements for people: "P180 (depicts): Q42".
func (s *Structured) Lines() []string {
	out := make([]string, 0, len(s.Statements))
	for _, st := range s.Statements {
		v := "?"
		if st.MainSnak.DataValue != nil {
			if id, ok := st.MainSnak.DataValue.AsEntityID(); ok {
				v = id.ID
			} else {
				v = st.MainSnak.DataValue.String()
			}
		}
		name := st.MainSnak.Property
		if n, ok := propertyNames[name]; ok {
			name += " (" + n + ")"
		}
		out = append(out, name+": "+v)
	}
	return out
}
