package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/tasks"
	"partnerhub/wikidata/suggest"
)

// Suggesters gives the property and type searches of a job's Wikibase
// (the one its template names, or Wikidata).
type Suggesters func(job *jobs.Job) (*suggest.Suggester, error)

// kindAuto is the kind select's "as the property's datatype says".
const kindAuto = "auto"

// suggestTimeout bounds the wiki requests of one mapping page.
const suggestTimeout = 10 * time.Second

// suggestRows is how many rows' values the suggestions look at.
const suggestRows = 50

// columnHelp is what the mapping page shows under a column: the suggested
// properties and why, properties found by a search, and the choices of the
// property select.
type columnHelp struct {
	Suggested  []suggest.Suggestion
	Found      []suggest.Property
	Find       string // the search text, kept in its box
	FindDone   bool   // a search ran (so "nothing found" can be said)
	Kind       string // what the values show
	KindReason string
	Problems   []string
	Options    []propertyOption
}

// propertyOption is one choice of a column's property select.
type propertyOption struct {
	ID, Text string
}

// addOption adds a choice once.
func (h *columnHelp) addOption(p suggest.Property) {
	for _, o := range h.Options {
		if o.ID == p.ID {
			return
		}
	}
	text := p.ID
	if p.Label != "" {
		text = p.Label + " (" + p.ID + ")"
	}
	if p.Datatype != "" {
		text += " · " + p.Datatype
	}
	h.Options = append(h.Options, propertyOption{ID: p.ID, Text: text})
}

