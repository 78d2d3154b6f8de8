package commonstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub/wikidata"
)

var (
	midRE  = regexp.MustCompile(`^M[1-9][0-9]{0,11}$`)
	propRE = regexp.MustCompile(`^P[1-9][0-9]{0,9}$`)
)

// entityJSON is a MediaInfo entity as WikibaseMediaInfo serialises it:
// "statements" rather than "claims", an empty list when there are none, no
// datatype in snaks.
func entityJSON(p *page) map[string]any {
	labels := map[string]any{}
	for k, v := range p.labels {
		labels[k] = v
	}
	var stmts any = []any{}
	if len(p.stmts) > 0 {
		m := map[string]any{}
		for prop, sts := range p.stmts {
			m[prop] = sts
		}
		stmts = m
	}
	return map[string]any{"pageid": p.id, "ns": 6, "title": titleOf(p.name), "lastrevid": p.lastRev,
		"modified": p.modified.UTC().Format(time.RFC3339), "type": "mediainfo", "id": "M" + strconv.FormatInt(p.id, 10),
		"labels": labels, "descriptions": map[string]any{}, "statements": stmts}
}

func (c *Commons) pageOf(id string) *page {
	if !midRE.MatchString(id) {
		return nil
	}
	n, _ := strconv.ParseInt(id[1:], 10, 64)
	return c.byID[n]
}

func (c *Commons) getEntities(rw http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]any{}
	for _, id := range strings.Split(r.FormValue("ids"), "|") {
		if !midRE.MatchString(id) {
			noSuchEntity(rw, r, id)
			return
		}
		p := c.pageOf(id)
		if p == nil || !p.hasMI {
			out[id] = map[string]any{"id": id, "missing": true}
			continue
		}
		out[id] = entityJSON(p)
	}
	writeJSON(rw, map[string]any{"entities": out, "success": 1})
}

