package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
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
	Data         json.RawMessage   `json:"data,omitempty"`         // the wbeditentity data parameter
	Reference    string            `json:"reference,omitempty"`    // the reference added, for display
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

// QuickStatements renders a change as QuickStatements v1 lines (tab
// separated) for people who prefer that tool: one line per statement to add,
// with its reference as S-prefixed source columns. subject is the QID, or
// "LAST" after a CREATE line for a new item.
func (c *Change) QuickStatements(subject string, statedIn, retrieved string) []string {
	var out []string
	if c.New {
		out = append(out, "CREATE")
		subject = "LAST"
	}
	langs := make([]string, 0, len(c.Labels))
	for l := range c.Labels {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		out = append(out, strings.Join([]string{subject, "L" + l, qsString(c.Labels[l])}, "\t"))
	}
	langs = langs[:0]
	for l := range c.Descriptions {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		out = append(out, strings.Join([]string{subject, "D" + l, qsString(c.Descriptions[l])}, "\t"))
	}
	for _, pv := range c.addedValues() {
		line := []string{subject, pv.Property, qsValue(pv)}
		if statedIn != "" {
			line = append(line, "S248", statedIn)
		}
		if pv.RefURL != "" {
			line = append(line, "S854", qsString(pv.RefURL))
		}
		if retrieved != "" {
			line = append(line, "S813", "+"+retrieved+"T00:00:00Z/11")
		}
		out = append(out, strings.Join(line, "\t"))
	}
	return out
}

// addedValues are the planned values whose statements the change adds.
func (c *Change) addedValues() []PlannedValue {
	adds := map[string]bool{}
	for _, l := range c.Add {
		adds[l.Property+"\x00"+l.Value] = true
	}
	var out []PlannedValue
	seen := map[string]bool{}
	for _, pv := range c.Planned {
		k := pv.Property + "\x00" + pv.Display()
		if adds[k] && !seen[k] {
			seen[k] = true
			out = append(out, pv)
		}
	}
	return out
}

// Display renders a planned value for people (and for matching lines).
func (pv PlannedValue) Display() string {
	if pv.Kind == "time" {
		return strings.SplitN(pv.Value, "/", 2)[0]
	}
	return pv.Value
}

func qsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `'`) + `"` }

// qsValue renders a value in QuickStatements syntax.
func qsValue(pv PlannedValue) string {
	switch pv.Kind {
	case "item":
		return pv.Value
	case "time":
		// Value is "YYYY[-MM[-DD]]/precision".
		date, prec, _ := strings.Cut(pv.Value, "/")
		parts := strings.Split(date, "-")
		for len(parts) < 3 {
			parts = append(parts, "00")
		}
		return "+" + strings.Join(parts, "-") + "T00:00:00Z/" + prec
	case "quantity":
		if strings.HasPrefix(pv.Value, "-") || strings.HasPrefix(pv.Value, "+") {
			return pv.Value
		}
		return "+" + pv.Value
	}
	return qsString(pv.Value)
}

// EncodeChange writes a change as a plan item's diff.
func EncodeChange(c *Change) ([]byte, error) { return json.Marshal(c) }
