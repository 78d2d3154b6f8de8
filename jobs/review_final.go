package jobs

// FinalQID is the item a row ends up linked to: the reviewer's accepted item,
// the item a write-back created for a row marked new, else an auto-accepted
// match; empty when rejected, new and not created yet, or undecided.
func (r ReviewRow) FinalQID() string {
	if r.Decision != nil {
		switch r.Decision.Kind {
		case DecisionAccept:
			return r.Decision.QID
		case DecisionNew:
			return r.Decision.CreatedQID
		}
		return ""
	}
	if r.Match.Status == MatchMatched {
		return r.Match.QID
	}
	return ""
}
