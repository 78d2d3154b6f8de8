package dataset

import (
	"strings"

	"partnerhub/jobs"
)

// maxSamples is how many distinct example values the preview shows per column.
const maxSamples = 5

// statsCollector summarises columns while rows stream by, in bounded memory:
// distinct values are counted exactly up to jobs.DistinctCap per column.
type statsCollector struct {
	stats    []jobs.ColumnStats
	distinct []map[string]struct{}
}

func newStatsCollector(header []string) *statsCollector {
	c := &statsCollector{stats: make([]jobs.ColumnStats, len(header)), distinct: make([]map[string]struct{}, len(header))}
	for i, h := range header {
		c.stats[i].Name = h
		c.distinct[i] = map[string]struct{}{}
	}
	return c
}

func (c *statsCollector) add(cells []string) {
	for i, v := range cells {
		if i >= len(c.stats) {
			return
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		st := &c.stats[i]
		st.Filled++
		if st.Capped {
			continue
		}
		if _, ok := c.distinct[i][v]; ok {
			continue
		}
		if len(c.distinct[i]) >= jobs.DistinctCap {
			st.Capped = true
			c.distinct[i] = nil // free it: the count stays at the cap
			continue
		}
		c.distinct[i][v] = struct{}{}
		st.Distinct++
		if len(st.Samples) < maxSamples {
			st.Samples = append(st.Samples, truncate(v, 80))
		}
	}
}

func (c *statsCollector) result() []jobs.ColumnStats { return c.stats }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
