// Package wikiplan connects edit plans and the write-back to a Wikibase:
// it computes each item's change from the item's current data through the
// Action API, and performs, re-checks and finds the edits of a write-back.
package wikiplan

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"partnerhub/jobs/plan"
	"partnerhub/wikidata"
)

// Reader reads entities (a *wikidata.Client).
type Reader interface {
	GetEntities(ctx context.Context, ids []string) (map[string]*wikidata.Entity, error)
}

// Wikibase plans against a Wikibase API.
type Wikibase struct{ R Reader }

// datatypes maps template kinds to Wikibase datatypes.
var datatypes = map[string]string{
	"external-id": "external-id", "string": "string", "url": "url", "item": "wikibase-item", "time": "time", "quantity": "quantity",
	"commonsMedia": "commonsMedia", // P18 lines from media uploads
}

// toValue turns a normalised planned value into a Wikibase value.
func toValue(pv plan.PlannedValue) (wikidata.DataValue, error) {
	switch pv.Kind {
	case "external-id", "string", "url", "commonsMedia":
		return wikidata.StringValue(pv.Value), nil
	case "item":
		return wikidata.ItemValue(pv.Value), nil
	case "quantity":
		return wikidata.QuantityValue(pv.Value, ""), nil
	case "time":
		t, err := timeOf(pv.Value)
		if err != nil {
			return wikidata.DataValue{}, err
		}
		return wikidata.TimeValue(t), nil
	}
	return wikidata.DataValue{}, fmt.Errorf("unknown kind %q", pv.Kind)
}

// timeOf reads the plan's "YYYY[-MM[-DD]]/precision" into a Gregorian time.
func timeOf(v string) (wikidata.Time, error) {
	date, precS, ok := strings.Cut(v, "/")
	prec, err := strconv.Atoi(precS)
	if !ok || err != nil {
		return wikidata.Time{}, fmt.Errorf("not a planned date: %q", v)
	}
	sign := "+"
	if strings.HasPrefix(date, "-") {
		sign, date = "-", date[1:]
	}
	parts := strings.Split(date, "-")
	for len(parts) < 3 {
		parts = append(parts, "00")
	}
	return wikidata.Time{Time: sign + strings.Join(parts, "-") + "T00:00:00Z", Precision: prec, CalendarModel: wikidata.Gregorian}, nil
}

func refDisplay(w *plan.WriteSettings, refURL string, retrieved time.Time) string {
	parts := []string{"stated in " + w.StatedIn}
	if refURL != "" {
		parts = append(parts, "reference URL "+refURL)
	}
	if w.RetrievedOn() {
		parts = append(parts, "retrieved "+retrieved.UTC().Format("2006-01-02"))
	}
	return strings.Join(parts, ", ")
}

// reference is the reference every planned statement of a row carries.
func reference(w *plan.WriteSettings, refURL string, retrieved time.Time) wikidata.Reference {
	snaks := []wikidata.Snak{wikidata.StatedIn(w.StatedIn)}
	if refURL != "" {
		snaks = append(snaks, wikidata.ReferenceURL(refURL))
	}
	if w.RetrievedOn() {
		snaks = append(snaks, wikidata.Retrieved(retrieved))
	}
	return wikidata.NewReference(snaks...)
}

