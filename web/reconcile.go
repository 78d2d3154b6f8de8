package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/plan"
	"partnerhub/jobs/tasks"
	"partnerhub/wikidata/suggest"
)

// Runner starts and steers a job's background reconciliation.
type Runner interface {
	StartReconciliation(ctx context.Context, jobID int64) error
	PauseReconciliation(ctx context.Context, jobID int64) error
	ResumeReconciliation(ctx context.Context, jobID int64) error
	CancelReconciliation(ctx context.Context, jobID int64) error
}

// TemplateCheck validates a job template against the dataset's columns and
// returns it normalised (defaults filled, stable order), or an error that
// lists every problem in words for the user.
type TemplateCheck = tasks.TemplateCheck

// columnKinds are the kinds a mapped column may have (see the job template).
var columnKinds = []string{"external-id", "time", "item", "string", "quantity", "url"}

// mappingForm is what the mapping page shows and posts.
type mappingForm struct {
	Columns   []mappingColumn
	Languages string
	TypeQID   string
	TypeExact bool
	// MoreTypes are the template's further types (its "types"), as QIDs
	// separated by commas: an item of any of them is of the right type.
	MoreTypes  string
	AutoAccept string
	Margin     string
	Endpoint   string
	APIURL     string
	// SuggestURL is the reconciliation service's suggest root for the
	// job's wiki, which the page's script asks as names are typed; empty
	// when the service does not serve that wiki (the form's own searches
	// still work).
	SuggestURL  string
	Kinds       []string
	RawTemplate string
	// What an accepted match writes (the template's "write" section).
	StatedIn     string
	ReferenceURL string
	AddLabels    bool
	NewItems     bool
	// Searches and suggestions (see helpMapping).
	TypeOptions  []propertyOption
	TypeFind     string
	TypeFindDone bool
	TypesFound   []suggest.Type
	TypeProblem  string
	Problem      string
	// Start is the library template the job was started from, while the
	// job has no mapping of its own.
	Start *templateStart
}

type mappingColumn struct {
	Name     string
	Role     string // "", "label", "item" or "property"
	Property string
	Kind     string
	// Matching options (see jobs/match/TEMPLATE.md): a label column's
	// form; an identifier's spelling, prefixes to strip (separated by
	// commas) and scope (qualifier property and the column holding its
	// item); whether an item column finds works ("", "yes" or "no").
	Form, Spelling, StripPrefixes string
	ScopeProperty, ScopeColumn    string
	Finds                         string
	Stats                         *jobs.ColumnStats
	Help                          *columnHelp
}

// HasOptions says whether any matching option is set, so the page shows
// them open.
func (c mappingColumn) HasOptions() bool {
	return c.Form != "" || c.Spelling != "" || c.StripPrefixes != "" || c.ScopeProperty != "" || c.ScopeColumn != "" || c.Finds != ""
}

var (
	propertyID = regexp.MustCompile(`^P[1-9][0-9]*$`)
	itemID     = regexp.MustCompile(`^Q[1-9][0-9]*$`)
)

