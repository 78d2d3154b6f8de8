package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"partnerhub/jobs"
)

// fakePages serves n rows: row i is matched to Q(1000+i) when i is even,
// to review otherwise; row 1 is accepted as Q1 by a reviewer, row 3 rejected.
type fakePages struct {
	n     int64
	cells func(i int64) []string
	calls int
}

func (f *fakePages) ExportPage(_ context.Context, _, _ int64, after int64, limit int) ([]jobs.ReviewRow, error) {
	f.calls++
	var out []jobs.ReviewRow
	for i := after + 1; i <= f.n && len(out) < limit; i++ {
		r := jobs.ReviewRow{Row: i, Cells: f.cells(i), Match: jobs.RowMatch{Row: i, Status: jobs.MatchReview, QID: fmt.Sprint("Q", 1000+i), Score: 0.5}}
		if i%2 == 0 {
			r.Match.Status, r.Match.Score = jobs.MatchMatched, 0.975
		}
		switch i {
		case 1:
			r.Decision = &jobs.Decision{Kind: jobs.DecisionAccept, QID: "Q1", UserName: "Secret Reviewer"}
		case 3:
			r.Decision = &jobs.Decision{Kind: jobs.DecisionReject, UserName: "Secret Reviewer"}
		}
		out = append(out, r)
	}
	return out, nil
}

// fakeFacts answers like a SPARQL-backed ItemFacts and records batch sizes.
type fakeFacts struct {
	batches []int
	fail    bool
}

func (f *fakeFacts) Facts(_ context.Context, qids, langs, props []string) (map[string]ItemFact, error) {
	if f.fail {
		return nil, errors.New("endpoint timed out")
	}
	f.batches = append(f.batches, len(qids))
	out := map[string]ItemFact{}
	for _, q := range qids {
		if q == "Q1004" {
			continue // unknown to the wiki (deleted item)
		}
		fact := ItemFact{Labels: map[string]string{}, Descriptions: map[string]string{}, Claims: map[string][]string{}}
		for _, l := range langs {
			fact.Labels[l] = l + ":" + q
			fact.Descriptions[l] = "=desc " + q
		}
		for _, p := range props {
			fact.Claims[p] = []string{p + "a", p + "b"}
		}
		out[q] = fact
	}
	return out, nil
}

var twoCols = &jobs.Dataset{ID: 9, Columns: []string{"name", "year"}}

func TestEnrichedCSVAndTSV(t *testing.T) {
	for _, format := range []Format{FormatCSV, FormatTSV} {
		t.Run(string(format), func(t *testing.T) {
			src := &fakePages{n: 4, cells: func(i int64) []string {
				if i == 4 {
					return []string{"ragged"} // fewer cells than columns
				}
				return []string{fmt.Sprintf("=HYPERLINK(\"x\") %d", i), "-1"}
			}}
			facts := &fakeFacts{}
			var buf bytes.Buffer
			err := WriteEnriched(context.Background(), &buf, src, 1, twoCols, EnrichedOptions{Format: format, Languages: []string{"en", "sv"}, Properties: []string{"P18"}, Facts: facts})
			if err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(&buf)
			if format == FormatTSV {
				r.Comma = '\t'
			}
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := "name,year,wikidata_qid,match_status,match_score,decision,label_en,description_en,label_sv,description_sv,P18"
			if strings.Join(recs[0], ",") != want {
				t.Fatalf("header %q", recs[0])
			}
			if len(recs) != 5 {
				t.Fatalf("%d records", len(recs))
			}
			for i, want := range [][]string{
				{"'=HYPERLINK(\"x\") 1", "-1", "Q1", "review", "0.500", "accept", "en:Q1", "'=desc Q1", "sv:Q1", "'=desc Q1", "P18a|P18b"},
				{"'=HYPERLINK(\"x\") 2", "-1", "Q1002", "matched", "0.975", "", "en:Q1002", "'=desc Q1002", "sv:Q1002", "'=desc Q1002", "P18a|P18b"},
				{"'=HYPERLINK(\"x\") 3", "-1", "", "review", "0.500", "reject", "", "", "", "", ""},
				{"ragged", "", "Q1004", "matched", "0.975", "", "", "", "", "", ""},
			} {
				if got := recs[i+1]; strings.Join(got, "¦") != strings.Join(want, "¦") {
					t.Errorf("row %d: %q\nwant    %q", i+1, got, want)
				}
			}
			if strings.Contains(buf.String(), "Secret Reviewer") {
				t.Error("reviewer name exported")
			}
		})
	}
}

