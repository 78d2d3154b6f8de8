package plan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
)

// Names in "item" columns. TEMPLATE.md lets an item column hold names
// ("Sweden") as well as QIDs. Each distinct name of a column is looked up
// once, as the exact label of items of the property's expected type (its
// value-type constraint); exactly one such item makes the name usable, with
// the evidence shown; several, or none, are left for a person on the plan's
// "Item names" list, and every row value that is not used is reported with
// its row, column and reason. A person's choice is kept for later plans.

// ItemNames looks names up on the job's query service (WikibaseNames over a wdqs.Reader).
type ItemNames interface {
	// ValueTypes are the classes a property's value-type constraint asks
	// for; none when it has none.
	ValueTypes(ctx context.Context, property string) ([]string, error)
	// Named finds the items labelled exactly like each name, in languages
	// and mul, each said to be an instance of one of classes or not.
	Named(ctx context.Context, names, languages, classes []string) (map[string][]jobs.ValueCandidate, error)
}

// NamesFor returns how names are looked up for a job's template.
type NamesFor func(template []byte) (ItemNames, error)

// WithItemNames makes the builder resolve names in item columns.
func (b *Builder) WithItemNames(f NamesFor) *Builder {
	b.namesFor = f
	return b
}

// maxNamesPerColumn bounds the distinct names resolved per column and plan;
// values beyond it are reported, not dropped silently.
const maxNamesPerColumn = 5000

// namesPerLookup is how many names one Named call gets.
const namesPerLookup = 200

// Names are a job's resolutions, by column and value.
type Names map[string]map[string]*jobs.ValueResolution

// isName says whether a cell of an item column is a name rather than an id.
func isName(cell string) bool {
	v := strings.TrimSpace(cell)
	if v == "" {
		return false
	}
	_, err := NormaliseValue("item", v)
	return err != nil
}

// itemColumns are the written columns of kind item.
func (t *Template) itemColumns() []string {
	var out []string
	for _, name := range t.Write.Columns {
		if t.Columns[name].Kind == "item" {
			out = append(out, name)
		}
	}
	return out
}

// resolveNames reads the names in the plan rows' item columns, looks up
// those not resolved before, and returns every resolution of the job.
func (b *Builder) resolveNames(ctx context.Context, job *jobs.Job, ds *jobs.Dataset, t *Template, col map[string]int) (Names, error) {
	cols := t.itemColumns()
	if len(cols) == 0 || b.namesFor == nil {
		return Names{}, nil
	}
	counts := map[string]map[string]int64{}
	for _, c := range cols {
		counts[c] = map[string]int64{}
	}
	newItems := t.Write.NewItems != nil && t.Write.NewItems.Enabled
	err := b.store.EachPlanRow(ctx, job.ID, ds.ID, func(r store.PlanRow) error {
		if r.New && !newItems {
			return nil
		}
		for _, c := range cols {
			i, ok := col[c]
			if !ok || i >= len(r.Cells) || !isName(r.Cells[i]) {
				continue
			}
			v := strings.TrimSpace(r.Cells[i])
			if _, seen := counts[c][v]; seen || len(counts[c]) < maxNamesPerColumn {
				counts[c][v]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	known, err := b.store.ValueResolutions(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	names, err := b.namesFor(job.Template)
	if err != nil {
		return nil, jobs.Errorf(jobs.EINVALID, "Names in item columns cannot be looked up: %s", jobs.ErrorMessage(err))
	}
	var save []jobs.ValueResolution
	for _, c := range cols {
		if len(counts[c]) == 0 {
			continue
		}
		var todo []string
		for v, n := range counts[c] {
			if old := known[c][v]; old != nil {
				if old.Rows != n {
					o := *old
					o.Rows = n
					save = append(save, o)
				}
				continue
			}
			todo = append(todo, v)
		}
		if len(todo) == 0 {
			continue
		}
		sort.Strings(todo)
		property := t.Columns[c].Property
		classes, err := names.ValueTypes(ctx, property)
		if err != nil {
			return nil, fmt.Errorf("read what %s's values are: %w", property, err)
		}
		for start := 0; start < len(todo); start += namesPerLookup {
			chunk := todo[start:min(start+namesPerLookup, len(todo))]
			found, err := names.Named(ctx, chunk, t.Languages, classes)
			if err != nil {
				return nil, fmt.Errorf("look up the names in column %q: %w", c, err)
			}
			for _, v := range chunk {
				r := resolve(c, v, found[v], classes)
				r.Rows = counts[c][v]
				save = append(save, r)
			}
		}
	}
	if len(save) > 0 {
		if err := b.store.SaveValueResolutions(ctx, job.ID, save); err != nil {
			return nil, err
		}
	}
	all, err := b.store.ValueResolutions(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	return Names(all), nil
}

// resolve decides what a name stands for from the items labelled so.
func resolve(column, value string, cands []jobs.ValueCandidate, classes []string) jobs.ValueResolution {
	r := jobs.ValueResolution{Column: column, Value: value, Candidates: cands}
	var fit []jobs.ValueCandidate
	for _, c := range cands {
		if len(classes) == 0 || c.Typed {
			fit = append(fit, c)
		}
	}
	kind := "items"
	if len(classes) > 0 {
		kind = "items of the expected type (" + strings.Join(classes, ", ") + ")"
	}
	switch {
	case len(fit) == 1:
		c := fit[0]
		r.Status, r.QID = jobs.ValueMatched, c.QID
		r.Evidence = fmt.Sprintf("the only one of the %s labelled %q: %s (label %q in %s)", kind, value, c.QID, c.Label, c.Language)
	case len(fit) > 1:
		r.Status = jobs.ValueAmbiguous
		r.Evidence = fmt.Sprintf("%d %s are labelled %q: %s", len(fit), kind, value, candidateList(fit))
	case len(cands) > 0:
		r.Status = jobs.ValueNone
		r.Evidence = fmt.Sprintf("none of the %s is labelled %q; other items are: %s", kind, value, candidateList(cands))
	default:
		r.Status = jobs.ValueNone
		r.Evidence = fmt.Sprintf("no item is labelled %q", value)
	}
	return r
}

func candidateList(cs []jobs.ValueCandidate) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		s := c.QID
		if c.Description != "" {
			s += " (" + c.Description + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// itemValue turns an item column's cell into a QID through the names, or
// says exactly why it is not used.
func (n Names) itemValue(column, cell string, canLookUp bool) (string, error) {
	v := strings.TrimSpace(cell)
	r := n[column][v]
	switch {
	case r == nil && !canLookUp:
		return "", fmt.Errorf("%q is a name, not an item id like Q34, and names cannot be looked up here: write the QID", v)
	case r == nil:
		return "", fmt.Errorf("%q is a name, and this column has more than %d distinct names: write QIDs", v, maxNamesPerColumn)
	}
	if q, ok := r.Usable(); ok {
		return q, nil
	}
	switch r.Status {
	case jobs.ValueRejected:
		return "", fmt.Errorf("%q was left out by a person (Item names)", v)
	case jobs.ValueAmbiguous:
		return "", fmt.Errorf("%q is ambiguous: %s; choose the item under Item names", v, r.Evidence)
	}
	return "", fmt.Errorf("%q was not found: %s; give its QID under Item names", v, r.Evidence)
}
