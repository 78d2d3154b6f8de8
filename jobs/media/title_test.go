package media

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckTitle(t *testing.T) {
	cases := []struct {
		name, title, ct string
		want            string // substring of a problem; "" for none
	}{
		{"plain", "Portrait of a woman (NM 1234).jpg", "image/jpeg", ""},
		{"jpeg extension", "Portrait.jpeg", "image/jpeg", ""},
		{"upper-case extension", "Portrait.JPG", "image/jpeg", ""},
		{"tiff", "Map.tif", "image/tiff", ""},
		{"unknown content skips match", "Map.tif", "", ""},
		{"dots inside", "Mr. J. Smith, 1901.jpg", "image/jpeg", ""},
		{"version number", "Plan 1.5.png", "image/png", ""},
		{"hash", "A#B.jpg", "image/jpeg", `"#"`},
		{"angle brackets", "A<b>.jpg", "image/jpeg", `"<", ">"`},
		{"square brackets", "A [1].jpg", "image/jpeg", `"[", "]"`},
		{"pipe", "A|B.jpg", "image/jpeg", `"|"`},
		{"braces", "A{B}.jpg", "image/jpeg", `"{", "}"`},
		{"colon", "A: B.jpg", "image/jpeg", `":"`},
		{"slash", "A/B.jpg", "image/jpeg", `"/"`},
		{"backslash", `A\B.jpg`, "image/jpeg", `"\\"`},
		{"control", "A\x01B.jpg", "image/jpeg", "U+0001"},
		{"delete", "A\x7fB.jpg", "image/jpeg", "U+007F"},
		{"direction mark", "A\u200eB.jpg", "image/jpeg", "U+200E"},
		{"replacement char", "A\uFFFDB.jpg", "image/jpeg", "U+FFFD"},
		{"percent encoding", "A%20B.jpg", "image/jpeg", "URL encoding"},
		{"percent alone fine", "100% cotton.jpg", "image/jpeg", ""},
		{"entity", "A&amp;B.jpg", "image/jpeg", "HTML entity"},
		{"ampersand fine", "A & B.jpg", "image/jpeg", ""},
		{"tildes", "A~~~B.jpg", "image/jpeg", "signature"},
		{"two tildes fine", "A~~B.jpg", "image/jpeg", ""},
		{"no extension", "Portrait", "image/jpeg", "no extension"},
		{"trailing dot", "Portrait.", "image/jpeg", "no extension"},
		{"unknown extension", "Portrait.bmp", "image/bmp", "does not take files with the extension .bmp"},
		{"wrong extension", "Portrait.png", "image/jpeg", "use .jpg"},
		{"double extension", "Portrait.jpg.png", "image/png", "two extensions"},
		{"only extension", ".jpg", "image/jpeg", "only an extension"},
		{"empty", "", "", "empty"},
		{"content Commons refuses", "A.jpg", "text/html", "Commons does not take"},
		{"too long", strings.Repeat("a", 237) + ".jpg", "image/jpeg", "241 bytes"},
		{"exactly 240", strings.Repeat("a", 236) + ".jpg", "image/jpeg", ""},
		{"long in bytes not runes", strings.Repeat("é", 119) + ".jpg", "image/jpeg", "242 bytes"},
		{"invalid utf-8", "A\xff.jpg", "image/jpeg", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := CheckTitle(c.title, c.ct)
			if c.want == "" {
				if len(probs) > 0 {
					t.Fatalf("CheckTitle(%q) = %v, want no problem", c.title, probs)
				}
				return
			}
			for _, p := range probs {
				if strings.Contains(p.Message, c.want) {
					return
				}
			}
			t.Fatalf("CheckTitle(%q) = %v, want a problem saying %q", c.title, probs, c.want)
		})
	}
}

func TestNormaliseTitle(t *testing.T) {
	for in, want := range map[string]string{
		"  portrait__of_a  woman.jpg ": "Portrait of a woman.jpg",
		"File:abc.png":                 "Abc.png",
		"file: ábc.png":                "Ábc.png",
		"a\u00a0b\u3000c.jpg":          "A b c.jpg",
		"ßtraße.jpg":                   "ßtraße.jpg", // ß has no single upper-case letter
	} {
		if got := NormaliseTitle(in); got != want {
			t.Errorf("NormaliseTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFixExtension(t *testing.T) {
	for _, c := range []struct{ in, ct, want string }{
		{"A.jpg", "image/jpeg", "A.jpg"},
		{"A.png", "image/jpeg", "A.jpg"},
		{"A", "image/png", "A.png"},
		{"Mr. Smith", "image/png", "Mr. Smith.png"},
		{"A.jpg", "text/html", "A.jpg"},
	} {
		if got := FixExtension(c.in, c.ct); got != c.want {
			t.Errorf("FixExtension(%q, %q) = %q, want %q", c.in, c.ct, got, c.want)
		}
	}
}

// FuzzTitleRules: a title that passes the check holds none of the
// characters MediaWiki forbids, fits Commons' limit and ends in an
// extension matching the content; a title built from any value with
// titleValue and a fixed pattern never holds a forbidden character.
func FuzzTitleRules(f *testing.F) {
	for _, s := range []string{"Portrait", "A#B", "a/b:c", "x%41y", "&amp;", "~~~~", "\u200e", strings.Repeat("é", 200), "a.jpg", "\x00", "[[x]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		title := NormaliseTitle(titleValue(v) + " (1).jpg")
		probs := CheckTitle(title, "image/jpeg")
		if len(probs) == 0 {
			if !utf8.ValidString(title) || len(title) > MaxFileNameBytes || !strings.HasSuffix(title, ".jpg") {
				t.Fatalf("%q passed but breaks a limit", title)
			}
			for _, r := range title {
				if forbidden(r) || r == utf8.RuneError {
					t.Fatalf("%q passed but holds %U", title, r)
				}
			}
			if strings.Contains(title, "~~~") || percentEncoded.MatchString(title) || htmlEntity.MatchString(title) {
				t.Fatalf("%q passed but holds a sequence MediaWiki refuses", title)
			}
		}
		if utf8.ValidString(v) {
			for _, r := range titleValue(v) {
				if forbidden(r) {
					t.Fatalf("titleValue(%q) kept %U", v, r)
				}
			}
		}
		_ = CheckTitle(v, "")
	})
}
