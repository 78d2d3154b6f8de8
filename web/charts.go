package web

import (
	"strconv"

	"partnerhub/jobs"
)

// barChart is a horizontal bar chart drawn as inline SVG by the "chart"
// partial: no script and no library, readable by screen readers through its
// <title> and <desc> and, for everyone, the table of numbers beside it.
type barChart struct {
	ID     string // unique on the page, for aria-labelledby
	Title  string
	Desc   string
	Width  int
	Height int
	Bars   []chartBar
}

type chartBar struct {
	Label      string
	Value      int64
	Y, W       int // geometry in SVG user units
	TextY      int
	ValueX     int
	Class      string
	ValueLabel string
}

// Chart geometry, in SVG user units.
const (
	chartWidth   = 480
	chartLabelW  = 130
	chartBarH    = 22
	chartBarGap  = 8
	chartValueW  = 70
	chartPadding = 4
)

// newBarChart lays out bars scaled to the largest value.
func newBarChart(id, title, desc string, labels []string, values []int64, classes []string) barChart {
	ch := barChart{ID: id, Title: title, Desc: desc, Width: chartWidth}
	var maxV int64
	for _, v := range values {
		maxV = max(maxV, v)
	}
	span := chartWidth - chartLabelW - chartValueW
	for i, l := range labels {
		b := chartBar{Label: l, Value: values[i], Y: chartPadding + i*(chartBarH+chartBarGap), ValueLabel: strconv.FormatInt(values[i], 10)}
		if maxV > 0 {
			b.W = int(float64(span) * float64(values[i]) / float64(maxV))
		}
		if values[i] > 0 && b.W < 2 {
			b.W = 2 // a non-zero value stays visible
		}
		b.TextY = b.Y + chartBarH/2 + 5
		b.ValueX = chartLabelW + b.W + 6
		if i < len(classes) {
			b.Class = classes[i]
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Height = chartPadding*2 + len(labels)*(chartBarH+chartBarGap)
	return ch
}

// statsView is what the statistics partial shows.
type statsView struct {
	jobs.Statistics
	Outcome       barChart
	ReviewerChart barChart
	EditsChart    barChart
	ShowReviewers bool // false on pages for partners and the public: counts only
}

func newStatsView(id string, st jobs.Statistics, showReviewers bool) statsView {
	v := statsView{Statistics: st, ShowReviewers: showReviewers}
	v.Outcome = newBarChart(id+"-outcome", "What reconciliation found",
		"Rows matched automatically, left for review, without candidate, and rows linked to a Wikidata item after review.",
		[]string{"Matched", "To review", "No candidate", "Linked to an item"},
		[]int64{st.Matched, st.Review, st.None, st.Linked},
		[]string{"bar-matched", "bar-review", "bar-none", "bar-linked"})
	if days := st.EditsByDay; len(days) > 0 {
		days = days[max(0, len(days)-14):]
		var labels []string
		var values []int64
		for _, d := range days {
			labels = append(labels, d.Day.Format("2 Jan 2006"))
			values = append(values, d.Edits)
		}
		v.EditsChart = newBarChart(id+"-edits", "Edits to Wikidata by day", "Items edited or created on each day with edits (the last 14 such days, UTC).", labels, values, nil)
	}
	if showReviewers && len(st.Reviewers) > 0 {
		var labels []string
		var values []int64
		for _, r := range st.Reviewers[:min(len(st.Reviewers), 10)] {
			labels = append(labels, r.Username)
			values = append(values, r.Decisions)
		}
		v.ReviewerChart = newBarChart(id+"-reviewers", "Decisions by reviewer", "The ten most active reviewers and how many decisions each took.", labels, values, nil)
	}
	return v
}

// histogramChart is a vertical bar chart of counts by score, drawn as
// inline SVG by the "histogram" partial; each bar links to choosing its
// lower bound as the threshold, so it works without script.
type histogramChart struct {
	ID, Title, Desc string
	Width, Height   int
	BaseY           int // the x axis
	PlotTop, PlotH  int // the area bars may fill (their links cover it)
	AxisStart       int
	AxisEnd, TickY  int
	Bars            []histogramBar
	Ticks           []histogramTick
	Threshold       float64 // 0: none chosen
	ThresholdX      int
	AtThreshold     int64 // rows at or above the threshold
}

type histogramBar struct {
	From, To   string // the bucket's bounds, as labels
	Count      int64
	AtLeast    int64 // rows scoring at least From
	X, Y, W, H int
	Above      bool // at or above the threshold
	Href       string
}

type histogramTick struct {
	X     int
	Label string
}

// Histogram geometry, in SVG user units.
const (
	histWidth  = 480
	histPlotH  = 150
	histTop    = 24
	histLeft   = 16
	histBottom = 22
)

// newScoreHistogram lays out a score histogram with the bars at or above
// threshold marked; href gives each bar's link for its lower bound.
func newScoreHistogram(id string, h jobs.ScoreHistogram, threshold float64, href func(from float64) string) histogramChart {
	ch := histogramChart{ID: id, Title: "Undecided rows by best score", Width: histWidth, Height: histTop + histPlotH + histBottom,
		BaseY: histTop + histPlotH, Threshold: threshold, PlotTop: histTop, PlotH: histPlotH, AxisStart: histLeft, AxisEnd: histWidth - histLeft, TickY: histTop + histPlotH + 16}
	ch.Desc = "How many undecided rows with a candidate have their best candidate's score in each interval of " + strconv.FormatFloat(h.Step, 'f', 2, 64) + "."
	var maxV int64
	for _, n := range h.Buckets {
		maxV = max(maxV, n)
	}
	n := len(h.Buckets)
	if n == 0 {
		return ch
	}
	slot := (histWidth - 2*histLeft) / n
	for i, count := range h.Buckets {
		from := float64(i) * h.Step
		b := histogramBar{From: strconv.FormatFloat(from, 'f', 2, 64), To: strconv.FormatFloat(float64(i+1)*h.Step, 'f', 2, 64),
			Count: count, AtLeast: h.AtLeast[i], X: histLeft + i*slot + 1, W: slot - 2, Href: href(from)}
		if maxV > 0 {
			b.H = int(float64(histPlotH) * float64(count) / float64(maxV))
		}
		if count > 0 && b.H < 2 {
			b.H = 2 // a non-zero count stays visible
		}
		b.Y = ch.BaseY - b.H
		// A tiny epsilon: bounds are multiples of the step, thresholds typed.
		b.Above = threshold > 0 && from >= threshold-1e-9
		ch.Bars = append(ch.Bars, b)
	}
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		ch.Ticks = append(ch.Ticks, histogramTick{X: histLeft + int(t*float64(slot*n)), Label: strconv.FormatFloat(t, 'f', 2, 64)})
	}
	if threshold > 0 {
		ch.ThresholdX = histLeft + int(threshold*float64(slot*n))
		for i := range h.Buckets {
			if float64(i)*h.Step >= threshold-1e-9 {
				ch.AtThreshold = h.AtLeast[i]
				break
			}
		}
	}
	return ch
}
