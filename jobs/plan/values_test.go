package plan

import (
	"strings"
	"testing"
)

func TestNormaliseValue(t *testing.T) {
	cases := []struct{ kind, in, want, err string }{
		{"time", "1862", "1862/9", ""},
		{"time", "1862-10", "1862-10/10", ""},
		{"time", "1862-10-26", "1862-10-26/11", ""},
		{"time", "1862-10-26T00:00:00Z", "1862-10-26/11", ""},
		{"time", "-500", "-0500/9", ""},
		{"time", "1900-02-29", "", "day 29"},
		{"time", "2000-02-29", "2000-02-29/11", ""},
		{"time", "1862-13", "", "month 13"},
		{"time", "26.10.1862", "", "not a date"},
		{"time", "0", "", "no year"},
		{"item", "q42", "Q42", ""},
		{"item", "http://www.wikidata.org/entity/Q42", "Q42", ""},
		{"item", "https://www.wikidata.org/wiki/Q42", "Q42", ""},
		{"item", "Sweden", "", "not an item id"},
		{"quantity", "12,5", "12.5", ""},
		{"quantity", "+3", "3", ""},
		{"quantity", "about 3", "", "not a number"},
		{"url", "https://museum.example/p/1", "https://museum.example/p/1", ""},
		{"url", "javascript:alert(1)", "", "not an http(s) URL"},
		{"external-id", " 500115493 ", "500115493", ""},
		{"string", "a\nb", "", "line break"},
		{"string", strings.Repeat("x", 1501), "", "longer than 1500"},
		{"string", "  ", "", ""},
		{"colour", "red", "", "unknown kind"},
	}
	for _, c := range cases {
		got, err := NormaliseValue(c.kind, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: err %v, want %q", c.kind, c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %q = %q, %v; want %q", c.kind, c.in, got, err, c.want)
		}
	}
}

func FuzzNormaliseValue(f *testing.F) {
	for _, s := range []string{"1862", "1862-10-26", "Q42", "12.5", "https://x.example/", "-0", "9999-99-99"} {
		f.Add("time", s)
		f.Add("item", s)
	}
	f.Fuzz(func(t *testing.T, kind, in string) {
		out, err := NormaliseValue(kind, in)
		if err != nil || out == "" {
			return
		}
		// Normalising is idempotent (dates carry their precision, so compare
		// the date part).
		if kind == "time" {
			date, _, _ := strings.Cut(out, "/")
			again, err := NormaliseValue(kind, date)
			if err != nil || again != out {
				t.Fatalf("time %q → %q → %q (%v)", in, out, again, err)
			}
			return
		}
		again, err := NormaliseValue(kind, out)
		if err != nil || again != out {
			t.Fatalf("%s %q → %q → %q (%v)", kind, in, out, again, err)
		}
	})
}
