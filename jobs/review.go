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

// Bulk acceptance modes.
const (
	BulkMatched = "matched" // rows reconciliation matched with confidence
	BulkScore   = "score"   // rows whose best candidate scores at least a threshold
)

// BulkDecision is one "accept in bulk": every row it decided, taken back
// together by undoing it.
type BulkDecision struct {
	ID        int64
	JobID     int64
	UserName  string
	Mode      string  // BulkMatched or BulkScore
	MinScore  float64 // for BulkScore
	Rows      int64   // rows it decided
	DecidedAt time.Time
	UndoneBy  string // empty while in force
	UndoneAt  time.Time
	Restored  int64 // rows set back to undecided by the undo
	Kept      int64 // rows the undo left alone: decided by someone since
}

// BulkUndo is what undoing a bulk decision did.
type BulkUndo struct {
	Bulk      BulkDecision
	Restored  int64      // rows back to undecided, as they were before
	Withdrawn int64      // rows already undecided again (someone undid them)
	Kept      []Decision // rows decided since by someone: left as they are
}

// ScoreHistogram counts the undecided rows that bulk acceptance could take
// (a best candidate, matched or to review) by the best candidate's score.
type ScoreHistogram struct {
	Step    float64 // bucket width; bucket i holds scores in [i·Step, (i+1)·Step), the last also 1
	Buckets []int64
	AtLeast []int64 // AtLeast[i]: rows scoring at least i·Step
	Matched int64   // of them, rows reconciliation matched
	Scores  []ScoreCount
}

// ScoreCount is how many undecided rows of one status have one score.
type ScoreCount struct {
	Score   float64
	Matched bool
	Rows    int64
}

// Takes counts the rows bulk acceptance in mode would take, comparing as
// it does (score >= minScore).
func (h ScoreHistogram) Takes(mode string, minScore float64) int64 {
	var n int64
	for _, c := range h.Scores {
		if (mode == BulkMatched && c.Matched) || (mode == BulkScore && c.Score >= minScore) {
			n += c.Rows
		}
	}
	return n
}
