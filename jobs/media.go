package jobs

import (
	"encoding/json"
	"time"
)

// Media uploads are a second kind of write-back: a media plan lists, per
// dataset row that names a file, what the file becomes on Wikimedia Commons
// (its title, its description page's wikitext, the structured data of its
// MediaInfo entity). A person approves the plan; the upload executor then
// uploads each approved file exactly once.

// MediaPlanStatus is where a media plan stands. The states mirror those of
// an edit plan.
type MediaPlanStatus string

const (
	MediaPlanBuilding  MediaPlanStatus = "building"  // files being fetched and planned
	MediaPlanReady     MediaPlanStatus = "ready"     // waiting for a person to approve it
	MediaPlanApproved  MediaPlanStatus = "approved"  // approved, upload not started
	MediaPlanUploading MediaPlanStatus = "uploading" // upload running
	MediaPlanPaused    MediaPlanStatus = "paused"    // upload paused (by a person, or by Commons refusing)
	MediaPlanDone      MediaPlanStatus = "done"      // every approved file uploaded or settled
	MediaPlanCancelled MediaPlanStatus = "cancelled" // upload cancelled
	MediaPlanFailed    MediaPlanStatus = "failed"    // building failed (see Error)
	MediaPlanObsolete  MediaPlanStatus = "obsolete"  // replaced by a newer media plan of the job
)

// MediaSourceKind says where a plan's files come from.
type MediaSourceKind string

const (
	MediaFromURL MediaSourceKind = "url" // a column of http(s) URLs, fetched by the worker
	MediaFromZip MediaSourceKind = "zip" // an uploaded ZIP archive, entries named by a column
)

// MediaFileStatus is where one file of a media plan stands.
type MediaFileStatus string

const (
	MediaPending  MediaFileStatus = "pending"  // approved, to be uploaded
	MediaBlocked  MediaFileStatus = "blocked"  // has a blocking problem; never uploaded
	MediaSkipped  MediaFileStatus = "skipped"  // not approved
	MediaSending  MediaFileStatus = "sending"  // intent recorded; outcome unknown until recorded
	MediaUploaded MediaFileStatus = "uploaded" // the file is on Commons; its structured data is not yet
	MediaDone     MediaFileStatus = "done"     // uploaded with its structured data
	MediaLinked   MediaFileStatus = "linked"   // the same file (by SHA-1) was on Commons already; linked, not uploaded
	MediaWarning  MediaFileStatus = "warning"  // Commons warned (exists, duplicate, was-deleted...): a person decides
	MediaFailed   MediaFileStatus = "failed"   // refused; the user may retry it
)

// OnCommons says whether a file in status s is on Commons (uploaded by us or
// found there already).
func (s MediaFileStatus) OnCommons() bool {
	return s == MediaUploaded || s == MediaDone || s == MediaLinked
}

// MediaPlan is the list of files a job would upload to Commons.
type MediaPlan struct {
	ID           int64
	JobID        int64
	Status       MediaPlanStatus
	SourceKind   MediaSourceKind
	SourceColumn string
	// The uploaded archive (zip plans): path relative to the data directory.
	ArchivePath string
	ArchiveName string
	ArchiveSHA1 string
	ArchiveSize int64
	// ArchiveRemovedAt is when the archive was deleted from disk (zero: it
	// is there): its plan finished, was cancelled or replaced, or lay
	// unused past the retention.
	ArchiveRemovedAt time.Time
	// Settings are the media settings the plan was made with (a copy of the
	// template's "media" object, so that later template edits do not change
	// an approved plan).
	Settings          json.RawMessage
	TemplateVersionID int64
	ProposeP18        bool // also plan "image" (P18) on the items, as edit-plan lines
	CreatedBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ApprovedBy        int64
	ApprovedAt        time.Time
	StartedAt         time.Time
	UploaderID        int64  // whose account the upload uses
	EditGroupID       string // hex id of the EditGroups-style batch
	Error             string
	RowsDone          int64 // rows read while building
}

// MediaProblem is something found while planning a file. Blocking problems
// keep the file from being uploaded; the others are shown for a person to
// judge.
type MediaProblem struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Blocking bool   `json:"blocking,omitempty"`
}

// Problem codes.
const (
	ProblemNoItem         = "no_item"         // the row has no accepted item
	ProblemNoSource       = "no_source"       // the row names no file
	ProblemFetch          = "fetch"           // the file could not be fetched or read
	ProblemTooLarge       = "too_large"       // larger than the limit
	ProblemType           = "content_type"    // not a file type Commons takes, or not what the name says
	ProblemTitle          = "title"           // the title breaks Commons' title rules
	ProblemDuplicateTitle = "duplicate_title" // another file of the plan has the same title
	ProblemTitleTaken     = "title_taken"     // a file with that title is on Commons
	ProblemOnCommons      = "on_commons"      // the same file (SHA-1) is on Commons: it will be linked
	ProblemWasDeleted     = "was_deleted"     // a file of that title was deleted from Commons: the upload will warn
	ProblemNoLicense      = "no_license"      // the settings give no licence
	ProblemValue          = "value"           // a pattern names a column the row leaves empty
)

// MediaFile is one file of a media plan.
type MediaFile struct {
	PlanID      int64
	No          int64
	Row         int64
	QID         string // the row's accepted item; "" when it has none
	Source      string // the URL or the archive entry
	Title       string // planned file name, without "File:"
	Wikitext    string // the description page
	Statements  json.RawMessage
	SHA1        string // hex
	Size        int64
	ContentType string
	Width       int
	Height      int
	Problems    []MediaProblem
	Approved    bool
	Status      MediaFileStatus
	Attempts    int
	StashKey    string
	Warnings    json.RawMessage
	// What a person chose after a warning (see MediaResolution), its
	// detail, and the attempts made before it.
	Resolution       MediaResolution
	ResolutionDetail MediaDecisionDetail
	ResolvedAttempts int
	PageID           int64  // the file page's id on Commons (its MediaInfo entity is M<PageID>)
	FileTitle        string // the title it got on Commons, with "File:"
	URL              string // its description page's URL
	SDCRevID         int64
	Error            string
	SentAt           time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Blocked says whether a problem keeps the file from being uploaded.
func (f *MediaFile) Blocked() bool {
	for _, p := range f.Problems {
		if p.Blocking {
			return true
		}
	}
	return false
}

// MediaCounts sums a media plan's files.
type MediaCounts struct {
	Files, Approved, Bytes                                                      int64
	Pending, Blocked, Skipped, Sending, Uploaded, Done, Linked, Warning, Failed int64
	Problems                                                                    int64 // files with any problem
}

// MediaOutcome is how a file's upload ended, as the executor records it.
type MediaOutcome struct {
	Status    MediaFileStatus
	PageID    int64
	FileTitle string
	URL       string
	SDCRevID  int64
	Warnings  json.RawMessage
	Message   string
}

// RowMedia is a row's file on Commons, for exports and statistics.
type RowMedia struct {
	Row       int64
	QID       string
	FileTitle string
	URL       string
}
