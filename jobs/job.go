package jobs

import (
	"encoding/json"
	"time"
)

// User is a person who logs in with a wiki account (or the single local user
// of an embedded deployment without OAuth).
type User struct {
	ID         int64
	WikiUserID string // central user id from Special:OAuth/identify ("sub"); empty for the local user
	Username   string
	Groups     []string
	Rights     []string
	EditCount  int64
	Blocked    bool
	CreatedAt  time.Time
	LastLogin  time.Time
}

// JobStatus is where a job's reconciliation stands.
type JobStatus string

const (
	JobDraft       JobStatus = "draft"       // no dataset imported yet
	JobReady       JobStatus = "ready"       // dataset imported, not reconciled
	JobReconciling JobStatus = "reconciling" // batches queued or running
	JobPaused      JobStatus = "paused"
	JobReconciled  JobStatus = "reconciled"
	JobCancelled   JobStatus = "cancelled"
	JobFailed      JobStatus = "failed"
)

// Job is one partner dataset being reconciled against a Wikibase.
type Job struct {
	ID          int64
	OwnerID     int64
	OwnerName   string
	GroupID     int64 // 0 when the job is private to its owner
	Title       string
	Description string
	Status      JobStatus
	Error       string
	Template    json.RawMessage // the job template (mapping and matching settings); empty until mapped
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Limits for user-entered job fields.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 5000
)

// ValidateJobFields checks what a user types into the job form.
func ValidateJobFields(title, description string) error {
	switch {
	case title == "":
		return Errorf(EINVALID, "A job needs a title.")
	case len([]rune(title)) > MaxTitleLen:
		return Errorf(EINVALID, "The title is longer than %d characters.", MaxTitleLen)
	case len([]rune(description)) > MaxDescriptionLen:
		return Errorf(EINVALID, "The description is longer than %d characters.", MaxDescriptionLen)
	}
	return nil
}
