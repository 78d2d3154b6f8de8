package jobs

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// A file Commons warned about waits for a person: the upload published
// nothing, and only their recorded choice lets the executor go on with it.

// MediaResolution is what a person chose for a file Commons warned about.
type MediaResolution string

const (
	// ResolveLink: the same bytes are on Commons under another name
	// (duplicate); that file is linked to the row and given only the
	// structured data it lacks, nothing is uploaded.
	ResolveLink MediaResolution = "link"
	// ResolveRename: the file is uploaded under a new title (exists,
	// badfilename, was-deleted), checked again against the title rules.
	ResolveRename MediaResolution = "rename"
	// ResolveIgnore: the file is uploaded despite exactly the warnings the
	// person confirmed (was-deleted, duplicate-archive), with ignorewarnings
	// on that file's commit only.
	ResolveIgnore MediaResolution = "ignore"
	// ResolveSkip: the file is not uploaded.
	ResolveSkip MediaResolution = "skip"
)

// MediaDecisionDetail is what a choice needs besides its kind: the file to
// link, the new title, the warnings confirmed (code → the title or file
// the warning named).
type MediaDecisionDetail struct {
	Title    string            `json:"title,omitempty"`
	From     string            `json:"from,omitempty"` // the title before a rename
	Warnings map[string]string `json:"warnings,omitempty"`
}

// DecodeMediaDecisionDetail reads a recorded detail ("" gives the zero value).
func DecodeMediaDecisionDetail(raw json.RawMessage) MediaDecisionDetail {
	var d MediaDecisionDetail
	_ = json.Unmarshal(raw, &d)
	return d
}

// MediaDecision is a person's recorded choice for one warned file.
type MediaDecision struct {
	ID        int64
	PlanID    int64
	FileNo    int64
	UserID    int64
	Username  string
	Action    MediaResolution
	Warnings  MediaWarnings // what the person was shown
	Detail    MediaDecisionDetail
	CreatedAt time.Time
}

// MediaWarnings are the warnings the upload executor recorded for a file
// (the shape of media_files.warnings_json).
type MediaWarnings struct {
	Codes            []string `json:"codes"`
	Text             string   `json:"text,omitempty"`
	Duplicate        []string `json:"duplicate,omitempty"`
	Exists           string   `json:"exists,omitempty"`
	WasDeleted       string   `json:"was-deleted,omitempty"`
	BadFilename      string   `json:"badfilename,omitempty"`
	DuplicateArchive string   `json:"duplicate-archive,omitempty"`
}

// ParseMediaWarnings reads recorded warnings; anything unreadable gives none.
func ParseMediaWarnings(raw json.RawMessage) MediaWarnings {
	var w MediaWarnings
	_ = json.Unmarshal(raw, &w)
	return w
}

// Has says whether a warning code is present.
func (w MediaWarnings) Has(code string) bool { return slices.Contains(w.Codes, code) }

// titleCodes are the warnings about the name, which another name answers.
var titleCodes = []string{"exists", "exists-normalized", "page-exists", "was-deleted", "badfilename"}

// overridable are the warnings a person may judge not to apply (a deletion
// of a file of that name, or of the same content, for reasons that do not
// hold for this one); every other warning would overwrite or duplicate.
var overridable = []string{"was-deleted", "duplicate-archive"}

// CanLink: the same content is on Commons under another name.
func (w MediaWarnings) CanLink() bool { return len(w.Duplicate) > 0 }

// CanRename: a warning about the title, which a new one answers.
func (w MediaWarnings) CanRename() bool {
	return slices.ContainsFunc(w.Codes, func(c string) bool { return slices.Contains(titleCodes, c) })
}

// CanAcceptName: Commons said what it would make of a bad name.
func (w MediaWarnings) CanAcceptName() bool { return w.BadFilename != "" }

// CanUploadAnyway: every warning is one a person may override.
func (w MediaWarnings) CanUploadAnyway() bool {
	return len(w.Codes) > 0 && !slices.ContainsFunc(w.Codes, func(c string) bool { return !slices.Contains(overridable, c) })
}

// Overrides are the warnings "upload anyway" confirms: code → the deleted
// title or file it names.
func (w MediaWarnings) Overrides() map[string]string {
	out := map[string]string{}
	if w.WasDeleted != "" {
		out["was-deleted"] = w.WasDeleted
	}
	if w.DuplicateArchive != "" {
		out["duplicate-archive"] = w.DuplicateArchive
	}
	return out
}

// ConfirmedBy says whether these warnings are exactly the ones a person
// confirmed (same codes, naming the same titles): only then may an upload
// go on despite them.
func (w MediaWarnings) ConfirmedBy(confirmed map[string]string) bool {
	if len(confirmed) == 0 || !w.CanUploadAnyway() {
		return false
	}
	have := w.Overrides()
	return len(have) == len(w.Codes) && maps.Equal(have, confirmed)
}

// Confirmation is what a person ticks to upload despite the warnings: the
// codes and the titles they name, so that a page about other warnings
// cannot confirm these.
func (w MediaWarnings) Confirmation() string {
	o := w.Overrides()
	parts := make([]string, 0, len(o))
	for _, code := range slices.Sorted(maps.Keys(o)) {
		parts = append(parts, code+"="+o[code])
	}
	return strings.Join(parts, "; ")
}

// FileTitle is a name a warning gave ("Foo_bar.jpg") as a title ("File:Foo bar.jpg").
func FileTitle(name string) string {
	return "File:" + strings.ReplaceAll(strings.TrimPrefix(name, "File:"), "_", " ")
}
