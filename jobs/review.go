package jobs

import (
	"regexp"
	"time"
)

// DecisionKind is what a reviewer decided for a row.
type DecisionKind string

const (
	DecisionAccept DecisionKind = "accept" // the row is the item QID
	DecisionReject DecisionKind = "reject" // none of the candidates; leave the row unmatched
	DecisionNew    DecisionKind = "new"    // not on Wikidata: a candidate for a new item
	DecisionUndo   DecisionKind = "undo"   // only in the log: a decision was withdrawn
)

// Decision is the current decision on a row.
type Decision struct {
	JobID int64
	Row   int64
	Kind  DecisionKind
	QID   string // for accept
	// CreatedQID is, for "new", the item a write-back created for the row.
	CreatedQID string
	UserID     int64
	UserName   string
	Version    int // increases with every change; reviewers send the version they saw
	DecidedAt  time.Time
}

// ReviewFilter selects rows on the review page.
type ReviewFilter struct {
	Status   string  // "", "matched", "review", "none", "decided", "undecided"
	MinScore float64 // inclusive; 0 for no bound
	MaxScore float64 // inclusive; 0 for no bound
	Text     string  // free text in the row's cells or the best label
	SortBy   string  // "row" (default) or "score" (highest first)
}

// ReviewCursor is where a review page starts (keyset pagination).
type ReviewCursor struct {
	Row   int64
	Score float64
}

// ReviewRow is one row of the review page: the partner's values, what
// reconciliation found, and the current decision.
type ReviewRow struct {
	Row      int64
	Cells    []string
	Match    RowMatch
	Decision *Decision
}

var qidPattern = regexp.MustCompile(`^Q[1-9][0-9]{0,11}$`)

// ValidQID says whether s is a well-formed item id.
func ValidQID(s string) bool { return qidPattern.MatchString(s) }
