package jobs

import "time"

// MatchStatus is what reconciliation concluded for a row.
type MatchStatus string

const (
	MatchMatched MatchStatus = "matched" // auto-accepted: confident and unambiguous
	MatchReview  MatchStatus = "review"  // candidates, not confident: a person decides
	MatchNone    MatchStatus = "none"    // no candidate found
	MatchError   MatchStatus = "error"   // the row could not be matched (see the batch error)
)

// BatchStatus is where one batch of a reconciliation stands.
type BatchStatus string

const (
	BatchPending BatchStatus = "pending"
	BatchDone    BatchStatus = "done"
	BatchFailed  BatchStatus = "failed"
)

// CandidateSummary is what the store keeps of one candidate item for a row.
type CandidateSummary struct {
	QID         string              `json:"qid"`
	Label       string              `json:"label,omitempty"`
	LabelLang   string              `json:"label_lang,omitempty"` // the label's language code
	Description string              `json:"description,omitempty"`
	Score       float64             `json:"score"`
	Evidence    []string            `json:"evidence,omitempty"`
	Types       []string            `json:"types,omitempty"`
	Facts       map[string][]string `json:"facts,omitempty"`
}

// RowMatch is a row's reconciliation result, best candidate first.
type RowMatch struct {
	JobID      int64
	Row        int64
	Status     MatchStatus
	QID        string // best candidate (for matched: the match)
	Label      string
	Score      float64
	Candidates []CandidateSummary
	// Note is what the row's result says beside its candidates (e.g. the
	// partner's item does not exist), kept even when no candidate is left.
	Note      string
	UpdatedAt time.Time
}

// Batch is a contiguous range of rows reconciled as one unit of work.
type Batch struct {
	JobID    int64
	No       int64
	FirstRow int64
	LastRow  int64
	Status   BatchStatus
	Attempts int
	Error    string
	Matched  int
	Review   int
	None     int
	Requests int
}

// Progress sums a job's reconciliation so far.
type Progress struct {
	Rows        int64 `json:"rows"`    // rows in the dataset
	Done        int64 `json:"done"`    // rows in finished batches
	Matched     int64 `json:"matched"` // auto-accepted
	Review      int64 `json:"review"`
	None        int64 `json:"none"`
	Failed      int64 `json:"failed"` // rows in failed batches
	Batches     int64 `json:"batches"`
	BatchesDone int64 `json:"batches_done"`
	Requests    int64 `json:"requests"` // SPARQL/API requests spent
	// EndpointMS is the query-service time the job's batches took, in
	// milliseconds: what the service's per-minute budget is charged.
	EndpointMS int64 `json:"endpoint_ms"`
	// Retrying counts batches that failed and wait for another attempt;
	// LastError is the latest of their errors.
	Retrying   int64     `json:"retrying"`
	LastError  string    `json:"last_error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	LastDoneAt time.Time `json:"last_done_at"`
}

// EndpointPace is how much of a query service's budget every process
// sharing the account has spent in the last window.
type EndpointPace struct {
	Endpoint    string        `json:"endpoint"`
	Spent       time.Duration `json:"-"`
	Budget      time.Duration `json:"-"`
	Window      time.Duration `json:"-"`
	PausedUntil time.Time     `json:"paused_until,omitzero"`
}

// Percent is how much of the budget is spent, 0..100 (or more, past it).
func (p EndpointPace) Percent() int {
	if p.Budget <= 0 {
		return 0
	}
	return int(100 * p.Spent / p.Budget)
}

// Percent is how far the job is, 0..100.
func (p Progress) Percent() int {
	if p.Rows == 0 {
		return 0
	}
	return int(100 * (p.Done + p.Failed) / p.Rows)
}

// Rate is rows per second since the start, until now or the end.
func (p Progress) Rate(now time.Time) float64 {
	if p.StartedAt.IsZero() || p.Done == 0 {
		return 0
	}
	end := now
	if !p.FinishedAt.IsZero() {
		end = p.FinishedAt
	} else if !p.LastDoneAt.IsZero() {
		end = p.LastDoneAt
	}
	secs := end.Sub(p.StartedAt).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(p.Done) / secs
}

// ETA estimates the time left at the current rate; 0 when unknown or done.
func (p Progress) ETA(now time.Time) time.Duration {
	r := p.Rate(now)
	left := p.Rows - p.Done - p.Failed
	if r == 0 || left <= 0 {
		return 0
	}
	return time.Duration(float64(left)/r) * time.Second
}