func newGUID(id string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return fmt.Sprintf("%s$%s-%s-%s-%s-%s", id, h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

func validSnak(s wikidata.Snak) error {
	if !propRE.MatchString(s.Property) {
		return fmt.Errorf("invalid property id %q", s.Property)
	}
	switch s.SnakType {
	case wikidata.SnakValue:
		if s.DataValue == nil || s.DataValue.Type == "" || len(s.DataValue.Value) == 0 {
			return fmt.Errorf("snak of %s has no datavalue", s.Property)
		}
	case "somevalue", "novalue":
	default:
		return fmt.Errorf("unknown snak type %q", s.SnakType)
	}
	return nil
}

// editMediaInfo applies a wbeditentity on M<pageid> as Wikibase does:
// claims without an id are added with a new GUID (never deduplicated),
// labels (captions) are set; a stale baserevid is patched onto the latest
// revision (warning wikibase-conflict-patched) unless the edit sets a
// caption changed since, which is an edit conflict.
func (c *Commons) editMediaInfo(rw http.ResponseWriter, r *http.Request, user string) {
	if !c.lockWrite(rw, r, user, "wbeditentity") {
		return
	}
	defer c.mu.Unlock()
	a, ok := c.account(user)
	if !ok || !slices.Contains(a.Rights, "edit") || a.Blocked {
		apiError(rw, r, "permissiondenied", "You do not have the permissions needed to carry out this action.", "wbeditentity")
		return
	}
	if t := r.FormValue("tags"); t != "" {
		for _, tag := range strings.Split(t, "|") {
			if !slices.Contains(c.opts.AllowedTags, tag) {
				writeErrors(rw, r, 0, errEntry{Code: "badtags", Text: fmt.Sprintf("The tag %q is not allowed to be manually applied.", tag), Module: "wbeditentity",
					Data: map[string]any{"disallowedtags": []string{tag}}})
				return
			}
		}
	}
	id := r.FormValue("id")
	if r.FormValue("new") != "" {
		apiError(rw, r, "param-illegal", "MediaInfo entities cannot be created with \"new\"; edit M<pageid> of an existing file.", "wbeditentity")
		return
	}
	p := c.pageOf(id)
	if p == nil {
		noSuchEntity(rw, r, id)
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.FormValue("data")), &raw); err != nil {
		apiError(rw, r, "invalid-json", "Invalid json: "+err.Error(), "wbeditentity")
		return
	}
	for k := range raw {
		if k != "labels" && k != "descriptions" && k != "claims" {
			apiError(rw, r, "not-recognized", "Unknown key in json: "+k, "wbeditentity")
			return
		}
	}
	if _, ok := raw["descriptions"]; ok {
		apiError(rw, r, "not-supported", "MediaInfo entities have no descriptions; captions are labels.", "wbeditentity")
		return
	}
	var labels map[string]wikidata.Term
	if l, ok := raw["labels"]; ok {
		if err := json.Unmarshal(l, &labels); err != nil {
			apiError(rw, r, "not-recognized-array", "Invalid labels: "+err.Error(), "wbeditentity")
			return
		}
	}
	var claims []wikidata.Statement
	if cl, ok := raw["claims"]; ok {
		if err := json.Unmarshal(cl, &claims); err != nil {
			apiError(rw, r, "invalid-claim", "Invalid claims: "+err.Error(), "wbeditentity")
			return
		}
	}
	patched := false
	if b := r.FormValue("baserevid"); b != "" && b != strconv.FormatInt(p.lastRev, 10) {
		base, err := strconv.ParseInt(b, 10, 64)
		if _, known := p.revUser[base]; err != nil || !known || base > p.lastRev {
			apiError(rw, r, "nosuchrevid", fmt.Sprintf("There is no revision with ID %s.", b), "wbeditentity")
			return
		}
		for lang := range labels {
			if p.labelRev[lang] > base && p.revUser[p.labelRev[lang]] != user {
				writeErrors(rw, r, 0, errEntry{Code: "editconflict", Text: "Edit conflict: the entity was modified since the base revision and the changes could not be merged.", Module: "wbeditentity"})
				return
			}
		}
		for rev, u := range p.revUser {
			if rev > base && u != user {
				patched = true
			}
		}
	}
	mid := "M" + strconv.FormatInt(p.id, 10)
	changed := false
	for lang, t := range labels {
		if t.Language != lang {
			apiError(rw, r, "inconsistent-language", fmt.Sprintf("Inconsistent language: %s is not %s.", t.Language, lang), "wbeditentity")
			return
		}
		if len([]rune(t.Value)) > 250 {
			writeErrors(rw, r, 0, errEntry{Code: "modification-failed", Text: "Must be no more than 250 characters long", Module: "wbeditentity"})
			return
		}
		if p.labels[lang].Value != t.Value {
			changed = true
		}
	}
	for i, st := range claims {
		if st.ID != "" {
			apiError(rw, r, "modification-failed", fmt.Sprintf("Statement GUID %q does not exist on %s.", st.ID, mid), "wbeditentity")
			return
		}
		if err := validSnak(st.MainSnak); err != nil {
			apiError(rw, r, "invalid-claim", fmt.Sprintf("Claim %d: %v", i+1, err), "wbeditentity")
			return
		}
		for _, qs := range st.Qualifiers {
			for _, q := range qs {
				if err := validSnak(q); err != nil {
					apiError(rw, r, "invalid-claim", fmt.Sprintf("Claim %d qualifier: %v", i+1, err), "wbeditentity")
					return
				}
			}
		}
		changed = true
	}
	if !changed {
		writeJSON(rw, map[string]any{"entity": entityJSON(p), "success": 1, "nochange": true})
		return
	}
	c.nextRev++
	p.lastRev = c.nextRev
	p.revUser[p.lastRev] = user
	p.modified = c.opts.Now().UTC()
	p.hasMI = true
	for lang, t := range labels {
		if t.Value == "" {
			delete(p.labels, lang)
		} else {
			p.labels[lang] = t
		}
		p.labelRev[lang] = p.lastRev
	}
	for _, st := range claims {
		st.ID = newGUID(mid)
		st.Type = "statement"
		if st.Rank == "" {
			st.Rank = wikidata.RankNormal
		}
		st.MainSnak.DataType = ""
		p.stmts[st.MainSnak.Property] = append(p.stmts[st.MainSnak.Property], st)
	}
	c.edits = append(c.edits, MediaEdit{ID: mid, RevID: p.lastRev, User: user, Summary: r.FormValue("summary"), Patched: patched})
	answer := map[string]any{"entity": entityJSON(p), "success": 1}
	if patched {
		answer["warnings"] = []any{map[string]any{"code": "wikibase-conflict-patched", "text": "Your edit was patched into the latest version.", "module": "wbeditentity"}}
	}
	writeJSON(rw, answer)
}

// noSuchEntity is Wikibase's answer for an unknown entity id (as captured
// from Wikibase 1.39: module main, the reason in data.messages).
func noSuchEntity(rw http.ResponseWriter, r *http.Request, id string) {
	text := fmt.Sprintf("Could not find an entity with the ID %q.", id)
	writeErrors(rw, r, 0, errEntry{Code: "no-such-entity", Text: text, Module: "main",
		Data: map[string]any{"messages": []any{map[string]any{"name": "no-such-entity", "parameters": []any{id}, "html": text}}}})
}
