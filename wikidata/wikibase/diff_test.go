package wikibase

import (
	"encoding/json"
	"strings"
	"testing"
)

func testItem(t *testing.T) *Entity {
	t.Helper()
	e := &Entity{ID: "Q42", LastRevID: 100, Labels: map[string]Term{"en": {"en", "Douglas Adams"}}, Claims: map[string][]Statement{}}
	add := func(id, rank string, s Statement) {
		s.ID, s.Rank = id, rank
		e.Claims[s.MainSnak.Property] = append(e.Claims[s.MainSnak.Property], s)
	}
	add("Q42$1", "normal", NewStatement("P569", "time", TimeValue(mustTime(t, "1952-03-11")), Reference{}.StatedIn("Q1")))
	add("Q42$2", "deprecated", NewStatement("P214", "external-id", StringValue("113230702")))
	add("Q42$3", "normal", NewStatement("P31", "wikibase-item", ItemValue("Q5")))
	return e
}

func TestDiffItem(t *testing.T) {
	refA := Reference{}.StatedIn("Q100")
	refB := Reference{}.ReferenceURL("https://museum.example/42")
	tests := []struct {
		name                             string
		planned                          []PlannedStatement
		labels, descriptions             map[string]string
		add, addRefs, present, conflicts int
		wantLabels                       string
	}{
		{name: "present in normal rank", planned: []PlannedStatement{{Property: "P31", Datatype: "wikibase-item", Value: ItemValue("Q5")}}, present: 1},
		{name: "present only deprecated is not re-added", planned: []PlannedStatement{{Property: "P214", Datatype: "external-id", Value: StringValue("113230702")}}, present: 1},
		{name: "new value added", planned: []PlannedStatement{{Property: "P31", Datatype: "wikibase-item", Value: ItemValue("Q215627"), References: []Reference{refA}}}, add: 1},
		{name: "single value conflict", planned: []PlannedStatement{{Property: "P569", Datatype: "time", Value: TimeValue(mustTime(t, "1952")), SingleValue: true}}, conflicts: 1},
		{name: "single value, only deprecated other value", planned: []PlannedStatement{{Property: "P214", Datatype: "external-id", Value: StringValue("1"), SingleValue: true}}, add: 1},
		{name: "reference added when present", planned: []PlannedStatement{{Property: "P569", Datatype: "time", Value: TimeValue(mustTime(t, "1952-03-11")), References: []Reference{refA}, AddReferenceIfPresent: true}}, present: 1, addRefs: 1},
		{name: "equal reference not added again", planned: []PlannedStatement{{Property: "P569", Datatype: "time", Value: TimeValue(mustTime(t, "1952-03-11")), References: []Reference{Reference{}.StatedIn("Q1")}, AddReferenceIfPresent: true}}, present: 1},
		{name: "duplicates merge with references", planned: []PlannedStatement{
			{Property: "P106", Datatype: "wikibase-item", Value: ItemValue("Q36180"), References: []Reference{refA}},
			{Property: "P106", Datatype: "wikibase-item", Value: ItemValue("Q36180"), References: []Reference{refB, refA}},
		}, add: 1},
		{name: "labels only where missing", labels: map[string]string{"en": "D. Adams", "de": "Douglas Adams"}, descriptions: map[string]string{"en": "writer"}, wantLabels: "de"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := testItem(t)
			d := DiffItem(e, tc.planned, tc.labels, tc.descriptions)
			if len(d.Add) != tc.add || len(d.AddReferences) != tc.addRefs || len(d.AlreadyPresent) != tc.present || len(d.Conflicts) != tc.conflicts {
				t.Fatalf("add=%d refs=%d present=%d conflicts=%d", len(d.Add), len(d.AddReferences), len(d.AlreadyPresent), len(d.Conflicts))
			}
			if d.QID != "Q42" || d.BaseRevID != 100 {
				t.Errorf("QID/BaseRevID = %s/%d", d.QID, d.BaseRevID)
			}
			if tc.wantLabels != "" {
				if len(d.Labels) != 1 || d.Labels[tc.wantLabels] == "" || d.Descriptions["en"] != "writer" {
					t.Errorf("labels=%v descriptions=%v", d.Labels, d.Descriptions)
				}
			}
			if tc.name == "duplicates merge with references" && len(d.Add[0].References) != 2 {
				t.Errorf("merged refs = %d, want 2", len(d.Add[0].References))
			}
			if d.Empty() != (tc.add+tc.addRefs == 0 && tc.wantLabels == "") {
				t.Errorf("Empty() = %v", d.Empty())
			}
		})
	}
}

func TestEditData(t *testing.T) {
	e := testItem(t)
	d := DiffItem(e, []PlannedStatement{
		{Property: "P569", Datatype: "time", Value: TimeValue(mustTime(t, "1952-03-11")), References: []Reference{Reference{}.StatedIn("Q100")}, AddReferenceIfPresent: true},
		{Property: "P106", Datatype: "wikibase-item", Value: ItemValue("Q36180")},
	}, map[string]string{"de": "Douglas Adams"}, nil)
	raw, err := EditData(d, e)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Labels map[string]Term
		Claims []Statement
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Claims) != 2 || got.Claims[0].ID != "" || got.Claims[1].ID != "Q42$1" || len(got.Claims[1].References) != 2 {
		t.Fatalf("claims = %s", raw)
	}
	if got.Labels["de"].Value != "Douglas Adams" {
		t.Errorf("labels = %s", raw)
	}
	delete(e.Claims, "P569")
	if _, err := EditData(d, e); err == nil || !strings.Contains(err.Error(), "Q42$1") {
		t.Errorf("vanished statement: err = %v", err)
	}
}