// formFromTemplate fills the form from a stored template (or defaults).
func formFromTemplate(tmpl []byte, ds *jobs.Dataset) mappingForm {
	var t struct {
		Wikibase struct {
			SPARQLEndpoint string `json:"sparql_endpoint"`
			APIURL         string `json:"api_url"`
		} `json:"wikibase"`
		Languages []string `json:"languages"`
		Type      *struct {
			QID   string `json:"qid"`
			Exact bool   `json:"exact"`
		} `json:"type"`
		Types []struct {
			QID string `json:"qid"`
		} `json:"types"`
		Columns map[string]struct {
			Role          string   `json:"role"`
			Property      string   `json:"property"`
			Kind          string   `json:"kind"`
			Form          string   `json:"form"`
			Spelling      string   `json:"spelling"`
			StripPrefixes []string `json:"strip_prefixes"`
			Scope         *struct {
				Property string `json:"property"`
				Column   string `json:"column"`
			} `json:"scope"`
			Finds *bool `json:"finds"`
		} `json:"columns"`
		AutoAccept *struct {
			Score  float64 `json:"score"`
			Margin float64 `json:"margin"`
		} `json:"auto_accept"`
		Write *struct {
			StatedIn     string          `json:"stated_in"`
			ReferenceURL string          `json:"reference_url"`
			Labels       json.RawMessage `json:"labels"`
			NewItems     *struct {
				Enabled bool `json:"enabled"`
			} `json:"new_items"`
		} `json:"write"`
	}
	_ = json.Unmarshal(tmpl, &t)
	f := mappingForm{Kinds: append([]string{kindAuto}, columnKinds...), Languages: "en", RawTemplate: string(tmpl)}
	if len(t.Languages) > 0 {
		f.Languages = strings.Join(t.Languages, ", ")
	}
	if t.Type != nil {
		f.TypeQID, f.TypeExact = t.Type.QID, t.Type.Exact
	}
	var more []string
	for _, ty := range t.Types {
		more = append(more, ty.QID)
	}
	f.MoreTypes = strings.Join(more, ", ")
	if t.AutoAccept != nil {
		f.AutoAccept = strconv.FormatFloat(t.AutoAccept.Score, 'f', -1, 64)
		f.Margin = strconv.FormatFloat(t.AutoAccept.Margin, 'f', -1, 64)
	}
	f.Endpoint, f.APIURL = t.Wikibase.SPARQLEndpoint, t.Wikibase.APIURL
	if w := t.Write; w != nil {
		f.StatedIn, f.ReferenceURL, f.AddLabels = w.StatedIn, w.ReferenceURL, len(w.Labels) > 0 && string(w.Labels) != "null"
		f.NewItems = w.NewItems != nil && w.NewItems.Enabled
	}
	for i, name := range ds.Columns {
		c := mappingColumn{Name: name}
		if i < len(ds.ColumnStats) {
			c.Stats = &ds.ColumnStats[i]
		}
		if m, ok := t.Columns[name]; ok {
			c.Property, c.Kind = m.Property, m.Kind
			c.Form, c.Spelling, c.StripPrefixes = m.Form, m.Spelling, strings.Join(m.StripPrefixes, ", ")
			if m.Scope != nil {
				c.ScopeProperty, c.ScopeColumn = m.Scope.Property, m.Scope.Column
			}
			if m.Finds != nil {
				c.Finds = map[bool]string{true: "yes", false: "no"}[*m.Finds]
			}
			if m.Role == "label" || m.Role == "item" {
				c.Role = m.Role
			} else if m.Property != "" {
				c.Role = "property"
			}
		}
		f.Columns = append(f.Columns, c)
	}
	return f
}

