package wikidata_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"partnerhub/wikidata"
)

var retrievedDay = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

func museumRef(url string) wikidata.Reference {
	return wikidata.NewReference(wikidata.StatedIn("Q1000"), wikidata.ReferenceURL(url), wikidata.Retrieved(retrievedDay))
}

func planned(p, dt string, v wikidata.DataValue, single bool) wikidata.PlannedStatement {
	return wikidata.PlannedStatement{Property: p, Datatype: dt, Value: v, SingleValue: single, AddReferenceIfPresent: true,
		References: []wikidata.Reference{museumRef("https://museum.example/p/1")}}
}

// sandbox is the sandbox item: P135 has Q213454 (deprecated), Q2044250
// (preferred) and Q5843; P569 has 1291 and 512 (deprecated), Julian.
func sandbox(t *testing.T) *wikidata.Entity {
	e := loadFixture(t, "entity_Q4115189.json")
	e.Claims["P245"] = []wikidata.Statement{withID(wikidata.NewStringStatement("P245", "external-id", "500115493").WithReferences(museumRef("https://museum.example/p/1")), "Q4115189$AAA")}
	e.Claims["P570"] = []wikidata.Statement{withID(wikidata.NewTimeStatement("P570", timeOf(t, "1944-10-21")), "Q4115189$BBB")}
	return e
}

func withID(st wikidata.Statement, id string) wikidata.Statement { st.ID = id; return st }

