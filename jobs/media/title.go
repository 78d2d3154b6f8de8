package media

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Commons' title rules for file names, as MediaWiki applies them
// (MediaWikiTitleCodec::splitTitleString, $wgLegalTitleChars, UploadBase's
// file-name checks and $wgIllegalFileChars) plus Commons' 240-byte limit on
// uploaded file names and its list of file extensions.

// MaxFileNameBytes is the longest file name Commons' upload accepts (the
// page title may be 255 bytes, but the upload module stops at 240).
const MaxFileNameBytes = 240

// extensionTypes maps each extension Commons takes to the content types a
// file with that extension may have (what net/http sniffs, or what our own
// sniffing adds for formats it does not know).
var extensionTypes = map[string][]string{
	"jpg":  {"image/jpeg"},
	"jpeg": {"image/jpeg"},
	"png":  {"image/png"},
	"gif":  {"image/gif"},
	"webp": {"image/webp"},
	"tif":  {"image/tiff"},
	"tiff": {"image/tiff"},
	"svg":  {"image/svg+xml"},
	"pdf":  {"application/pdf"},
	"djvu": {"image/vnd.djvu"},
	"ogg":  {"application/ogg", "audio/ogg", "video/ogg"},
	"oga":  {"application/ogg", "audio/ogg"},
	"ogv":  {"application/ogg", "video/ogg"},
	"opus": {"application/ogg", "audio/ogg"},
	"flac": {"audio/flac"},
	"wav":  {"audio/wave", "audio/wav"},
	"webm": {"video/webm"},
	"mp3":  {"audio/mpeg"},
	"mid":  {"audio/midi"},
	"midi": {"audio/midi"},
}

// ExtensionFor is the usual extension of a content type ("" when Commons
// takes no file of that type).
func ExtensionFor(contentType string) string {
	switch contentType {
	case "image/jpeg":
		return "jpg"
	case "image/tiff":
		return "tif"
	case "application/ogg", "audio/ogg":
		return "ogg"
	case "audio/wave", "audio/wav":
		return "wav"
	case "audio/midi":
		return "mid"
	}
	for ext, types := range extensionTypes {
		if len(types) == 1 && types[0] == contentType {
			return ext
		}
	}
	return ""
}

var (
	percentEncoded = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)
	htmlEntity     = regexp.MustCompile(`&[A-Za-z0-9\x{80}-\x{10FFFF}]+;`)
	spaces         = regexp.MustCompile(`[ _\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+`)
)

// NormaliseTitle makes a file name the way MediaWiki would store it:
// underscores and runs of Unicode spaces become one space, the ends are
// trimmed, a leading "File:" is dropped, and the first letter is upper case
// (Commons capitalises titles).
func NormaliseTitle(name string) string {
	name = spaces.ReplaceAllString(name, " ")
	name = strings.TrimSpace(name)
	if len(name) >= 5 && strings.EqualFold(name[:5], "file:") {
		name = strings.TrimSpace(name[5:])
	}
	if r, n := utf8.DecodeRuneInString(name); r != utf8.RuneError && unicode.IsLower(r) {
		if u := unicode.ToUpper(r); u != r && utf8.RuneLen(u) > 0 {
			name = string(u) + name[n:]
		}
	}
	return name
}

// TitleProblem is why a file name breaks Commons' rules; the message names
// what to change.
type TitleProblem struct{ Message string }

func (p TitleProblem) Error() string { return p.Message }