// templateFromForm builds the template JSON from the posted form, keeping the
// parts of the stored template the form does not show (e.g. write settings).
func templateFromForm(c *gin.Context, stored []byte, ds *jobs.Dataset) ([]byte, mappingForm) {
	doc := map[string]any{}
	_ = json.Unmarshal(stored, &doc)
	if _, ok := doc["version"]; !ok {
		doc["version"] = 1
	}
	var langs []string
	for _, l := range strings.FieldsFunc(c.PostForm("languages"), func(r rune) bool { return r == ',' || r == ' ' }) {
		langs = append(langs, strings.TrimSpace(l))
	}
	doc["languages"] = langs
	if q := strings.ToUpper(strings.TrimSpace(c.PostForm("type_qid"))); q != "" {
		doc["type"] = map[string]any{"qid": q, "exact": c.PostForm("type_exact") == "on"}
	} else {
		delete(doc, "type")
	}
	wb, _ := doc["wikibase"].(map[string]any)
	if wb == nil {
		wb = map[string]any{}
	}
	if e := strings.TrimSpace(c.PostForm("endpoint")); e != "" {
		wb["sparql_endpoint"] = e
	}
	if a := strings.TrimSpace(c.PostForm("api_url")); a != "" {
		wb["api_url"] = a
	}
	if len(wb) > 0 {
		doc["wikibase"] = wb
	}
	aa := map[string]any{}
	for _, k := range []string{"auto_accept", "margin"} {
		if v := strings.TrimSpace(c.PostForm(k)); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				aa[map[string]string{"auto_accept": "score", "margin": "margin"}[k]] = f
			} else {
				aa[map[string]string{"auto_accept": "score", "margin": "margin"}[k]] = v // left for validation to name
			}
		}
	}
	if len(aa) > 0 {
		doc["auto_accept"] = aa
	}
	doc["types"] = moreTypes(c.PostForm("more_types"), doc["types"])
	if doc["types"] == nil {
		delete(doc, "types")
	}
	storedCols, _ := doc["columns"].(map[string]any)
	cols := map[string]any{}
	for i, name := range ds.Columns {
		key := strconv.Itoa(i)
		stored, _ := storedCols[name].(map[string]any)
		switch role := c.PostForm("role_" + key); role {
		case "label":
			col := map[string]any{"role": role}
			if v := strings.TrimSpace(c.PostForm("form_" + key)); v != "" {
				col["form"] = v
			}
			if ld, ok := stored["life_dates"]; ok && stored["role"] == "label" {
				col["life_dates"] = ld // not on the form: kept as the JSON says
			}
			cols[name] = col
		case "item":
			cols[name] = map[string]any{"role": role}
		case "property":
			col := map[string]any{
				"property": strings.ToUpper(strings.TrimSpace(c.PostForm("property_" + key))),
				"kind":     c.PostForm("kind_" + key),
			}
			columnOptions(c, key, col)
			cols[name] = col
		}
	}
	doc["columns"] = cols
	// The write section: what accepted matches add to the wiki.
	write, _ := doc["write"].(map[string]any)
	if write == nil {
		write = map[string]any{}
	}
	if v := strings.ToUpper(strings.TrimSpace(c.PostForm("stated_in"))); v != "" {
		write["stated_in"] = v
	} else {
		delete(write, "stated_in")
	}
	if v := strings.TrimSpace(c.PostForm("reference_url")); v != "" {
		write["reference_url"] = v
	} else {
		delete(write, "reference_url")
	}
	var labelCol string
	for i, name := range ds.Columns {
		if c.PostForm("role_"+strconv.Itoa(i)) == "label" {
			labelCol = name
			break
		}
	}
	if c.PostForm("add_labels") == "on" && labelCol != "" {
		write["labels"] = map[string]any{"column": labelCol, "languages": langs[:min(1, len(langs))]}
	} else {
		delete(write, "labels")
	}
	if c.PostForm("new_items") == "on" {
		write["new_items"] = map[string]any{"enabled": true}
	} else {
		delete(write, "new_items")
	}
	if len(write) > 0 {
		doc["write"] = write
	} else {
		delete(doc, "write")
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return out, formFromTemplate(out, ds)
}

// columnOptions adds a property column's matching options from the form:
// an identifier's spelling, prefixes and scope, an item column's finds.
// Options for another kind are left for the template check to name.
func columnOptions(c *gin.Context, key string, col map[string]any) {
	if v := strings.TrimSpace(c.PostForm("spelling_" + key)); v != "" {
		col["spelling"] = v
	}
	var prefixes []string
	for _, p := range strings.Split(c.PostForm("strip_"+key), ",") {
		if p = strings.TrimSpace(p); p != "" {
			prefixes = append(prefixes, p)
		}
	}
	if len(prefixes) > 0 {
		col["strip_prefixes"] = prefixes
	}
	sp := strings.ToUpper(strings.TrimSpace(c.PostForm("scope_property_" + key)))
	sc := strings.TrimSpace(c.PostForm("scope_column_" + key))
	if sp != "" || sc != "" {
		col["scope"] = map[string]any{"property": sp, "column": sc}
	}
	switch c.PostForm("finds_" + key) {
	case "yes":
		col["finds"] = true
	case "no":
		col["finds"] = false
	}
}

