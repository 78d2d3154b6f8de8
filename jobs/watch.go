package jobs

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// WatchState is what became of something a write-back wrote, as the latest
// watch run found it.
type WatchState string

const (
	// Of statements.
	WatchThere       WatchState = "there"             // as Partnerhub left it (value, rank not deprecated, its reference)
	WatchChanged     WatchState = "changed"           // the statement is there with another value
	WatchDeprecated  WatchState = "deprecated"        // the statement's rank is deprecated now
	WatchRefRemoved  WatchState = "reference_removed" // the statement is there without Partnerhub's reference
	WatchRemoved     WatchState = "removed"           // the statement is gone from the item
	WatchItemDeleted WatchState = "deleted"           // the item is deleted (the statement with it)
	// Of items.
	WatchMerged WatchState = "merged" // the item is a redirect now: merged into NowQID
)

// WatchRunStatus is where a watch run stands.
type WatchRunStatus string

const (
	WatchRunning WatchRunStatus = "running"
	WatchDone    WatchRunStatus = "done"
	WatchFailed  WatchRunStatus = "failed"
)

// WatchRun is one pass over a job's written items.
type WatchRun struct {
	ID           int64
	JobID        int64
	Status       WatchRunStatus
	StartedAt    time.Time
	HeartbeatAt  time.Time
	FinishedAt   time.Time
	AfterPlan    int64 // the last plan item checked: the run resumes after it
	AfterItem    int64
	ItemsChecked int64
	ItemsRead    int64 // items whose statements were read (the others had not changed since the last run)
	Requests     int64
	Statements   int64 // at the end: statements watched, and how many are still there
	There        int64
	Error        string
}

// WrittenItem is one plan item a write-back wrote: what the watch checks.
type WrittenItem struct {
	PlanID int64
	No     int64
	QID    string // the item edited: the plan's item, its redirect target at write time, or the item created
	RevID  int64
	Rows   []int64
	Diff   []byte // the plan item's diff_json: the edit's data, as sent
	// Added is what the edit added as read back from the wiki (statement
	// GUIDs), when recorded (plan_items.added_json); nil otherwise.
	Added []byte
}

// WatchedItem is the latest state of a written item.
type WatchedItem struct {
	PlanID    int64
	No        int64
	QID       string
	State     WatchState // there, merged or deleted
	NowQID    string     // the item it redirects to, when merged
	LastRevID int64      // the revision the statements were last read at
	RowStatus string     // what the export says of the item's rows
	Rows      []int64
}

// WatchedStatement is the latest state of one statement a write-back sent.
type WatchedStatement struct {
	PlanID   int64
	ItemNo   int64
	No       int    // place in the edit's data
	QID      string // where the statement is looked for now (the merge target for merged items)
	Property string
	Value    string // for people
	GUID     string // the statement's id as last found; "" until found
	State    WatchState
	Detail   string
	Since    time.Time // when it came into this state
}

// WatchSummary is what the latest watch runs found of a job's (or a
// group's, the tool's) written statements.
type WatchSummary struct {
	Statements int64 // statements watched
	ByState    map[WatchState]int64
	Items      int64 // items watched
	Merged     int64
	Deleted    int64
	MergedInto []string // merge targets, a few
	LastRun    time.Time
}

// There is how many statements are as Partnerhub left them.
func (s WatchSummary) There() int64 { return s.ByState[WatchThere] }

// Sentence says the summary in a line: "1,912 of 1,923 statements still
// there; 3 items merged into Q1, Q2, Q3".
func (s WatchSummary) Sentence() string {
	if s.Statements == 0 && s.Items == 0 {
		return ""
	}
	parts := []string{fmt.Sprintf("%s of %s statements still there", Thousands(s.There()), Thousands(s.Statements))}
	for _, st := range []struct {
		state WatchState
		what  string
	}{{WatchChanged, "changed"}, {WatchDeprecated, "deprecated"}, {WatchRefRemoved, "lost their reference"}, {WatchRemoved, "removed"}} {
		if n := s.ByState[st.state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", Thousands(n), st.what))
		}
	}
	if s.Merged > 0 {
		into := append([]string(nil), s.MergedInto...)
		sort.Strings(into)
		more := ""
		if int64(len(into)) < s.Merged {
			more = ", …"
		}
		parts = append(parts, fmt.Sprintf("%s %s merged into %s%s", Thousands(s.Merged), plural(s.Merged, "item", "items"), strings.Join(into, ", "), more))
	}
	if s.Deleted > 0 {
		parts = append(parts, fmt.Sprintf("%s %s deleted", Thousands(s.Deleted), plural(s.Deleted, "item", "items")))
	}
	return strings.Join(parts, "; ")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Thousands writes n with thousands separators, as in English: 1,923.
func Thousands(n int64) string { return englishNumbers.Sprint(n) }

var englishNumbers = message.NewPrinter(language.English)

// What the export says of a row whose item a write-back edited, from the
// latest watch run (worst first when a row led to several edits).
const (
	WikidataDeleted    = "deleted"
	WikidataMergedInto = "item merged into " // + the target's id
	WikidataRemoved    = "removed"
	WikidataChanged    = "changed"
	WikidataStillThere = "still there"
)

// rowStatusRank orders row statuses, the worst highest.
func rowStatusRank(s string) int {
	switch {
	case s == WikidataDeleted:
		return 5
	case strings.HasPrefix(s, WikidataMergedInto):
		return 4
	case s == WikidataRemoved:
		return 3
	case s == WikidataChanged:
		return 2
	case s == WikidataStillThere:
		return 1
	}
	return 0
}

// WorseRowStatus is the worse of two row statuses.
func WorseRowStatus(a, b string) string {
	if rowStatusRank(b) > rowStatusRank(a) {
		return b
	}
	return a
}

// ItemRowStatus is what an item's rows say: the item's fate first, then the
// worst of its statements'.
func ItemRowStatus(it WatchedItem, statements []WatchedStatement) string {
	switch it.State {
	case WatchItemDeleted:
		return WikidataDeleted
	case WatchMerged:
		return WikidataMergedInto + it.NowQID
	}
	out := WikidataStillThere
	for _, st := range statements {
		switch st.State {
		case WatchRemoved:
			out = WorseRowStatus(out, WikidataRemoved)
		case WatchChanged, WatchDeprecated, WatchRefRemoved:
			out = WorseRowStatus(out, WikidataChanged)
		case WatchItemDeleted:
			out = WorseRowStatus(out, WikidataDeleted)
		}
	}
	return out
}
