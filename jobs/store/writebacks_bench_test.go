package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// BenchmarkWriteBacksFor times a page of "My write-backs" (26 write-backs
// with their counts) for a user who sees two thirds of PARTNERHUB_BENCH_PLANS
// write-backs (default 2,000, 50 items each): their own jobs' and their
// group's, not a stranger's. On SQLite and on MariaDB (a database
// of its own; PARTNERHUB_TEST_MYSQL_DSN):
//
//	PARTNERHUB_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test' go test -run '^$' -bench WriteBacksFor -benchtime 50x ./jobs/store/
func BenchmarkWriteBacksFor(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("PARTNERHUB_BENCH_PLANS")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range []string{"sqlite", "mysql"} {
		b.Run(engine, func(b *testing.B) {
			var st *store.Store
			if engine == "sqlite" {
				st = storetest.SQLite(b)
			} else {
				st = storetest.MySQL(b)
			}
			ctx := context.Background()
			start := time.Now()
			alice, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "1", Username: "Alice"})
			bob, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "2", Username: "Bob"})
			carol, _ := st.UpsertUser(ctx, &jobs.User{WikiUserID: "3", Username: "Carol"})
			g, _ := st.CreateGroup(ctx, bob.ID, "G", "", "")
			_, _ = st.AddMember(ctx, g.ID, "Alice", jobs.RoleMember)
			items := make([]jobs.PlanItem, 50)
			for i := range items {
				items[i] = jobs.PlanItem{No: int64(i + 1), QID: fmt.Sprint("Q", i+1), Statements: 2, References: 2, Approved: true}
			}
			var jobIDs []int64
			for k, owner := range []*jobs.User{alice, bob, carol} {
				for i := 0; i < 20; i++ {
					j, _ := st.CreateJob(ctx, owner.ID, fmt.Sprint("job ", k, i), "")
					if owner == bob {
						_ = st.SetJobGroup(ctx, j.ID, g.ID)
					}
					jobIDs = append(jobIDs, j.ID)
				}
			}
			for i := 0; i < n; i++ {
				// Each job's plans one after another, the owners interleaved.
				jobID := jobIDs[(i%3)*20+(i/3)%20]
				p, err := st.CreatePlan(ctx, jobID, alice.ID)
				if err != nil {
					b.Fatal(err)
				}
				_ = st.AddPlanItems(ctx, p.ID, items, 50)
				_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanReady, "", jobs.PlanBuilding)
				_ = st.ApprovePlan(ctx, p.ID, alice.ID, nil)
				_ = st.StartWriting(ctx, p.ID, carol.ID, "feedfeedfeedfeed")
				_ = st.SetPlanStatus(ctx, p.ID, jobs.PlanDone, "", jobs.PlanWriting)
			}
			b.Logf("%s: %d write-backs of 50 items seeded in %s", engine, n, time.Since(start).Round(time.Millisecond))
			first, err := st.WriteBacksFor(ctx, alice.ID, 0, 26)
			if err != nil || len(first) != 26 || first[0].Left != 50 {
				b.Fatalf("first page: %d %v", len(first), err)
			}
			var times []time.Duration
			for b.Loop() {
				t0 := time.Now()
				page, err := st.WriteBacksFor(ctx, alice.ID, 0, 26)
				times = append(times, time.Since(t0))
				if err != nil || len(page) != 26 {
					b.Fatalf("page: %d %v", len(page), err)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
