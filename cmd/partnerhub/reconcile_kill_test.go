package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/sparql/sparqltest"
)

// TestReconciliationSurvivesKill kills the process (SIGKILL) while a job's
// batches are being reconciled against a real SPARQL engine, starts it
// again, and expects every row reconciled exactly once.
func TestReconciliationSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const rows = 20000 // 100 batches
	oxi := sparqltest.Start(t)
	var ttl strings.Builder
	ttl.WriteString("@prefix wd: <http://www.wikidata.org/entity/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix wdt: <http://www.wikidata.org/prop/direct/> .\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&ttl, "wd:Q%d rdfs:label \"Person %d\"@en ; wdt:P245 \"%d\" .\n", i, i, 500000000+i)
	}
	oxi.Load(t, ttl.String())
	bin := buildBinary(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	st, u := localStore(t, "", dataDir)
	j, _ := st.CreateJob(ctx, u.ID, "Kill during reconciliation", "")
	_ = st.SetJobTemplate(ctx, j.ID, []byte(`{"wikibase":{"sparql_endpoint":"`+oxi.Endpoint()+`"},"columns":{"name":{"role":"label"},"ulan":{"property":"P245","kind":"external-id"}}}`))
	ds, _ := st.CreateDataset(ctx, j.ID, "k.csv", "/none", 1)
	ds.Columns = []string{"name", "ulan"}
	_ = st.StartImport(ctx, ds)
	var data []jobs.Row
	for i := 1; i <= rows; i++ {
		data = append(data, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint("Person ", i), fmt.Sprint(500000000 + i)}})
	}
	_ = st.AppendRows(ctx, ds.ID, data, rows)
	ds.RowCount = rows
	_ = st.FinishImport(ctx, ds, nil)
	if err := st.StartReconciliation(ctx, j.ID, rows, 200); err != nil {
		t.Fatal(err)
	}

	first := start(t, bin, dataDir, freeAddr(t))
	mid := killAfterBatches(t, st, j.ID, first, 2, 4*time.Minute)

	second := start(t, bin, dataDir, freeAddr(t))
	waitReconciled(t, st, j.ID, second, 6*time.Minute)
	p, _ := st.JobProgress(ctx, j.ID)
	ms, _ := st.RowMatches(ctx, j.ID, 0, rows+10)
	if p.Done != rows || len(ms) != rows || p.Matched != rows {
		t.Fatalf("after restart: %+v, %d results", p, len(ms))
	}
	t.Logf("killed with %d of %d batches done", mid.BatchesDone, mid.Batches)
}
