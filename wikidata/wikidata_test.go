package wikidata_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"partnerhub/wikidata"
	"partnerhub/wikidata/fakewiki"
)

func loadFixture(t testing.TB, name string) *wikidata.Entity {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e wikidata.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &e
}

func TestFixturesParseAndRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/entity_*.json")
	if len(files) < 5 {
		t.Fatalf("fixtures: %v", files)
	}
	for _, f := range files {
		e := loadFixture(t, filepath.Base(f))
		if e.ID == "" || len(e.Claims) == 0 {
			t.Fatalf("%s: %+v", f, e)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var again wikidata.Entity
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		for p, sts := range e.Claims {
			if len(again.Claims[p]) != len(sts) {
				t.Fatalf("%s: %s lost statements", f, p)
			}
			for i, st := range sts {
				if !wikidata.SameValue(st.MainSnak.DataValue, again.Claims[p][i].MainSnak.DataValue) && st.MainSnak.SnakType == "value" {
					t.Fatalf("%s: %s value changed", f, st.ID)
				}
			}
		}
	}
	var whole struct {
		Entities map[string]*wikidata.Entity `json:"entities"`
	}
	b, _ := os.ReadFile("testdata/wbgetentities_Q3235026.json")
	if err := json.Unmarshal(b, &whole); err != nil || whole.Entities["Q3235026"] == nil {
		t.Fatalf("wbgetentities answer: %v", err)
	}
	var missing struct {
		Entities map[string]*wikidata.Entity `json:"entities"`
	}
	_ = json.Unmarshal([]byte(`{"entities":{"Q999":{"id":"Q999","missing":""}}}`), &missing)
	if !missing.Entities["Q999"].Missing {
		t.Fatal("missing marker not read")
	}
}

func date(t *testing.T, s string) *wikidata.DataValue {
	v, err := wikidata.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return wikidata.TimeValue(v)
}

func TestSameValue(t *testing.T) {
	julian := wikidata.Time{Time: "+1862-10-26T00:00:00Z", Precision: 11, CalendarModel: "http://www.wikidata.org/entity/Q1985786"}
	wikiYear := wikidata.TimeValue(wikidata.Time{Time: "+1862-00-00T00:00:00Z", Precision: 9, CalendarModel: wikidata.Gregorian})
	cases := []struct {
		a, b *wikidata.DataValue
		same bool
	}{
		{wikidata.ItemValue("Q5"), wikidata.ItemValue("Q5"), true},
		{wikidata.ItemValue("Q5"), wikidata.ItemValue("Q6"), false},
		{wikidata.StringValue("500115493"), wikidata.StringValue("500115493"), true},
		{wikidata.StringValue("a"), wikidata.StringValue("A"), false},
		{date(t, "1862-10-26"), date(t, "1862-10-26"), true},
		{date(t, "1862"), wikiYear, true},
		{date(t, "1862"), date(t, "1862-10-26"), false},
		{date(t, "1862-10-26"), wikidata.TimeValue(julian), false},
		{wikidata.QuantityValue("12.50", ""), wikidata.QuantityValue("+12.5", "1"), true},
		{wikidata.QuantityValue("12", ""), wikidata.QuantityValue("12", "http://www.wikidata.org/entity/Q11573"), false},
		{wikidata.StringValue("Q5"), wikidata.ItemValue("Q5"), false},
	}
	for i, c := range cases {
		if got := wikidata.SameValue(c.a, c.b); got != c.same {
			t.Errorf("case %d: SameValue(%s, %s) = %v", i, c.a, c.b, got)
		}
	}
	if !wikidata.CompatibleTime(date(t, "1862"), date(t, "1862-10-26")) || wikidata.CompatibleTime(date(t, "1862"), date(t, "1863-01-01")) {
		t.Fatal("CompatibleTime")
	}
}

