package reconapi

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The parsers read whatever the world sends: they never panic, and what
// they accept is something the service can match.

func FuzzParseBatch(f *testing.F) {
	for _, seed := range []string{
		`{"q0": {"query": "Hilma af Klint", "type": "Q5", "limit": 3, "properties": [{"pid": "P569", "v": "1862"}, {"pid": "P27", "v": {"id": "Q34"}}]}}`,
		`{"q0": {"query": "x", "type": ["Q5", "Q1900"], "type_strict": "any"}}`,
		`{"q0": {"properties": [{"pid": "P245", "v": ["1", 2, true]}]}}`,
		`{"q0": {}}`, `{"q0": "x"}`, `[]`, `null`, `{"q0": {"query": "x", "limit": 1e300}}`, `{"q0": {"query": "x", "limit": -0}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		batch, err := parseBatch(raw, 50)
		if err != nil {
			return
		}
		if len(batch) > 50 {
			t.Fatalf("%d queries accepted", len(batch))
		}
		for id, q := range batch {
			if q.Query == "" && len(q.Properties) == 0 {
				t.Fatalf("%s: nothing to match on accepted: %+v", id, q)
			}
			if q.Limit < 0 || len([]rune(q.Query)) > maxQueryRunes {
				t.Fatalf("%s: %+v", id, q)
			}
		}
	})
}

func FuzzParseQueriesV1(f *testing.F) {
	for _, seed := range []string{
		`{"queries": [{"type": "Q5", "limit": 2, "lang": "sv", "conditions": [{"matchType": "name", "propertyValue": "Anna"}, {"matchType": "property", "propertyId": "P569", "propertyValue": ["1850", 1850]}]}]}`,
		`{"queries": [{"conditions": [{"matchType": "id", "propertyValue": "Q42"}]}]}`,
		`{"queries": [{"conditions": [{"matchType": "name", "propertyValue": "x", "matchQualifier": "WildcardMatch"}]}]}`,
		`{"queries": []}`, `{"queries": null}`, `{"queries": [{}]}`, `{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		qs, err := parseQueriesV1([]byte(raw), 50)
		if err != nil {
			return
		}
		for i, q := range qs {
			if q.Query == "" && len(q.Properties) == 0 && q.ItemID == "" {
				t.Fatalf("query %d: nothing to match on accepted: %+v", i, q)
			}
			if q.ItemID != "" && !itemID.MatchString(q.ItemID) {
				t.Fatalf("query %d: item id %q", i, q.ItemID)
			}
		}
	})
}

func FuzzParseExtension(f *testing.F) {
	for _, seed := range []string{
		`{"ids": ["Q1", "Q2"], "properties": [{"id": "P17"}, {"id": "P17/P297", "settings": {"limit": "2"}}]}`,
		`{"ids": ["x } ?a ?b"], "properties": [{"id": "P1 } UNION {"}]}`,
		`{"ids": [], "properties": []}`, `[]`, `{"ids": ["Q1"], "properties": [{"id": "P1", "settings": {"limit": -1}}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		req, err := parseExtension([]byte(raw), 50)
		if err != nil {
			return
		}
		for _, p := range req.Properties {
			// Only well-formed paths ever reach a query.
			if p.Path != nil && (!propertyPath.MatchString(strings.Join(p.Path, "/")) || len(p.Path) > maxPathSteps) {
				t.Fatalf("path %v accepted", p.Path)
			}
			if p.Limit < 0 {
				t.Fatalf("limit %d", p.Limit)
			}
		}
	})
}

// FuzzPreviewCard: whatever the wiki holds, the card holds it as text,
// never as markup: the card is the one rendered with placeholders, each
// slot holding text with no tag in it that reads back as the value.
func FuzzPreviewCard(f *testing.F) {
	for _, seed := range []string{"Hilma af Klint", "<script>alert(1)</script>", `" onmouseover="x`, "a & b", "</dd><img src=x>", "+'"} {
		f.Add(seed, seed)
	}
	render := func(t testing.TB, label, fact string) string {
		var b bytes.Buffer
		d := cardData{Lang: "en", ID: "Q1", Name: label, Description: label, URL: "https://www.wikidata.org/wiki/Q1",
			Facts: []cardFact{{Name: fact, Values: fact}}}
		if err := previewCard.Execute(&b, d); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	slot := regexp.MustCompile("\x01(label|fact)\x01")
	shape := render(f, "\x01label\x01", "\x01fact\x01")
	fixed := slot.Split(shape, -1)
	kinds := slot.FindAllStringSubmatch(shape, -1)
	f.Fuzz(func(t *testing.T, label, fact string) {
		if label == "" || fact == "" || !utf8.ValidString(label+fact) || strings.ContainsRune(label+fact, 0) {
			return
		}
		got := render(t, label, fact)
		rest := got
		for i, part := range fixed {
			if !strings.HasPrefix(rest, part) {
				t.Fatalf("label %q, fact %q: markup changed at %q:\n%s", label, fact, part, got)
			}
			rest = rest[len(part):]
			if i == len(kinds) {
				break
			}
			// The markup after every slot starts with a tag.
			end := strings.IndexByte(rest, '<')
			if end < 0 {
				t.Fatalf("no markup after slot %d:\n%s", i, got)
			}
			want := label
			if kinds[i][1] == "fact" {
				want = fact
			}
			if text := html.UnescapeString(rest[:end]); text != want {
				t.Fatalf("slot %d holds %q, want %q:\n%s", i, text, want, got)
			}
			rest = rest[end:]
		}
		if rest != "" {
			t.Fatalf("trailing %q", rest)
		}
	})
}
