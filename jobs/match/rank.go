package match

import (
	"context"
	"fmt"
	"sort"

	"partnerhub/sparql"
)

// rowRank is a row's candidates after ranking: those scored in full, and
// what is known of those left out.
type rowRank struct {
	kept []string
	pre  map[string]int // pre-score of each ranked candidate
	// dropped candidates were ranked on their facts but not scored in full;
	// bestDropped is the highest pre-score among them.
	dropped, bestDropped int
}

// Pre-score weights: what is known of a candidate before its labels are
// fetched. Only their order matters.
const (
	preIdentifier = 4 // found by an identifier
	preLabel      = 2 // found by an exact label or among the row's artist's works
	preSearch     = 1 // found by the search
	preLinked     = 3 // an item cell (the artist) is among the item's values
	preFact       = 1 // a date or other value agrees
	preConflict   = -3
	preType       = 2
	preWrongType  = -3
)

// rank orders each row's candidates and keeps the best maxLookupsPerRow
// for full scoring, so a cap never drops the right item for QID order:
// rows with more candidates than that (a generic title, "Portrait of a
// Man") have all of theirs ranked first on their mapped values and type,
// fetched without labels.
func (e *Engine) rank(ctx context.Context, inputs []rowInput, cands []rowCands, classes map[string]bool) ([]rowRank, error) {
	out := make([]rowRank, len(inputs))
	var many []string
	seen := map[string]bool{}
	for i, c := range cands {
		if len(c.qids) <= maxLookupsPerRow {
			out[i].kept = c.qids
			continue
		}
		for _, q := range c.qids {
			if !seen[q] {
				seen[q] = true
				many = append(many, q)
			}
		}
	}
	if len(many) == 0 {
		return out, nil
	}
	sortQIDs(many)
	var queries []string
	for _, chunk := range sparql.Chunk(many, rankChunk) {
		q, err := e.rankQuery(chunk)
		if err != nil {
			return nil, fmt.Errorf("build the ranking query: %w", err)
		}
		queries = append(queries, q)
	}
	results, err := e.selectAll(ctx, "rank candidates", queries)
	if err != nil {
		return nil, err
	}
	facts := make(map[string]*itemFacts, len(many))
	for _, q := range many {
		facts[q] = newItemFacts()
	}
	for _, res := range results {
		for _, row := range res.Rows {
			if qid, ok := e.qid(row["item"]); ok && facts[qid] != nil {
				e.addFact(facts[qid], row["key"].Value, row["value"], row["object"])
			}
		}
	}
	for _, f := range facts {
		e.finishFacts(f, classes)
	}
	for i, c := range cands {
		if len(c.qids) <= maxLookupsPerRow {
			continue
		}
		r := rowRank{pre: map[string]int{}}
		for _, q := range c.qids {
			r.pre[q] = e.preScore(inputs[i], c.via[q], facts[q], classes != nil)
		}
		order := append([]string(nil), c.qids...)
		sort.SliceStable(order, func(a, b int) bool {
			if r.pre[order[a]] != r.pre[order[b]] {
				return r.pre[order[a]] > r.pre[order[b]]
			}
			return qidLess(order[a], order[b])
		})
		r.kept = order[:maxLookupsPerRow]
		r.dropped = len(order) - maxLookupsPerRow
		r.bestDropped = r.pre[order[maxLookupsPerRow]]
		out[i] = r
	}
	return out, nil
}

func (e *Engine) preScore(in rowInput, via string, f *itemFacts, typed bool) int {
	s := 0
	switch {
	case via == "partner item":
		s += 100 // the partner's own link is always compared in full
	case len(via) >= 10 && via[:10] == "identifier":
		s += preIdentifier
	case via == "search":
		s += preSearch
	default:
		s += preLabel
	}
	if typed {
		if f.TypeOK {
			s += preType
		} else {
			s += preWrongType
		}
	}
	for _, id := range in.ids {
		if containsID(f.Values[id.Property], id, e.t.Columns[id.Column]) {
			s += preIdentifier
		}
	}
	for _, fact := range in.facts {
		switch fact.Kind {
		case KindItem:
			for _, q := range fact.Resolved {
				if containsString(f.Values[fact.Property], q) {
					s += preLinked
					break
				}
			}
		case KindTime:
			if v, _, _ := compareTime(fact, f.Values[fact.Property]); v == agrees {
				s += preFact
			} else if v == conflicts {
				s += preConflict
			}
		}
	}
	return s
}