// moreTypes reads the further types typed as QIDs (commas or spaces
// between them), keeping the exact flag a stored type has; nil for none.
func moreTypes(text string, stored any) any {
	exact := map[string]any{}
	if list, ok := stored.([]any); ok {
		for _, v := range list {
			if m, ok := v.(map[string]any); ok {
				if q, ok := m["qid"].(string); ok {
					exact[strings.ToUpper(q)] = m["exact"]
				}
			}
		}
	}
	var out []any
	for _, q := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		q = strings.ToUpper(strings.TrimSpace(q))
		t := map[string]any{"qid": q}
		if e, ok := exact[q]; ok && e != nil {
			t["exact"] = e
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *Server) mappingPage(c *gin.Context) {
	j := currentJob(c)
	ds, ok := s.importedDataset(c, j)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	s.applyTemplateOnImport(ctx, j, ds)
	st, err := s.startingTemplate(ctx, j, ds)
	if err != nil {
		s.fail(c, err)
		return
	}
	form := formFromTemplate(j.Template, ds)
	prefill := len(j.Template) == 0
	if st != nil && st.Body != nil {
		form, prefill = formFromTemplate(st.Body, ds), false
	}
	form.Start = st
	s.helpMapping(c, j, ds, &form, nil, prefill, false)
	s.render(c, http.StatusOK, "job_mapping.html", page{Data: gin.H{"Job": j, "Dataset": ds, "Form": form}})
}

func (s *Server) saveMapping(c *gin.Context) {
	j := currentJob(c)
	ds, ok := s.importedDataset(c, j)
	if !ok {
		return
	}
	if j.Status == jobs.JobReconciling {
		s.fail(c, jobs.Errorf(jobs.ECONFLICT, "The job is being reconciled; pause or cancel it before changing the mapping."))
		return
	}
	var raw []byte
	var form mappingForm
	st, err := s.startingTemplate(c.Request.Context(), j, ds)
	if err != nil {
		s.fail(c, err)
		return
	}
	if t := strings.TrimSpace(c.PostForm("template_json")); t != "" && c.PostForm("use_json") == "on" {
		raw, form = []byte(t), formFromTemplate([]byte(t), ds)
		form.RawTemplate = t
	} else {
		stored := j.Template
		if st != nil {
			// The template's other settings (wiki, write-back, thresholds)
			// come along with its columns.
			stored = st.Body
			if stored == nil {
				stored = st.Version.Body
			}
		}
		raw, form = templateFromForm(c, stored, ds)
		if raw, err = mapMissing(c, raw, st, ds); err != nil {
			form.Start = st
			s.helpMapping(c, j, ds, &form, nil, false, false)
			s.render(c, http.StatusUnprocessableEntity, "job_mapping.html", page{
				Flash: &flash{Kind: "error", Text: jobs.ErrorMessage(err)}, Data: gin.H{"Job": j, "Dataset": ds, "Form": form}})
			return
		}
		form = formFromTemplate(raw, ds)
	}
	form.Start = st
	if find := c.PostForm("find"); find != "" {
		// A search button: show the page again with what was chosen so
		// far and the search's results; nothing is saved.
		s.helpMapping(c, j, ds, &form, map[string]string{find: strings.TrimSpace(c.PostForm("find_" + find))}, false, false)
		s.render(c, http.StatusOK, "job_mapping.html", page{Data: gin.H{"Job": j, "Dataset": ds, "Form": form}})
		return
	}
	if names := typedNames(c, ds); len(names) > 0 && c.PostForm("use_json") != "on" {
		// Names typed where ids belong: search them and let the user check
		// the first result before anything is saved.
		s.helpMapping(c, j, ds, &form, names, false, true)
		s.render(c, http.StatusUnprocessableEntity, "job_mapping.html", page{
			Flash: &flash{Kind: "error", Text: "Names were typed where a property or type belongs; the first match of each is filled in. Check them and save again."},
			Data:  gin.H{"Job": j, "Dataset": ds, "Form": form}})
		return
	}
	raw, err = s.withAutoKinds(c.Request.Context(), j, raw)
	var checked []byte
	if err == nil {
		checked, err = s.checkTemplate(raw, ds.Columns)
	}
	if err != nil {
		s.helpMapping(c, j, ds, &form, nil, false, false)
		s.render(c, http.StatusUnprocessableEntity, "job_mapping.html", page{
			Flash: &flash{Kind: "error", Text: jobs.ErrorMessage(err)},
			Data:  gin.H{"Job": j, "Dataset": ds, "Form": form}})
		return
	}
	if err := s.store.SetJobTemplate(c.Request.Context(), j.ID, checked); err != nil {
		s.fail(c, err)
		return
	}
	s.setFlash(c, "ok", "Mapping saved.")
	c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
}

// checkTemplate is the one check every template passes before it is
// stored, as a job's mapping or in the library (columns nil).
func (s *Server) checkTemplate(raw []byte, columns []string) ([]byte, error) {
	return plan.CheckTemplate(raw, columns, s.templateCheck)
}

// importedDataset loads the job's dataset, sending the user back to the job
// page when it is not imported yet.
func (s *Server) importedDataset(c *gin.Context, j *jobs.Job) (*jobs.Dataset, bool) {
	ds, err := s.store.DatasetOfJob(c.Request.Context(), j.ID)
	if err != nil && jobs.ErrorCode(err) != jobs.ENOTFOUND {
		s.fail(c, err)
		return nil, false
	}
	if ds == nil || ds.Status != jobs.DatasetImported {
		s.setFlash(c, "error", "Upload and import a dataset first.")
		c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
		return nil, false
	}
	return ds, true
}

// reconcileAction handles Start, Pause, Resume and Cancel.
func (s *Server) reconcileAction(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	var (
		err  error
		done string
	)
	switch c.Param("action") {
	case "start":
		err, done = s.runner.StartReconciliation(ctx, j.ID), "Reconciliation started."
	case "pause":
		err, done = s.runner.PauseReconciliation(ctx, j.ID), "Paused. Batches already running finish first."
	case "resume":
		err, done = s.runner.ResumeReconciliation(ctx, j.ID), "Resumed."
	case "cancel":
		err, done = s.runner.CancelReconciliation(ctx, j.ID), "Cancelled. The results so far are kept."
	case "retry":
		err, done = s.retryFailedRows(ctx, j.ID)
	default:
		err = jobs.Errorf(jobs.ENOTFOUND, "There is no such action.")
	}
	if err != nil {
		if code := jobs.ErrorCode(err); code == jobs.EINVALID || code == jobs.ECONFLICT {
			s.setFlash(c, "error", jobs.ErrorMessage(err))
			c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
			return
		}
		s.fail(c, err)
		return
	}
	s.logger.Info("reconciliation "+c.Param("action"), "job_id", j.ID, "user_id", currentUser(c).ID)
	s.setFlash(c, "ok", done)
	c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
}

// FailedRowsRetrier reconciles a finished job's failed rows again; the
// task runner is one.
type FailedRowsRetrier interface {
	RetryFailedRows(ctx context.Context, jobID int64) (int64, error)
}

func (s *Server) retryFailedRows(ctx context.Context, jobID int64) (error, string) {
	r, ok := s.runner.(FailedRowsRetrier)
	if !ok {
		return jobs.Errorf(jobs.ENOTFOUND, "There is no such action."), ""
	}
	n, err := r.RetryFailedRows(ctx, jobID)
	return err, fmt.Sprintf("Retrying the %d failed rows. The other rows keep their results.", n)
}

// progressView is the reconciliation progress as pages and JSON show it.
type progressView struct {
	jobs.Progress
	Percent int     `json:"percent"`
	Rate    float64 `json:"rows_per_second"`
	ETA     string  `json:"eta"`
}

func newProgressView(p jobs.Progress) progressView {
	now := time.Now()
	v := progressView{Progress: p, Percent: p.Percent(), Rate: p.Rate(now)}
	if eta := p.ETA(now); eta > 0 {
		v.ETA = eta.Round(time.Second).String()
	}
	return v
}

// hasWrite says whether a template has a "write" section.
func hasWrite(tmpl []byte) bool {
	var t struct {
		Write json.RawMessage `json:"write"`
	}
	return json.Unmarshal(tmpl, &t) == nil && len(t.Write) > 0 && string(t.Write) != "null"
}