func TestDiffItem(t *testing.T) {
	e := loadFixture(t, "entity_Q4115189.json") // the sandbox item
	ret, _ := wikidata.ParseDate("2026-11-24")
	ref := wikidata.NewReference("Q1000", "https://museum.example/p/1", &ret)
	existingP135 := e.Claims["P135"][0].MainSnak.DataValue
	p := func(prop, dt string, v *wikidata.DataValue, single bool) wikidata.Planned {
		return wikidata.Planned{Property: prop, DataType: dt, Value: v, References: []wikidata.Reference{ref}, SingleValue: single, AddRefIfPresent: true, StatedIn: "Q1000"}
	}
	// Mark one existing statement deprecated: still counts as present.
	e.Claims["P135"][0].Rank = "deprecated"
	d := wikidata.DiffItem(e, []wikidata.Planned{
		p("P135", "wikibase-item", existingP135, false),                   // present (deprecated rank)
		p("P245", "external-id", wikidata.StringValue("500115493"), true), // new
		p("P245", "external-id", wikidata.StringValue("500115493"), true), // same again: merged
		p("P570", "time", date(t, "1944-10-21"), true),                    // new
	}, map[string]string{"en": "Other label", "sv": "Sandlåda"}, map[string]string{"en": "test item"})
	if len(d.Present) != 1 || len(d.Add) != 2 || len(d.AddRefs) != 1 || len(d.Conflicts) != 0 {
		t.Fatalf("diff: present %d add %d refs %d conflicts %d", len(d.Present), len(d.Add), len(d.AddRefs), len(d.Conflicts))
	}
	if _, ok := d.Labels["en"]; ok || d.Labels["sv"] != "Sandlåda" || d.Descriptions["en"] != "test item" {
		t.Fatalf("labels %v descriptions %v", d.Labels, d.Descriptions)
	}
	if d.AddRefs[0].ID != e.Claims["P135"][0].ID || len(d.AddRefs[0].References) != len(e.Claims["P135"][0].References)+1 {
		t.Fatal("reference addition must keep the statement and append the reference")
	}
	// Now with the new values on the item: nothing to add; a different birth date conflicts.
	e.Claims["P245"] = []wikidata.Statement{wikidata.NewStatement("P245", "external-id", wikidata.StringValue("500115493"), ref)}
	e.Claims["P570"] = []wikidata.Statement{wikidata.NewStatement("P570", "time", date(t, "1944-10-21"))}
	e.Claims["P1477"] = []wikidata.Statement{wikidata.NewStatement("P1477", "time", date(t, "1863-01-01"))}
	d = wikidata.DiffItem(e, []wikidata.Planned{
		p("P245", "external-id", wikidata.StringValue("500115493"), true),
		p("P1477", "time", date(t, "1862-10-26"), true), // another date: conflict
		p("P570", "time", date(t, "1944"), true),        // less precise, agrees: present
	}, nil, nil)
	if len(d.Add) != 0 || len(d.AddRefs) != 0 || len(d.Conflicts) != 1 || d.Conflicts[0].Planned.Property != "P1477" || len(d.Present) != 2 || !d.Empty() {
		t.Fatalf("second diff: %+v", d)
	}
	data, err := wikidata.EditData(wikidata.DiffItem(nil, []wikidata.Planned{p("P31", "wikibase-item", wikidata.ItemValue("Q5"), false)}, map[string]string{"en": "X"}, nil))
	if err != nil || !strings.Contains(string(data), `"P248"`) || strings.Contains(string(data), `"id":"Q`) && strings.Contains(string(data), `"id":"Q4115189`) {
		t.Fatalf("edit data %s", data)
	}
}

const ck, cs = "consumer-key", "consumer-secret"

