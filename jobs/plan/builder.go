package plan

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/match"
	"partnerhub/jobs/store"
)

// Group is the rows that lead to one item's edit, turned into the values
// and names the plan wants on it.
type Group struct {
	QID          string // "" for a new item
	Rows         []int64
	Planned      []PlannedValue
	Labels       map[string]string // label per language, for languages without one
	Descriptions map[string]string
	Skipped      []string
	Notes        []string // e.g. which item a name in an item column stands for, and why
}

// Wiki computes changes against the wiki's current data.
type Wiki interface {
	// Changes reads the groups' items (at most 50 per call) and returns, for
	// each group in order, what it would change (carrying the group's
	// skipped values) and the revision it was computed on. New items
	// (QID "") need no reading.
	Changes(ctx context.Context, t *Template, groups []Group, retrieved time.Time) ([]Change, []int64, error)
}

// WikiFor returns the Wiki to plan against for a job's template (its API).
type WikiFor func(t *Template) (Wiki, error)

// Builder builds plans.
type Builder struct {
	store    *store.Store
	wikiFor  WikiFor
	namesFor NamesFor // nil: names in item columns are reported, not looked up
	logger   *slog.Logger
	now      func() time.Time
}

// NewBuilder builds plans with the store and a way to reach the wiki.
func NewBuilder(st *store.Store, wikiFor WikiFor, logger *slog.Logger) *Builder {
	if logger == nil {
		logger = slog.Default()
	}
	return &Builder{store: st, wikiFor: wikiFor, logger: logger, now: time.Now}
}

// itemsPerRead is how many items one wbgetentities call reads.
const itemsPerRead = 50

// Build computes the plan's items from the job's decisions and the wiki's
// current data, then marks the plan ready (or failed, with the reason).
func (b *Builder) Build(ctx context.Context, p *jobs.EditPlan) error {
	fail := func(err error) error {
		msg := jobs.ErrorMessage(err)
		if jobs.ErrorCode(err) == jobs.EINTERNAL {
			msg = "The plan could not be built: " + err.Error()
		}
		b.logger.Warn("plan failed", "plan_id", p.ID, "err", err)
		if serr := b.store.SetPlanStatus(context.WithoutCancel(ctx), p.ID, jobs.PlanFailed, msg, jobs.PlanBuilding); serr != nil && jobs.ErrorCode(serr) != jobs.ECONFLICT {
			return serr
		}
		return nil
	}
	job, err := b.store.Job(ctx, p.JobID)
	if err != nil {
		return err
	}
	ds, err := b.store.DatasetOfJob(ctx, p.JobID)
	if err != nil {
		return fail(err)
	}
	t, err := ParseTemplate(job.Template, ds.Columns)
	if err != nil {
		return fail(err)
	}
	wiki, err := b.wikiFor(t)
	if err != nil {
		return fail(err)
	}
	col := map[string]int{}
	for i, c := range ds.Columns {
		col[c] = i
	}
	names, err := b.resolveNames(ctx, job, ds, t, col)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fail(err)
	}
	lookUp := b.namesFor != nil
	retrieved := b.now().UTC()
	// Files a media upload put on Commons for rows whose media plan asked
	// for it become "image" (P18) lines: opt-in, and like every line only
	// added where the item has no image yet (another one is a conflict).
	images, err := b.store.RowImages(ctx, p.JobID)
	if err != nil {
		return fail(err)
	}
	var (
		batch   []Group
		current *Group
		itemNo  int64
		rows    int64
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		changes, revs, err := wiki.Changes(ctx, t, batch, retrieved)
		if err != nil {
			return err
		}
		items := make([]jobs.PlanItem, 0, len(batch))
		for i, g := range batch {
			ch := changes[i]
			if ch.Empty() && len(ch.Conflicts) == 0 && len(ch.Skipped) == 0 {
				continue // nothing to do or to show for this item
			}
			itemNo++
			items = append(items, itemFromChange(itemNo, g, &ch, revs[i]))
		}
		batch = batch[:0]
		return b.store.AddPlanItems(ctx, p.ID, items, rows)
	}
	push := func() error {
		if current == nil {
			return nil
		}
		batch = append(batch, *current)
		current = nil
		if len(batch) >= itemsPerRead {
			return flush()
		}
		return nil
	}
	newItems := t.Write.NewItems != nil && t.Write.NewItems.Enabled
	err = b.store.EachPlanRow(ctx, p.JobID, ds.ID, func(r store.PlanRow) error {
		rows++
		if r.New && !newItems {
			return nil // new items are off for this job
		}
		if current == nil || r.New || current.QID != r.QID {
			if err := push(); err != nil {
				return err
			}
			current = &Group{QID: r.QID, Labels: map[string]string{}, Descriptions: map[string]string{}}
		}
		addRow(current, t, col, r, names, lookUp)
		if name, ok := images[r.Row]; ok {
			addImage(current, r.Row, name)
		}
		return nil
	})
	if err == nil {
		err = push()
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: the task runs again and rebuilds
		}
		return fail(err)
	}
	if err := b.store.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding); err != nil && jobs.ErrorCode(err) != jobs.ECONFLICT {
		return err
	}
	b.logger.Info("plan built", "plan_id", p.ID, "job_id", p.JobID, "items", itemNo, "rows", rows)
	return nil
}