// Changes reads the groups' items and diffs each against its planned values.
func (wb Wikibase) Changes(ctx context.Context, t *plan.Template, groups []plan.Group, retrieved time.Time) ([]plan.Change, []int64, error) {
	var ids []string
	for _, g := range groups {
		if g.QID != "" {
			ids = append(ids, g.QID)
		}
	}
	entities := map[string]*wikidata.Entity{}
	if len(ids) > 0 {
		var err error
		if entities, err = wb.R.GetEntities(ctx, ids); err != nil {
			return nil, nil, err
		}
	}
	w := t.Write
	single := map[string]bool{}
	for _, p := range w.SingleValue {
		single[p] = true
	}
	changes := make([]plan.Change, len(groups))
	revs := make([]int64, len(groups))
	for i, g := range groups {
		ch := plan.Change{New: g.QID == "", Planned: g.Planned, Skipped: append([]string(nil), g.Skipped...), Notes: append([]string(nil), g.Notes...)}
		var planned []wikidata.PlannedStatement
		refURLs := map[string]bool{}
		for _, pv := range g.Planned {
			v, err := toValue(pv)
			if err != nil {
				ch.Skipped = append(ch.Skipped, fmt.Sprintf("row %d, column %q: %v", pv.Row, pv.Column, err))
				continue
			}
			if pv.RefURL != "" {
				refURLs[pv.RefURL] = true
			}
			planned = append(planned, wikidata.PlannedStatement{Property: pv.Property, Datatype: datatypes[pv.Kind], Value: v,
				References: []wikidata.Reference{reference(w, pv.RefURL, retrieved)}, SingleValue: single[pv.Property] || pv.OnlyIfNone,
				AddReferenceIfPresent: w.AddReferenceIfPresent && !pv.OnlyIfNone})
		}
		urls := make([]string, 0, len(refURLs))
		for u := range refURLs {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		ch.Reference = refDisplay(w, strings.Join(urls, ", "), retrieved)
		if g.QID == "" {
			// A new item: its type, the planned statements, its label.
			if w.NewItems != nil && w.NewItems.InstanceOf != "" {
				planned = append([]wikidata.PlannedStatement{{Property: "P31", Datatype: "wikibase-item", Value: wikidata.ItemValue(w.NewItems.InstanceOf),
					References: []wikidata.Reference{reference(w, "", retrieved)}}}, planned...)
			}
			d := wikidata.DiffItem(nil, planned, g.Labels, g.Descriptions)
			fill(&ch, d)
			if len(ch.Labels) == 0 {
				ch.Skipped = append(ch.Skipped, "a new item needs a label: the label column is empty")
				ch.Add, ch.Data = nil, nil
			} else {
				data, err := wikidata.NewItemPayload(d.Labels, d.Descriptions, d.Add)
				if err != nil {
					return nil, nil, err
				}
				ch.Data = data
			}
			changes[i] = ch
			continue
		}
		e := entities[g.QID]
		if e == nil || e.Missing {
			ch.Skipped = append(ch.Skipped, fmt.Sprintf("item %s does not exist on the wiki (deleted, or merged into another)", g.QID))
			changes[i] = ch
			continue
		}
		if e.ID != "" && e.ID != g.QID {
			// wbgetentities followed a redirect: edit the item the rows'
			// item was merged into (a redirect cannot be edited).
			ch.RedirectTarget = e.ID
			ch.Notes = append(ch.Notes, fmt.Sprintf("%s was merged into %s (it redirects there): the edit goes to %s", g.QID, e.ID, e.ID))
		}
		labels, same := labelsToAdd(e, g.Labels)
		d := wikidata.DiffItem(e, planned, labels, g.Descriptions)
		fill(&ch, d)
		ch.Present = append(ch.Present, same...)
		if !d.Empty() {
			data, err := wikidata.EditPayload(d)
			if err != nil {
				return nil, nil, err
			}
			ch.Data = data
		}
		changes[i], revs[i] = ch, e.LastRevID
	}
	return changes, revs, nil
}

// fill copies a Wikibase diff into the plan's change, as lines for people.
func fill(ch *plan.Change, d wikidata.ItemDiff) {
	ch.Labels, ch.Descriptions = d.Labels, d.Descriptions
	for _, st := range d.Add {
		v, _ := st.Value()
		ch.Add = append(ch.Add, plan.Line{Property: st.MainSnak.Property, Value: v.String()})
	}
	for _, ra := range d.AddReferences {
		v, _ := ra.Statement.Value()
		ch.AddRefs = append(ch.AddRefs, plan.Line{Property: ra.Property, Value: v.String()})
	}
	for _, p := range d.AlreadyPresent {
		ch.Present = append(ch.Present, plan.Line{Property: p.Property, Value: p.Value.String()})
	}
	for _, c := range d.Conflicts {
		l := plan.Line{Property: c.Planned.Property, Value: c.Planned.Value.String(), Note: c.Reason}
		for _, e := range c.Existing {
			v, ok := e.Value()
			if !ok {
				l.Existing = append(l.Existing, e.MainSnak.SnakType)
				continue
			}
			l.Existing = append(l.Existing, v.String())
		}
		ch.Conflicts = append(ch.Conflicts, l)
	}
}

// Recheck recomputes an item's change on the item's current data (after an
// edit conflict, or an interrupted edit): what is there by now is dropped.
func Recheck(ctx context.Context, wb Wikibase, t *plan.Template, qid string, rows []int64, ch *plan.Change, now time.Time) (*plan.Change, int64, error) {
	g := plan.Group{QID: qid, Rows: rows, Planned: ch.Planned, Labels: ch.Labels, Descriptions: ch.Descriptions, Notes: ch.Notes}
	changes, revs, err := wb.Changes(ctx, t, []plan.Group{g}, now)
	if err != nil {
		return nil, 0, err
	}
	return &changes[0], revs[0], nil
}

// labelsToAdd leaves out the labels the item's "mul" label (names written
// the same in every language) already says, compared as names are; they are
// shown as already there. DiffItem leaves out languages that have a label.
func labelsToAdd(e *wikidata.Entity, labels map[string]string) (map[string]string, []plan.Line) {
	mul := e.Label("mul")
	if mul == "" {
		return labels, nil
	}
	out := make(map[string]string, len(labels))
	var same []plan.Line
	for l, v := range labels {
		if plan.SameLabel(mul, v) && e.Label(l) == "" {
			same = append(same, plan.Line{Property: "label (" + l + ")", Value: v, Note: "the item's mul label " + strconv.Quote(mul) + " says the same"})
			continue
		}
		out[l] = v
	}
	sort.Slice(same, func(i, j int) bool { return same[i].Property < same[j].Property })
	return out, same
}
