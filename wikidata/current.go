package wikidata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// MaxIDsPerRequest is the most ids wbgetentities takes in one request from
// a normal account (500 with the apihighlimits right; Partnerhub reads as
// no one in particular).
const MaxIDsPerRequest = 50

// CurrentEntity is what the wiki says of one id now.
type CurrentEntity struct {
	ID string // the id asked for
	// Entity is the entity's data (of the redirect's target when the id is
	// a redirect); nil when Missing.
	Entity *Entity
	// Missing: no entity has this id (deleted, or never created).
	Missing bool
	// RedirectedTo is the item the id redirects to (it was merged into it).
	RedirectedTo string
}

// CurrentEntities reads what ids name now, MaxIDsPerRequest ids a request,
// following redirects (wbgetentities with redirects=yes answers a redirect
// under the id asked for, with the target's data and a "redirects" {from,
// to} member; an unknown or deleted id has "missing"). With claims false only
// the page information (lastrevid, redirect, missing) is read: the cheap
// way to learn which items changed since a revision.
func (c *Client) CurrentEntities(ctx context.Context, ids []string, claims bool) (map[string]*CurrentEntity, int, error) {
	props := "info"
	if claims {
		props = "info|claims"
	}
	out := map[string]*CurrentEntity{}
	requests := 0
	for len(ids) > 0 {
		batch := ids[:min(len(ids), MaxIDsPerRequest)]
		ids = ids[len(batch):]
		var r struct {
			Entities map[string]json.RawMessage `json:"entities"`
		}
		requests++
		if err := c.read(ctx, url.Values{"action": {"wbgetentities"}, "ids": {strings.Join(batch, "|")}, "props": {props}, "redirects": {"yes"}}, &r); err != nil {
			return nil, requests, fmt.Errorf("read items %s…: %w", batch[0], err)
		}
		for key, raw := range r.Entities {
			var e Entity
			var aux struct {
				Redirects *struct {
					From string `json:"from"`
					To   string `json:"to"`
				} `json:"redirects"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, requests, fmt.Errorf("read item %s: %w", key, err)
			}
			_ = json.Unmarshal(raw, &aux)
			ce := &CurrentEntity{ID: key}
			switch {
			case e.Missing:
				ce.Missing = true
			default:
				ce.Entity = &e
				if aux.Redirects != nil && aux.Redirects.To != "" {
					ce.RedirectedTo = aux.Redirects.To
				} else if e.ID != "" && e.ID != key {
					ce.RedirectedTo = e.ID
				}
			}
			out[key] = ce
		}
		for _, id := range batch {
			if _, ok := out[id]; !ok {
				// An id the wiki spells otherwise (q42) comes back as it
				// spells it.
				for k, v := range out {
					if strings.EqualFold(k, id) {
						out[id] = v
					}
				}
			}
		}
	}
	return out, requests, nil
}

// ReferenceHeld says whether one of refs still sources what r does: it has
// every snak of r by value, "retrieved" (P813) apart — the same test the
// plan uses before adding a reference.
func ReferenceHeld(refs []Reference, r Reference) bool { return referenceCovered(refs, r) }
