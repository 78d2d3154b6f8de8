package plan_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/plan/plantest"
	"partnerhub/jobs/store/storetest"
)

// fakeWiki knows each item's existing property values and adds the rest.
type fakeWiki struct {
	existing map[string]map[string]string // qid -> property -> value
	calls    int
}

func (w *fakeWiki) Changes(_ context.Context, t *plan.Template, groups []plan.Group, _ time.Time) ([]plan.Change, []int64, error) {
	w.calls++
	if len(groups) > 50 {
		return nil, nil, fmt.Errorf("%d items in one read", len(groups))
	}
	var out []plan.Change
	var revs []int64
	for _, g := range groups {
		ch := plan.Change{New: g.QID == "", Planned: g.Planned, Labels: g.Labels, Skipped: g.Skipped, Notes: g.Notes}
		for _, pv := range g.Planned {
			have, ok := w.existing[g.QID][pv.Property]
			switch {
			case ok && have == pv.Display():
				ch.Present = append(ch.Present, plan.Line{Property: pv.Property, Value: pv.Display()})
			case ok:
				ch.Conflicts = append(ch.Conflicts, plan.Line{Property: pv.Property, Value: pv.Display(), Existing: []string{have}})
			default:
				ch.Add = append(ch.Add, plan.Line{Property: pv.Property, Value: pv.Display()})
			}
		}
		out = append(out, ch)
		revs = append(revs, 42)
	}
	return out, revs, nil
}

func TestBuildGroupsRowsByItem(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, false)
	w := &fakeWiki{existing: map[string]map[string]string{"Q231092": {"P569": "1862-10-26"}, "Q187310": {"P245": "500000000"}}}
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return w, nil }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := b.Build(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, _ := st.Plan(ctx, p.ID)
	if got.Status != jobs.PlanReady {
		t.Fatalf("plan %s: %s", got.Status, got.Error)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 1000)
	byQID := map[string]*jobs.PlanItem{}
	for _, it := range items {
		byQID[it.QID] = it
	}
	if len(items) != 2+115 || w.calls != 3 {
		t.Fatalf("%d items in %d reads", len(items), w.calls)
	}
	h := byQID["Q231092"]
	ch, _ := plan.DecodeChange(h.Diff)
	if fmt.Sprint(h.Rows) != "[1 3]" || len(ch.Present) != 1 || len(ch.Conflicts) != 1 || len(ch.Add) != 1 {
		// row 1's 1862-10-26 is there; row 3's 1862 differs (year precision); row 1's ULAN is added
		t.Fatalf("Q231092: rows %v change %+v", h.Rows, ch)
	}
	c, _ := plan.DecodeChange(byQID["Q187310"].Diff)
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0], `row 2, column "born"`) || len(c.Conflicts) != 1 {
		t.Fatalf("Q187310: %+v", c)
	}
	if _, ok := byQID[""]; ok {
		t.Fatal("a new item was planned with new items off")
	}
	if _, ok := byQID["Q5"]; ok {
		t.Fatal("a rejected row was planned")
	}
}

func TestBuildNewItemsWhenOn(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, true)
	w := &fakeWiki{}
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return w, nil }, nil)
	if err := b.Build(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PlanItems(context.Background(), p.ID, "", 0, 1000)
	var n int
	for _, it := range items {
		if it.QID == "" {
			n++
			ch, _ := plan.DecodeChange(it.Diff)
			if !ch.New || ch.Labels["en"] != "Olof Hilma Brännsten" || fmt.Sprint(it.Rows) != "[4]" {
				t.Fatalf("new item %+v %+v", it, ch)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d new items", n)
	}
}

func TestBuildFailsClearlyWithoutWriteSettings(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, false)
	ctx := context.Background()
	_ = st.SetJobTemplate(ctx, p.JobID, []byte(`{"columns":{}}`))
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return &fakeWiki{}, nil }, nil)
	if err := b.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Plan(ctx, p.ID)
	if got.Status != jobs.PlanFailed || !strings.Contains(got.Error, "stated_in") {
		t.Fatalf("plan %+v", got)
	}
}

func TestDisplayLabel(t *testing.T) {
	person, untyped, painting := &plan.Template{}, &plan.Template{}, &plan.Template{}
	person.Type = &struct {
		QID string `json:"qid"`
	}{QID: "Q5"}
	painting.Type = &struct {
		QID string `json:"qid"`
	}{QID: "Q3305213"}
	tests := []struct {
		t        *plan.Template
		in, want string
	}{
		{person, "Brännsten, Olof Hilma", "Olof Hilma Brännsten"},
		{person, "BRÄNNSTEN, Olof Hilma", "Olof Hilma Brännsten"},
		{person, "VAN GOGH, Vincent", "Vincent van Gogh"},
		{person, "  Hilma   af Klint ", "Hilma af Klint"},
		{untyped, "BRÄNNSTEN, Olof", "Olof Brännsten"},
		{painting, "Still Life, Flowers", "Still Life, Flowers"},
		{painting, "MIDSOMMARDANS", "Midsommardans"},
		{painting, "  Mona   Lisa ", "Mona Lisa"},
	}
	for _, tt := range tests {
		if got := tt.t.DisplayLabel(tt.in); got != tt.want {
			t.Errorf("DisplayLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !plan.SameLabel("Olof Brännsten", "OLOF  BRÄNNSTEN") || plan.SameLabel("Olof Brännsten", "Olof Bränn") || plan.SameLabel("", "") {
		t.Fatal("SameLabel compares names wrongly")
	}
}

// redirectingWiki says Q231092 was merged into Q99.
type redirectingWiki struct{ fakeWiki }

func (w *redirectingWiki) Changes(ctx context.Context, t *plan.Template, groups []plan.Group, at time.Time) ([]plan.Change, []int64, error) {
	out, revs, err := w.fakeWiki.Changes(ctx, t, groups, at)
	for i, g := range groups {
		if g.QID == "Q231092" {
			out[i].RedirectTarget = "Q99"
		}
	}
	return out, revs, err
}

// An item planned on a redirect's target is the target's plan item, so the
// write-back edits (and finds its edits on) the item that exists.
func TestBuildPlansRedirectsOnTheirTarget(t *testing.T) {
	st := storetest.SQLite(t)
	p := plantest.Seed(t, st, false)
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return &redirectingWiki{}, nil }, nil)
	if err := b.Build(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	items, _ := st.PlanItems(context.Background(), p.ID, "", 0, 1000)
	found := false
	for _, it := range items {
		if it.QID == "Q231092" {
			t.Fatal("a plan item edits the redirect")
		}
		if it.QID == "Q99" {
			found = true
			if fmt.Sprint(it.Rows) != "[1 3]" {
				t.Fatalf("the target's rows: %v", it.Rows)
			}
		}
	}
	if !found {
		t.Fatal("no plan item for the redirect's target")
	}
}
