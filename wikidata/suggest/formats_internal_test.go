package suggest

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"unicode/utf8"

	"partnerhub/sparql"
)

// constraintRows answers the format-constraint query with n patterns
// shaped like Wikidata's (fixed prefixes, digit runs, alternations).
type constraintRows int

func (n constraintRows) Select(context.Context, string) (*sparql.Results, error) {
	res := &sparql.Results{Vars: []string{"property", "regex"}}
	for i := range int(n) {
		var re string
		switch i % 4 {
		case 0:
			re = fmt.Sprintf(`%d\d{%d}`, 100+i%900, 4+i%6)
		case 1:
			re = fmt.Sprintf(`[a-z]{2}\d{%d,%d}`, 3+i%4, 8+i%4)
		case 2:
			re = fmt.Sprintf(`(n|nb|nr)%d[0-9]{6}`, i%100)
		default:
			re = `[1-9]\d*`
		}
		res.Rows = append(res.Rows, map[string]sparql.Term{
			"property": {Type: "uri", Value: fmt.Sprintf("http://www.wikidata.org/entity/P%d", 1000+i)},
			"regex":    {Type: "literal", Value: re},
		})
	}
	return res, nil
}

// BenchmarkFormatsMatching matches an identifier column's 50 values
// against 8,000 format constraints (about as many as Wikidata has; here
// about 2,100 distinct patterns, many properties sharing plain digits).
func BenchmarkFormatsMatching(b *testing.B) {
	f, err := NewFormats(constraintRows(8000), "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/", nil)
	if err != nil {
		b.Fatal(err)
	}
	values := make([]string, 50)
	for i := range values {
		values[i] = fmt.Sprintf("500%06d", 115493+i)
	}
	ctx := context.Background()
	if _, err := f.Matching(ctx, values, 5); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Matching(ctx, values, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLiteralRunes(t *testing.T) {
	for src, want := range map[string]int{`500\d{6}`: 3, `[1-9]\d(\d{0,7}|\d{17,20})`: 0, `(n|nb|nr)\d+`: 1, `Q\d+`: 1, `(ab){3}`: 6, `a*b?c+`: 1, `(?!0)\d`: 0} {
		if got := literalRunes(src); got != want {
			t.Errorf("literalRunes(%q) = %d, want %d", src, got, want)
		}
	}
}

// FuzzLiteralRunes: any text quoted as a pattern has all its characters
// fixed, and no pattern makes the count panic or go negative.
func FuzzLiteralRunes(f *testing.F) {
	for _, s := range []string{"500", `a.b`, "", "ÅÄÖ", `\d{3}`, "(?i)abc", "[[:alpha:]]", "x{2,1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := literalRunes(s); n < 0 {
			t.Fatalf("literalRunes(%q) = %d", s, n)
		}
		if !utf8.ValidString(s) {
			return
		}
		if got, want := literalRunes(regexp.QuoteMeta(s)), utf8.RuneCountInString(s); got != want {
			t.Fatalf("literalRunes(QuoteMeta(%q)) = %d, want %d", s, got, want)
		}
	})
}
