package plan_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// fakeNames answers like WikibaseNames over a few countries.
type fakeNames struct {
	asked []string
}

func (f *fakeNames) ValueTypes(_ context.Context, property string) ([]string, error) {
	if property == "P27" {
		return []string{"Q6256"}, nil
	}
	return nil, nil
}

func (f *fakeNames) Named(_ context.Context, names, languages, classes []string) (map[string][]jobs.ValueCandidate, error) {
	if !slices.Equal(classes, []string{"Q6256"}) || !slices.Equal(languages, []string{"sv", "en"}) {
		return nil, fmt.Errorf("asked with classes %v languages %v", classes, languages)
	}
	f.asked = append(f.asked, names...)
	known := map[string][]jobs.ValueCandidate{
		"Sweden":    {{QID: "Q34", Label: "Sweden", Language: "en", Typed: true}},
		"Georgia":   {{QID: "Q230", Label: "Georgia", Language: "en", Typed: true}, {QID: "Q1428", Label: "Georgia", Language: "en", Description: "US state"}},
		"Congo":     {{QID: "Q971", Label: "Congo", Language: "en", Typed: true}, {QID: "Q974", Label: "Congo", Language: "mul", Typed: true}},
		"Stockholm": {{QID: "Q1754", Label: "Stockholm", Language: "sv", Description: "capital of Sweden"}},
	}
	out := map[string][]jobs.ValueCandidate{}
	for _, n := range names {
		if c, ok := known[n]; ok {
			out[n] = c
		}
	}
	return out, nil
}

