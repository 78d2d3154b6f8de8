package jobs

// Statistics sum what reconciliation and review did for a job, a group or
// the whole tool. Write-back counters (statements, references, items edited
// or created, edits over time) join once write-back records its edits.
type Statistics struct {
	Jobs       int64
	Rows       int64
	Matched    int64
	Review     int64
	None       int64
	Decisions  map[DecisionKind]int64 // current decisions by kind
	Linked     int64                  // rows linked to an item: accepted, or matched and not overruled
	Reviewers  []ReviewerCount        // most active first
	Reconciled int64                  // rows reconciled (done batches)
}

// ReviewerCount is how many decisions one reviewer took (undos not counted).
type ReviewerCount struct {
	UserID    int64
	Username  string
	Decisions int64
}

// DecisionsTaken sums the reviewers' decisions.
func (s Statistics) DecisionsTaken() int64 {
	var n int64
	for _, r := range s.Reviewers {
		n += r.Decisions
	}
	return n
}
