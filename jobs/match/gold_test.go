package match

import (
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"partnerhub/jobs"
	"partnerhub/sparql"
	"partnerhub/sparql/sparqltest"
)

const goldTemplate = `{
  "version": 1,
  "languages": ["en", "sv"],
  "type": {"qid": "Q5"},
  "columns": {
    "name": {"role": "label"}, "alt_name": {"role": "label"},
    "ulan": {"property": "P245", "kind": "external-id"},
    "born": {"property": "P569", "kind": "time"}, "died": {"property": "P570", "kind": "time"},
    "country": {"property": "P27", "kind": "item"}
  }
}`

// labelIndex is a stand-in for the wiki's entity search: every label and
// alias of the graph, found by its name key (accents and case ignored).
type labelIndex struct {
	mu    sync.Mutex
	byKey map[string][]string
	calls int
}

func newLabelIndex(t *testing.T, q Querier) *labelIndex {
	t.Helper()
	res, err := q.Select(context.Background(), `PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?item ?text WHERE { ?item rdfs:label|skos:altLabel ?text }`)
	if err != nil {
		t.Fatal(err)
	}
	idx := &labelIndex{byKey: map[string][]string{}}
	for _, r := range res.Rows {
		id := strings.TrimPrefix(r["item"].Value, DefaultEntityPrefix)
		for _, k := range []string{NameKey(r["text"].Value), sortedWords(NameKey(r["text"].Value))} {
			if !slices.Contains(idx.byKey[k], id) {
				idx.byKey[k] = append(idx.byKey[k], id)
			}
		}
	}
	for k := range idx.byKey {
		slices.Sort(idx.byKey[k])
	}
	return idx
}

func (x *labelIndex) Search(ctx context.Context, text, language string, limit int) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.calls++
	k := NameKey(text)
	hits := x.byKey[k]
	if len(hits) == 0 {
		hits = x.byKey[sortedWords(k)]
	}
	return hits[:min(limit, len(hits))], nil
}

type goldRow struct {
	Row
	expected string
}

func readGold(t testing.TB) []goldRow {
	t.Helper()
	f, err := os.Open("testdata/gold.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	var out []goldRow
	for i, rec := range recs[1:] {
		g := goldRow{Row: Row{Num: int64(i + 1), Values: map[string]string{}}}
		for c, name := range header {
			if name == "expected_qid" {
				g.expected = rec[c] // kept from the engine
				continue
			}
			g.Values[name] = rec[c]
		}
		out = append(out, g)
	}
	return out
}

func TestGoldSet(t *testing.T) {
	srv := sparqltest.Start(t, "testdata/gold.ttl")
	client := newTestClient(t, srv.Endpoint())
	tpl, err := ParseTemplate([]byte(goldTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if err := tpl.Validate(nil); err != nil {
		t.Fatal(err)
	}
	gold := readGold(t)
	if len(gold) < 150 {
		t.Fatalf("only %d gold rows", len(gold))
	}
	search := newLabelIndex(t, client)
	e := NewEngine(client, search, tpl, quiet)
	var results []jobs.RowMatch
	for _, chunk := range sparql.Chunk(gold, 50) {
		rows := make([]Row, len(chunk))
		for i, g := range chunk {
			rows[i] = g.Row
		}
		res, err := e.MatchBatch(context.Background(), rows)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res...)
	}
	var matched, correct, answerable, review, reviewFound, absentMatched int
	for i, r := range results {
		g := gold[i]
		if g.expected != "" {
			answerable++
		}
		switch r.Status {
		case jobs.MatchMatched:
			matched++
			if r.QID == g.expected {
				correct++
			} else {
				t.Errorf("row %d %v: auto-matched %s, want %q; evidence %q", g.Num, g.Values, r.QID, g.expected, r.Candidates[0].Evidence)
			}
			if g.expected == "" {
				absentMatched++
			}
		case jobs.MatchReview:
			if g.expected != "" {
				review++
				if slices.ContainsFunc(r.Candidates, func(c jobs.CandidateSummary) bool { return c.QID == g.expected }) {
					reviewFound++
				} else {
					t.Logf("row %d %v: review without %s among %d candidates", g.Num, g.Values, g.expected, len(r.Candidates))
				}
			}
		default:
			if g.expected != "" {
				t.Logf("row %d %v: no candidate, want %s", g.Num, g.Values, g.expected)
			}
		}
		if testing.Verbose() && r.Status != jobs.MatchMatched && g.expected != "" && len(r.Candidates) > 0 {
			t.Logf("row %d %v: %s best %s %.3f %q", g.Num, g.Values, r.Status, r.QID, r.Score, r.Candidates[0].Evidence)
		}
	}
	precision := float64(correct) / float64(max(matched, 1))
	t.Logf("gold set: %d rows, %d with an answer; matched %d (correct %d), precision %.3f, recall %.3f; review rows with an answer %d, right item among candidates %.3f; %d requests (%d searches)",
		len(gold), answerable, matched, correct, precision, float64(correct)/float64(answerable), review,
		float64(reviewFound)/float64(max(review, 1)), e.Requests(), search.calls)
	if precision < 0.99 {
		t.Errorf("precision of matched rows %.3f < 0.99", precision)
	}
	if absentMatched > 0 {
		t.Errorf("%d rows whose entity is not in the graph were auto-matched", absentMatched)
	}
	if matched < answerable/2 {
		t.Errorf("only %d of %d answerable rows matched: the engine is too timid to be useful", matched, answerable)
	}
}
