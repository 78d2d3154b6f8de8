package reconapi

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs/match"
	"partnerhub/sparql"
)

// Facts a preview card shows at most, and their values each.
const (
	previewFacts  = 6
	previewValues = 3
)

// wikidataFacts are the facts a card on Wikidata shows after the root's
// own mapped properties: what it is, life dates, country.
var wikidataFacts = []string{"P31", "P569", "P570", "P27", "P17", "P106"}

// previewCard is the preview's HTML: a small self-contained card, every
// value escaped by html/template; no script, no remote resource.
var previewCard = template.Must(template.New("card").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Name}}</title>
<style>body{margin:0;font:13px/1.35 sans-serif;color:#202122}.card{padding:6px 8px}h1{font-size:15px;margin:0}h1 a{color:#36c;text-decoration:none}
.id{color:#72777d;font-weight:normal}p{margin:2px 0 4px;color:#54595d}dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:1px 8px}dt{color:#72777d}dd{margin:0}</style>
</head><body><div class="card">
<h1><a href="{{.URL}}" target="_blank" rel="noopener noreferrer">{{.Name}}</a> <span class="id">{{.ID}}</span></h1>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Facts}}<dl>{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Values}}</dd>{{end}}</dl>{{end}}
</div></body></html>
`))

type cardFact struct{ Name, Values string }

type cardData struct {
	Lang, ID, Name, Description, URL string
	Facts                            []cardFact
}

// factProperties are the properties a root's cards show: the ones its
// template maps, then on Wikidata a few that tell namesakes apart.
func factProperties(root *Root) []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if propertyID.MatchString(p) && !seen[p] && len(out) < previewFacts {
			seen[p] = true
			out = append(out, p)
		}
	}
	t := root.Template
	for _, name := range sortedColumnNames(t.Columns) {
		add(t.Columns[name].Property)
	}
	if t.Wikibase.EntityPrefix == match.DefaultEntityPrefix {
		for _, p := range wikidataFacts {
			add(p)
		}
	}
	return out
}

// preview answers GET …/preview?id=Q42 with the entity's card: label,
// description and key facts, for OpenRefine's hover and any client's
// iframe (the manifests give its size).
func (s *Service) preview(c *gin.Context) {
	id := strings.ToUpper(strings.TrimSpace(c.Query("id")))
	if !sparql.ValidEntityID(id) {
		s.fail(c, http.StatusBadRequest, "id must be an entity id like Q42, not %q", c.Query("id"))
		return
	}
	root := rootOf(c)
	langs := languages(c, root, "")
	req := extensionRequest{IDs: []string{id}}
	for _, p := range factProperties(root) {
		req.Properties = append(req.Properties, extensionProperty{ID: p, Path: []string{p}, Limit: previewValues})
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	ext, err := s.fetch(ctx, root, langs, req, true)
	if err != nil {
		s.failWork(c, ctx, "preview", err)
		return
	}
	d := cardData{Lang: langs[0], ID: id, Name: nameOr(ext.labels[id], id), Description: ext.descriptions[id],
		URL: root.Template.Wikibase.SiteURL + id}
	for i, p := range req.Properties {
		var vals []string
		for _, v := range ext.values[id][p.ID] {
			vals = append(vals, v.text())
		}
		if len(vals) > 0 {
			d.Facts = append(d.Facts, cardFact{Name: ext.meta[i].Name, Values: strings.Join(vals, ", ")})
		}
	}
	if ext.labels[id] == "" && ext.descriptions[id] == "" && len(d.Facts) == 0 {
		s.fail(c, http.StatusNotFound, "%s has no label, description or facts on %s", id, root.Template.Wikibase.SiteURL)
		return
	}
	var b bytes.Buffer
	if err := previewCard.Execute(&b, d); err != nil {
		s.failWork(c, ctx, "preview", err)
		return
	}
	// The card is shown in other sites' frames (OpenRefine's): it may be
	// framed by anyone, and loads nothing and runs nothing.
	h := c.Writer.Header()
	h.Del("X-Frame-Options")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *")
	c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
}

// text is a value as a card writes it.
func (v value) text() string {
	switch {
	case v.ID != "":
		return v.Name
	case v.Str != nil:
		return *v.Str
	case v.Int != nil:
		return formatInt(*v.Int)
	case v.Float != nil:
		return formatFloat(*v.Float)
	case v.Date != "":
		return displayDate(v.Date)
	}
	return ""
}

// displayDate drops the midnight time of a day (WDQS writes every date
// as a dateTime).
func displayDate(d string) string { return strings.TrimSuffix(d, "T00:00:00Z") }
