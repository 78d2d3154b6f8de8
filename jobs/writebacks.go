package jobs

// WriteBack is one write-back as a person's list of write-backs shows it:
// a plan whose writing started, its job, whose account wrote it and what
// it wrote so far.
type WriteBack struct {
	Plan       EditPlan
	JobTitle   string
	JobOwnerID int64
	GroupID    int64  // the job's working group; 0 for none
	GroupName  string // "" for none
	Writer     string // username of the account that edited
	Template   []byte // the job's template: which wiki it wrote to
	// JobVisible says the user may open the job (they may have written a
	// write-back of a group they left since).
	JobVisible bool
	// Items by outcome.
	Edited, Created, Failed, Nothing, Conflicts, Left int64
	// Written with the edited and created items.
	Statements, References, Labels int64
}
