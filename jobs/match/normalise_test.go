package match

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNameKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"René Magritte", "rene magritte"},
		{"  RENE   magritte ", "rene magritte"},
		{"Re\u0301ne Magritte", "rene magritte"}, // decomposed accent
		{"Søren Kierkegaard", "soren kierkegaard"},
		{"Straße", "strasse"},
		{"J.M.W. Turner", "j m w turner"},
		{"O'Keeffe, Georgia", "okeeffe georgia"},
		{"Łukasz Żak", "lukasz zak"},
		{"ＡＢＣ", "abc"}, // full-width, NFKD
		{"ᏺ", "Ᏺ"},     // Cherokee folds to its capitals, as Unicode's CaseFolding says
		{"Ᏺ", "Ᏺ"},
		{"ꭰꮳ", "ᎠᏣ"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NameKey(tt.in); got != tt.want {
			t.Errorf("NameKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNameVariants(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hilma af Klint", []string{"Hilma af Klint"}},
		{"  Hilma   af\tKlint ", []string{"Hilma af Klint"}},
		{"Klint, Hilma af", []string{"Klint, Hilma af", "Hilma af Klint"}},
		{"Carl Larsson (painter)", []string{"Carl Larsson (painter)", "Carl Larsson"}},
		{"Larsson, Carl (1853-1919)", []string{"Larsson, Carl (1853-1919)", "Larsson, Carl", "Carl Larsson"}},
		{"hilma af klint", []string{"hilma af klint", "Hilma af Klint", "Hilma Af Klint"}},
		{"ANDERS ZORN", []string{"ANDERS ZORN", "Anders Zorn"}},
		{"Re\u0301ne", []string{"R\u00e9ne"}}, // NFC
		{"", nil},
		{"   ", nil},
	}
	for _, tt := range tests {
		if got := NameVariants(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("NameVariants(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNameNormaliser(f *testing.F) {
	for _, s := range []string{"René Magritte", "Klint, Hilma af", "x (y) [z]", "ß", "\xff,", "a,,b", "(((", "ǅ", "ᏺ", "Ᏺ", "ꭰ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NameKey(s)
		if !utf8.ValidString(k) || NameKey(k) != k {
			t.Fatalf("NameKey(%q) = %q is not a fixed point", s, k)
		}
		if strings.Contains(k, "  ") || strings.TrimSpace(k) != k {
			t.Fatalf("NameKey(%q) = %q has stray spaces", s, k)
		}
		vs := NameVariants(s)
		if len(vs) > maxVariants {
			t.Fatalf("%d variants", len(vs))
		}
		for _, form := range []string{FormPerson, FormTitle, FormName} {
			lv := lookupVariants(s, form)
			if len(lv) > maxVariants+2 || (tidy(s) != "" && len(lv) == 0) {
				t.Fatalf("lookupVariants(%q, %s) = %q", s, form, lv)
			}
			for i, v := range lv {
				if v == "" || !utf8.ValidString(v) || slices.Contains(lv[:i], v) {
					t.Fatalf("lookupVariants(%q, %s) = %q: empty, invalid or duplicate", s, form, lv)
				}
			}
		}
		for _, v := range idSpellings(s, Column{Spelling: SpellingLoose}) {
			if v != s && !sameID(v, s, Column{Spelling: SpellingLoose}) {
				t.Fatalf("idSpellings(%q) gave %q, which is not the same identifier", s, v)
			}
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if v == "" || !utf8.ValidString(v) || seen[v] {
				t.Fatalf("NameVariants(%q) = %q: empty, invalid or duplicate", s, vs)
			}
			seen[v] = true
		}
	})
}
