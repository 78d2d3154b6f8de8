package jobs

import "time"

// ValueStatus is where the resolution of a name in an item column stands.
type ValueStatus string

const (
	ValueMatched   ValueStatus = "matched"   // exactly one item of the expected type is labelled so
	ValueAmbiguous ValueStatus = "ambiguous" // several are: a person chooses
	ValueNone      ValueStatus = "none"      // none is: a person gives the item, or leaves the value out
	ValueAccepted  ValueStatus = "accepted"  // a person chose the item
	ValueRejected  ValueStatus = "rejected"  // a person left the value out
)

// ValueResolution is what a name written in an item column ("Sweden" in
// "country") stands for, decided once per distinct value of the column.
type ValueResolution struct {
	JobID      int64
	Column     string
	Value      string // as the partner wrote it, trimmed
	Status     ValueStatus
	QID        string // the item, for matched and accepted
	Candidates []ValueCandidate
	Evidence   string // why, in words
	Rows       int64  // rows with this value, when last planned
	DecidedBy  int64  // the person who accepted or rejected it
	UpdatedAt  time.Time
}

// ValueCandidate is an item labelled exactly like the name.
type ValueCandidate struct {
	QID         string `json:"qid"`
	Label       string `json:"label"`
	Language    string `json:"lang,omitempty"`
	Description string `json:"description,omitempty"`
	Typed       bool   `json:"typed"` // an instance of the property's expected type
}

// Usable says which item the value becomes in a plan, if any.
func (v *ValueResolution) Usable() (string, bool) {
	if (v.Status == ValueMatched || v.Status == ValueAccepted) && ValidQID(v.QID) {
		return v.QID, true
	}
	return "", false
}

// Decided says whether a person decided the value (it is never resolved again).
func (v *ValueResolution) Decided() bool {
	return v.Status == ValueAccepted || v.Status == ValueRejected
}
