// Package undo takes back a write-back, or any part of it, from the
// revisions Partnerhub recorded: only what the write-back added and what is
// still as it left it is removed, on the user's behalf, with the write-back's
// guarantees (one edit per item, paced, exactly once across crashes, an
// EditGroups link in every summary). A statement someone edited or
// referenced since stays, and the report says why; items the write-back
// created are listed with a deletion request (users cannot delete items).
package undo

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"partnerhub/jobs"
	"partnerhub/wikidata"
)

// Added is what one write-back edit added to an item: what
// plan_items.added_json holds.
type Added = wikidata.Additions

// AddedReference is a reference an edit added to a statement that was
// there before.
type AddedReference = wikidata.AddedReference

// Compare says what the revision after added to the revision before it.
func Compare(before, after *wikidata.Entity, revID int64) Added {
	return wikidata.CompareRevisions(before, after, revID)
}

func canon(v any) string { return wikidata.CanonicalJSON(v) }

func hasReference(st wikidata.Statement, ref wikidata.Reference) bool {
	return wikidata.HasReference(st, ref)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func findStatement(e *wikidata.Entity, guid string) (wikidata.Statement, bool) {
	if e == nil {
		return wikidata.Statement{}, false
	}
	for _, sts := range e.Claims {
		for _, st := range sts {
			if st.ID == guid {
				return st, true
			}
		}
	}
	return wikidata.Statement{}, false
}

// changedSince says how a statement differs from how the write-back left
// it; "" when it is the same.
func changedSince(left, now wikidata.Statement) string {
	switch {
	case now.MainSnak.Property != left.MainSnak.Property:
		return fmt.Sprintf("someone moved it to %s since", now.MainSnak.Property)
	case canon(now.MainSnak) != canon(left.MainSnak):
		v := "no value"
		if dv, ok := now.Value(); ok {
			v = dv.String()
		}
		return fmt.Sprintf("someone changed its value since (now %s)", v)
	case now.Rank != left.Rank:
		return fmt.Sprintf("someone changed its rank since (now %s)", now.Rank)
	case canon(now.Qualifiers) != canon(left.Qualifiers):
		return "someone changed its qualifiers since"
	}
	var added, removed int
	for _, r := range now.References {
		if !hasReference(left, r) {
			added++
		}
	}
	for _, r := range left.References {
		if !hasReference(now, r) {
			removed++
		}
	}
	switch {
	case added > 0 && removed == 0:
		return fmt.Sprintf("someone added %s since", plural(added, "reference"))
	case added > 0 || removed > 0:
		return "someone changed its references since"
	}
	return ""
}

func plural(n int, what string) string {
	if n == 1 {
		return "a " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Selection picks the parts of an item's additions an undo takes back.
type Selection struct {
	// Properties limits statements and references to these properties;
	// "label" and "description" select those. Empty: everything.
	Properties []string
	// Rows, if set, are the rows being undone; RowsOf says which rows gave a
	// statement (nil: unknown, taken as all the item's rows), ItemRows are
	// all the rows of the item. A thing goes only when every row that gave
	// it is undone, so what another row still gives stays.
	Rows     []int64
	ItemRows []int64
	RowsOf   func(wikidata.Statement) []int64
}

func (s Selection) property(p string) bool {
	return len(s.Properties) == 0 || slices.Contains(s.Properties, p)
}

// rowsFor are the rows that gave a statement, and whether they are all
// being undone.
func (s Selection) rowsFor(st *wikidata.Statement) ([]int64, bool) {
	rows := s.ItemRows
	if st != nil && s.RowsOf != nil {
		if r := s.RowsOf(*st); len(r) > 0 {
			rows = r
		}
	}
	if len(s.Rows) == 0 {
		return rows, true
	}
	for _, r := range rows {
		if !slices.Contains(s.Rows, r) {
			return rows, false
		}
	}
	return rows, true
}

// Lines lists, for one item, the additions the selection picks and what the
// undo does with each, judged on the item's current data (cur; nil or
// missing: the item is gone). Additions the selection leaves out are not
// listed.
func Lines(a Added, sel Selection, cur *wikidata.Entity) []jobs.UndoLine {
	gone := cur == nil || cur.Missing
	var out []jobs.UndoLine
	for _, st := range a.Statements {
		p := st.MainSnak.Property
		if !sel.property(p) {
			continue
		}
		rows, all := sel.rowsFor(&st)
		if !all {
			continue
		}
		l := jobs.UndoLine{What: "statement", Property: p, Value: display(st), GUID: st.ID, Rows: rows}
		now, ok := findStatement(cur, st.ID)
		switch {
		case gone:
			l.Reason = "The item is gone (deleted or merged): nothing to remove here."
		case !ok:
			l.Reason = "Already removed: someone took it off the item since."
		default:
			if why := changedSince(st, now); why != "" {
				l.Reason = "Stays: " + why + "; Partnerhub removes only what is still as it left it."
			} else {
				l.Remove, l.Reason = true, "Removed: still exactly as the write-back left it."
			}
		}
		out = append(out, l)
	}
	for _, ar := range a.References {
		p := ar.Statement.MainSnak.Property
		if !sel.property(p) {
			continue
		}
		rows, all := sel.rowsFor(&ar.Statement)
		if !all {
			continue
		}
		l := jobs.UndoLine{What: "reference", Property: p, Value: display(ar.Statement), GUID: ar.Statement.ID, RefHash: ar.Reference.Hash, Rows: rows}
		now, ok := findStatement(cur, ar.Statement.ID)
		switch {
		case gone:
			l.Reason = "The item is gone (deleted or merged): nothing to remove here."
		case !ok:
			l.Reason = "The statement it referenced is gone: nothing to remove."
		case !hasReference(now, ar.Reference):
			l.Reason = "Already removed: someone took the reference off since."
		default:
			// The reference is named by its hash on the item now.
			want := canon(ar.Reference.Snaks)
			for _, r := range now.References {
				if canon(r.Snaks) == want {
					l.RefHash = r.Hash
				}
			}
			if why := changedSince(ar.Statement, now); why != "" {
				l.Reason = "Stays: " + why + "; Partnerhub removes only what is still as it left it."
			} else {
				l.Remove, l.Reason = true, "Removed: Partnerhub's reference on a statement that was there before; the statement stays."
			}
		}
		out = append(out, l)
	}
	for _, kind := range []string{"label", "description"} {
		terms, have := a.Labels, map[string]wikidata.Term(nil)
		if kind == "description" {
			terms = a.Descriptions
		}
		if cur != nil {
			have = cur.Labels
			if kind == "description" {
				have = cur.Descriptions
			}
		}
		if !sel.property(kind) {
			continue
		}
		rows, all := sel.rowsFor(nil)
		if !all {
			continue
		}
		for _, lang := range sortedKeys(terms) {
			v := terms[lang]
			l := jobs.UndoLine{What: kind, Language: lang, Value: v, Rows: rows}
			now, ok := have[lang]
			switch {
			case gone:
				l.Reason = "The item is gone (deleted or merged): nothing to remove here."
			case !ok:
				l.Reason = "Already removed since."
			case now.Value != v:
				l.Reason = fmt.Sprintf("Stays: someone changed it since to %q.", now.Value)
			default:
				l.Remove, l.Reason = true, "Removed: unchanged since the write-back."
			}
			out = append(out, l)
		}
	}
	return out
}

// Keep holds a re-read to what a person confirmed: a line the preview
// said stays keeps staying (with the preview's reason) even if it looks
// removable now, and lines the preview did not list are left out. A re-read
// may find more lines changed since, never fewer.
func Keep(lines []jobs.UndoLine, previewed []jobs.UndoLine) []jobs.UndoLine {
	prev := map[string]jobs.UndoLine{}
	for _, l := range previewed {
		prev[lineKey(l)] = l
	}
	out := make([]jobs.UndoLine, 0, len(lines))
	for _, l := range lines {
		p, ok := prev[lineKey(l)]
		if !ok {
			continue
		}
		if l.Remove && !p.Remove {
			l.Remove, l.Reason = false, p.Reason
		}
		out = append(out, l)
	}
	return out
}

func lineKey(l jobs.UndoLine) string {
	return strings.Join([]string{l.What, l.GUID, l.Property, l.Language, l.Value}, "\x00")
}

// Payload is the wbeditentity data that removes the lines marked Remove from
// cur (statements by GUID, references by sending their statement without
// them, labels and descriptions with "remove"); nil when nothing is to be
// removed.
func Payload(lines []jobs.UndoLine, cur *wikidata.Entity) (json.RawMessage, error) {
	type term struct {
		Language string `json:"language"`
		Remove   string `json:"remove"`
	}
	var data struct {
		Labels       map[string]term `json:"labels,omitempty"`
		Descriptions map[string]term `json:"descriptions,omitempty"`
		Claims       []any           `json:"claims,omitempty"`
	}
	refsOff := map[string][]string{} // statement GUID -> canonical snaks of references to take off
	n := 0
	for _, l := range lines {
		if !l.Remove {
			continue
		}
		n++
		switch l.What {
		case "statement":
			data.Claims = append(data.Claims, map[string]string{"id": l.GUID, "remove": ""})
		case "reference":
			refsOff[l.GUID] = append(refsOff[l.GUID], l.RefHash)
		case "label", "description":
			m := &data.Labels
			if l.What == "description" {
				m = &data.Descriptions
			}
			if *m == nil {
				*m = map[string]term{}
			}
			(*m)[l.Language] = term{Language: l.Language, Remove: ""}
		}
	}
	if n == 0 {
		return nil, nil
	}
	for _, guid := range sortedKeys(refsOff) {
		st, ok := findStatement(cur, guid)
		if !ok {
			return nil, fmt.Errorf("statement %s is not on %s", guid, cur.ID)
		}
		var keep []wikidata.Reference
		for _, r := range st.References {
			if !slices.Contains(refsOff[guid], r.Hash) {
				keep = append(keep, r)
			}
		}
		if len(keep) == len(st.References) {
			return nil, fmt.Errorf("the reference to remove from %s was not found on it", guid)
		}
		st.References = keep
		data.Claims = append(data.Claims, st)
	}
	return json.Marshal(data)
}

// display renders a statement's value for people.
func display(st wikidata.Statement) string {
	if v, ok := st.Value(); ok {
		return v.String()
	}
	return st.MainSnak.SnakType
}

// Count says how many lines are removed and how many stay.
func Count(lines []jobs.UndoLine) (remove, stay int) {
	for _, l := range lines {
		if l.Remove {
			remove++
		} else {
			stay++
		}
	}
	return remove, stay
}
