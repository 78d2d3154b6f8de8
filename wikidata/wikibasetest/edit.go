package wikibasetest

import (
	"crypto/rand"
	"crypto/sha1"
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
	timeRE     = regexp.MustCompile(`^[+-]\d{1,16}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	decimalRE  = regexp.MustCompile(`^[+-](0|[1-9]\d*)(\.\d+)?$`)
	langRE     = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]+)*$`)
	snakTypes  = map[string]bool{wikidata.SnakValue: true, wikidata.SnakSomeValue: true, wikidata.SnakNoValue: true}
	valueTypes = map[string]string{
		"wikibase-item": wikidata.TypeEntityID, "wikibase-property": wikidata.TypeEntityID,
		"external-id": wikidata.TypeString, "string": wikidata.TypeString, "url": wikidata.TypeString,
		"commonsMedia": wikidata.TypeString, "tabular-data": wikidata.TypeString, "geo-shape": wikidata.TypeString,
		"math": wikidata.TypeString, "musical-notation": wikidata.TypeString,
		"time": wikidata.TypeTime, "quantity": wikidata.TypeQuantity, "monolingualtext": wikidata.TypeMonolingualText,
		"globe-coordinate": wikidata.TypeGlobeCoordinate,
	}
)

// checkCommonsFile checks a commonsMedia value as Wikibase does: a file
// name without namespace or path, of a file on Commons.
func (w *Wiki) checkCommonsFile(name string) error {
	if strings.ContainsAny(name, ":/") {
		return fmt.Errorf("File names are not allowed to contain characters like colons or slashes")
	}
	if w.opts.CommonsFile != nil && !w.opts.CommonsFile(name) {
		return fmt.Errorf("The file %q does not exist on Wikimedia Commons", name)
	}
	return nil
}

// validateSnak checks a snak as Wikibase does before saving.
func (w *Wiki) validateSnak(s wikidata.Snak) error {
	if !wikidata.IsPropertyID(s.Property) {
		return fmt.Errorf("Invalid property id %q", s.Property)
	}
	datatype := s.DataType
	if w.opts.PropertyTypes != nil {
		dt, ok := w.opts.PropertyTypes[s.Property]
		if !ok {
			return fmt.Errorf("Property %s not found", s.Property)
		}
		datatype = dt
	}
	if !snakTypes[s.SnakType] {
		return fmt.Errorf("Invalid snak type %q", s.SnakType)
	}
	if s.SnakType != wikidata.SnakValue {
		if s.DataValue != nil {
			return fmt.Errorf("A %s snak of %s has a value", s.SnakType, s.Property)
		}
		return nil
	}
	v := s.DataValue
	if v == nil {
		return fmt.Errorf("A value snak of %s has no datavalue", s.Property)
	}
	if want, ok := valueTypes[datatype]; ok && want != v.Type {
		return fmt.Errorf("Bad value type %s, expected %s (property %s)", v.Type, want, s.Property)
	}
	bad := func(what string) error {
		return fmt.Errorf("Malformed input: the value of property %s is not a valid %s", s.Property, what)
	}
	switch v.Type {
	case wikidata.TypeString:
		x, ok := v.AsString()
		if !ok || strings.TrimSpace(x) == "" || len(x) > 1500 {
			return bad("string")
		}
		if datatype == "url" && !strings.HasPrefix(x, "http://") && !strings.HasPrefix(x, "https://") {
			return bad("URL")
		}
		if datatype == "commonsMedia" {
			if err := w.checkCommonsFile(x); err != nil {
				return err
			}
		}
	case wikidata.TypeEntityID:
		x, ok := v.AsEntityID()
		if !ok || !idRE.MatchString(x.Key()) {
			return bad("entity id")
		}
		if datatype == "wikibase-item" && !wikidata.IsItemID(x.Key()) {
			return bad("item id")
		}
	case wikidata.TypeTime:
		x, ok := v.AsTime()
		if !ok || x.Precision < 0 || x.Precision > 14 || !timeRE.MatchString(x.Time) || !strings.HasPrefix(x.CalendarModel, "http") {
			return bad("time")
		}
		if x.Precision >= wikidata.PrecisionDay && strings.Contains(x.Time, "-00T") {
			return bad("time (day precision needs a day)")
		}
	case wikidata.TypeQuantity:
		x, ok := v.AsQuantity()
		if !ok || !decimalRE.MatchString(x.Amount) || x.Unit == "" {
			return bad("quantity")
		}
	case wikidata.TypeMonolingualText:
		x, ok := v.AsMonolingual()
		if !ok || strings.TrimSpace(x.Text) == "" || !langRE.MatchString(x.Language) {
			return bad("monolingual text")
		}
	case wikidata.TypeGlobeCoordinate:
		x, ok := v.AsCoordinate()
		if !ok || x.Latitude < -90 || x.Latitude > 90 || x.Longitude < -360 || x.Longitude > 360 || x.Globe == "" {
			return bad("coordinate")
		}
	default:
		return fmt.Errorf("Unknown data value type %q", v.Type)
	}
	return nil
}

