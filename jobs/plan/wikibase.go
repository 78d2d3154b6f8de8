package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

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
}

// toValue turns a normalised planned value into a Wikibase value.
func toValue(pv PlannedValue) (*wikidata.DataValue, error) {
	switch pv.Kind {
	case "external-id", "string", "url":
		return wikidata.StringValue(pv.Value), nil
	case "item":
		return wikidata.ItemValue(pv.Value), nil
	case "quantity":
		return wikidata.QuantityValue(pv.Value, ""), nil
	case "time":
		t, err := wikidata.ParseDate(pv.Display())
		if err != nil {
			return nil, err
		}
		return wikidata.TimeValue(t), nil
	}
	return nil, fmt.Errorf("unknown kind %q", pv.Kind)
}

func refDisplay(w *WriteSettings, refURL string, retrieved *wikidata.Time) string {
	parts := []string{"stated in " + w.StatedIn}
	if refURL != "" {
		parts = append(parts, "reference URL "+refURL)
	}
	if retrieved != nil {
		parts = append(parts, "retrieved "+strings.SplitN(strings.TrimPrefix(retrieved.Time, "+"), "T", 2)[0])
	}
	return strings.Join(parts, ", ")
}

// Changes reads the groups' items and diffs each against its planned values.
func (wb Wikibase) Changes(ctx context.Context, t *Template, groups []Group, retrieved time.Time) ([]Change, []int64, error) {
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
	var ret *wikidata.Time
	if w.RetrievedOn() {
		d, _ := wikidata.ParseDate(retrieved.UTC().Format("2006-01-02"))
		ret = &d
	}
	single := map[string]bool{}
	for _, p := range w.SingleValue {
		single[p] = true
	}
	changes := make([]Change, len(groups))
	revs := make([]int64, len(groups))
	for i, g := range groups {
		ch := Change{New: g.QID == "", Planned: g.Planned, Skipped: append([]string(nil), g.Skipped...)}
		var planned []wikidata.Planned
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
			planned = append(planned, wikidata.Planned{Property: pv.Property, DataType: datatypes[pv.Kind], Value: v,
				References: []wikidata.Reference{wikidata.NewReference(w.StatedIn, pv.RefURL, ret)}, SingleValue: single[pv.Property],
				AddRefIfPresent: w.AddReferenceIfPresent, StatedIn: w.StatedIn})
		}
		urls := make([]string, 0, len(refURLs))
		for u := range refURLs {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		ch.Reference = refDisplay(w, strings.Join(urls, ", "), ret)
		if g.QID == "" {
			// A new item: its type, the planned statements, its label.
			if w.NewItems != nil && w.NewItems.InstanceOf != "" {
				planned = append([]wikidata.Planned{{Property: "P31", DataType: "wikibase-item", Value: wikidata.ItemValue(w.NewItems.InstanceOf),
					References: []wikidata.Reference{wikidata.NewReference(w.StatedIn, "", ret)}}}, planned...)
			}
			d := wikidata.DiffItem(nil, planned, g.Labels, g.Descriptions)
			fill(&ch, d)
			if len(ch.Labels) == 0 {
				ch.Skipped = append(ch.Skipped, "a new item needs a label: the label column is empty")
				ch.Add, ch.Data = nil, nil
			} else {
				data, err := wikidata.NewItemData(d.Labels, d.Descriptions, d.Add)
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
		d := wikidata.DiffItem(e, planned, g.Labels, g.Descriptions)
		fill(&ch, d)
		if !d.Empty() {
			data, err := wikidata.EditData(d)
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
func fill(ch *Change, d wikidata.Diff) {
	ch.Labels, ch.Descriptions = d.Labels, d.Descriptions
	for _, st := range d.Add {
		ch.Add = append(ch.Add, Line{Property: st.MainSnak.Property, Value: st.MainSnak.DataValue.String()})
	}
	for _, st := range d.AddRefs {
		ch.AddRefs = append(ch.AddRefs, Line{Property: st.MainSnak.Property, Value: st.MainSnak.DataValue.String()})
	}
	for _, p := range d.Present {
		ch.Present = append(ch.Present, Line{Property: p.Property, Value: p.Value.String()})
	}
	for _, c := range d.Conflicts {
		l := Line{Property: c.Planned.Property, Value: c.Planned.Value.String(), Note: c.Note}
		for _, e := range c.Existing {
			l.Existing = append(l.Existing, e.String())
		}
		ch.Conflicts = append(ch.Conflicts, l)
	}
}

// Recheck recomputes an item's change on the item's current data (after an
// edit conflict, or an interrupted edit): what is there by now is dropped.
func Recheck(ctx context.Context, wb Wikibase, t *Template, qid string, rows []int64, ch *Change, now time.Time) (*Change, int64, error) {
	g := Group{QID: qid, Rows: rows, Planned: ch.Planned, Labels: ch.Labels, Descriptions: ch.Descriptions}
	changes, revs, err := wb.Changes(ctx, t, []Group{g}, now)
	if err != nil {
		return nil, 0, err
	}
	return &changes[0], revs[0], nil
}