func seedCountries(t *testing.T, st *store.Store) (*jobs.Job, *jobs.User) {
	t.Helper()
	ctx := context.Background()
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
	j, _ := st.CreateJob(ctx, u.ID, "Countries", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"languages":["sv","en"],"type":{"qid":"Q5"},"columns":{"name":{"role":"label"},"country":{"property":"P27","kind":"item"}},"write":{"stated_in":"Q1000"}}`))
	ds, _ := st.CreateDataset(ctx, j.ID, "c.csv", "/none", 1)
	ds.Columns = []string{"name", "country"}
	_ = st.StartImport(ctx, ds)
	cells := []string{"Sweden", "Congo", "Georgia", "Sveden", "Q34", "  Sweden ", "Stockholm", ""}
	var rows []jobs.Row
	var res []jobs.RowMatch
	for i, c := range cells {
		n := int64(i + 1)
		rows = append(rows, jobs.Row{Num: n, Cells: []string{fmt.Sprint("P", n), c}})
		res = append(res, jobs.RowMatch{Row: n, Status: jobs.MatchMatched, QID: fmt.Sprint("Q", 100+n), Score: 1})
	}
	_ = st.AppendRows(ctx, ds.ID, rows, int64(len(rows)))
	ds.RowCount = int64(len(rows))
	_ = st.FinishImport(ctx, ds, nil)
	_ = st.StartReconciliation(ctx, j.ID, ds.RowCount, len(rows))
	if _, err := st.SaveBatchResult(ctx, j.ID, 1, res, 1); err != nil {
		t.Fatal(err)
	}
	return j, u
}

func buildWithNames(t *testing.T, st *store.Store, j *jobs.Job, u *jobs.User, names plan.ItemNames) map[string]*plan.Change {
	t.Helper()
	ctx := context.Background()
	p, err := st.CreatePlan(ctx, j.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := plan.NewBuilder(st, func(*plan.Template) (plan.Wiki, error) { return &fakeWiki{}, nil }, nil)
	if names != nil {
		b.WithItemNames(func([]byte) (plan.ItemNames, error) { return names, nil })
	}
	if err := b.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Plan(ctx, p.ID); got.Status != jobs.PlanReady {
		t.Fatalf("plan %s: %s", got.Status, got.Error)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 100)
	out := map[string]*plan.Change{}
	for _, it := range items {
		ch, _ := plan.DecodeChange(it.Diff)
		out[it.QID] = ch
	}
	_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanObsolete, "", jobs.PlanReady)
	return out
}

func countryOf(ch *plan.Change) string {
	for _, l := range ch.Add {
		if l.Property == "P27" {
			return l.Value
		}
	}
	return ""
}

// TestBuildResolvesItemNames: names in an item column become items when
// exactly one item of the property's type is labelled so; ambiguous and
// unknown names are reported with row, column and reason, never dropped
// silently; a person's choice is used by the next plan, and names already
// resolved are not looked up again.
func TestBuildResolvesItemNames(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		j, u := seedCountries(t, st)
		names := &fakeNames{}
		got := buildWithNames(t, st, j, u, names)
		if countryOf(got["Q101"]) != "Q34" || countryOf(got["Q106"]) != "Q34" || countryOf(got["Q105"]) != "Q34" {
			t.Fatalf("Sweden not resolved: %+v %+v", got["Q101"], got["Q106"])
		}
		if n := got["Q101"].Notes; len(n) != 1 || !strings.HasPrefix(n[0], `column "country": "Sweden" is Q34 (the only one of the items of the expected type (Q6256) labelled "Sweden"`) {
			t.Fatalf("the plan does not say why Sweden is Q34: %v", n)
		}
		if n := got["Q105"].Notes; len(n) != 0 {
			t.Fatalf("a QID given as such has a note: %v", n)
		}
		for qid, want := range map[string]string{
			"Q102": `row 2, column "country": "Congo" is ambiguous`,
			"Q104": `row 4, column "country": "Sveden" was not found`,
			"Q107": `row 7, column "country": "Stockholm" was not found: none of the items of the expected type (Q6256) is labelled "Stockholm"; other items are: Q1754 (capital of Sweden)`,
		} {
			ch := got[qid]
			if ch == nil || len(ch.Skipped) != 1 || !strings.HasPrefix(ch.Skipped[0], want) || countryOf(ch) != "" {
				t.Errorf("%s: %+v, want skipped %q", qid, ch, want)
			}
		}
		// One Georgia is a country, the other a US state: the country is it.
		if countryOf(got["Q103"]) != "Q230" {
			t.Errorf("Georgia: the only country labelled so is not used: %+v", got["Q103"])
		}
		slices.Sort(names.asked)
		if strings.Join(names.asked, "|") != "Congo|Georgia|Stockholm|Sveden|Sweden" {
			t.Fatalf("looked up %v: each distinct name once, ids and empty cells never", names.asked)
		}
		all, err := st.ValueResolutions(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		sw := all["country"]["Sweden"]
		if sw == nil || sw.Status != jobs.ValueMatched || sw.QID != "Q34" || sw.Rows != 2 || !strings.Contains(sw.Evidence, "Q34") {
			t.Fatalf("Sweden's resolution: %+v", sw)
		}
		if c := all["country"]["Congo"]; c.Status != jobs.ValueAmbiguous || len(c.Candidates) != 2 {
			t.Fatalf("Congo's resolution: %+v", c)
		}

		// A person chooses Congo and leaves Sveden out; the next plan uses
		// that and asks the query service nothing new.
		if _, err := st.DecideValue(ctx, j.ID, "country", "Congo", "Q971", u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DecideValue(ctx, j.ID, "country", "Sveden", "", u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DecideValue(ctx, j.ID, "country", "Atlantis", "Q1", u.ID); jobs.ErrorCode(err) != jobs.ENOTFOUND {
			t.Fatalf("a name no plan met: %v", err)
		}
		names.asked = nil
		got = buildWithNames(t, st, j, u, names)
		if countryOf(got["Q102"]) != "Q971" || len(names.asked) != 0 {
			t.Fatalf("after the choice: %+v, looked up %v", got["Q102"], names.asked)
		}
		if ch := got["Q104"]; len(ch.Skipped) != 1 || !strings.Contains(ch.Skipped[0], "left out by a person") {
			t.Fatalf("a rejected name: %+v", ch)
		}
		all, _ = st.ValueResolutions(ctx, j.ID)
		if c := all["country"]["Congo"]; c.Status != jobs.ValueAccepted || c.DecidedBy != u.ID || c.Rows != 1 {
			t.Fatalf("Congo after the choice: %+v", c)
		}
	})
}

// Without a way to look names up, names are reported, not silently dropped.
func TestBuildReportsNamesItCannotLookUp(t *testing.T) {
	st := storetest.SQLite(t)
	j, u := seedCountries(t, st)
	got := buildWithNames(t, st, j, u, nil)
	if ch := got["Q101"]; ch == nil || len(ch.Skipped) != 1 || !strings.Contains(ch.Skipped[0], `row 1, column "country": "Sweden" is a name`) {
		t.Fatalf("Q101: %+v", ch)
	}
	if countryOf(got["Q105"]) != "Q34" {
		t.Fatalf("an id is not used: %+v", got["Q105"])
	}
}
