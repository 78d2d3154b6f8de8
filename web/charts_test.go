package web

import "testing"

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