// helpMapping fills the form's suggestions and runs the searches in finds
// (a column's index or "type" → the text to search). With prefill, columns
// the template does not map take the best suggestion, so that a new mapping
// starts from a guess rather than from nothing; a search that ran because a
// name was typed where an id belongs (pick) fills in its first result.
func (s *Server) helpMapping(c *gin.Context, j *jobs.Job, ds *jobs.Dataset, f *mappingForm, finds map[string]string, prefill, pick bool) {
	// The suggestions must not hold the page up when the wiki is slow.
	ctx, cancel := context.WithTimeout(c.Request.Context(), suggestTimeout)
	defer cancel()
	if api := strings.TrimSpace(f.APIURL); s.reconcile != nil && s.reconcile.Serves(api) {
		f.SuggestURL = "/reconcile/suggest"
	}
	for i := range f.Columns {
		f.Columns[i].Help = &columnHelp{Find: strings.TrimSpace(c.PostForm("find_" + strconv.Itoa(i)))}
		if t, ok := finds[strconv.Itoa(i)]; ok {
			f.Columns[i].Help.Find = t
		}
		if propertyID.MatchString(f.Columns[i].Property) {
			f.Columns[i].Help.addOption(suggest.Property{ID: f.Columns[i].Property})
		}
	}
	f.TypeFind = strings.TrimSpace(c.PostForm("find_type"))
	if t, ok := finds["type"]; ok {
		f.TypeFind = t
	}
	if itemID.MatchString(f.TypeQID) {
		f.TypeOptions = append(f.TypeOptions, propertyOption{ID: f.TypeQID, Text: f.TypeQID})
	}
	if s.suggesters == nil {
		return
	}
	sg, err := s.suggesters(j)
	if err != nil {
		f.Problem = "Suggestions are not available: " + jobs.ErrorMessage(err)
		return
	}
	if l := strings.TrimSpace(strings.Split(f.Languages, ",")[0]); l != "" {
		sg.Language = l
	}
	values := s.columnValues(ctx, ds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // the wiki is asked a few columns at a time
	for i := range f.Columns {
		wg.Add(1)
		go func(col *mappingColumn, vals []string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got := sg.Column(ctx, col.Name, vals)
			h := col.Help
			h.Suggested, h.Kind, h.KindReason, h.Problems = got.Properties, got.Kind, got.KindReason, got.Problems
			if prefill && col.Role == "" {
				if b, ok := got.Best(); ok {
					col.Role, col.Property, col.Kind = "property", b.ID, b.Kind
				} else if got.Role == "label" {
					col.Role = "label"
				} else if got.Kind != "" {
					col.Kind = got.Kind // years or dates: time, whichever property is chosen
				}
			}
		}(&f.Columns[i], values[i])
	}
	wg.Wait()
	for i := range f.Columns {
		h := f.Columns[i].Help
		// Label the current choice when a suggestion says what it is.
		for _, sug := range h.Suggested {
			if len(h.Options) > 0 && h.Options[0].ID == sug.ID {
				h.Options = nil
				h.addOption(sug.Property)
			}
		}
		for _, sug := range h.Suggested {
			h.addOption(sug.Property)
		}
	}
	if text, ok := finds["type"]; ok {
		f.TypeFindDone = true
		types, err := suggest.SearchTypes(ctx, sg.Wiki, text, sg.Language, 10)
		if err != nil {
			f.TypeProblem = fmt.Sprintf("The search for %q failed: %v", text, err)
		}
		f.TypesFound = types
		for _, t := range types {
			text := t.ID
			if t.Label != "" {
				text = t.Label + " (" + t.ID + ")"
			}
			f.TypeOptions = append(f.TypeOptions, propertyOption{ID: t.ID, Text: text})
		}
		if pick {
			f.TypeQID = ""
			if len(types) > 0 {
				f.TypeQID = types[0].ID
			}
		}
	}
	for i := range f.Columns {
		text, ok := finds[strconv.Itoa(i)]
		if !ok {
			continue
		}
		col := &f.Columns[i]
		h := col.Help
		h.FindDone = true
		props, err := suggest.SearchProperties(ctx, sg.Wiki, text, sg.Language, 10)
		if err != nil {
			h.Problems = append(h.Problems, fmt.Sprintf("The search for %q failed: %v", text, err))
		}
		for _, p := range props {
			if p.Kind != "" {
				h.Found = append(h.Found, p)
				h.addOption(p)
			}
		}
		if pick {
			col.Property = ""
			if len(h.Found) > 0 {
				col.Property = h.Found[0].ID
			}
		}
	}
}

// columnValues reads the first rows' values, per column.
func (s *Server) columnValues(ctx context.Context, ds *jobs.Dataset) [][]string {
	out := make([][]string, len(ds.Columns))
	rows, err := s.store.Rows(ctx, ds.ID, 0, suggestRows)
	if err != nil {
		s.logger.Warn("read rows for suggestions", "dataset_id", ds.ID, "err", err)
	}
	for _, r := range rows {
		for i := range out {
			if i < len(r.Cells) {
				out[i] = append(out[i], r.Cells[i])
			}
		}
	}
	return out
}

// resolveAutoKinds gives columns whose kind is "as the property says" the
// kind of their property's datatype, asking the wiki once for all of them.
func (s *Server) resolveAutoKinds(ctx context.Context, j *jobs.Job, cols map[string]any) error {
	var ids []string
	for _, v := range cols {
		if m, ok := v.(map[string]any); ok && m["kind"] == kindAuto && m["property"] != "" {
			ids = append(ids, m["property"].(string))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var info map[string]string
	if s.suggesters != nil {
		if sg, err := s.suggesters(j); err == nil {
			if got, err := sg.Wiki.GetProperties(ctx, ids, nil); err == nil {
				info = map[string]string{}
				for id, e := range got {
					info[id] = e.DataType
				}
			}
		}
	}
	var problems []string
	for name, v := range cols {
		m, ok := v.(map[string]any)
		if !ok || m["kind"] != kindAuto {
			continue
		}
		p, _ := m["property"].(string)
		switch dt, known := info[p]; {
		case p == "":
			m["kind"] = ""
		case info == nil:
			problems = append(problems, fmt.Sprintf("column %q: the wiki could not be asked what kind of values %s holds; choose the kind", name, p))
		case !known:
			problems = append(problems, fmt.Sprintf("column %q: %s is not a property on the wiki", name, p))
		case suggest.KindOf(dt) == "":
			problems = append(problems, fmt.Sprintf("column %q: %s holds %s values, which a mapping cannot use", name, p, dt))
		default:
			m["kind"] = suggest.KindOf(dt)
		}
	}
	if len(problems) > 0 {
		return jobs.Errorf(jobs.EINVALID, "%s.", strings.Join(problems, "; "))
	}
	return nil
}

// withAutoKinds resolves the "auto" kinds of a template built from the form.
func (s *Server) withAutoKinds(ctx context.Context, j *jobs.Job, raw []byte) ([]byte, error) {
	doc := map[string]any{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw, nil // not JSON: the template check says so
	}
	cols, _ := doc["columns"].(map[string]any)
	if err := s.resolveAutoKinds(ctx, j, cols); err != nil {
		return nil, err
	}
	return json.MarshalIndent(doc, "", "  ")
}

// typedNames finds what was typed where an id belongs: a name in a
// column's property box or in the type box is searched for, as if its
// search button had been pressed.
func typedNames(c *gin.Context, ds *jobs.Dataset) map[string]string {
	out := map[string]string{}
	for i := range ds.Columns {
		k := strconv.Itoa(i)
		if p := strings.TrimSpace(c.PostForm("property_" + k)); p != "" && c.PostForm("role_"+k) == "property" && !propertyID.MatchString(strings.ToUpper(p)) {
			out[k] = p
		}
	}
	if t := strings.TrimSpace(c.PostForm("type_qid")); t != "" && !itemID.MatchString(strings.ToUpper(t)) {
		out["type"] = t
	}
	return out
}

// templateStart is a library template applied to a job's file: the job
// was started from it and has no mapping of its own yet.
type templateStart struct {
	Version *jobs.TemplateVersion
	Name    string
	Body    []byte // fitted to the file's columns (nil: nothing fits)
	Missing []missingColumn
}

// missingColumn is a template column the file lacks, with what it meant.
type missingColumn struct {
	Column, Role, Property, Kind string
}

// startingTemplate fits the template a job was started from to its file,
// or returns nil when the job has a mapping or no library template.
func (s *Server) startingTemplate(ctx context.Context, j *jobs.Job, ds *jobs.Dataset) (*templateStart, error) {
	start, err := tasks.StartingTemplateOf(ctx, s.store, j, ds)
	if err != nil || start == nil {
		return nil, err
	}
	st := &templateStart{Version: start.Version, Name: start.Name, Body: start.Body}
	var doc struct {
		Columns map[string]struct {
			Role, Property, Kind string
		} `json:"columns"`
	}
	_ = json.Unmarshal(start.Version.Body, &doc)
	for _, m := range start.Missing {
		c := doc.Columns[m.Column]
		st.Missing = append(st.Missing, missingColumn{Column: m.Column, Role: c.Role, Property: c.Property, Kind: c.Kind})
	}
	return st, nil
}

// applyTemplateOnImport applies the starting template when the worker has
// not (a file imported before it did so): see tasks.ApplyStartingTemplate.
func (s *Server) applyTemplateOnImport(ctx context.Context, j *jobs.Job, ds *jobs.Dataset) bool {
	applied, err := tasks.ApplyStartingTemplate(ctx, s.store, s.checkTemplate, j, ds)
	if err != nil {
		s.logger.Warn("apply the starting template", "job_id", j.ID, "err", err)
	}
	if applied {
		s.logger.Info("template applied on first view", "job_id", j.ID)
	}
	return applied
}

// mapMissing applies the user's choices for the template columns the file
// lacks: each is mapped, as the template maps it, to the file column chosen
// (which it then replaces), or left out.
func mapMissing(c *gin.Context, raw []byte, st *templateStart, ds *jobs.Dataset) ([]byte, error) {
	if st == nil || len(st.Missing) == 0 {
		return raw, nil
	}
	doc := map[string]any{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw, nil
	}
	cols, _ := doc["columns"].(map[string]any)
	if cols == nil {
		cols = map[string]any{}
	}
	inFile := map[string]bool{}
	for _, col := range ds.Columns {
		inFile[col] = true
	}
	for i, m := range st.Missing {
		to := c.PostForm("missing_" + strconv.Itoa(i))
		if to == "" {
			continue // left out
		}
		if !inFile[to] {
			return nil, jobs.Errorf(jobs.EINVALID, "The file has no column %q for the template column %q.", to, m.Column)
		}
		mapping := map[string]any{}
		if m.Role != "" {
			mapping["role"] = m.Role
		}
		if m.Property != "" {
			mapping["property"], mapping["kind"] = m.Property, m.Kind
		}
		cols[to] = mapping
		if write, ok := doc["write"].(map[string]any); ok {
			jobs.RenameWriteColumns(write, map[string]string{m.Column: to})
		}
	}
	doc["columns"] = cols
	return json.MarshalIndent(doc, "", "  ")
}