func TestEnrichedJSONFormats(t *testing.T) {
	src := func() *fakePages {
		return &fakePages{n: 3, cells: func(i int64) []string { return []string{fmt.Sprint("Name ", i), "=1+1"} }}
	}
	var lines bytes.Buffer
	if err := WriteEnriched(context.Background(), &lines, src(), 1, twoCols, EnrichedOptions{Format: FormatJSONLines, Languages: []string{"en"}, Facts: &fakeFacts{}}); err != nil {
		t.Fatal(err)
	}
	var rows []jsonRow
	for _, l := range strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n") {
		var r jsonRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 3 || rows[0].QID != "Q1" || rows[0].Labels["en"] != "en:Q1" || rows[1].Cells["year"] != "=1+1" || rows[2].QID != "" || rows[2].Labels != nil {
		t.Fatalf("json lines %+v", rows)
	}
	if rows[1].Score == nil || *rows[1].Score != 0.975 {
		t.Fatal("score missing")
	}
	var arr bytes.Buffer
	if err := WriteEnriched(context.Background(), &arr, src(), 1, twoCols, EnrichedOptions{Format: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var all []jsonRow
	if err := json.Unmarshal(arr.Bytes(), &all); err != nil {
		t.Fatalf("array %q: %v", arr.String(), err)
	}
	if len(all) != 3 || all[1].QID != "Q1002" || all[0].Labels != nil {
		t.Fatalf("array rows %+v", all)
	}
	var empty bytes.Buffer
	_ = WriteEnriched(context.Background(), &empty, &fakePages{n: 0}, 1, twoCols, EnrichedOptions{Format: FormatJSON})
	if err := json.Unmarshal(empty.Bytes(), &all); err != nil || len(all) != 0 {
		t.Fatalf("empty array %q: %v", empty.String(), err)
	}
}

func TestEnrichedPagesAndFactBatches(t *testing.T) {
	src := &fakePages{n: 2*pageRows + 7, cells: func(i int64) []string { return []string{"x", "y"} }}
	facts := &fakeFacts{}
	var buf bytes.Buffer
	if err := WriteEnriched(context.Background(), &buf, src, 1, twoCols, EnrichedOptions{Format: FormatCSV, Properties: []string{"P31"}, Facts: facts}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != 2*pageRows+7+1 {
		t.Fatalf("%d lines", n)
	}
	if src.calls != 3 {
		t.Fatalf("%d page reads, want 3", src.calls)
	}
	total := 0
	for _, b := range facts.batches {
		if b > MaxFactsBatch || b == 0 {
			t.Fatalf("batch of %d items", b)
		}
		total += b
	}
	// Rows with a final QID: all even rows, plus row 1; row 3 is rejected.
	if want := (2*pageRows+7)/2 + 1; total != want {
		t.Fatalf("asked for %d items, want %d", total, want)
	}
	// Without ItemFacts no wiki columns appear, whatever was asked.
	buf.Reset()
	_ = WriteEnriched(context.Background(), &buf, &fakePages{n: 1, cells: func(int64) []string { return []string{"a", "b"} }}, 1, twoCols, EnrichedOptions{Format: FormatCSV, Properties: []string{"P31"}})
	if strings.Contains(buf.String(), "P31") {
		t.Fatal("wiki column without ItemFacts")
	}
	// A failing wiki stops the export rather than leaving columns silently empty.
	err := WriteEnriched(context.Background(), &bytes.Buffer{}, &fakePages{n: 1, cells: func(int64) []string { return []string{"a", "b"} }}, 1, twoCols, EnrichedOptions{Format: FormatCSV, Properties: []string{"P31"}, Facts: &fakeFacts{fail: true}})
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("facts failure: %v", err)
	}
}

func TestParseWikiColumns(t *testing.T) {
	for _, c := range []struct {
		langs, props string
		ok           bool
		want         string
	}{
		{"en, SV pt-br", "p18 P625,P18", true, "en,sv,pt-br|P18,P625"},
		{"", "", true, "|"},
		{"en;drop", "", false, ""},
		{"", "Q5", false, ""},
		{"", "P0", false, ""},
		{strings.Repeat("en de fr sv nb da fi is et lv lt ", 1), "", false, ""},
	} {
		l, p, err := ParseWikiColumns(c.langs, c.props)
		if (err == nil) != c.ok {
			t.Errorf("%q %q: %v", c.langs, c.props, err)
			continue
		}
		if c.ok && strings.Join(l, ",")+"|"+strings.Join(p, ",") != c.want {
			t.Errorf("%q %q: %v %v", c.langs, c.props, l, p)
		}
	}
	if _, err := ParseFormat("xlsx"); jobs.ErrorCode(err) != jobs.EINVALID {
		t.Fatal("xlsx accepted")
	}
}

// FuzzParseWikiColumns: whatever is typed, accepted columns are well-formed
// and within the limits.
func FuzzParseWikiColumns(f *testing.F) {
	f.Add("en, sv", "P18 P625")
	f.Add("pt-br", "p31,p31")
	f.Add("en;x", "Q5")
	f.Fuzz(func(t *testing.T, langs, props string) {
		l, p, err := ParseWikiColumns(langs, props)
		if err != nil {
			if jobs.ErrorCode(err) != jobs.EINVALID {
				t.Fatalf("non-domain error %v", err)
			}
			return
		}
		if len(l) > MaxExportLanguages || len(p) > MaxExportProperties {
			t.Fatal("limits exceeded")
		}
		for _, x := range l {
			if !languageCode.MatchString(x) {
				t.Fatalf("bad language %q", x)
			}
		}
		for _, x := range p {
			if !propertyCode.MatchString(x) {
				t.Fatalf("bad property %q", x)
			}
		}
	})
}

// A row marked "not on the wiki" whose item a write-back created carries the
// created QID in every format, and the item's facts like any other.
func TestEnrichedCarriesCreatedItems(t *testing.T) {
	created := pagesFunc(func(after int64) []jobs.ReviewRow {
		if after > 0 {
			return nil
		}
		return []jobs.ReviewRow{
			{Row: 1, Cells: []string{"Olof Hilma Brännsten"}, Match: jobs.RowMatch{Row: 1, Status: jobs.MatchNone},
				Decision: &jobs.Decision{Kind: jobs.DecisionNew, CreatedQID: "Q900"}},
			{Row: 2, Cells: []string{"Not yet created"}, Match: jobs.RowMatch{Row: 2, Status: jobs.MatchNone},
				Decision: &jobs.Decision{Kind: jobs.DecisionNew}},
		}
	})
	ds := &jobs.Dataset{ID: 1, Columns: []string{"name"}}
	var buf bytes.Buffer
	if err := WriteEnriched(context.Background(), &buf, created, 1, ds, EnrichedOptions{Format: FormatCSV}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][1] != "Q900" || recs[1][4] != "new" || recs[2][1] != "" {
		t.Fatalf("csv: %v", recs)
	}
	buf.Reset()
	facts := &fakeFacts{}
	if err := WriteEnriched(context.Background(), &buf, created, 1, ds, EnrichedOptions{Format: FormatJSONLines, Languages: []string{"en"}, Facts: facts}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, second jsonRow
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(lines[1]), &second)
	if first.QID != "Q900" || first.Labels["en"] == "" || second.QID != "" {
		t.Fatalf("jsonl: %s", buf.String())
	}
}

type pagesFunc func(after int64) []jobs.ReviewRow

func (f pagesFunc) ExportPage(_ context.Context, _, _ int64, after int64, _ int) ([]jobs.ReviewRow, error) {
	return f(after), nil
}