func setup(t *testing.T) (*fakewiki.Wiki, *wikidata.Client, string) {
	t.Helper()
	w := fakewiki.New(ck, cs, fakewiki.Account{Name: "Alice", Token: "tok-a", Secret: "sec-a"})
	for _, f := range []string{"entity_Q4115189.json", "entity_Q2112.json"} {
		b, _ := os.ReadFile(filepath.Join("testdata", f))
		if err := w.AddEntityJSON(b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	c, err := wikidata.NewClient(wikidata.Config{APIURL: srv.URL + "/w/api.php", UserAgent: "Partnerhub-test/1.0", MaxWait: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		&wikidata.Credentials{ConsumerKey: ck, ConsumerSecret: cs, Token: "tok-a", TokenSecret: "sec-a"})
	if err != nil {
		t.Fatal(err)
	}
	return w, c, srv.URL + "/w/api.php"
}

func TestClientReadsWithRetries(t *testing.T) {
	w, c, _ := setup(t)
	ctx := context.Background()
	ids := []string{"Q4115189", "Q2112"}
	for i := 0; i < 73; i++ {
		ids = append(ids, "Q99999"+string(rune('0'+i%10))+string(rune('a'+i/10)))
	}
	w.Inject(fakewiki.Fault{Action: "wbgetentities", Kind: fakewiki.Maxlag, RetryAfter: 1})
	w.Inject(fakewiki.Fault{Action: "wbgetentities", Kind: fakewiki.HTTP500})
	start := time.Now()
	got, err := c.GetEntities(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("maxlag's Retry-After was not waited out")
	}
	if got["Q4115189"].LastRevID == 0 || !got["Q99999a0"[:0]+ids[5]].Missing {
		t.Fatalf("entities: %d, missing flag wrong", len(got))
	}
	if len(got) != len(ids) {
		t.Fatalf("got %d of %d entities", len(got), len(ids))
	}
	hits, err := c.SearchEntities(ctx, "wikidata sandbox", "en", 5)
	if err != nil || len(hits) == 0 || hits[0].ID != "Q4115189" {
		t.Fatalf("search: %+v %v", hits, err)
	}
}

func TestClientEditsAndErrors(t *testing.T) {
	w, c, url := setup(t)
	ctx := context.Background()
	e := w.Entity("Q4115189")
	ref := wikidata.NewReference("Q1000", "", nil)
	d := wikidata.DiffItem(e, []wikidata.Planned{{Property: "P245", DataType: "external-id", Value: wikidata.StringValue("500115493"), References: []wikidata.Reference{ref}}}, nil, nil)
	data, _ := wikidata.EditData(d)

	// A stale token is renewed once.
	w.Inject(fakewiki.Fault{Action: "wbeditentity", Kind: fakewiki.BadToken})
	res, err := c.EditEntity(ctx, wikidata.EditRequest{ID: "Q4115189", Data: data, BaseRevID: e.LastRevID, Summary: "test ([[:toolforge:editgroups/b/CB/abc|details]])"})
	if err != nil || res.LastRevID <= e.LastRevID {
		t.Fatalf("edit: %+v %v", res, err)
	}
	after := w.Entity("Q4115189")
	st := after.Claims["P245"]
	if len(st) != 1 || !strings.HasPrefix(st[0].ID, "Q4115189$") || st[0].References[0].Snaks["P248"] == nil {
		t.Fatalf("statement on the fake: %+v", st)
	}
	// The same base revision again is an edit conflict.
	_, err = c.EditEntity(ctx, wikidata.EditRequest{ID: "Q4115189", Data: data, BaseRevID: e.LastRevID, Summary: "again"})
	if !wikidata.IsEditConflict(err) {
		t.Fatalf("stale base: %v", err)
	}
	for kind, check := range map[fakewiki.FaultKind]func(error) bool{
		fakewiki.Maxlag:              wikidata.IsMaxlag,
		fakewiki.RateLimited:         wikidata.IsRateLimited,
		fakewiki.FailedSaveThrottled: wikidata.IsRateLimited,
		fakewiki.HTTP429:             wikidata.IsRateLimited,
		fakewiki.ReadOnly:            wikidata.IsFatalForUser,
		fakewiki.Blocked:             wikidata.IsFatalForUser,
		fakewiki.ApplyThenFail:       func(err error) bool { return errors.Is(err, wikidata.ErrOutcomeUnknown) },
		fakewiki.HTTP500:             func(err error) bool { return errors.Is(err, wikidata.ErrOutcomeUnknown) },
	} {
		w.Inject(fakewiki.Fault{Action: "wbeditentity", Kind: kind, RetryAfter: 3})
		cur := w.Entity("Q4115189")
		_, err := c.EditEntity(ctx, wikidata.EditRequest{ID: "Q4115189", Data: data, BaseRevID: cur.LastRevID, Summary: "x"})
		if !check(err) {
			t.Errorf("fault %d: %v not classified", kind, err)
		}
		if kind == fakewiki.Maxlag {
			var ae *wikidata.APIError
			if !errors.As(err, &ae) || ae.RetryAfter != 3*time.Second {
				t.Errorf("maxlag Retry-After: %v", err)
			}
		}
	}
	// A wrong consumer secret is refused by the wiki.
	bad, _ := wikidata.NewClient(wikidata.Config{APIURL: url}, &wikidata.Credentials{ConsumerKey: ck, ConsumerSecret: "wrong", Token: "tok-a", TokenSecret: "sec-a"})
	if _, err := bad.UserInfo(ctx); !wikidata.IsFatalForUser(err) || !strings.Contains(err.Error(), "mwoauth-invalid-authorization") {
		t.Fatalf("bad signature: %v", err)
	}
	// The edits can be found again by their summary.
	revs, err := c.Revisions(ctx, "Q4115189", "Alice", 10)
	if err != nil || len(revs) < 2 || !strings.Contains(revs[len(revs)-1].Comment, "editgroups/b/CB/abc") {
		t.Fatalf("revisions: %+v %v", revs, err)
	}
	contribs, err := c.Contributions(ctx, "Alice", time.Time{}, 10)
	if err != nil || len(contribs) != len(revs) {
		t.Fatalf("contributions: %d vs %d revisions, %v", len(contribs), len(revs), err)
	}
	// New items.
	nd, _ := wikidata.NewItemData(map[string]string{"en": "Unknown Painter"}, nil, []wikidata.Statement{wikidata.NewStatement("P31", "wikibase-item", wikidata.ItemValue("Q5"), ref)})
	res, err = c.EditEntity(ctx, wikidata.EditRequest{New: "item", Data: nd, Summary: "new"})
	if err != nil || !strings.HasPrefix(res.ID, "Q") || w.Entity(res.ID).Labels["en"].Value != "Unknown Painter" {
		t.Fatalf("new item: %+v %v", res, err)
	}
	// Malformed values are refused with the wiki's message.
	badData := []byte(`{"claims":[{"type":"statement","rank":"normal","mainsnak":{"snaktype":"value","property":"P569","datatype":"time","datavalue":{"type":"time","value":{"time":"1862","precision":11,"calendarmodel":"x"}}}}]}`)
	cur := w.Entity("Q2112")
	if _, err := c.EditEntity(ctx, wikidata.EditRequest{ID: "Q2112", Data: badData, BaseRevID: cur.LastRevID}); codeOf(err) != "modification-failed" {
		t.Fatalf("malformed time: %v", err)
	}
}

func codeOf(err error) string {
	var ae *wikidata.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1862", "1862-10", "1862-10-26", "-500", "0", "1862-13", "99999999999-01-01", "+1862"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := wikidata.ParseDate(s)
		if err != nil {
			return
		}
		if v.Precision < 9 || v.Precision > 11 || v.CalendarModel != wikidata.Gregorian || !strings.HasSuffix(v.Time, "T00:00:00Z") {
			t.Fatalf("ParseDate(%q) = %+v", s, v)
		}
		if !wikidata.SameValue(wikidata.TimeValue(v), wikidata.TimeValue(v)) {
			t.Fatal("a date differs from itself")
		}
	})
}

func FuzzEntityJSON(f *testing.F) {
	b, _ := os.ReadFile("testdata/entity_Q4115189.json")
	f.Add(b)
	f.Add([]byte(`{"id":"Q1","missing":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e wikidata.Entity
		if json.Unmarshal(b, &e) != nil {
			return
		}
		for _, sts := range e.Claims {
			for _, st := range sts {
				_ = st.MainSnak.DataValue.String()
				_ = wikidata.SameValue(st.MainSnak.DataValue, st.MainSnak.DataValue)
			}
		}
		_ = wikidata.DiffItem(&e, nil, map[string]string{"en": "x"}, nil)
	})
}
