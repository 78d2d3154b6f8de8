package plan

import (
	"encoding/json"
	"fmt"
	"strings"

	"partnerhub/wikidata"
)

// PlannedValue is one value a row gives for a property: what the plan wants
// on the item, kept so the item can be re-checked against the wiki later.
type PlannedValue struct {
	Row      int64  `json:"row"`
	Column   string `json:"column"`
	Property string `json:"property"`
	Kind     string `json:"kind"`  // external-id, time, item, string, quantity, url
	Value    string `json:"value"` // normalised: a QID, an ISO date with its precision, a decimal, ...
	RefURL   string `json:"ref_url,omitempty"`
	// OnlyIfNone adds the value only to an item without any value of the
	// property: another value is a conflict (never a second value), the
	// same one needs nothing, not even a reference. A media upload's image
	// (P18) is planned so.
	OnlyIfNone bool `json:"only_if_none,omitempty"`
}

// Change is what the plan will do to one item, in a form both the write-back
// (Data, the wbeditentity payload; Planned, to re-check) and people (the
// lines) can use. It is what plan_items.diff_json holds.
type Change struct {
	New          bool              `json:"new,omitempty"` // a new item
	Planned      []PlannedValue    `json:"planned"`
	Labels       map[string]string `json:"labels,omitempty"`       // to add
	Descriptions map[string]string `json:"descriptions,omitempty"` // to add
	Add          []Line            `json:"add,omitempty"`          // statements to add
	AddRefs      []Line            `json:"add_refs,omitempty"`     // references added to statements already there
	Present      []Line            `json:"present,omitempty"`      // already on the item: nothing to do
	Conflicts    []Line            `json:"conflicts,omitempty"`    // the item says otherwise: for a person
	Skipped      []string          `json:"skipped,omitempty"`      // row values that could not be used, and why
	Notes        []string          `json:"notes,omitempty"`        // what else a person should know about this item
	// RedirectTarget is the item the edit goes to when the rows' QID is a
	// redirect (the item was merged into this one).
	RedirectTarget string          `json:"redirect_target,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`      // the wbeditentity data parameter
	Reference      string          `json:"reference,omitempty"` // the reference added, for display
}

// Line is one statement in a change, for display.
type Line struct {
	Property string   `json:"property"`
	Value    string   `json:"value"`
	Existing []string `json:"existing,omitempty"` // for conflicts: what the item has
	Note     string   `json:"note,omitempty"`
}

// Empty says whether the change adds nothing.
func (c *Change) Empty() bool {
	return len(c.Add) == 0 && len(c.AddRefs) == 0 && len(c.Labels) == 0 && len(c.Descriptions) == 0
}

// DecodeChange reads a plan item's diff.
func DecodeChange(raw []byte) (*Change, error) {
	var c Change
	if len(raw) == 0 {
		return &c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode plan item: %w", err)
	}
	return &c, nil
}

// QuickStatements renders the edit the write-back sends for this change
// (its Data: labels, descriptions, statements and references, P31 and
// labels of a new item) as QuickStatements v1 commands, so the export says
// exactly what the write-back would do. A new item starts with CREATE.
func (c *Change) QuickStatements(qid string) ([]string, error) {
	if c.New {
		qid = ""
	}
	return wikidata.QuickStatements(qid, c.Data)
}

// Display renders a planned value for people (and for matching lines).
func (pv PlannedValue) Display() string {
	if pv.Kind == "time" {
		return strings.SplitN(pv.Value, "/", 2)[0]
	}
	return pv.Value
}

// EncodeChange writes a change as a plan item's diff.
func EncodeChange(c *Change) ([]byte, error) { return json.Marshal(c) }
