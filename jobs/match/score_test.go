package match

import (
	"strings"
	"testing"

	"partnerhub/jobs"
)

func person(label string, born string, typeOK bool, ulan string) *itemFacts {
	f := newItemFacts()
	f.Labels, f.TypeOK = []langText{{label, "en"}}, typeOK
	if born != "" {
		f.Values["P569"] = []string{born + "T00:00:00Z"}
	}
	if ulan != "" {
		f.Values["P245"] = []string{ulan}
	}
	return f
}

func TestDecide(t *testing.T) {
	e := NewEngine(nil, nil, smallTemplate(t), quiet)
	tests := []struct {
		name       string
		row        map[string]string
		facts      map[string]*itemFacts
		wantStatus jobs.MatchStatus
		wantQID    string
		wantEv     string // in the best candidate's evidence
	}{
		{"namesake with a conflicting birth year is not matched",
			map[string]string{"name": "Carl Larsson", "born": "1901"},
			map[string]*itemFacts{"Q2": person("Carl Larsson", "1853-05-28", true, "")},
			jobs.MatchReview, "Q2", "born 1901 ≠ 1853 (conflict)"},
		{"the namesake whose year agrees wins",
			map[string]string{"name": "Carl Larsson", "born": "1853"},
			map[string]*itemFacts{"Q2": person("Carl Larsson", "1853-05-28", true, ""), "Q3": person("Carl Larsson", "1901-01-01", true, "")},
			jobs.MatchMatched, "Q2", "born 1853 agrees"},
		{"identifier match wins over a same-named item",
			map[string]string{"name": "Carl Larsson", "ulan": "500009362"},
			map[string]*itemFacts{"Q2": person("Carl Larsson", "", true, "500009362"), "Q3": person("Carl Larsson", "", true, "")},
			jobs.MatchMatched, "Q2", "identifier P245 = 500009362 matches"},
		{"an identifier on another person is a conflict",
			map[string]string{"name": "Carl Larsson", "ulan": "500009362"},
			map[string]*itemFacts{"Q3": person("Carl Larsson", "", true, "500000001")},
			jobs.MatchReview, "Q3", "identifier P245 = 500009362 ≠ 500000001 (conflict)"},
		{"wrong type is penalised",
			map[string]string{"name": "Hilma af Klint", "born": "1862"},
			map[string]*itemFacts{"Q4": person("Hilma af Klint", "", false, ""), "Q1": person("Hilma af Klint", "1862-10-26", true, "")},
			jobs.MatchMatched, "Q1", "instance of Q5 or a subclass"},
		{"an item of the wrong type alone is never matched",
			map[string]string{"name": "Hilma af Klint", "born": "1862", "ulan": "1"},
			map[string]*itemFacts{"Q4": person("Hilma af Klint", "1862-01-01", false, "1")},
			jobs.MatchReview, "Q4", "not an instance of Q5"},
		{"a name alone is left for review",
			map[string]string{"name": "Carl Larsson"},
			map[string]*itemFacts{"Q2": person("Carl Larsson", "1853-05-28", true, "")},
			jobs.MatchReview, "Q2", `label "Carl Larsson"@en equals name`},
		{"accents and word order do not matter",
			map[string]string{"name": "Lefevre, Rene", "born": "1879-03-14"},
			map[string]*itemFacts{"Q9": person("René Lefèvre", "1879-03-14", true, "")},
			jobs.MatchMatched, "Q9", "ignoring case, accents and word order"},
		{"a date compares at the row's precision",
			map[string]string{"name": "Carl Larsson", "born": "1853-05"},
			map[string]*itemFacts{"Q2": person("Carl Larsson", "1853-05-28", true, "")},
			jobs.MatchMatched, "Q2", "born 1853-05 agrees"},
		{"no candidates",
			map[string]string{"name": "Nobody"}, nil, jobs.MatchNone, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var qids []string
			for q := range tt.facts {
				qids = append(qids, q)
			}
			sortQIDs(qids)
			m := e.decide(7, e.readRow(Row{Num: 7, Values: tt.row}), rowRank{kept: qids}, tt.facts, rowCands{})
			if m.Row != 7 || m.Status != tt.wantStatus || m.QID != tt.wantQID {
				t.Fatalf("got %s %s %.3f %+v, want %s %s", m.Status, m.QID, m.Score, m.Candidates, tt.wantStatus, tt.wantQID)
			}
			if tt.wantEv != "" && !strings.Contains(strings.Join(m.Candidates[0].Evidence, "|"), tt.wantEv) {
				t.Errorf("evidence %q lacks %q", m.Candidates[0].Evidence, tt.wantEv)
			}
			for i := 1; i < len(m.Candidates); i++ {
				if m.Candidates[i].Score > m.Candidates[i-1].Score {
					t.Errorf("candidates not best first: %+v", m.Candidates)
				}
			}
		})
	}
}

func TestDecideOrderIsDeterministic(t *testing.T) {
	e := NewEngine(nil, nil, smallTemplate(t), quiet)
	facts := map[string]*itemFacts{}
	var qids []string
	for _, q := range []string{"Q10", "Q9", "Q100", "Q2", "Q11", "Q3", "Q1"} {
		facts[q] = person("Anna Berg", "", true, "")
		qids = append(qids, q)
	}
	in := e.readRow(Row{Values: map[string]string{"name": "Anna Berg"}})
	m := e.decide(1, in, rowRank{kept: qids}, facts, rowCands{})
	var got []string
	for _, c := range m.Candidates {
		got = append(got, c.QID)
	}
	// Equal scores: numeric QID order, whatever order they were found in.
	if strings.Join(got, ",") != "Q1,Q2,Q3,Q9,Q10" {
		t.Errorf("order %v", got)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1862", "1862", true},
		{"1862-10", "1862-10", true},
		{"1862-10-26", "1862-10-26", true},
		{"1862-10-26T00:00:00Z", "1862-10-26", true},
		{"1862-01-01T00:00:00Z", "1862", true}, // Wikibase's year precision
		{"-0500-01-01T00:00:00Z", "-0500", true},
		{"1862-13", "", false},
		{"c. 1862", "", false},
	}
	for _, tt := range tests {
		d, ok := parseDate(tt.in)
		if ok != tt.ok || (ok && d.String() != tt.want) {
			t.Errorf("parseDate(%q) = %v %v, want %q %v", tt.in, d, ok, tt.want, tt.ok)
		}
	}
}
