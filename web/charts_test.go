package web

import (
	"fmt"
	"testing"

	"partnerhub/jobs"
)

func TestBarChartScalesToTheLargestValue(t *testing.T) {
	span := chartWidth - chartLabelW - chartValueW
	cases := []struct {
		name   string
		values []int64
		widths []int
	}{
		{"scaled", []int64{100, 50, 0}, []int{span, span / 2, 0}},
		{"tiny stays visible", []int64{1_000_000, 1}, []int{span, 2}},
		{"all zero", []int64{0, 0}, []int{0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			labels := make([]string, len(c.values))
			ch := newBarChart("x", "T", "D", labels, c.values, nil)
			for i, b := range ch.Bars {
				if b.W != c.widths[i] {
					t.Errorf("bar %d: width %d, want %d", i, b.W, c.widths[i])
				}
				if b.ValueX > chartWidth {
					t.Errorf("bar %d: value label outside the chart at %d", i, b.ValueX)
				}
			}
			if want := chartPadding*2 + len(c.values)*(chartBarH+chartBarGap); ch.Height != want {
				t.Errorf("height %d, want %d", ch.Height, want)
			}
		})
	}
}

func TestScoreHistogramLayout(t *testing.T) {
	h := jobs.ScoreHistogram{Step: 0.25, Buckets: []int64{0, 1, 1000, 10}, AtLeast: []int64{1011, 1011, 1010, 10}}
	ch := newScoreHistogram("h", h, 0.5, func(from float64) string { return fmt.Sprintf("?min_score=%.2f", from) })
	if len(ch.Bars) != 4 || ch.AtThreshold != 1010 {
		t.Fatalf("bars %d, at threshold %d", len(ch.Bars), ch.AtThreshold)
	}
	for i, want := range []struct {
		h     int
		above bool
		href  string
	}{{0, false, "?min_score=0.00"}, {2, false, "?min_score=0.25"}, {histPlotH, true, "?min_score=0.50"}, {2, true, "?min_score=0.75"}} {
		b := ch.Bars[i]
		if b.H != want.h || b.Above != want.above || b.Href != want.href || b.Y+b.H != ch.BaseY {
			t.Errorf("bar %d: %+v, want height %d above %v href %s on the axis", i, b, want.h, want.above, want.href)
		}
	}
	// Bars side by side within the chart, none overlapping.
	for i := 1; i < len(ch.Bars); i++ {
		if ch.Bars[i].X < ch.Bars[i-1].X+ch.Bars[i-1].W || ch.Bars[i].X+ch.Bars[i].W > ch.Width {
			t.Errorf("bar %d at %d overlaps or leaves the chart", i, ch.Bars[i].X)
		}
	}
	if none := newScoreHistogram("h", h, 0, func(float64) string { return "" }); none.Bars[3].Above || none.AtThreshold != 0 {
		t.Error("without a threshold no bar is marked")
	}
}
