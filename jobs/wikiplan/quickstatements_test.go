package wikiplan_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/store/storetest"
	"partnerhub/jobs/vault"
	"partnerhub/jobs/wikiplan"
	"partnerhub/jobs/writeback"
	"partnerhub/wikidata"
	"partnerhub/wikidata/wikibasetest"
)

// TestQuickStatementsSayWhatTheWriteBackDoes builds one plan (a reference
// URL with a {column}, a new item, a reference added to a statement the item
// has), exports it as QuickStatements, then lets the write-back write it and
// compares statement by statement and reference by reference: every line
// was written, and everything written has its line.
func TestQuickStatementsSayWhatTheWriteBackDoes(t *testing.T) {
	ctx := context.Background()
	q2 := wikidata.NewStringStatement("P245", "external-id", "500011045").WithReferences(wikidata.NewReference(wikidata.StatedIn("Q36578")))
	q2.ID = "Q2$1"
	q2.References[0].Hash = "d4bd87b862b12d99d26e86472d44f26858dee639" // as the wiki gives every reference
	wiki := wikibasetest.New(t, wikibasetest.Options{ConsumerKey: "ck", ConsumerSecret: "cs",
		Accounts: []wikibasetest.Account{{Name: "Writer", Token: "wt", Secret: "ws"}},
		Entities: []*wikidata.Entity{{ID: "Q1", Type: "item"}, {ID: "Q2", Type: "item", Claims: map[string][]wikidata.Statement{"P245": {q2}}}, {ID: "Q34", Type: "item"}}})
	st := storetest.SQLite(t)
	tokens, _ := vault.New(make([]byte, vault.KeySize))
	u, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "5", Username: "Writer"})
	storetest.SaveTokens(t, st, tokens, u.ID, "ck", "wt", "ws")
	j, ds := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "QuickStatements", File: "q.csv", Columns: []string{"name", "ulan", "born", "country"},
		Template: `{"wikibase":{"api_url":"` + wiki.URL() + `"},"type":{"qid":"Q5"},
		"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"},"born":{"property":"P569","kind":"time"},"country":{"property":"P27","kind":"item"}},
		"write":{"stated_in":"Q1000","reference_url":"https://collection.example/person/{ulan}","add_reference_if_present":true,
		  "labels":{"column":"name","languages":["en","sv"]},"descriptions":{"en":"Swedish artist"},"new_items":{"enabled":true}}}`,
		Rows: []jobs.Row{
			{Num: 1, Cells: []string{"KLINT, Hilma af", "500115493", "1862-10-26", "Q34"}},
			{Num: 2, Cells: []string{"Carl Larsson", "500011045", "1853", ""}},
			{Num: 3, Cells: []string{"Brännsten, Olof Hilma", "500000003", "1850-03", "Q34"}},
		},
		Results: []jobs.RowMatch{
			{Row: 1, Status: jobs.MatchMatched, QID: "Q1", Score: 1}, {Row: 2, Status: jobs.MatchMatched, QID: "Q2", Score: 1}, {Row: 3, Status: jobs.MatchNone},
		}})
	if _, err := st.Decide(ctx, j.ID, 3, jobs.DecisionNew, "", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	engine := writeback.New(writeback.Config{EditsPerMinute: 60000, MaxWait: 2 * time.Second}, st, wikiplan.Classify, quiet)
	svc := wikiplan.NewService(wikiplan.Config{ConsumerKey: "ck", ConsumerSecret: "cs", UserAgent: ua, Logger: quiet}, st, tokens, engine)
	p, _ := st.CreatePlan(ctx, j.ID, u.ID)
	if err := svc.Build(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Plan(ctx, p.ID); got.Status != jobs.PlanReady {
		t.Fatalf("plan %s: %s", got.Status, got.Error)
	}
	items, _ := st.PlanItems(ctx, p.ID, "", 0, 100)
	exported := map[int64][]string{}
	for _, it := range items {
		ch, _ := plan.DecodeChange(it.Diff)
		lines, err := ch.QuickStatements(it.QID)
		if err != nil {
			t.Fatalf("item %d: %v", it.No, err)
		}
		exported[it.No] = lines
	}
	_ = st.ApprovePlan(ctx, p.ID, u.ID, nil)
	if err := st.StartWriting(ctx, p.ID, u.ID, "feedfacecafebeef"); err != nil {
		t.Fatal(err)
	}
	p, _ = st.Plan(ctx, p.ID)
	if err := svc.Write(ctx, p); err != nil {
		t.Fatal(err)
	}
	items, _ = st.PlanItems(ctx, p.ID, "", 0, 100)
	if len(items) != 3 {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items {
		if it.Status != jobs.ItemDone {
			t.Fatalf("item %d (%s) %s: %s", it.No, it.QID, it.Status, it.Error)
		}
		qid := it.QID
		if qid == "" {
			qid = it.NewQID
		}
		lines := exported[it.No]
		if (it.QID == "") != (len(lines) > 0 && lines[0] == "CREATE") {
			t.Fatalf("item %d: CREATE line %v for QID %q", it.No, lines, it.QID)
		}
		fromQS, labelsQS := parseQuickStatements(t, lines)
		written, labels := writtenBy(wiki.Wiki.Entity(qid))
		if strings.Join(fromQS, "\n") != strings.Join(written, "\n") {
			t.Errorf("%s: QuickStatements say\n  %s\nthe write-back wrote\n  %s", qid, strings.Join(fromQS, "\n  "), strings.Join(written, "\n  "))
		}
		if strings.Join(labelsQS, "|") != strings.Join(labels, "|") {
			t.Errorf("%s: QuickStatements terms %v, written %v", qid, labelsQS, labels)
		}
		switch it.QID {
		case "":
			if !slicesContain(fromQS, "P31 = Q5") || !slicesContain(labelsQS, "Len=Olof Hilma Brännsten") {
				t.Errorf("new item: no P31 or no display-form label: %v %v", fromQS, labelsQS)
			}
		case "Q2":
			if len(fromQS) != 2 || !strings.HasPrefix(fromQS[0], "P245 = 500011045 [") { // the reference it gains, and the date
				t.Errorf("Q2: %v", fromQS)
			}
		}
		if it.QID == "" {
			// The created item is the row's item from now on: in exports,
			// statistics and later plans.
			page, _ := st.ExportPage(ctx, j.ID, ds.ID, 2, 10)
			if len(page) != 1 || page[0].FinalQID() != it.NewQID || it.NewQID == "" {
				t.Errorf("export of row 3 after its item %q was created: %+v", it.NewQID, page)
			}
			if stats, _ := st.JobStatistics(ctx, j.ID); stats.Linked != 3 || stats.ItemsCreated != 1 || stats.RowsOnNewItems != 1 {
				t.Errorf("statistics after the write-back: %+v", stats)
			}
		}
		for _, s := range fromQS {
			if !strings.Contains(s, "P248=Q1000") {
				t.Errorf("%s: no stated in: %s", qid, s)
			}
			if !strings.HasPrefix(s, "P31 ") && !strings.Contains(s, "P854=https://collection.example/person/") {
				t.Errorf("%s: no reference URL from the row: %s", qid, s)
			}
		}
	}
}

func slicesContain(xs []string, prefix string) bool {
	for _, x := range xs {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}

// parseQuickStatements reads QuickStatements v1 lines back into
// "Pn = value [reference]" and "Lxx=text" strings, independently of how
// they were written: values become Wikibase values again.
func parseQuickStatements(t *testing.T, lines []string) (statements, terms []string) {
	t.Helper()
	for _, l := range lines {
		if l == "CREATE" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) < 3 || len(f)%2 == 0 {
			t.Fatalf("malformed line %q", l)
		}
		if c := f[1]; c[0] == 'L' || c[0] == 'D' {
			terms = append(terms, c+"="+strings.Trim(f[2], `"`))
			continue
		}
		var ref []string
		for i := 3; i < len(f); i += 2 {
			ref = append(ref, "P"+strings.TrimPrefix(f[i], "S")+"="+qsParse(t, f[i+1]).String())
		}
		sort.Strings(ref)
		statements = append(statements, f[1]+" = "+qsParse(t, f[2]).String()+" ["+strings.Join(ref, ", ")+"]")
	}
	sort.Strings(statements)
	sort.Strings(terms)
	return statements, terms
}

func qsParse(t *testing.T, v string) wikidata.DataValue {
	switch {
	case strings.HasPrefix(v, `"`):
		return wikidata.StringValue(strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`))
	case strings.HasPrefix(v, "Q"):
		return wikidata.ItemValue(v)
	case strings.HasPrefix(v, "+") && strings.Contains(v, "T"):
		tm, prec, _ := strings.Cut(v, "/")
		p, err := strconv.Atoi(prec)
		if err != nil {
			t.Fatalf("time %q", v)
		}
		return wikidata.TimeValue(wikidata.Time{Time: tm, Precision: p})
	}
	t.Fatalf("value %q", v)
	return wikidata.DataValue{}
}

// writtenBy lists what the write-back put on an entity: every reference
// it added (not the seeded one, stated in Q36578) with its statement, and the terms.
func writtenBy(e *wikidata.Entity) (statements, terms []string) {
	for p, sts := range e.Claims {
		for _, s := range sts {
			v, _ := s.Value()
			for _, r := range s.References {
				if sn := r.Snaks["P248"]; len(sn) == 1 && sn[0].DataValue.String() == "Q36578" {
					continue // the seeded reference
				}
				var ref []string
				for rp, snaks := range r.Snaks {
					for _, sn := range snaks {
						ref = append(ref, rp+"="+sn.DataValue.String())
					}
				}
				sort.Strings(ref)
				statements = append(statements, fmt.Sprintf("%s = %s [%s]", p, v.String(), strings.Join(ref, ", ")))
			}
		}
	}
	for l, v := range e.Labels {
		terms = append(terms, "L"+l+"="+v.Value)
	}
	for l, v := range e.Descriptions {
		terms = append(terms, "D"+l+"="+v.Value)
	}
	sort.Strings(statements)
	sort.Strings(terms)
	return statements, terms
}
