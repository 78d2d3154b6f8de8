package jobs

import (
	"encoding/json"
	"time"
)

// PlanStatus is where an edit plan stands.
type PlanStatus string

const (
	PlanBuilding  PlanStatus = "building"  // items being computed from the wiki's current data
	PlanReady     PlanStatus = "ready"     // waiting for a person to approve it
	PlanApproved  PlanStatus = "approved"  // approved, write-back not started
	PlanWriting   PlanStatus = "writing"   // write-back running
	PlanPaused    PlanStatus = "paused"    // write-back paused (by a person, or by the wiki refusing)
	PlanDone      PlanStatus = "done"      // every approved item written or settled
	PlanCancelled PlanStatus = "cancelled" // write-back cancelled
	PlanFailed    PlanStatus = "failed"    // building failed (see Error)
	PlanObsolete  PlanStatus = "obsolete"  // replaced by a newer plan of the job
)

// ItemStatus is where one item of a plan stands in the write-back.
type ItemStatus string

const (
	ItemPending  ItemStatus = "pending"  // to be written
	ItemSending  ItemStatus = "sending"  // intent recorded; outcome unknown until recorded
	ItemDone     ItemStatus = "done"     // written; RevID recorded
	ItemNothing  ItemStatus = "nothing"  // nothing left to add when re-checked
	ItemConflict ItemStatus = "conflict" // the wiki's data changed in a way the plan cannot settle
	ItemFailed   ItemStatus = "failed"   // refused; the user may retry it
	ItemSkipped  ItemStatus = "skipped"  // not approved
)

// EditPlan is the list of edits a job's decisions lead to, per item.
type EditPlan struct {
	ID          int64
	JobID       int64
	Status      PlanStatus
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ApprovedBy  int64
	ApprovedAt  time.Time
	StartedAt   time.Time // when its write-back first started
	WriterID    int64     // whose account the write-back edits with
	EditGroupID string    // hex id of the EditGroups batch
	Error       string
	RowsDone    int64 // rows read while building
}

// PlanItem is one item's part of a plan: a single wbeditentity call.
type PlanItem struct {
	PlanID     int64
	No         int64
	QID        string  // "" for a new item
	Rows       []int64 // dataset rows that lead to this item
	BaseRevID  int64   // the revision the diff was computed on
	Diff       json.RawMessage
	Statements int
	References int
	Labels     int
	Conflicts  int
	Approved   bool
	Status     ItemStatus
	Attempts   int
	RevID      int64
	NewQID     string // the id a new item got
	Error      string
	SentAt     time.Time
	UpdatedAt  time.Time
}

// PlanCounts sums a plan's items.
type PlanCounts struct {
	Items, Approved, NewItems                                       int64
	Statements, References, Labels, Conflicts                       int64
	Pending, Sending, Done, Nothing, Failed, ConflictItems, Skipped int64
	// Warnings counts items written whose edit needs a person's look (the
	// wiki patched it onto someone else's edit, and a duplicate resulted).
	Warnings int64
}
