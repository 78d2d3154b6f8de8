package match

import (
	"context"
	"math"
	"sort"

	"partnerhub/wikidata/wdqs"
)

// rowRank is a row's candidates after ranking: those scored in full, and
// what is known of those left out.
type rowRank struct {
	kept []string
	pre  map[string]int // pre-score of each ranked candidate
	// dropped candidates were ranked on their facts but not scored in full;
	// ceiling is the most any of them could score in full (see ceiling),
	// ceilingQID the one that could.
	dropped    int
	ceiling    float64
	ceilingQID string
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
func (e *Engine) rank(ctx context.Context, inputs []rowInput, cands []rowCands) ([]rowRank, error) {
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
	facts, err := e.rankFacts(ctx, inputs, many)
	if err != nil {
		return nil, err
	}
	for i, c := range cands {
		if len(c.qids) <= maxLookupsPerRow {
			continue
		}
		r := rowRank{pre: map[string]int{}}
		top := map[string]float64{}
		for _, q := range c.qids {
			r.pre[q] = e.preScore(inputs[i], c.via[q], facts[q], len(e.t.typeConstraints()) > 0)
			top[q] = e.ceiling(inputs[i], facts[q])
		}
		// Ordered by the most each could score, so that every candidate
		// left out is bounded by the ceiling of the last one kept; the
		// pre-score (how it was found, what agrees) breaks ties.
		order := append([]string(nil), c.qids...)
		sort.SliceStable(order, func(a, b int) bool {
			x, y := order[a], order[b]
			if top[x] != top[y] {
				return top[x] > top[y]
			}
			if r.pre[x] != r.pre[y] {
				return r.pre[x] > r.pre[y]
			}
			return qidLess(x, y)
		})
		r.kept = order[:maxLookupsPerRow]
		r.dropped = len(order) - maxLookupsPerRow
		r.ceilingQID = order[maxLookupsPerRow]
		r.ceiling = top[r.ceilingQID]
		out[i] = r
	}
	return out, nil
}

// rankFacts fetches the label-free facts of many candidates: type and
// the mapped properties' values.
func (e *Engine) rankFacts(ctx context.Context, inputs []rowInput, items []string) (map[string]*itemFacts, error) {
	w := e.factsWanted(inputs)
	return e.readFacts(ctx, "rank candidates", items, wdqs.Want{Properties: w.Properties, Classes: w.Classes})
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

// ceiling is the most a candidate could score in full, from what the
// ranking query knows of it (type, the mapped properties' values, no
// labels): its name counted as exact, an item cell whose value's labels
// are not known counted as agreeing, a scoped identifier with the row's
// value counted as held in the row's collection. What is known (type,
// identifiers, dates, quantities) counts as score counts it, so a
// candidate left out never scores more than its ceiling.
func (e *Engine) ceiling(in rowInput, f *itemFacts) float64 {
	s := 0.0
	if len(in.names) > 0 {
		w := weightName
		if in.title && in.sameName > genericTitle {
			w *= genericTitleWeight
		}
		s += w
	} else {
		s += weightName * 0.75
	}
	for _, id := range in.ids {
		col := e.t.Columns[id.Column]
		have := f.Values[id.Property]
		switch {
		case containsID(have, id, col):
			s += bonusIdentifier
		case len(have) > 0 && col.Scope == nil:
			s -= penaltyIdentifier
		}
	}
	if types := e.t.typeConstraints(); len(types) > 0 {
		if f.TypeOK {
			s += bonusType
		} else {
			s -= penaltyType
		}
	} else {
		s += bonusNoType
	}
	bonus := 0.0
	for _, fact := range in.facts {
		if fact.Kind == KindItem {
			if fact.Qualifier == "" && len(f.Values[fact.Property]) > 0 {
				bonus += bonusFact
			}
			continue
		}
		v, _, w := compareFact(fact, f.Values[fact.Property])
		switch v {
		case agrees:
			bonus += bonusFact * w
		case conflicts:
			s -= penaltyConflict
		case differs:
			s -= penaltyDiffers
		case weakly:
			s -= penaltyNear
		}
	}
	s += math.Min(bonus, maxFactBonus)
	return math.Round(math.Max(0, math.Min(1, s))*1000) / 1000
}