// mediaColumn is the column name of planned values a media upload brought.
const mediaColumn = "(media upload)"

// addImage plans a row's uploaded file as its item's image (P18), only if
// the item has none; an item gets one image however many of its rows
// brought a file (the first row's), and the others are noted.
func addImage(g *Group, row int64, name string) {
	for _, pv := range g.Planned {
		if pv.Column == mediaColumn && pv.Property == "P18" {
			if pv.Value != name {
				g.Notes = append(g.Notes, fmt.Sprintf("row %d's file %q is not proposed as the image: row %d's file is, and an item gets one image from a media upload", row, name, pv.Row))
			}
			return
		}
	}
	g.Planned = append(g.Planned, PlannedValue{Row: row, Column: mediaColumn, Property: "P18", Kind: "commonsMedia", Value: name, OnlyIfNone: true})
}

// addRow adds a row's values to its item's group.
func addRow(g *Group, t *Template, col map[string]int, r store.PlanRow, names Names, lookUp bool) {
	g.Rows = append(g.Rows, r.Row)
	cell := func(name string) string {
		if i, ok := col[name]; ok && i < len(r.Cells) {
			return r.Cells[i]
		}
		return ""
	}
	w := t.Write
	refURL := w.ReferenceURLFor(cell)
	for _, name := range w.Columns {
		c := t.Columns[name]
		v, err := NormaliseValue(c.Kind, cell(name))
		if err != nil && c.Kind == "item" && isName(cell(name)) {
			v, err = names.itemValue(name, cell(name), lookUp)
			if err == nil {
				r := names[name][strings.TrimSpace(cell(name))]
				note := fmt.Sprintf("column %q: %q is %s (%s)", name, r.Value, v, r.Evidence)
				if !slices.Contains(g.Notes, note) {
					g.Notes = append(g.Notes, note)
				}
			}
		}
		if err != nil {
			g.Skipped = append(g.Skipped, fmt.Sprintf("row %d, column %q: %v", r.Row, name, err))
			continue
		}
		if v == "" {
			continue
		}
		g.Planned = append(g.Planned, PlannedValue{Row: r.Row, Column: name, Property: c.Property, Kind: c.Kind, Value: v, RefURL: refURL})
	}
	if w.Labels != nil {
		if name := t.DisplayLabel(cell(w.Labels.Column)); name != "" {
			for _, l := range w.Labels.Languages {
				if _, ok := g.Labels[l]; !ok {
					g.Labels[l] = name
				}
			}
		}
	}
	for l, d := range w.Descriptions {
		g.Descriptions[l] = d
	}
}

func itemFromChange(no int64, g Group, ch *Change, rev int64) jobs.PlanItem {
	diff, _ := EncodeChange(ch)
	qid := g.QID
	if ch.RedirectTarget != "" {
		qid = ch.RedirectTarget
	}
	return jobs.PlanItem{
		No: no, QID: qid, Rows: g.Rows, BaseRevID: rev, Diff: diff,
		Statements: len(ch.Add), References: len(ch.Add) + len(ch.AddRefs), Labels: len(ch.Labels) + len(ch.Descriptions),
		Conflicts: len(ch.Conflicts), Approved: true,
		Status: map[bool]jobs.ItemStatus{true: jobs.ItemNothing, false: jobs.ItemPending}[ch.Empty()],
	}
}

// humanClass is Wikidata's "human" (Q5): rows of this type are people,
// whose catalogue names are written "Surname, Given".
const humanClass = "Q5"

// DisplayLabel is the label a row's name cell becomes: for people the
// display form of the name ("BRÄNNSTEN, Olof Hilma" → "Olof Hilma
// Brännsten"); for anything else the cell tidied, and its case repaired
// only when it is written wholly in capitals or in lower case, since a
// title's comma does not separate a surname.
func (t *Template) DisplayLabel(cell string) string {
	if t.Type == nil || t.Type.QID == humanClass {
		return match.DisplayName(cell)
	}
	label := strings.Join(strings.Fields(cell), " ")
	if label == strings.ToUpper(label) || label == strings.ToLower(label) {
		return match.RepairCase(label)
	}
	return label
}

// SameLabel says whether two labels say the same, as names are compared
// (accents, case, punctuation and spacing aside): an item whose "mul"
// label is "Olof Brännsten" needs no English label "Olof Brannsten".
func SameLabel(a, b string) bool {
	ka := match.NameKey(a)
	return ka != "" && ka == match.NameKey(b)
}