func timeOf(t *testing.T, s string) wikidata.Time {
	v, err := wikidata.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func julianYear(y string) wikidata.DataValue {
	return wikidata.TimeValue(wikidata.Time{Time: "+" + y + "-00-00T00:00:00Z", Precision: 9, CalendarModel: "http://www.wikidata.org/entity/Q1985786"})
}

func TestDiffItem(t *testing.T) {
	type counts struct{ add, refs, present, conflicts int }
	cases := []struct {
		name    string
		planned []wikidata.PlannedStatement
		want    counts
		check   func(t *testing.T, d wikidata.ItemDiff)
	}{
		{"value present in deprecated rank is not added again",
			[]wikidata.PlannedStatement{planned("P135", "wikibase-item", wikidata.ItemValue("Q213454"), false)},
			counts{0, 1, 1, 0}, nil},
		{"value present in preferred rank is not added again",
			[]wikidata.PlannedStatement{planned("P135", "wikibase-item", wikidata.ItemValue("Q2044250"), true)},
			counts{0, 1, 1, 0}, nil},
		{"present value without AddReferenceIfPresent gets nothing",
			[]wikidata.PlannedStatement{func() wikidata.PlannedStatement {
				p := planned("P135", "wikibase-item", wikidata.ItemValue("Q5843"), false)
				p.AddReferenceIfPresent = false
				return p
			}()},
			counts{0, 0, 1, 0}, nil},
		{"reference already there (other retrieved date) is not added",
			[]wikidata.PlannedStatement{func() wikidata.PlannedStatement {
				p := planned("P245", "external-id", wikidata.StringValue("500115493"), true)
				p.References = []wikidata.Reference{wikidata.NewReference(wikidata.StatedIn("Q1000"), wikidata.ReferenceURL("https://museum.example/p/1"), wikidata.Retrieved(retrievedDay.AddDate(1, 0, 0)))}
				return p
			}()},
			counts{0, 0, 1, 0}, nil},
		{"another reference URL is a reference to add",
			[]wikidata.PlannedStatement{func() wikidata.PlannedStatement {
				p := planned("P245", "external-id", wikidata.StringValue("500115493"), true)
				p.References = []wikidata.Reference{museumRef("https://museum.example/p/2")}
				return p
			}()},
			counts{0, 1, 1, 0},
			func(t *testing.T, d wikidata.ItemDiff) {
				ra := d.AddReferences[0]
				if ra.StatementID != "Q4115189$AAA" || len(ra.Statement.References) != 2 || len(ra.References) != 1 || ra.Statement.ID != ra.StatementID {
					t.Fatalf("reference addition: %+v", ra)
				}
			}},
		{"other value of a single-value property is a conflict",
			[]wikidata.PlannedStatement{planned("P245", "external-id", wikidata.StringValue("999"), true)},
			counts{0, 0, 0, 1},
			func(t *testing.T, d wikidata.ItemDiff) {
				c := d.Conflicts[0]
				if len(c.Existing) != 1 || c.Existing[0].ID != "Q4115189$AAA" || !strings.Contains(c.Reason, "500115493") {
					t.Fatalf("conflict: %+v", c)
				}
			}},
		{"other value of a multi-value property is added",
			[]wikidata.PlannedStatement{planned("P135", "wikibase-item", wikidata.ItemValue("Q37068"), false)},
			counts{1, 0, 0, 0}, nil},
		{"only deprecated other values do not conflict",
			[]wikidata.PlannedStatement{planned("P569", "time", julianYear("0512"), true)},
			counts{0, 1, 1, 0}, nil},
		{"single-value conflicts with a non-deprecated date",
			[]wikidata.PlannedStatement{planned("P569", "time", mustTime(t, "1291"), true)},
			counts{0, 0, 0, 1}, nil},
		{"less precise date that agrees is present",
			[]wikidata.PlannedStatement{planned("P570", "time", mustTime(t, "1944"), true)},
			counts{0, 0, 1, 0}, nil},
		{"more precise date against a year is a conflict",
			[]wikidata.PlannedStatement{planned("P570", "time", mustTime(t, "1944-10-22"), true)},
			counts{0, 0, 0, 1}, nil},
		{"duplicates in the plan are merged with both references",
			[]wikidata.PlannedStatement{
				planned("P1476", "monolingualtext", wikidata.MonolingualValue("Sandbox", "en"), false),
				func() wikidata.PlannedStatement {
					p := planned("P1476", "monolingualtext", wikidata.MonolingualValue("Sandbox", "en"), false)
					p.References = []wikidata.Reference{museumRef("https://museum.example/p/2")}
					return p
				}(),
			},
			counts{1, 0, 0, 0},
			func(t *testing.T, d wikidata.ItemDiff) {
				if len(d.Add[0].References) != 2 || d.Add[0].ID != "" || d.Add[0].Rank != wikidata.RankNormal {
					t.Fatalf("merged statement: %+v", d.Add[0])
				}
			}},
		{"same property and value on two references of one statement are one addition",
			[]wikidata.PlannedStatement{
				planned("P135", "wikibase-item", wikidata.ItemValue("Q5843"), false),
				func() wikidata.PlannedStatement {
					p := planned("P135", "wikibase-item", wikidata.ItemValue("Q5843"), false)
					p.References = []wikidata.Reference{museumRef("https://museum.example/p/2")}
					return p
				}(),
			},
			counts{0, 1, 1, 0},
			func(t *testing.T, d wikidata.ItemDiff) {
				if len(d.AddReferences[0].References) != 2 {
					t.Fatalf("references: %+v", d.AddReferences[0])
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := sandbox(t)
			d := wikidata.DiffItem(e, c.planned, nil, nil)
			got := counts{len(d.Add), len(d.AddReferences), len(d.AlreadyPresent), len(d.Conflicts)}
			if got != c.want {
				t.Fatalf("add/refs/present/conflicts = %+v, want %+v", got, c.want)
			}
			if d.QID != "Q4115189" || d.BaseRevID != e.LastRevID {
				t.Fatalf("diff of %s@%d", d.QID, d.BaseRevID)
			}
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
}

func TestDiffItemTerms(t *testing.T) {
	e := sandbox(t) // label in many languages, no descriptions
	d := wikidata.DiffItem(e, nil, map[string]string{"en": "Other label", "xx-test": "Sandlåda", "de": ""}, map[string]string{"en": "test item"})
	if _, ok := d.Labels["en"]; ok || d.Labels["xx-test"] != "Sandlåda" || len(d.Labels) != 1 || d.Descriptions["en"] != "test item" {
		t.Fatalf("labels %v descriptions %v", d.Labels, d.Descriptions)
	}
	if d.Empty() {
		t.Fatal("a label to add is not empty")
	}
	if !wikidata.DiffItem(e, nil, map[string]string{"en": "x"}, nil).Empty() {
		t.Fatal("nothing to add must be empty")
	}
}

func TestEditPayload(t *testing.T) {
	e := sandbox(t)
	d := wikidata.DiffItem(e, []wikidata.PlannedStatement{
		planned("P135", "wikibase-item", wikidata.ItemValue("Q37068"), false),
		planned("P135", "wikibase-item", wikidata.ItemValue("Q5843"), false),
	}, map[string]string{"xx-test": "X"}, nil)
	data, err := wikidata.EditPayload(d)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Labels map[string]wikidata.Term `json:"labels"`
		Claims []wikidata.Statement     `json:"claims"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Claims) != 2 || got.Labels["xx-test"].Value != "X" || got.Labels["xx-test"].Language != "xx-test" {
		t.Fatalf("payload %s", data)
	}
	var ids []string
	for _, st := range got.Claims {
		ids = append(ids, st.ID)
		if st.Type != "statement" || st.Rank == "" || st.References[len(st.References)-1].Snaks["P248"] == nil {
			t.Fatalf("claim %+v", st)
		}
	}
	if (ids[0] == "") == (ids[1] == "") {
		t.Fatalf("one new claim without id and one existing with its id expected: %q", ids)
	}
	if _, err := wikidata.NewItemPayload(nil, nil, nil); err == nil {
		t.Fatal("an empty new item must be refused")
	}
	bad := wikidata.ItemDiff{Add: []wikidata.Statement{wikidata.NewItemStatement("31", "Q5")}}
	if _, err := wikidata.EditPayload(bad); err == nil {
		t.Fatal("an invalid property id must be refused")
	}
}
