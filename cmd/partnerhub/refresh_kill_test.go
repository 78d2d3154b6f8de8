package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
	"partnerhub/jobs/store/storetest"
	"partnerhub/sparql/sparqltest"
)

// TestRefreshReconciliationSurvivesKill refreshes a reconciled job's dataset
// (rows kept, changed, added and removed, in another order), kills the
// process (SIGKILL) while the changed and added rows are being reconciled,
// starts it again, and expects: kept rows never matched again (their results
// and decisions as they were), every changed and added row reconciled once,
// removed rows gone from the results, and the progress right.
//
// It runs on SQLite and on MariaDB (the production database), where the
// process's SQL is different enough (dialect, locking) to be worth the time.
func TestRefreshReconciliationSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Run("sqlite", func(t *testing.T) { refreshKillScenario(t, "") })
	t.Run("mariadb", func(t *testing.T) { refreshKillScenario(t, storetest.MySQLDSN(t)) })
}

// refreshKillScenario is the test on the database dsn names ("" for SQLite in
// the data directory).
func refreshKillScenario(t *testing.T, dsn string) {
	const (
		v1Rows  = 9000
		removed = 500 // r1..r500 are not in version 2
		added   = 1500
	)
	oxi := sparqltest.Start(t)
	var ttl strings.Builder
	ttl.WriteString("@prefix wd: <http://www.wikidata.org/entity/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix wdt: <http://www.wikidata.org/prop/direct/> .\n")
	for i := 1; i <= v1Rows+added; i++ {
		fmt.Fprintf(&ttl, "wd:Q%d rdfs:label \"Person %d\"@en ; wdt:P245 \"%d\" .\n", i, i, 500000000+i)
	}
	oxi.Load(t, ttl.String())
	bin := buildBinary(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	st, u := localStore(t, dsn, dataDir)
	j, _ := st.CreateJob(ctx, u.ID, "Kill during a refresh", "")
	importFile := func(content string) *jobs.Dataset {
		t.Helper()
		path := filepath.Join(t.TempDir(), "upload.csv")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		ds, err := st.CreateDataset(ctx, j.ID, "catalogue.csv", path, int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		if err := dataset.NewImporter(st, dataset.Limits{}, nil).Import(ctx, ds.ID, dataset.Options{}); err != nil {
			t.Fatal(err)
		}
		ds, _ = st.Dataset(ctx, ds.ID)
		return ds
	}

	// Version 1: every third row still had an old name and no ULAN id.
	var v1 strings.Builder
	v1.WriteString("id,name,ulan\n")
	for i := 1; i <= v1Rows; i++ {
		if i%3 == 0 {
			fmt.Fprintf(&v1, "r%d,Old name %d,\n", i, i)
		} else {
			fmt.Fprintf(&v1, "r%d,Person %d,%d\n", i, i, 500000000+i)
		}
	}
	importFile(v1.String())
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"key":"id","wikibase":{"sparql_endpoint":"`+oxi.Endpoint()+`"},"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"}}}`))
	if err := st.StartReconciliation(ctx, j.ID, v1Rows, 200); err != nil {
		t.Fatal(err)
	}
	// Version 1's results, as a finished run left them: the label marks
	// results that must survive the refresh untouched.
	for b := int64(1); b <= v1Rows/200; b++ {
		var ms []jobs.RowMatch
		for r := (b-1)*200 + 1; r <= b*200; r++ {
			if r%3 == 0 {
				ms = append(ms, jobs.RowMatch{Row: r, Status: jobs.MatchNone})
			} else {
				ms = append(ms, jobs.RowMatch{Row: r, Status: jobs.MatchMatched, QID: fmt.Sprintf("Q%d", r), Label: fmt.Sprintf("kept %d", r), Score: 0.97})
			}
		}
		if _, err := st.SaveBatchResult(ctx, j.ID, b, ms, 1); err != nil {
			t.Fatal(err)
		}
	}
	if done, _ := st.FinishReconciliationIfDone(ctx, j.ID); !done {
		t.Fatal("version 1 not reconciled")
	}
	// r1 is removed in version 2, r600 changed, r602 and r5000 kept.
	for _, r := range []int64{1, 600, 602, 5000} {
		if _, err := st.Decide(ctx, j.ID, r, jobs.DecisionAccept, fmt.Sprintf("Q%d", r), u.ID, 0); err != nil {
			t.Fatal(err)
		}
	}

	// Version 2, shuffled: r501..r9000 (the old-name rows now fixed) and
	// 1,500 new rows.
	var ids []int
	for i := removed + 1; i <= v1Rows+added; i++ {
		ids = append(ids, i)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
	var v2 strings.Builder
	v2.WriteString("ulan,id,name\n")
	for _, i := range ids {
		fmt.Fprintf(&v2, "%d,r%d,Person %d\n", 500000000+i, i, i)
	}
	ds := importFile(v2.String())
	wantKept := int64(0)
	for i := removed + 1; i <= v1Rows; i++ {
		if i%3 != 0 {
			wantKept++
		}
	}
	if want := (jobs.RefreshCounts{Kept: wantKept, Changed: v1Rows - removed - wantKept, Added: added, Removed: removed}); ds.Refresh != want {
		t.Fatalf("refresh counts %+v, want %+v", ds.Refresh, want)
	}
	before, _ := st.JobProgress(ctx, j.ID)
	if before.Done != wantKept || before.Rows != int64(len(ids)) {
		t.Fatalf("progress right after the refresh: %+v", before)
	}

	dbEnv := []string{"PARTNERHUB_DB_DSN=" + dsn, "PARTNERHUB_REDIS_ADDR="}
	first := start(t, bin, dataDir, freeAddr(t), dbEnv...)
	mid := killAfterBatches(t, st, j.ID, first, before.BatchesDone+2, 5*time.Minute)
	if mid.Percent() > 100 || mid.Done > mid.Rows {
		t.Fatalf("progress after the kill: %+v", mid)
	}

	second := start(t, bin, dataDir, freeAddr(t), dbEnv...)
	waitReconciled(t, st, j.ID, second, 8*time.Minute)
	p, _ := st.JobProgress(ctx, j.ID)
	rows := int64(len(ids))
	if p.Done != rows || p.Percent() != 100 || p.Matched != rows {
		t.Fatalf("after restart: %+v", p)
	}
	ms, _ := st.RowMatches(ctx, j.ID, 0, int(rows)+10)
	if int64(len(ms)) != rows {
		t.Fatalf("%d results for %d rows", len(ms), rows)
	}
	kept := int64(0)
	for _, m := range ms {
		i := ids[m.Row-1]
		if m.QID != fmt.Sprintf("Q%d", i) {
			t.Fatalf("row %d (r%d) matched to %s", m.Row, i, m.QID)
		}
		if strings.HasPrefix(m.Label, "kept ") {
			kept++
			if m.Label != fmt.Sprintf("kept %d", i) || i%3 == 0 || i > v1Rows {
				t.Fatalf("row %d (r%d) has another row's result %q", m.Row, i, m.Label)
			}
		}
	}
	if kept != wantKept {
		t.Errorf("%d rows kept their results untouched, want %d (the others were matched again)", kept, wantKept)
	}
	var decided []string
	for n, i := range ids {
		if d, err := st.Decision(ctx, j.ID, int64(n+1)); err == nil && d != nil {
			decided = append(decided, fmt.Sprintf("r%d:%s", i, d.QID))
		}
	}
	if strings.Join(decided, " ") != "r5000:Q5000 r602:Q602" && strings.Join(decided, " ") != "r602:Q602 r5000:Q5000" {
		t.Errorf("decisions after the refresh: %v, want r602 and r5000 kept (r1 removed, r600 changed)", decided)
	}
	t.Logf("killed with %d of %d batches done", mid.BatchesDone, mid.Batches)
}