func (w *Wiki) validateStatement(st wikidata.Statement) error {
	if err := w.validateSnak(st.MainSnak); err != nil {
		return err
	}
	switch st.Rank {
	case "", wikidata.RankNormal, wikidata.RankPreferred, wikidata.RankDeprecated:
	default:
		return fmt.Errorf("Invalid rank %q", st.Rank)
	}
	for p, snaks := range st.Qualifiers {
		for _, s := range snaks {
			if s.Property != p {
				return fmt.Errorf("Qualifier of %s listed under %s", s.Property, p)
			}
			if err := w.validateSnak(s); err != nil {
				return err
			}
		}
	}
	for _, ref := range st.References {
		if len(ref.Snaks) == 0 {
			return fmt.Errorf("A reference of %s has no snaks", st.MainSnak.Property)
		}
		for p, snaks := range ref.Snaks {
			for _, s := range snaks {
				if s.Property != p {
					return fmt.Errorf("Reference snak of %s listed under %s", s.Property, p)
				}
				if err := w.validateSnak(s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// newGUID is a statement id as Wikibase makes them: "Q42$" and a UUID.
func newGUID(id string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return fmt.Sprintf("%s$%s-%s-%s-%s-%s", id, h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// hashOf is a content hash like those Wikibase gives snaks and references.
func hashOf(v any) string {
	b, _ := json.Marshal(v)
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func hashStatement(st *wikidata.Statement) {
	st.MainSnak.Hash = ""
	if st.MainSnak.SnakType == wikidata.SnakValue {
		st.MainSnak.Hash = hashOf(st.MainSnak)
	}
	for p := range st.Qualifiers {
		for i := range st.Qualifiers[p] {
			st.Qualifiers[p][i].Hash = ""
			st.Qualifiers[p][i].Hash = hashOf(st.Qualifiers[p][i])
		}
	}
	for i := range st.References {
		r := &st.References[i]
		if len(r.SnaksOrder) == 0 {
			for p := range r.Snaks {
				r.SnaksOrder = append(r.SnaksOrder, p)
			}
			slices.Sort(r.SnaksOrder)
		}
		r.Hash = ""
		r.Hash = hashOf(r.Snaks)
	}
	if len(st.QualifiersOrder) == 0 && len(st.Qualifiers) > 0 {
		for p := range st.Qualifiers {
			st.QualifiersOrder = append(st.QualifiersOrder, p)
		}
		slices.Sort(st.QualifiersOrder)
	}
}

// edit applies a wbeditentity request like Wikibase: claims without an id
// are added with a new GUID (never deduplicated), claims with an id replace
// that claim (or remove it with "remove"), labels and descriptions are set.
// A stale baserevid is not refused: as Wikibase does, the edit is applied
// onto the latest revision (the "patch") with the warning
// wikibase-conflict-patched, unless it touches what changed since the base
// (a statement it names, a label it sets), which is an edit conflict; when
// the user made every revision since the base, there is no conflict at
// all. rw nil applies without answering.
func (w *Wiki) edit(rw http.ResponseWriter, r *http.Request, user string) {
	fail := func(code, text string) {
		if rw != nil {
			apiError(rw, r, code, text, 0)
		}
	}
	if r.Method != http.MethodPost {
		fail("mustbeposted", "The \"wbeditentity\" module requires a POST request.")
		return
	}
	if r.FormValue("assert") == "user" && user == "" {
		fail("assertuserfailed", "You are no longer logged in, so the action could not be completed.")
		return
	}
	if r.PostForm.Get("token") == "" {
		fail("missingparam", "The \"token\" parameter must be set.")
		return
	}
	w.mu.Lock()
	hook := w.opts.BeforeSave
	w.mu.Unlock()
	if hook != nil {
		hook(writeRequest(r, user))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if tokUser, ok := w.tokens[r.PostForm.Get("token")]; !ok || tokUser != user {
		fail("badtoken", "Invalid CSRF token.")
		return
	}
	a, _ := w.account(user)
	if a.Blocked {
		if rw != nil {
			blockedAnswer(rw, r, user)
		}
		return
	}
	var tags []string
	if t := r.FormValue("tags"); t != "" {
		tags = strings.Split(t, "|")
		var bad []string
		for _, tag := range tags {
			if !slices.Contains(w.opts.AllowedTags, tag) {
				bad = append(bad, tag)
			}
		}
		if len(bad) > 0 {
			if rw != nil {
				badTagsAnswer(rw, r, bad)
			}
			return
		}
	}
	var data struct {
		Labels       map[string]wikidata.Term `json:"labels"`
		Descriptions map[string]wikidata.Term `json:"descriptions"`
		Claims       []json.RawMessage        `json:"claims"`
	}
	if err := json.Unmarshal([]byte(r.FormValue("data")), &data); err != nil {
		fail("invalid-json", "Invalid json: "+err.Error())
		return
	}
	var cur *wikidata.Entity
	created, patched := false, false
	switch {
	case r.FormValue("new") == "item" && r.FormValue("id") == "":
		if !slices.Contains(a.Rights, "createpage") {
			fail("permissiondenied", "You do not have the permissions needed to create an item.")
			return
		}
		cur = &wikidata.Entity{ID: "Q" + strconv.FormatInt(w.nextQ, 10), Type: "item"}
		created = true
	case r.FormValue("new") == "" && r.FormValue("id") != "":
		id := r.FormValue("id")
		if _, ok := w.redirects[id]; ok {
			if rw != nil {
				redirectAnswer(rw, r)
			}
			return
		}
		e, ok := w.entities[id]
		if !ok {
			if rw != nil {
				noSuchEntityAnswer(rw, r, id)
			}
			return
		}
		if w.protected[id] && !slices.Contains(a.Rights, "editprotected") {
			if rw != nil {
				protectedAnswer(rw, r)
			}
			return
		}
		if b := r.FormValue("baserevid"); b != "" && b != strconv.FormatInt(e.LastRevID, 10) {
			base, err := strconv.ParseInt(b, 10, 64)
			if err != nil || w.history[base] == nil || w.history[base].ID != id || base > e.LastRevID {
				fail("nosuchrevid", fmt.Sprintf("There is no revision with ID %s.", b))
				return
			}
			if !w.onlyUserSince(id, base, user) {
				if w.patchConflicts(w.history[base], e, data.Labels, data.Descriptions, data.Claims) {
					if rw != nil {
						editConflictAnswer(rw, r)
					}
					return
				}
				patched = true
			}
		}
		cur = e
	default:
		fail("param-illegal", "Either provide the item \"id\" or pass \"new\" to create a new item.")
		return
	}
	next := clone(cur)
	if next.Claims == nil {
		next.Claims = map[string][]wikidata.Statement{}
	}
	for _, raw := range data.Claims {
		var st wikidata.Statement
		if err := json.Unmarshal(raw, &st); err != nil {
			fail("invalid-claim", "Invalid claim: "+err.Error())
			return
		}
		var marker struct {
			Remove *json.RawMessage `json:"remove"`
		}
		_ = json.Unmarshal(raw, &marker)
		if marker.Remove != nil {
			// As Wikibase's ChangeOpRemoveStatement: a GUID the entity does
			// not have (removed meanwhile) fails the whole edit.
			if st.ID == "" {
				fail("invalid-claim", "Cannot remove a claim with no GUID")
				return
			}
			if !removeStatement(next, st.ID) {
				fail("modification-failed", "Entity does not have statement with GUID "+st.ID)
				return
			}
			continue
		}
		if err := w.validateStatement(st); err != nil {
			fail("modification-failed", err.Error())
			return
		}
		p := st.MainSnak.Property
		if st.Rank == "" {
			st.Rank = wikidata.RankNormal
		}
		st.Type = "statement"
		hashStatement(&st)
		if st.ID == "" {
			st.ID = newGUID(next.ID)
			next.Claims[p] = append(next.Claims[p], st)
			continue
		}
		if !strings.HasPrefix(st.ID, next.ID+"$") {
			fail("modification-failed", "Statement GUID "+st.ID+" does not belong to "+next.ID+".")
			return
		}
		replaced := false
		for i := range next.Claims[p] {
			if next.Claims[p][i].ID == st.ID {
				next.Claims[p][i] = st
				replaced = true
			}
		}
		if !replaced {
			// Wikibase moves a statement whose main property changed; the
			// fake only replaces in place.
			fail("modification-failed", "Statement "+st.ID+" is not on the entity under "+p+".")
			return
		}
	}
	for _, set := range []struct {
		dst *map[string]wikidata.Term
		src map[string]wikidata.Term
	}{{&next.Labels, data.Labels}, {&next.Descriptions, data.Descriptions}} {
		for l, t := range set.src {
			if !langRE.MatchString(l) || (t.Language != "" && t.Language != l) {
				fail("modification-failed", fmt.Sprintf("Inconsistent language: %q", l))
				return
			}
			if *set.dst == nil {
				*set.dst = map[string]wikidata.Term{}
			}
			if t.Value == "" {
				delete(*set.dst, l)
				continue
			}
			(*set.dst)[l] = wikidata.Term{Language: l, Value: t.Value}
		}
	}
	if created && len(next.Labels) == 0 && len(next.Descriptions) == 0 && len(next.Claims) == 0 {
		fail("modification-failed", "A new item needs a label, a description or a statement.")
		return
	}
	if other, label, lang := w.termClash(next); other != "" {
		if rw != nil {
			labelConflictAnswer(rw, r, label, lang, other)
		}
		return
	}
	if !created && hashOf(next) == hashOf(cur) {
		if rw != nil {
			out := clone(cur)
			writeJSON(rw, map[string]any{"entity": out, "success": 1, "nochange": flag(r)})
		}
		return
	}
	if !w.allowSave(user) {
		if rw != nil {
			throttledAnswer(rw, r)
		}
		return
	}
	if created {
		w.nextQ++
	}
	w.save(next, cur, user, r.FormValue("summary"), tags, created, patched)
	if w.opts.BeforeAnswer != nil {
		w.opts.BeforeAnswer(r.Context(), writeRequest(r, user))
	}
	if rw != nil {
		answer := map[string]any{"entity": clone(next), "success": 1}
		if patched {
			answer["warnings"] = []any{map[string]any{"code": "wikibase-conflict-patched", "text": "Your edit was patched into the latest version.", "module": "wbeditentity"}}
		}
		writeJSON(rw, answer)
	}
}

// onlyUserSince says whether user made every revision of id after base
// (Wikibase then sees no conflict); the caller holds w.mu.
func (w *Wiki) onlyUserSince(id string, base int64, user string) bool {
	for rev, e := range w.history {
		if rev > base && e.ID == id && w.revUser[rev] != user {
			return false
		}
	}
	return true
}

// patchConflicts says whether an edit computed on base cannot be patched
// onto latest: it sets a label or description, or replaces a statement,
// that changed in between.
func (w *Wiki) patchConflicts(base, latest *wikidata.Entity, labels, descriptions map[string]wikidata.Term, claims []json.RawMessage) bool {
	for l := range labels {
		if base.Labels[l] != latest.Labels[l] {
			return true
		}
	}
	for l := range descriptions {
		if base.Descriptions[l] != latest.Descriptions[l] {
			return true
		}
	}
	find := func(e *wikidata.Entity, id string) string {
		for _, sts := range e.Claims {
			for _, st := range sts {
				if st.ID == id {
					return hashOf(st)
				}
			}
		}
		return ""
	}
	for _, raw := range claims {
		var st struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &st) == nil && st.ID != "" && find(base, st.ID) != find(latest, st.ID) {
			return true
		}
	}
	return false
}

// termClash finds another item with the same label and description in a
// language (Wikibase refuses that pair); the caller holds w.mu.
func (w *Wiki) termClash(next *wikidata.Entity) (other, label, lang string) {
	for l, t := range next.Labels {
		d := next.Descriptions[l].Value
		if d == "" {
			continue
		}
		for id, e := range w.entities {
			if id != next.ID && e.Labels[l].Value == t.Value && e.Descriptions[l].Value == d {
				return id, t.Value, l
			}
		}
	}
	return "", "", ""
}

// allowSave counts a save against the user's rate limit; the caller holds
// w.mu.
func (w *Wiki) allowSave(user string) bool {
	rl := w.opts.RateLimit
	if rl == nil || rl.Hits <= 0 {
		return true
	}
	now := w.opts.Now()
	var recent []time.Time
	for _, t := range w.saves[user] {
		if now.Sub(t) < rl.Per {
			recent = append(recent, t)
		}
	}
	if len(recent) >= rl.Hits {
		w.saves[user] = recent
		return false
	}
	w.saves[user] = append(recent, now)
	return true
}

func removeStatement(e *wikidata.Entity, id string) bool {
	for p, sts := range e.Claims {
		for i := range sts {
			if sts[i].ID == id {
				e.Claims[p] = append(sts[:i:i], sts[i+1:]...)
				if len(e.Claims[p]) == 0 {
					delete(e.Claims, p)
				}
				return true
			}
		}
	}
	return false
}
