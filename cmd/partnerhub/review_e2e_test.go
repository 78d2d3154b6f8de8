package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/store/storetest"
)

// reviewSession is a running binary in local mode with a seeded,
// reconciled job, and a headless Chromium to review it with.
type reviewSession struct {
	t      *testing.T
	app    *instance
	ctx    context.Context
	jobURL string
	store  *store.Store
	jobID  int64
	user   *jobs.User
	shots  string
}

// reviewRows is how many rows the seeded job has: more than a review page.
const reviewRows = 60

// newReviewSession seeds the data directory the way a user leaves it after
// reconciliation (so the test spends its time on the review page, not on
// the journey TestBrowserJourney already drives), then starts the binary and
// a browser. Row 1's only candidate has nothing but a German label; rows
// 2..20 are matched; the others wait for review with three candidates each.
func newReviewSession(t *testing.T) *reviewSession {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a browser")
	}
	chromium(t) // skip early without a browser
	bin := buildBinary(t)
	dataDir := t.TempDir()
	st, u := localStore(t, "", dataDir)
	var rows []jobs.Row
	var results []jobs.RowMatch
	for i := 1; i <= reviewRows; i++ {
		rows = append(rows, jobs.Row{Num: int64(i), Cells: []string{fmt.Sprint("Painter ", i), fmt.Sprint(1800 + i), fmt.Sprint(500000000 + i), "a longer note about the painter's life and work in the museum's own words"}})
		m := jobs.RowMatch{Row: int64(i), Status: jobs.MatchReview, Score: 0.5 + float64(i%50)/100}
		switch {
		case i == 1:
			m.Candidates = []jobs.CandidateSummary{{QID: "Q61125347", Label: "Maria Musterfrau", LabelLang: "de", Score: 0.55, Evidence: []string{"identifier P245 equals 500000001"}}}
		case i <= 20:
			m.Status, m.Score = jobs.MatchMatched, 0.95
			fallthrough
		default:
			for c := 0; c < 3; c++ {
				m.Candidates = append(m.Candidates, jobs.CandidateSummary{QID: fmt.Sprint("Q", 1000+i*10+c), Label: fmt.Sprint("Painter ", i), LabelLang: "en",
					Description: "painter (1800–1900)", Score: m.Score - float64(c)/10,
					Evidence: []string{"label \"Painter\"@en resembles name", "instance of human"}, Facts: map[string][]string{"P569": {fmt.Sprint(1800+i, "-01-01")}}})
			}
		}
		m.QID, m.Label = m.Candidates[0].QID, m.Candidates[0].Label
		results = append(results, m)
	}
	j, _ := storetest.ReconciledJob(t, st, u.ID, storetest.Reconciled{Title: "Museum painters", File: "painters.csv", Columns: []string{"name", "born", "ulan", "note"}, Rows: rows, Results: results,
		Template: `{"version":1,"languages":["en"],"columns":{"name":{"role":"label"},"born":{"property":"P569","kind":"time"},"ulan":{"property":"P245","kind":"external-id"}}}`})

	addr := freeAddr(t)
	app := start(t, bin, dataDir, addr, "PARTNERHUB_REDIS_ADDR=", "PARTNERHUB_DB_DSN=", "PARTNERHUB_OAUTH_CONSUMER_KEY=", "PARTNERHUB_LOCAL_USER=local")

	bctx, shots := browserContext(t, 1280, 900), screenshotDir(t)
	return &reviewSession{t: t, app: app, ctx: bctx, jobURL: fmt.Sprintf("%s/jobs/%d", app.base, j.ID), store: st, jobID: j.ID, user: u, shots: shots}
}

// do runs browser steps; on failure it saves a screenshot and shows the log.
func (s *reviewSession) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		loc, _ := chromedp.Run(s.ctx, chromedp.Location())
		if buf, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(s.shots, "failed-review-"+strings.ReplaceAll(step, " ", "-")+".png"), buf, 0o644)
		}
		s.t.Fatalf("%s (at %s): %v\n%s", step, loc, err, s.app.log.String())
	}
}

// eval evaluates a JavaScript expression in the page.
func evalIn[T any](s *reviewSession, step, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		s.t.Fatalf("%s: %v", step, err)
	}
	return v
}

// waitFor waits until the JavaScript condition holds in the page. A page
// being replaced by the one a click leads to has no context to evaluate in
// for a moment: such errors mean "look again", until the deadline.
func waitFor(cond string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(5*time.Second))(ctx, t)
			if err == nil {
				return chromedp.Void{}, nil
			}
			if ctx.Err() != nil || time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", cond, err)
			}
		}
	}
}