// CheckTitle checks a normalised file name against Commons' title rules and
// contentType (the sniffed type; "" when unknown, which skips the match of
// extension and content). It returns every problem found, nil when none.
func CheckTitle(name, contentType string) []TitleProblem {
	var out []TitleProblem
	add := func(format string, args ...any) { out = append(out, TitleProblem{fmt.Sprintf(format, args...)}) }
	if name == "" {
		return []TitleProblem{{"The file name is empty."}}
	}
	if !utf8.ValidString(name) {
		add("The file name is not valid UTF-8 text.")
		return out
	}
	if bad := forbiddenChars(name); bad != "" {
		add("The file name contains %s, which MediaWiki does not allow in titles.", bad)
	}
	if strings.ContainsRune(name, utf8.RuneError) {
		add("The file name contains the replacement character U+FFFD (the text was decoded wrongly somewhere).")
	}
	if m := percentEncoded.FindString(name); m != "" {
		add("The file name contains %q, which MediaWiki reads as URL encoding and does not allow.", m)
	}
	if m := htmlEntity.FindString(name); m != "" {
		add("The file name contains %q, which MediaWiki reads as an HTML entity and does not allow.", m)
	}
	if strings.Contains(name, "~~~") {
		add("The file name contains \"~~~\", which MediaWiki would replace with a signature.")
	}
	if strings.HasPrefix(name, ":") {
		add("The file name starts with a colon.")
	}
	if n := len(name); n > MaxFileNameBytes {
		add("The file name is %d bytes long; Commons takes at most %d bytes (UTF-8).", n, MaxFileNameBytes)
	}
	base, ext := splitExtension(name)
	switch {
	case ext == "":
		add("The file name has no extension (such as .jpg).")
	case extensionTypes[strings.ToLower(ext)] == nil:
		add("Commons does not take files with the extension .%s.", ext)
	case contentType != "" && !typeMatches(strings.ToLower(ext), contentType):
		want := ExtensionFor(contentType)
		if want == "" {
			add("The file is %s, which Commons does not take.", contentType)
		} else {
			add("The file name ends in .%s but the file is %s: use .%s.", ext, contentType, want)
		}
	}
	if strings.TrimSpace(base) == "" && ext != "" {
		add("The file name is only an extension.")
	}
	if inner := path.Ext(base); inner != "" && extensionTypes[strings.ToLower(strings.TrimPrefix(inner, "."))] != nil {
		add("The file name has two extensions (%s.%s); Commons refuses names like that.", inner, ext)
	}
	return out
}

// forbiddenChars lists, quoted, the characters of name that MediaWiki's
// titles or file names forbid.
func forbiddenChars(name string) string {
	seen := map[rune]bool{}
	var list []string
	for _, r := range name {
		if seen[r] || !forbidden(r) {
			continue
		}
		seen[r] = true
		if unicode.IsPrint(r) {
			list = append(list, fmt.Sprintf("%q", string(r)))
		} else {
			list = append(list, fmt.Sprintf("U+%04X", r))
		}
	}
	return strings.Join(list, ", ")
}

func forbidden(r rune) bool {
	switch {
	case strings.ContainsRune("#<>[]|{}", r): // outside $wgLegalTitleChars
		return true
	case strings.ContainsRune(":/\\", r): // $wgIllegalFileChars and path separators
		return true
	case r < 0x20 || r == 0x7F: // control characters
		return true
	case r >= 0x80 && r <= 0x9F: // C1 controls
		return true
	case r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E): // direction marks MediaWiki strips
		return true
	case r == 0xFFFD:
		return false // reported on its own
	}
	return false
}

func splitExtension(name string) (base, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

func typeMatches(ext, contentType string) bool {
	for _, t := range extensionTypes[ext] {
		if t == contentType {
			return true
		}
	}
	return false
}

// FixExtension returns name with its extension replaced by (or, when it
// has none Commons knows, completed with) the one for contentType. Title
// patterns may end in ".{ext}"; this is how that placeholder is filled.
func FixExtension(name, contentType string) string {
	want := ExtensionFor(contentType)
	if want == "" {
		return name
	}
	base, ext := splitExtension(name)
	if ext != "" && typeMatches(strings.ToLower(ext), contentType) {
		return name
	}
	if ext != "" && extensionTypes[strings.ToLower(ext)] != nil {
		return base + "." + want
	}
	return name + "." + want
}
