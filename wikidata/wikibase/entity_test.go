package wikibase

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func loadEntity(t testing.TB, name string) *Entity {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e Entity
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return &e
}

func TestFixturesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/entity_*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := loadEntity(t, filepath.Base(f))
			if e.ID == "" || len(e.Claims) == 0 {
				t.Fatalf("incomplete entity: id=%q claims=%d", e.ID, len(e.Claims))
			}
			for p, ss := range e.Claims {
				for _, s := range ss {
					if s.MainSnak.Property != p {
						t.Errorf("%s: snak property %s", p, s.MainSnak.Property)
					}
					if s.MainSnak.SnakType == SnakValue {
						if _, raw := s.MainSnak.DataValue.Value.(json.RawMessage); raw {
							t.Errorf("%s: value type %s not decoded", p, s.MainSnak.DataValue.Type)
						}
					}
				}
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Entity
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e.Claims, back.Claims) || !reflect.DeepEqual(e.Labels, back.Labels) {
				t.Error("claims or labels changed in round trip")
			}
		})
	}
}

func TestParseKnownValues(t *testing.T) {
	e := loadEntity(t, "entity_Q4115189.json")
	v := e.Claims["P135"][0].MainSnak.DataValue
	if !SameValue(*v, ItemValue("Q213454")) {
		t.Errorf("P135 = %+v", v)
	}
	b, _ := os.ReadFile("testdata/wbgetentities_Q3235026.json")
	var ans struct{ Entities map[string]*Entity }
	if err := json.Unmarshal(b, &ans); err != nil || ans.Entities["Q3235026"] == nil {
		t.Fatalf("wbgetentities answer: %v", err)
	}
	var missing Entity
	if err := json.Unmarshal([]byte(`{"id":"Q999999999999","missing":""}`), &missing); err != nil || !missing.Missing {
		t.Errorf("missing not detected: %v", err)
	}
}

func TestNewStatementJSON(t *testing.T) {
	tm, _ := ParseTime("2024-05-01")
	ref := Reference{}.StatedIn("Q123").ReferenceURL("https://example.org/x").Retrieved(tm)
	s := NewStatement("P569", "time", TimeValue(mustTime(t, "1879-03-14")), ref)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`"time":"+1879-03-14T00:00:00Z"`, `"precision":11`, `"snaks-order":["P248","P854","P813"]`,
		`"numeric-id":123`, `"calendarmodel":"http://www.wikidata.org/entity/Q1985727"`, `"rank":"normal"`} {
		if !strings.Contains(js, want) {
			t.Errorf("missing %s in %s", want, js)
		}
	}
	if strings.Contains(js, `"id":"`+"Q") && strings.Contains(js, `{"id"`) {
		t.Errorf("new statement must not carry an id: %s", js)
	}
}

func mustTime(t testing.TB, s string) Time {
	t.Helper()
	tm, err := ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
