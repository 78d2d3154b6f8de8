package media

import (
	"strings"
	"testing"

	"partnerhub/jobs"
)

// BenchmarkPlanFile: what planning one file costs besides reading it
// (title, checks, escaped description page, structured data).
func BenchmarkPlanFile(b *testing.B) {
	s := &Settings{Source: SourceSettings{Kind: jobs.MediaFromURL, Column: "url"}, Title: "{Title} ({Inventory}).{ext}", Wikitext: DefaultWikitext,
		License: License{Template: "{{cc-by-4.0}}", QID: "Q20007257", CopyrightStatus: "Q50423863"}, Credit: "Photo: {Photographer}",
		Categories: []string{"Collections of {Museum}"}, Captions: map[string]string{"en": "{Title}", "sv": "{Title}"}, Relation: "depicts", Creator: "Q5598"}
	row := Row{Num: 1, QID: "Q42", Values: map[string]string{"Title": "Portrait of a woman | [[x]] " + strings.Repeat("é", 40), "Inventory": "NM 1234",
		"Photographer": "Anna Svensson", "Museum": "Nationalmuseum"}}
	info := FileInfo{SHA1: "0123456789abcdef0123456789abcdef01234567", Size: 1 << 20, ContentType: "image/jpeg", Width: 100, Height: 100}
	b.ReportAllocs()
	for b.Loop() {
		f := s.PlanFile(1, row, "https://example.org/a.jpg", info, nil, 100<<20)
		if f.Blocked() {
			b.Fatal(f.Problems)
		}
	}
}
