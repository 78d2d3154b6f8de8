package jobs

import (
	"encoding/json"
	"time"
)

// UndoStatus is where an undo of a write-back stands.
type UndoStatus string

const (
	UndoPreparing UndoStatus = "preparing" // reading what the write-back added and what is still as it left it
	UndoReady     UndoStatus = "ready"     // preview ready, waiting for a person to confirm
	UndoRunning   UndoStatus = "running"   // removing, in the background
	UndoPaused    UndoStatus = "paused"    // stopped by the wiki (block, lost login) or a person
	UndoDone      UndoStatus = "done"      // every item settled
	UndoCancelled UndoStatus = "cancelled" // given up before or while running
	UndoFailed    UndoStatus = "failed"    // preparing failed (see Error)
)

// UndoScope says which part of a write-back to undo. Empty lists mean no
// restriction; the lists that are set all apply (an item must match each).
type UndoScope struct {
	Rows       []int64  `json:"rows,omitempty"`       // dataset rows
	Items      []string `json:"items,omitempty"`      // QIDs
	Properties []string `json:"properties,omitempty"` // property ids (labels and descriptions are not properties)
	PlanItems  []int64  `json:"plan_items,omitempty"` // plan lines (plan item numbers)
}

// Whole says the scope is the whole write-back.
func (s UndoScope) Whole() bool {
	return len(s.Rows) == 0 && len(s.Items) == 0 && len(s.Properties) == 0 && len(s.PlanItems) == 0
}

// Undo is one undo of a write-back (or of part of it).
type Undo struct {
	ID             int64
	JobID          int64
	PlanID         int64
	Status         UndoStatus
	Scope          UndoScope
	ResetDecisions bool // the undone rows' decisions go back to undecided
	CreatedBy      int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ConfirmedBy    int64 // whose account removes
	ConfirmedAt    time.Time
	EditGroupID    string
	DecisionsReset int64
	DecisionsKept  int64
	Error          string
}

// UndoItemKind says what an undo does with an item.
type UndoItemKind string

const (
	UndoEdit    UndoItemKind = "edit"    // remove what the write-back added and is still as it left it
	UndoCreated UndoItemKind = "created" // an item the write-back created: listed for deletion, unlinked from its rows
)

// UndoItemStatus is where one item of an undo stands.
type UndoItemStatus string

const (
	UndoItemPending UndoItemStatus = "pending" // to be sent
	UndoItemSending UndoItemStatus = "sending" // intent recorded; outcome unknown until recorded
	UndoItemDone    UndoItemStatus = "done"    // removed; RevID recorded
	UndoItemNothing UndoItemStatus = "nothing" // nothing left to remove (all of it stays, or is gone)
	UndoItemFailed  UndoItemStatus = "failed"  // refused by the wiki
	UndoItemListed  UndoItemStatus = "listed"  // a created item: listed for a deletion request, nothing sent
)

// UndoLine is one thing the write-back added to an item and what the undo
// does with it.
type UndoLine struct {
	What     string  `json:"what"`               // "statement", "reference", "label", "description"
	Property string  `json:"property,omitempty"` // for statements and references
	Language string  `json:"language,omitempty"` // for labels and descriptions
	Value    string  `json:"value"`              // for people
	GUID     string  `json:"guid,omitempty"`     // the statement's id
	RefHash  string  `json:"ref_hash,omitempty"` // for a reference
	Rows     []int64 `json:"rows,omitempty"`     // rows that gave it, when known
	Remove   bool    `json:"remove"`             // removed by the undo; false: it stays
	Reason   string  `json:"reason"`             // why it stays, or what removing it means
}

// UndoItem is one wiki item an undo touches: one wbeditentity call at
// most.
type UndoItem struct {
	UndoID     int64
	No         int64
	PlanItemNo int64
	Kind       UndoItemKind
	QID        string
	Rows       []int64
	BaseRevID  int64           // the revision the removal was computed on
	Data       json.RawMessage // the wbeditentity data to send; for a created item, its deletion request
	Lines      []UndoLine
	Remove     int // lines removed
	Stay       int // lines that stay
	Status     UndoItemStatus
	Attempts   int
	RevID      int64
	Error      string
	SentAt     time.Time
	UpdatedAt  time.Time
	// For a created item: the text to post at Wikidata:Requests for
	// deletions, and an item it duplicates, if one was found.
	DeletionRequest string `json:"-"`
	MergeTarget     string `json:"-"`
}

// UndoCounts sums an undo's items.
type UndoCounts struct {
	Items, Created                          int64
	Pending, Sending, Done, Nothing, Failed int64
	Remove, Stay                            int64
}

// UndoState is what other pages show of a plan's latest undo.
type UndoState struct {
	UndoID    int64
	Status    UndoStatus
	Whole     bool // the whole write-back, not a part
	Counts    UndoCounts
	UpdatedAt time.Time
}
