package wikidata

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// ResolvedItem is what an item id names on the wiki now: the item itself,
// or, when it was merged into another, the item it redirects to.
type ResolvedItem struct {
	ID             string            // the item to use: the redirect's target, or the id asked for
	RedirectedFrom string            // the id asked for, when it is a redirect
	Missing        bool              // no such item (never created, or deleted)
	Labels         map[string]string // language → label
}

// Label is the item's label in the first of the languages it has one in.
func (r *ResolvedItem) Label(languages ...string) string {
	for _, l := range languages {
		if v := r.Labels[l]; v != "" {
			return v
		}
	}
	return ""
}

// ResolveItem reads what an item id names, following a redirect
// (wbgetentities with redirects=yes answers under the id asked for, with the
// target's id and a "redirects" {from, to} member).
func (c *Client) ResolveItem(ctx context.Context, id string) (*ResolvedItem, error) {
	if !IsItemID(id) {
		return nil, fmt.Errorf("%q is not an item id", id)
	}
	var r struct {
		Entities map[string]struct {
			ID        string          `json:"id"`
			Missing   *jsonPresence   `json:"missing"`
			Labels    map[string]Term `json:"labels"`
			Redirects *struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"redirects"`
		} `json:"entities"`
	}
	err := c.read(ctx, url.Values{"action": {"wbgetentities"}, "ids": {id}, "redirects": {"yes"}, "props": {"info|labels"}}, &r)
	if err != nil {
		return nil, fmt.Errorf("read item %s: %w", id, err)
	}
	e, ok := r.Entities[id]
	if !ok {
		// An id written differently (q42) comes back as the wiki spells it.
		for k, v := range r.Entities {
			if strings.EqualFold(k, id) {
				e, ok = v, true
			}
		}
	}
	out := &ResolvedItem{ID: id, Labels: map[string]string{}}
	if !ok || e.Missing != nil {
		out.Missing = true
		return out, nil
	}
	if e.ID != "" {
		out.ID = e.ID
	}
	if e.Redirects != nil && e.Redirects.To != "" {
		out.ID, out.RedirectedFrom = e.Redirects.To, id
	} else if out.ID != id {
		out.RedirectedFrom = id
	}
	for l, t := range e.Labels {
		out.Labels[l] = t.Value
	}
	return out, nil
}

// jsonPresence is a member whose presence is what counts ("missing": "" in
// format version 1, true in version 2).
type jsonPresence struct{}

func (*jsonPresence) UnmarshalJSON([]byte) error { return nil }
