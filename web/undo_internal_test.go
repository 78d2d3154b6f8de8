package web

import (
	"strings"
	"testing"
)

func TestParseUndoScope(t *testing.T) {
	sc, err := parseUndoScope(" 3-5, 1 ;1", "q42 Q7", "p569 labels Description", "2")
	if err != nil || len(sc.Rows) != 4 || sc.Rows[3] != 1 || sc.Items[0] != "Q42" || strings.Join(sc.Properties, " ") != "P569 label description" || sc.PlanItems[0] != 2 {
		t.Fatalf("%+v %v", sc, err)
	}
	for _, bad := range [][4]string{{"5-3", "", "", ""}, {"0", "", "", ""}, {"", "42", "", ""}, {"", "", "born", ""}, {"", "", "", "1-2"}, {"1-20000", "", "", ""}} {
		if _, err := parseUndoScope(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseUndoScope: any form input gives a scope within the limits or a
// clear error, never a panic.
func FuzzParseUndoScope(f *testing.F) {
	for _, s := range []string{"1, 2-4", "Q1 q2", "P569 label", "9223372036854775807", "1-9223372036854775807", "-", ",,;", "Q0"} {
		f.Add(s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, rows, items, props, lines string) {
		sc, err := parseUndoScope(rows, items, props, lines)
		if err != nil {
			return
		}
		if len(sc.Rows) > maxScopeEntries || len(sc.PlanItems) > maxScopeEntries || len(sc.Items) > maxScopeEntries {
			t.Fatalf("scope past the limits: %d rows", len(sc.Rows))
		}
		for _, r := range sc.Rows {
			if r <= 0 {
				t.Fatalf("row %d", r)
			}
		}
	})
}
