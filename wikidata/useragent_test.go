package wikidata

import (
	"strings"
	"testing"
)

func TestCheckUserAgent(t *testing.T) {
	for _, ok := range []string{
		"Partnerhub/0.1 (https://partnerhub.toolforge.org/)",
		"Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org) Go-http-client/1.1",
		"my-tool/dev (someone@example.org)",
	} {
		if err := CheckUserAgent(ok); err != nil {
			t.Errorf("CheckUserAgent(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Go-http-client/1.1", "Partnerhub", "Partnerhub/0.1", "Partnerhub/0.1 (Partnerhub)", "Partnerhub/0.1 ()", "(https://x.org) Partnerhub/0.1"} {
		if err := CheckUserAgent(bad); err == nil {
			t.Errorf("CheckUserAgent(%q) accepted it", bad)
		}
	}
}

func TestEditUserAgent(t *testing.T) {
	const tool = "Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org) Go-http-client/1.1"
	cases := []struct{ ua, user, want string }{
		{tool, "Hilma Reviewer", "Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org; edits for User:Hilma_Reviewer on www.wikidata.org) Go-http-client/1.1"},
		{tool, "", tool},
		{"bare", "A", "bare (edits for User:A on www.wikidata.org)"},
		// A name with parentheses, a semicolon or other scripts stays inside the comment, in ASCII.
		{tool, "Zorn (Anders); x", "Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org; edits for User:Zorn_%28Anders%29%3B_x on www.wikidata.org) Go-http-client/1.1"},
		{tool, "Сергей", "Partnerhub/1.0 (https://partnerhub.toolforge.org/; tools.partnerhub@toolforge.org; edits for User:%D0%A1%D0%B5%D1%80%D0%B3%D0%B5%D0%B9 on www.wikidata.org) Go-http-client/1.1"},
	}
	for _, c := range cases {
		got := EditUserAgent(c.ua, c.user, "https://www.wikidata.org/w/api.php")
		if got != c.want {
			t.Errorf("EditUserAgent(%q, %q) =\n %q, want\n %q", c.ua, c.user, got, c.want)
		}
		if CheckUserAgent(c.ua) == nil && CheckUserAgent(got) != nil {
			t.Errorf("EditUserAgent broke a valid User-Agent: %q", got)
		}
		for _, r := range got {
			if r > 126 || r < 32 {
				t.Errorf("non-ASCII or control character in %q", got)
			}
		}
	}
}

// FuzzEditUserAgent: whatever the user name, the result keeps the tool's
// User-Agent valid, is printable ASCII, and names the user only inside the
// contact parentheses.
func FuzzEditUserAgent(f *testing.F) {
	for _, s := range []string{"Hilma", "a (b)", "x)y(z", "Ǆ", "\x00\n", " "} {
		f.Add(s)
	}
	const tool = "Partnerhub/1.0 (https://partnerhub.toolforge.org/) Go-http-client/1.1"
	f.Fuzz(func(t *testing.T, name string) {
		got := EditUserAgent(tool, name, "https://www.wikidata.org/w/api.php")
		if err := CheckUserAgent(got); err != nil {
			t.Fatalf("EditUserAgent(%q) = %q: %v", name, got, err)
		}
		for _, r := range got {
			if r > 126 || r < 32 {
				t.Fatalf("EditUserAgent(%q) = %q has a byte a header should not", name, got)
			}
		}
		if !strings.HasSuffix(got, ") Go-http-client/1.1") || strings.Count(got, "(") != 1 || strings.Count(got, ")") != 1 {
			t.Fatalf("EditUserAgent(%q) = %q: the name escaped the contact", name, got)
		}
	})
}
