package reconapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/wikidata/suggest"
)

// Suggest answers' size: a page of suggestions, and how far a cursor may
// page (wbsearchentities gives at most 50 hits).
const (
	suggestPage = 10
	suggestMax  = 50
)

// suggestion is one answer of the suggest services (both versions).
type suggestion struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// suggest completes what a user types into an entity, a property or a type
// (GET …/suggest/{entity,property,type}?prefix=…&cursor=…), through the
// wiki's own search (wbsearchentities), as the mapping page does.
func (s *Service) suggest(c *gin.Context) {
	kind := c.Param("kind")
	if kind != "entity" && kind != "property" && kind != "type" {
		s.fail(c, http.StatusNotFound, "there is no suggest service %q: entity, property or type", kind)
		return
	}
	prefix := strings.TrimSpace(c.Query("prefix"))
	if len([]rune(prefix)) > maxQueryRunes {
		s.fail(c, http.StatusBadRequest, "prefix is longer than %d characters", maxQueryRunes)
		return
	}
	cursor := 0
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(c, http.StatusBadRequest, "cursor must be a whole number of suggestions to skip, not %q", v)
			return
		}
		cursor = n
	}
	out := struct {
		Result []suggestion `json:"result"`
	}{Result: []suggestion{}}
	if prefix == "" || cursor >= suggestMax {
		c.JSON(http.StatusOK, out)
		return
	}
	root := rootOf(c)
	wiki, err := s.wiki(root)
	if err != nil {
		s.failWork(c, c.Request.Context(), "suggest", err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.Timeout)
	defer cancel()
	lang := languages(c, root, "")[0]
	n := min(cursor+suggestPage, suggestMax)
	var all []suggestion
	switch kind {
	case "property":
		var ps []suggest.Property
		if ps, err = suggest.SearchProperties(ctx, wiki, prefix, lang, n); err == nil {
			for _, p := range ps {
				all = append(all, suggestion{ID: p.ID, Name: nameOr(p.Label, p.ID), Description: p.Description})
			}
		}
	default: // entity and type: items (a type is an item used as a class)
		var ts []suggest.Type
		if ts, err = suggest.SearchTypes(ctx, wiki, prefix, lang, n); err == nil {
			for _, t := range ts {
				all = append(all, suggestion{ID: t.ID, Name: nameOr(t.Label, t.ID), Description: t.Description})
			}
		}
	}
	if err != nil {
		s.failWork(c, ctx, "suggest", err)
		return
	}
	if cursor < len(all) {
		out.Result = append(out.Result, all[cursor:]...)
	}
	c.JSON(http.StatusOK, out)
}

func nameOr(name, id string) string {
	if strings.TrimSpace(name) == "" {
		return id
	}
	return name
}
