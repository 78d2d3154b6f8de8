package sparql_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
)

func TestEscaping(t *testing.T) {
	lits := map[string]string{
		`plain`:           `"plain"`,
		`say "hi"`:        `"say \"hi\""`,
		`back\slash`:      `"back\\slash"`,
		"line\nbreak\r\t": `"line\nbreak\r\t"`,
		"nul\x00":         `"nul\u0000"`,
		"bad\xffutf8":     "\"bad\uFFFDutf8\"",
		"René":            `"René"`,
	}
	for in, want := range lits {
		if got := sparql.Literal(in); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
	if _, err := sparql.LangLiteral("x", "en} . ?s ?p ?o"); err == nil {
		t.Error("bad language tag accepted")
	}
	if l, err := sparql.LangLiteral("x", "sv-FI"); err != nil || l != `"x"@sv-FI` {
		t.Errorf("LangLiteral: %s %v", l, err)
	}
	for _, bad := range []string{"", "noscheme", "http://x/a b", "http://x/>", "http://x/{a}", "http://x/\\", "http://x/\n", "1http://x"} {
		if _, err := sparql.IRI(bad); err == nil {
			t.Errorf("IRI(%q) accepted", bad)
		}
	}
	for _, good := range []string{"http://www.wikidata.org/entity/Q42", "https://commons.wikimedia.org/wiki/File:Ren%C3%A9.jpg", "http://x/Réne",
		"http://[v7.x:y]/", "http://[::ffff:1.2.3.4]:8080/", "urn:isbn:0451450523", "mailto:a@b", "http://user:pw@host/p?q=1#f/?", "a:"} {
		if _, err := sparql.IRI(good); err != nil {
			t.Errorf("IRI(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"http://[fe80::1%25eth0]/", "http://[::1]x/", "A:[]", "a:%", "a:%zz", "http://a@b@c/", "http://x:8o/", "http://x/😀", "a:#a#b", "http://x/?q=[1]"} {
		if _, err := sparql.IRI(bad); err == nil {
			t.Errorf("IRI(%q) accepted", bad)
		}
	}
	if iri, err := sparql.PrefixedEntity("http://www.wikidata.org/entity/", "Q42"); err != nil || iri != "<http://www.wikidata.org/entity/Q42>" {
		t.Errorf("PrefixedEntity: %s %v", iri, err)
	}
	for _, bad := range []string{"Q0", "Q42>", "q42", "Q", "X42", "Q42 . ?s"} {
		if _, err := sparql.PrefixedEntity("http://www.wikidata.org/entity/", bad); err == nil {
			t.Errorf("PrefixedEntity(%q) accepted", bad)
		}
	}
	v := sparql.ValuesBlock([]string{"id", "row"}, [][]string{{sparql.Literal("a"), `"1"`}, {sparql.Literal("b")}})
	if !strings.Contains(v, `("a" "1")`) || !strings.Contains(v, `("b" UNDEF)`) {
		t.Errorf("ValuesBlock: %s", v)
	}
	if v := sparql.ValuesBlock([]string{"id"}, [][]string{{sparql.Literal("a")}, {""}}); v != "VALUES ?id {\n  \"a\"\n  UNDEF\n}" {
		t.Errorf("ValuesBlock of one variable: %q", v)
	}
	if p := sparql.Prefixes(map[string]string{"wd": "http://www.wikidata.org/entity/", "": "http://example.org/", "a.b": "urn:x:"}); p != "PREFIX : <http://example.org/>\nPREFIX a.b: <urn:x:>\nPREFIX wd: <http://www.wikidata.org/entity/>\n" {
		t.Errorf("Prefixes: %q", p)
	}
	for _, bad := range []map[string]string{{"_x": "urn:x:"}, {"a.": "urn:x:"}, {"wd": "http://x/>"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Prefixes(%v) did not panic", bad)
				}
			}()
			sparql.Prefixes(bad)
		}()
	}
	if got := len(sparql.Chunk([]int{1, 2, 3, 4, 5}, 2)); got != 3 {
		t.Errorf("Chunk: %d chunks", got)
	}
}

var (
	fuzzOnce   sync.Once
	fuzzServer *sparqltest.Server
	fuzzClient *sparql.Client
	fuzzErr    error
)

// engine starts one endpoint for all fuzz inputs (one per input would be far too slow).
func engine(t *testing.T) *sparql.Client {
	fuzzOnce.Do(func() {
		if err := sparqltest.Available(); err != nil {
			fuzzErr = err
			return
		}
		fuzzServer, fuzzErr = sparqltest.StartProcess()
		if fuzzErr == nil {
			fuzzClient, fuzzErr = sparql.NewClient(sparql.Config{Endpoint: fuzzServer.Endpoint(), Logger: quiet, MaxRetries: -1})
		}
	})
	if fuzzErr != nil {
		if isCI() {
			t.Fatal(fuzzErr)
		}
		t.Skip(fuzzErr)
	}
	return fuzzClient
}

// FuzzLiteralRoundTrip: for any string, a real engine evaluates the escaped
// literal back to exactly that string (invalid UTF-8 as U+FFFD), plain and
// language-tagged; a language tag LangLiteral accepts comes back too (engines
// may change its case). Nothing the input holds can change the query's shape:
// the answer has one variable and one row.
func FuzzLiteralRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `"; DROP`, `\`, "\"\"\"", "a\nb", "\x00", "'''", "}", "René Magritte", "\u2028", "\U0001F600", "\xff\xfe", `\u0022`, "?x } UNION { ?s ?p ?o", "\x7f\u0085\ufeff", `\\"`} {
		f.Add(s, "en")
	}
	for _, lang := range []string{"sv-FI", "zh-Hant-TW", "en} . ?s ?p ?o", "", "x-private-1", "EN-gb", "a-", "123", "A", "zh-classical", "be-x-old", "sr-Latn-RS", "de-419"} {
		f.Add("x", lang)
	}
	f.Fuzz(func(t *testing.T, s, lang string) {
		c := engine(t)
		want := strings.ToValidUTF8(s, "\uFFFD")
		terms := []string{sparql.Literal(s)}
		tagged, err := sparql.LangLiteral(s, lang)
		if err == nil {
			terms = append(terms, tagged)
		} else if langTag.MatchString(lang) {
			t.Fatalf("LangLiteral refused the tag %q: %v", lang, err)
		}
		for i, term := range terms {
			res, err := c.Select(context.Background(), "SELECT ?x WHERE { BIND("+term+" AS ?x) }")
			if err != nil && i == 1 && !simpleLangTag.MatchString(lang) {
				// Oxigraph checks BCP 47, stricter than SPARQL's grammar. A
				// refusal is fine if the tag alone is the cause.
				if _, err := c.Select(context.Background(), "SELECT ?x WHERE { BIND("+sparql.Literal(s)+"@en AS ?x) }"); err != nil {
					t.Fatalf("literal of %q with any tag: %v", s, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("literal %s of %q: %v", term, s, err)
			}
			if len(res.Vars) != 1 || len(res.Rows) != 1 || res.Rows[0]["x"].Value != want {
				t.Fatalf("literal of %q came back as %+v", s, res)
			}
			if i == 1 && !strings.EqualFold(res.Rows[0]["x"].Lang, lang) {
				t.Fatalf("language tag %q came back as %q", lang, res.Rows[0]["x"].Lang)
			}
		}
	})
}

var (
	// langTag is SPARQL's LANGTAG, as LangLiteral documents it.
	langTag = regexp.MustCompile(`^[a-zA-Z]+(-[a-zA-Z0-9]+)*$`)
	// simpleLangTag is a language, script and region, a tag every engine takes.
	simpleLangTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?$`)
)

// FuzzIRI: what IRI accepts, the engine parses and returns unchanged; what it
// rejects is invalid: not UTF-8, a character IRIREF forbids, a character
// beyond ASCII that is no letter, digit or mark (refused on purpose, to keep
// look-alike symbols out of queries), or else the engine refuses it too.
func FuzzIRI(f *testing.F) {
	for _, s := range []string{"http://www.wikidata.org/entity/Q42", "http://x/a b", "urn:x", "http://x/>", "mailto:a@b", "http://x/é",
		"http://[::1]:8080/x", "http://x:80a/", "a:%zz", "http://x/#a#b", "http://x/[", "http://u@x/?q=1&r[]=2", "file:///tmp/x", "a:",
		"http://[v7.x:y]/", "http://[::ffff:1.2.3.4]/", "http://[fe80::1%25eth0]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[::1]x/",
		"http://x/😀", "a:\U000E0100", "a:b\u0301", "http://user:pw@host:8080/p?q#f", "http://a@b@c/", "a:%C3%A9", "a:%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		term, err := sparql.IRI(s)
		if err != nil {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "<>\"{}|^`\\") || strings.ContainsFunc(s, func(r rune) bool {
				return r <= 0x20 || (r >= 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r))
			}) {
				return
			}
			c := engine(t)
			if res, err := c.Select(context.Background(), "SELECT ?x WHERE { BIND(<"+s+"> AS ?x) }"); err == nil {
				t.Fatalf("IRI rejected %q, which the engine takes as %+v", s, res.Rows)
			}
			return
		}
		if !utf8.ValidString(s) || strings.ContainsAny(s, "<>\"{}|^`\\ \n") {
			t.Fatalf("IRI accepted %q", s)
		}
		c := engine(t)
		res, err := c.Select(context.Background(), "SELECT ?x WHERE { BIND("+term+" AS ?x) }")
		if err != nil {
			t.Fatalf("engine refused IRI %q: %v", s, err)
		}
		if len(res.Rows) != 1 || res.Rows[0]["x"].Value != s {
			t.Fatalf("IRI %q came back as %+v", s, res.Rows)
		}
	})
}
