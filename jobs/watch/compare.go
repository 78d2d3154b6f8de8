package watch

import (
	"encoding/json"
	"fmt"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/undo"
	"partnerhub/wikidata"
)

// sent is one statement an edit sent, as the write-back recorded it in the
// plan item's diff (the wbeditentity data): a new statement, or a statement
// already there that Partnerhub gave its reference.
type sent struct {
	No       int
	Property string
	Value    wikidata.DataValue
	Ours     wikidata.Reference // the reference Partnerhub added
	GUID     string             // known for a statement that was there already
}

// sentStatements reads what an item's edit sent, and the item it went to.
func sentStatements(it jobs.WrittenItem) (target string, out []sent, err error) {
	ch, err := plan.DecodeChange(it.Diff)
	if err != nil {
		return "", nil, err
	}
	target = it.QID
	if ch.RedirectTarget != "" && !ch.New {
		target = ch.RedirectTarget
	}
	var data struct {
		Claims []wikidata.Statement `json:"claims"`
	}
	if len(ch.Data) > 0 {
		if err := json.Unmarshal(ch.Data, &data); err != nil {
			return "", nil, fmt.Errorf("plan %d item %d: the recorded edit cannot be read: %w", it.PlanID, it.No, err)
		}
	}
	// The GUIDs the new statements got, when the edit's outcome was read
	// back and recorded (plan_items.added_json); otherwise they are found
	// by value and reference, and remembered, on the first watch.
	var added undo.Added
	if len(it.Added) > 0 {
		if err := json.Unmarshal(it.Added, &added); err != nil {
			return "", nil, fmt.Errorf("plan %d item %d: what the edit added cannot be read: %w", it.PlanID, it.No, err)
		}
	}
	taken := map[string]bool{}
	for i, st := range data.Claims {
		v, ok := st.Value()
		if !ok || len(st.References) == 0 {
			continue // Partnerhub sends values with references only
		}
		s := sent{No: i, Property: st.MainSnak.Property, Value: v, Ours: st.References[len(st.References)-1], GUID: st.ID}
		if s.GUID == "" {
			for _, a := range added.Statements {
				if av, ok := a.Value(); ok && a.ID != "" && !taken[a.ID] && a.MainSnak.Property == s.Property && wikidata.SameValue(av, v) {
					s.GUID, taken[a.ID] = a.ID, true
					break
				}
			}
		}
		out = append(out, s)
	}
	return target, out, nil
}

// guidOn says whether a statement GUID belongs to entity id ("Q1$…");
// statements moved by a merge get GUIDs of the target.
func guidOn(guid, id string) bool {
	return guid != "" && strings.EqualFold(guid[:max(0, strings.IndexByte(guid, '$'))], id)
}

// judge finds one sent statement on the entity now and says what became of
// it. known is the GUID a previous run (or the write-back) found it under.
func judge(e *wikidata.Entity, s sent, known string) (state jobs.WatchState, guid, detail string) {
	all := e.Claims[s.Property]
	if guidOn(known, e.ID) {
		for p, sts := range e.Claims {
			for _, st := range sts {
				if !strings.EqualFold(st.ID, known) {
					continue
				}
				v, ok := st.Value()
				if p != s.Property || !ok || !wikidata.SameValue(v, s.Value) {
					return jobs.WatchChanged, st.ID, "now " + describe(st)
				}
				return condition(st, s)
			}
		}
	}
	// By value: the one with Partnerhub's reference first, then one not
	// deprecated.
	var best *wikidata.Statement
	score := -1
	for i := range all {
		st := &all[i]
		v, ok := st.Value()
		if !ok || !wikidata.SameValue(v, s.Value) {
			continue
		}
		sc := 0
		if wikidata.ReferenceHeld(st.References, s.Ours) {
			sc += 2
		}
		if st.Rank != wikidata.RankDeprecated {
			sc++
		}
		if sc > score {
			best, score = st, sc
		}
	}
	if best != nil {
		return condition(*best, s)
	}
	// The value is not there: a statement of the property that carries
	// Partnerhub's reference is the one someone changed.
	for _, st := range all {
		if wikidata.ReferenceHeld(st.References, s.Ours) {
			return jobs.WatchChanged, st.ID, "now " + describe(st)
		}
	}
	return jobs.WatchRemoved, "", ""
}

// condition says how a statement with the sent value stands.
func condition(st wikidata.Statement, s sent) (jobs.WatchState, string, string) {
	switch {
	case st.Rank == wikidata.RankDeprecated:
		return jobs.WatchDeprecated, st.ID, "rank deprecated"
	case !wikidata.ReferenceHeld(st.References, s.Ours):
		return jobs.WatchRefRemoved, st.ID, "Partnerhub's reference was removed"
	}
	return jobs.WatchThere, st.ID, ""
}

func describe(st wikidata.Statement) string {
	v, ok := st.Value()
	if !ok {
		return st.MainSnak.Property + " " + st.MainSnak.SnakType
	}
	return st.MainSnak.Property + " " + v.String()
}
