package media

import (
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeWikitext(t *testing.T) {
	for in, want := range map[string]string{
		"Portrait of a woman":   "Portrait of a woman",
		"a|b":                   "a&#124;b",
		"{{delete}}":            "&#123;&#123;delete&#125;&#125;",
		"[[Category:X]]":        "&#91;&#91;Category&#58;X&#93;&#93;",
		"<nowiki>":              "&lt;nowiki&gt;",
		"'''bold'''":            "&#39;&#39;&#39;bold&#39;&#39;&#39;",
		"~~~~":                  "&#126;&#126;&#126;&#126;",
		"__NOTOC__":             "&#95;&#95;NOTOC&#95;&#95;",
		"* list":                "&#42; list",
		"a\nb":                  "a&#10;b",
		"x=y":                   "x&#61;y",
		"AT&T":                  "AT&amp;T",
		"Öl på duk, 1890-talet": "Öl på duk, 1890-talet",
		"tab\there":             "tabhere",
		"crlf\r\nline":          "crlf&#10;line",
	} {
		got := EscapeWikitext(in)
		if strings.Contains(want, "&#58;") {
			want = strings.ReplaceAll(want, "&#58;", ":") // ':' is special only at a line start
		}
		if got != want {
			t.Errorf("EscapeWikitext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscapeWikitext: whatever the value, the escaped text holds no
// character of wikitext syntax, stays on one line, and reads back as the
// value (control characters and carriage returns aside) once the browser
// decodes its character references.
func FuzzEscapeWikitext(f *testing.F) {
	for _, s := range []string{"", "a|b", "{{x}}", "[[a]]", "<nowiki>x</nowiki>", "'''", "~~~~", "__TOC__", "*#:;", "----", "a\nb\r\n", "&amp;", "=", "}}{{", "\x00\x7f", "é", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := EscapeWikitext(v)
		if !utf8.ValidString(got) {
			t.Fatalf("EscapeWikitext(%q) = %q: not UTF-8", v, got)
		}
		for _, bad := range []string{"|", "{", "}", "[", "]", "<", ">", "''", "~~~", "__", "\n", "\r", "="} {
			if strings.Contains(got, bad) {
				t.Fatalf("EscapeWikitext(%q) = %q holds %q", v, got, bad)
			}
		}
		if got != "" && strings.ContainsAny(got[:1], "*#:; -") {
			t.Fatalf("EscapeWikitext(%q) = %q starts with line syntax", v, got)
		}
		// inside a template parameter it stays one parameter's value
		page := "{{Information|description=" + got + "|source=x}}"
		if strings.Count(page, "|") != 2 || strings.Count(page, "{{") != 1 || strings.Count(page, "}}") != 1 {
			t.Fatalf("the escaped value changed the template's shape: %q", page)
		}
		want := strings.Map(func(r rune) rune {
			if r == '\r' || (r < 0x20 && r != '\n') || r == 0x7f {
				return -1
			}
			return r
		}, strings.ToValidUTF8(v, "\uFFFD"))
		if back := html.UnescapeString(got); back != want && utf8.ValidString(v) {
			t.Fatalf("EscapeWikitext(%q) reads back as %q", v, back)
		}
	})
}

func TestPatternsKeepWikitextTemplates(t *testing.T) {
	var names []string
	out, err := expandTo(nil, "{{Artwork\n |title = {Title}\n |id = {Inventory}{ext}}}{{{1}}}{unclosed", func(n string) (string, bool) {
		names = append(names, n)
		return "<" + n + ">", true
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "{{Artwork\n |title = <Title>\n |id = <Inventory><ext>}}{{<1>}}{unclosed"
	if out.String() != want {
		t.Fatalf("expanded %q, want %q", out.String(), want)
	}
	if strings.Join(names, ",") != "Title,Inventory,ext,1" {
		t.Fatalf("placeholders %v", names)
	}
}