func (s *reviewSession) shot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(s.shots, name+".png"), buf, 0o644)
	}
}

// decision is the stored decision on a row, as the server knows it.
func (s *reviewSession) decision(row int64) *jobs.Decision {
	s.t.Helper()
	d, err := s.store.Decision(context.Background(), s.jobID, row)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// decisionText is the row's decision line on the page.
func decisionText(row int) string {
	return fmt.Sprintf(`document.querySelector('#row-%d [data-decision]').textContent`, row)
}

// TestBrowserReview drives the review page in headless Chromium, one
// session for three flows in turn, each leaving every row it touched as
// it found it: the keyboard in the compact view, bulk acceptance and its
// undo, and all of it again with scripts off (last: it stays off).
func TestBrowserReview(t *testing.T) {
	s := newReviewSession(t)
	for _, flow := range []struct {
		name string
		run  func(*testing.T, *reviewSession)
	}{
		{"compact view, keyboard and undo", reviewCompactAndUndo},
		{"bulk acceptance and its undo", reviewBulkAcceptAndUndo},
		{"without JavaScript", reviewWithoutJavaScript},
	} {
		parent := s.t
		ok := t.Run(flow.name, func(t *testing.T) {
			s.t = t
			flow.run(t, s)
		})
		s.t = parent
		if !ok {
			return
		}
	}
}

// reviewCompactAndUndo reviews in the compact view with the
// keyboard: one line per row with details on demand, decisions saved
// without reloading, and "u" taking back decisions made on this page.
func reviewCompactAndUndo(t *testing.T, s *reviewSession) {
	css := func(q string) chromedp.CSS { return chromedp.CSS(q) }

	// The detailed view first, to compare heights.
	s.do("detailed view", chromedp.Navigate(s.jobURL+"/review"), chromedp.WaitVisible(css(`#row-25`)), s.shot("review-detailed"))
	detailed := evalIn[float64](s, "detailed height", `document.querySelector('[data-review]').getBoundingClientRect().height`)

	s.do("compact view", chromedp.Click(css(`.views a`)), chromedp.WaitVisible(css(`.review.compact #row-25`)), s.shot("review-compact"))
	compact := evalIn[float64](s, "compact height", `document.querySelector('[data-review]').getBoundingClientRect().height`)
	tallest := evalIn[float64](s, "tallest row", `Math.max(...[...document.querySelectorAll('.review-row')].map(r => r.getBoundingClientRect().height))`)
	lineHeight := evalIn[float64](s, "line height", `document.querySelector('#row-2 .line h2').getBoundingClientRect().height`)
	t.Logf("25 rows: detailed %.0f px, compact %.0f px (tallest row %.0f px, a line %.0f px)", detailed, compact, tallest, lineHeight)
	if tallest > 2.6*lineHeight {
		t.Errorf("a compact row is %.0f px tall, more than one line (%.0f px) and its padding", tallest, lineHeight)
	}
	if compact*4 > detailed {
		t.Errorf("compact view %.0f px is not much shorter than the detailed %.0f px", compact, detailed)
	}
	// Details are on demand: hidden, then shown with "o" on the current row.
	if evalIn[bool](s, "details closed", `[...document.querySelectorAll('.review-row details')].some(d => d.open)`) {
		t.Fatal("compact rows start with their details open")
	}
	if !strings.Contains(evalIn[string](s, "view links keep view", `document.querySelector('nav.pager a[rel=next]').href`), "view=compact") {
		t.Error("the next page leaves the compact view")
	}

	// Row 1: its candidate is named by its German label, the language named.
	best := evalIn[string](s, "row 1 best", `document.querySelector('#row-1 .best').textContent`)
	if !strings.Contains(best, "Maria Musterfrau") || !strings.Contains(best, "German (de)") || strings.Contains(best, "Q61125347 (Q61125347)") {
		t.Errorf("row 1's candidate shows as %q", best)
	}
	if lang := evalIn[string](s, "label lang", `document.querySelector('#row-1 .best a.label').lang`); lang != "de" {
		t.Errorf("the German label is marked lang=%q", lang)
	}

	// Keyboard: j to row 1, o opens its details, 1 accepts; focus moves on.
	s.do("open details", chromedp.KeyEvent("j"), chromedp.KeyEvent("o"), waitFor(`document.querySelector('#row-1 details').open`),
		chromedp.WaitVisible(css(`#row-1 details ol.candidates`)), chromedp.KeyEvent("o"), waitFor(`!document.querySelector('#row-1 details').open`))
	s.do("accept row 1", chromedp.KeyEvent("1"), waitFor(decisionText(1)+`.startsWith('Accepted Q61125347')`),
		waitFor(`document.activeElement.id === 'row-2'`), s.shot("review-compact-decided"))
	if d := s.decision(1); d == nil || d.QID != "Q61125347" {
		t.Fatalf("row 1 after the key: %+v", d)
	}
	// u right after: row 1's decision is withdrawn, on the server too.
	s.do("undo row 1", chromedp.KeyEvent("u"), waitFor(decisionText(1)+` === 'Undecided'`), waitFor(`document.activeElement.id === 'row-1'`),
		waitFor(`document.querySelector('#row-1 [data-key=u]').hidden`))
	if d := s.decision(1); d != nil {
		t.Fatalf("row 1 still decided after u: %+v", d)
	}
	// Decide again from the same page: the page knows the new version.
	s.do("reject row 1", chromedp.KeyEvent("x"), waitFor(decisionText(1)+`.startsWith('Rejected')`))
	if d := s.decision(1); d == nil || d.Kind != jobs.DecisionReject {
		t.Fatalf("row 1 after x: %+v", d)
	}
	// Candidate 3 of row 2 through the closed details (focus moves to row
	// 3), then on to row 4: u on an undecided row takes back the latest
	// decision on the page.
	s.do("accept 3 on row 2", chromedp.KeyEvent("3"), waitFor(decisionText(2)+`.startsWith('Accepted Q1022')`),
		waitFor(`document.activeElement.id === 'row-3'`), chromedp.KeyEvent("j"), waitFor(`document.activeElement.id === 'row-4'`))
	if d := s.decision(2); d == nil || d.QID != "Q1022" {
		t.Fatalf("row 2 after 3: %+v", d)
	}
	s.do("undo latest", chromedp.KeyEvent("u"), waitFor(decisionText(2)+` === 'Undecided'`), waitFor(`document.activeElement.id === 'row-2'`))
	if d := s.decision(2); d != nil {
		t.Fatalf("row 2 still decided: %+v", d)
	}
	// u on a row decided before the page was loaded undoes that row.
	s.do("reload", chromedp.Reload(), chromedp.WaitVisible(css(`#row-1 [data-key=u]`)), chromedp.Focus(css(`#row-1`)), chromedp.KeyEvent("u"),
		waitFor(decisionText(1)+` === 'Undecided'`))
	if d := s.decision(1); d != nil {
		t.Fatalf("row 1 still decided after reload and u: %+v", d)
	}
}

// reviewBulkAcceptAndUndo accepts in bulk through the confirmation
// page, choosing the threshold on the score histogram, and undoes it after
// another reviewer changed one of the rows: that row is kept and named.
func reviewBulkAcceptAndUndo(t *testing.T, s *reviewSession) {
	css := func(q string) chromedp.CSS { return chromedp.CSS(q) }
	ctx := context.Background()

	s.do("review", chromedp.Navigate(s.jobURL+"/review?view=compact"), chromedp.WaitVisible(css(`#row-1`)),
		chromedp.Click(css(`form.bulk button[value="matched"]`)), chromedp.WaitVisible(css(`[data-field="bulk-count"]`)), s.shot("bulk-matched"))
	count := evalIn[string](s, "matched count", `document.querySelector('[data-field="bulk-count"]').textContent`)
	if !strings.Contains(count, "19 undecided rows that reconciliation matched") || !strings.Contains(count, "auto-accept threshold") {
		t.Fatalf("confirmation for matched rows: %q", count)
	}
	if d := s.decision(2); d != nil {
		t.Fatalf("the confirmation page decided row 2: %+v", d)
	}
	// Choose 0.70 on the histogram: rows 2..20 (0.95) and 21..49 (0.71..0.99).
	s.do("choose on histogram", chromedp.Click(css(`svg a[href*="min_score=0.70"] rect`)),
		waitFor(`location.search.includes('min_score=0.70')`), chromedp.WaitVisible(css(`[data-field="bulk-count"]`)), s.shot("bulk-histogram"))
	count = evalIn[string](s, "score count", `document.querySelector('[data-field="bulk-count"]').textContent`)
	if !strings.Contains(count, "48 undecided rows whose best candidate scores at least 0.70") {
		t.Fatalf("confirmation for 0.70: %q", count)
	}
	above := evalIn[float64](s, "bars above", `document.querySelectorAll('svg rect.bar-above').length`)
	label := evalIn[string](s, "threshold label", `[...document.querySelectorAll('svg text')].map(t => t.textContent).join(' | ')`)
	if above != 6 || !strings.Contains(label, "≥ 0.70: 48 rows") {
		t.Errorf("histogram marks %v bars above 0.70 (want 6) and says %q", above, label)
	}
	s.do("confirm", chromedp.Click(css(`form.bulk-confirm button`)), chromedp.WaitVisible(css(`.flash.ok`)))
	if msg := evalIn[string](s, "flash", `document.querySelector('.flash').textContent`); !strings.Contains(msg, "Accepted the best candidate of 48 rows") {
		t.Fatalf("after confirming: %q", msg)
	}
	if !strings.Contains(evalIn[string](s, "back in view", `location.search`), "view=compact") {
		t.Error("confirming left the compact view")
	}
	if d := s.decision(21); d == nil || d.Kind != jobs.DecisionAccept || d.QID != "Q1210" {
		t.Fatalf("row 21 after the bulk: %+v", d)
	}

	// Another reviewer changes row 25 meanwhile.
	bob, _ := s.store.UpsertUser(ctx, &jobs.User{WikiUserID: "9", Username: "Bob"})
	if _, err := s.store.Decide(ctx, s.jobID, 25, jobs.DecisionReject, "", bob.ID, 1); err != nil {
		t.Fatal(err)
	}
	// Undo (the page asks first; the test says yes).
	s.do("undo bulk", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`), chromedp.Click(css(`.bulk-history form button`)),
		waitFor(`!!document.querySelector('.flash') && document.querySelector('.flash').textContent.includes('Undid')`), s.shot("bulk-undone"))
	msg := evalIn[string](s, "undo flash", `document.querySelector('.flash').textContent`)
	if !strings.Contains(msg, "47 rows undecided again") || !strings.Contains(msg, "Kept 1 row decided since then: row 25 (rejected by Bob)") {
		t.Fatalf("after undo: %q", msg)
	}
	if d := s.decision(21); d != nil {
		t.Errorf("row 21 still decided after the undo: %+v", d)
	}
	if d := s.decision(25); d == nil || d.Kind != jobs.DecisionReject || d.UserName != "Bob" {
		t.Errorf("Bob's decision on row 25 was overwritten: %+v", d)
	}
	if hist := evalIn[string](s, "history", `document.querySelector('.bulk-history').textContent`); !strings.Contains(hist, "Undone by local") || !strings.Contains(hist, "47 undecided again, 1 kept") {
		t.Errorf("bulk history: %q", hist)
	}
}

// reviewWithoutJavaScript does the same with scripts off: the
// compact view's details open natively, decisions, undo, bulk acceptance
// and its undo are plain forms answered by server-rendered pages.
func reviewWithoutJavaScript(t *testing.T, s *reviewSession) {
	css := func(q string) chromedp.CSS { return chromedp.CSS(q) }
	noScript := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
	s.do("compact without script", noScript, chromedp.Navigate(s.jobURL+"/review?view=compact"), chromedp.WaitVisible(css(`#row-1 .line`)),
		chromedp.Click(css(`#row-2 details summary`)), chromedp.WaitVisible(css(`#row-2 details ol.candidates`)))
	s.do("accept candidate 2 of row 2", chromedp.Click(css(`#row-2 details button[data-key="2"]`)),
		chromedp.WaitVisible(css(`#row-2 button[data-key="u"]`)))
	if d := s.decision(2); d == nil || d.QID != "Q1021" {
		t.Fatalf("row 2 after the plain form: %+v", d)
	}
	if loc, _ := chromedp.Run(s.ctx, chromedp.Location()); !strings.Contains(loc, "view=compact") || !strings.HasSuffix(loc, "#row-2") {
		t.Errorf("after deciding: %s, want the compact view at row 2", loc)
	}
	s.do("undo row 2", chromedp.Click(css(`#row-2 button[data-key="u"]`)), chromedp.WaitReady(css(`#row-2 button[data-key="u"][hidden]`)))
	if d := s.decision(2); d != nil {
		t.Fatalf("row 2 still decided: %+v", d)
	}
	s.do("bulk without script", chromedp.Click(css(`form.bulk button[value="matched"]`)), chromedp.WaitVisible(css(`form.bulk-confirm button`)),
		chromedp.Click(css(`form.bulk-confirm button`)), chromedp.WaitVisible(css(`.flash.ok`)), chromedp.WaitVisible(css(`.bulk-history form button`)))
	if d := s.decision(3); d == nil || d.QID != "Q1030" {
		t.Fatalf("row 3 after bulk: %+v", d)
	}
	s.do("undo bulk without script", chromedp.Click(css(`.bulk-history li:first-child form button`)), chromedp.WaitVisible(css(`.bulk-history li:first-child .muted`)))
	if d := s.decision(3); d != nil {
		t.Fatalf("row 3 still decided after undoing the bulk: %+v", d)
	}
}
