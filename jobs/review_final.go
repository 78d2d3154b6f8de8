package jobs

// FinalQID is the item a row ends up linked to: the reviewer's accepted item,
// else an auto-accepted match; empty when rejected, new or undecided.
func (r ReviewRow) FinalQID() string {
	if r.Decision != nil {
		if r.Decision.Kind == DecisionAccept {
			return r.Decision.QID
		}
		return ""
	}
	if r.Match.Status == MatchMatched {
		return r.Match.QID
	}
	return ""
}
