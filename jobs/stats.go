package jobs

import "time"

// Statistics sum what reconciliation, review and write-back did for a job,
// a group or the whole tool.
type Statistics struct {
	Jobs      int64
	Rows      int64
	Matched   int64
	Review    int64
	None      int64
	Decisions map[DecisionKind]int64 // current decisions by kind
	Linked    int64                  // rows linked to an item: accepted, matched and not overruled, or on an item a write-back created
	// RowsOnNewItems are the rows marked "not on the wiki" whose item a
	// write-back created.
	RowsOnNewItems int64
	Reviewers      []ReviewerCount // most active first
	Reconciled     int64           // rows reconciled (done batches)

	// What write-backs added to the wiki.
	ItemsEdited     int64
	ItemsCreated    int64
	StatementsAdded int64
	ReferencesAdded int64
	EditsByDay      []DayCount // days with edits, oldest first
	EditGroups      []string   // EditGroups batch ids of the write-backs
	// Watch is what the latest watch runs found of what was written.
	Watch WatchSummary

	// What media uploads added to Commons.
	FilesUploaded    int64 // files uploaded by media plans
	FilesLinked      int64 // files found on Commons already (same content) and linked to their rows
	ItemsIllustrated int64 // distinct items those files depict or represent
}

// DayCount is how many edits were made on a day (UTC).
type DayCount struct {
	Day   time.Time
	Edits int64
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
