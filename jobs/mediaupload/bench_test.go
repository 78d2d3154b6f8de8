package mediaupload_test

import (
	"context"
	"testing"
	"time"

	"partnerhub/jobs"
	"partnerhub/jobs/store/storetest"
)

// BenchmarkUploadPlan uploads a 50-file plan (files of about 2 KB, one
// in five chunked) with its structured data against the fake Commons on
// SQLite, paced at 1,000 writes a second: the executor's own cost per file (lookups, intent and
// outcome writes, upload, MediaInfo read and edit).
func BenchmarkUploadPlan(b *testing.B) {
	const n = 50
	for b.Loop() {
		b.StopTimer()
		var files []planned
		for i := range n {
			size := 500
			if i%5 == 0 {
				size = 4000
			}
			files = append(files, planned{title: "Bench file " + string(rune('A'+i%26)) + string(rune('a'+i/26)) + ".jpg", qid: "Q1", body: picture(b, 1000+i, size), captions: map[string]string{"en": "x"}})
		}
		e := setup(b, storetest.SQLite(b), files, nil)
		b.StartTimer()
		start := time.Now()
		if err := e.executor(b).Upload(context.Background(), e.plan); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "files/s")
		b.StopTimer()
		if p, _ := e.st.MediaPlan(context.Background(), e.plan.ID); p.Status != jobs.MediaPlanDone {
			b.Fatalf("plan %s", p.Status)
		}
		b.StartTimer()
	}
}
