package wikidata

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// QuickStatements renders the data parameter of a wbeditentity call as
// QuickStatements v1 commands (tab separated), so that people who prefer
// that tool run exactly the edit the write-back would send: the labels and
// descriptions, each statement with its references as S-columns (one line
// per reference), and for a statement the item has already (it carries an
// id) only the references it gains — QuickStatements adds a source to the
// statement with the same value. subject is the item's id, or "" for a new
// item: a CREATE line, then LAST.
//
// Values QuickStatements cannot say (qualifiers, other calendars than
// Gregorian, quantities with bounds, a string with a line break) are an
// error rather than a line that would write something else.
func QuickStatements(subject string, data json.RawMessage) ([]string, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var d editData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("read the edit: %w", err)
	}
	var out []string
	if subject == "" {
		out = append(out, "CREATE")
		subject = "LAST"
	}
	for _, t := range []struct {
		prefix string
		terms  map[string]termJSON
	}{{"L", d.Labels}, {"D", d.Descriptions}} {
		langs := make([]string, 0, len(t.terms))
		for l := range t.terms {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			v, err := qsText(t.terms[l].Value)
			if err != nil {
				return nil, fmt.Errorf("%s%s: %w", t.prefix, l, err)
			}
			out = append(out, subject+"\t"+t.prefix+l+"\t"+v)
		}
	}
	for _, st := range d.Claims {
		lines, err := qsStatement(subject, st)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.MainSnak.Property, err)
		}
		out = append(out, lines...)
	}
	return out, nil
}

func qsStatement(subject string, st Statement) ([]string, error) {
	if len(st.Qualifiers) > 0 {
		return nil, fmt.Errorf("qualifiers are not written by this export")
	}
	v, ok := st.Value()
	if !ok {
		return nil, fmt.Errorf("a %s statement has no value QuickStatements can write", st.MainSnak.SnakType)
	}
	value, err := qsValue(v)
	if err != nil {
		return nil, err
	}
	head := subject + "\t" + st.MainSnak.Property + "\t" + value
	var refs []Reference
	for _, r := range st.References {
		// A statement already on the item is sent whole: its references
		// read from the wiki have hashes, the ones it gains have none.
		if st.ID == "" || r.Hash == "" {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		if st.ID != "" {
			return nil, nil // nothing gained
		}
		return []string{head}, nil
	}
	lines := make([]string, 0, len(refs))
	for _, r := range refs {
		line := head
		props := r.SnaksOrder
		if len(props) == 0 {
			for p := range r.Snaks {
				props = append(props, p)
			}
			sort.Strings(props)
		}
		for _, p := range props {
			for _, s := range r.Snaks[p] {
				if s.SnakType != SnakValue || s.DataValue == nil {
					return nil, fmt.Errorf("reference %s is not a value", p)
				}
				sv, err := qsValue(*s.DataValue)
				if err != nil {
					return nil, fmt.Errorf("reference %s: %w", p, err)
				}
				line += "\tS" + strings.TrimPrefix(p, "P") + "\t" + sv
			}
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// qsValue writes a value in QuickStatements v1 syntax.
func qsValue(v DataValue) (string, error) {
	switch v.Type {
	case TypeString:
		s, _ := v.AsString()
		return qsText(s)
	case TypeEntityID:
		e, ok := v.AsEntityID()
		if !ok || e.Key() == "" {
			return "", fmt.Errorf("unreadable entity id %s", v.Value)
		}
		return e.Key(), nil
	case TypeTime:
		t, ok := v.AsTime()
		if !ok {
			return "", fmt.Errorf("unreadable time %s", v.Value)
		}
		if t.CalendarModel != "" && t.CalendarModel != Gregorian {
			return "", fmt.Errorf("calendar %s is not Gregorian", t.CalendarModel)
		}
		return t.Time + "/" + strconv.Itoa(t.Precision), nil
	case TypeQuantity:
		q, ok := v.AsQuantity()
		if !ok || q.UpperBound != "" || q.LowerBound != "" {
			return "", fmt.Errorf("quantity %s cannot be written exactly", v.Value)
		}
		s := q.Amount
		if q.Unit != "" && q.Unit != "1" {
			unit := q.Unit[strings.LastIndexByte(q.Unit, '/')+1:]
			if !IsItemID(unit) {
				return "", fmt.Errorf("unit %s is not an item", q.Unit)
			}
			s += "U" + strings.TrimPrefix(unit, "Q")
		}
		return s, nil
	case TypeMonolingualText:
		m, _ := v.AsMonolingual()
		t, err := qsText(m.Text)
		return m.Language + ":" + t, err
	case TypeGlobeCoordinate:
		c, _ := v.AsCoordinate()
		if c.Globe != "" && c.Globe != Earth {
			return "", fmt.Errorf("globe %s is not Earth", c.Globe)
		}
		return "@" + strconv.FormatFloat(c.Latitude, 'f', -1, 64) + "/" + strconv.FormatFloat(c.Longitude, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("value type %s", v.Type)
}

// qsText quotes a string. QuickStatements takes everything between the
// first and the last double quote of the column, so quotes inside stay as
// they are; tabs and line breaks would end the column or the command.
func qsText(s string) (string, error) {
	if strings.ContainsAny(s, "\t\r\n") {
		return "", fmt.Errorf("%q has a tab or line break, which QuickStatements cannot write", s)
	}
	return `"` + s + `"`, nil
}
