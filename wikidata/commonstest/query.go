package commonstest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"partnerhub/wikidata/internal/fakeserve"
)

func (c *Commons) query(rw http.ResponseWriter, r *http.Request, user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case r.FormValue("meta") == "tokens":
		writeJSON(rw, fakeserve.TokensAnswer(fakeserve.IssueCSRFToken(c.tokens, user)))
	case r.FormValue("meta") == "userinfo":
		a, _ := c.account(user)
		writeJSON(rw, fakeserve.UserInfoAnswer(fakeserve.UserInfo(a.Name, a.Rights,
			map[string]any{"upload": map[string]any{"user": map[string]any{"hits": 380, "seconds": 4320}}}, a.Blocked)))
	case r.FormValue("list") == "tags":
		tags := []any{}
		for _, t := range c.opts.AllowedTags {
			tags = append(tags, map[string]any{"name": t, "defined": true, "active": true, "source": []string{"manual"}})
		}
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"tags": tags}})
	case r.FormValue("list") == "allimages":
		c.allImages(rw, r)
	case r.FormValue("list") == "logevents":
		c.logEvents(rw, r)
	case r.FormValue("prop") == "stashimageinfo":
		c.stashImageInfo(rw, r, user)
	case r.FormValue("titles") != "":
		c.pagesInfo(rw, r)
	default:
		apiError(rw, r, "badvalue", "This query is not supported by the fake Commons.", "main")
	}
}

func propSet(v string) map[string]bool {
	out := map[string]bool{}
	for _, p := range strings.Split(v, "|") {
		if p != "" {
			out[p] = true
		}
	}
	return out
}

// allImages answers list=allimages: by name (default), or with
// aisort=timestamp (needed for aiuser), newest first with aidir=older.
func (c *Commons) allImages(rw http.ResponseWriter, r *http.Request) {
	sortBy := r.FormValue("aisort")
	if sortBy == "" {
		sortBy = "name"
	}
	aiuser := r.FormValue("aiuser")
	if aiuser != "" && sortBy != "timestamp" {
		apiError(rw, r, "invalidparammix", "The parameter \"aiuser\" can only be used with aisort=timestamp.", "allimages")
		return
	}
	sha := strings.ToLower(r.FormValue("aisha1"))
	if sha != "" && (len(sha) != 40 || strings.Trim(sha, "0123456789abcdef") != "") {
		apiError(rw, r, "invalidsha1hash", "The SHA1 hash provided is not valid.", "allimages")
		return
	}
	limit := 10
	if l := r.FormValue("ailimit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			apiError(rw, r, "badinteger", "Invalid value \""+l+"\" for integer parameter \"ailimit\".", "allimages")
			return
		}
		limit = min(n, 500)
	}
	var end time.Time
	if e := r.FormValue("aiend"); e != "" {
		t, err := time.Parse(time.RFC3339, e)
		if err != nil {
			apiError(rw, r, "badtimestamp", "Invalid value \""+e+"\" for timestamp parameter \"aiend\".", "allimages")
			return
		}
		end = t
	}
	now := c.opts.Now()
	var list []FileVersion
	for _, p := range c.pages {
		f := p.file
		if f == nil || (c.opts.ReplicaLag > 0 && now.Before(f.Timestamp.Add(c.opts.ReplicaLag))) {
			continue
		}
		if sha != "" && f.SHA1 != sha || aiuser != "" && f.User != aiuser || !end.IsZero() && f.Timestamp.Before(end) {
			continue
		}
		list = append(list, *f)
	}
	if sortBy == "timestamp" {
		older := r.FormValue("aidir") == "older" || r.FormValue("aidir") == "descending"
		sort.Slice(list, func(i, j int) bool {
			if list[i].RevID != list[j].RevID {
				return (list[i].RevID > list[j].RevID) == older
			}
			return list[i].Name < list[j].Name
		})
	} else {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	props := propSet(r.FormValue("aiprop"))
	if r.FormValue("aiprop") == "" {
		props = map[string]bool{"timestamp": true, "url": true}
	}
	out := []any{}
	for i, f := range list {
		if i == limit {
			break
		}
		x := imageInfo(f, props)
		x["name"], x["ns"], x["title"] = f.Name, 6, titleOf(f.Name)
		out = append(out, x)
	}
	answer := map[string]any{"batchcomplete": true, "query": map[string]any{"allimages": out}}
	if len(list) > limit {
		delete(answer, "batchcomplete")
		answer["continue"] = map[string]any{"aicontinue": list[limit].Name, "continue": "-||"}
	}
	writeJSON(rw, answer)
}

// pagesInfo answers prop=info|imageinfo for titles.
func (c *Commons) pagesInfo(rw http.ResponseWriter, r *http.Request) {
	titles := strings.Split(r.FormValue("titles"), "|")
	if len(titles) > 50 {
		apiError(rw, r, "toomanyvalues", "Too many values supplied for parameter \"titles\". The limit is 50.", "main")
		return
	}
	props := propSet(r.FormValue("prop"))
	iiprops := propSet(r.FormValue("iiprop"))
	if r.FormValue("iiprop") == "" {
		iiprops = map[string]bool{"timestamp": true, "user": true}
	}
	// Continuation: imageinfo goes on from iicontinue ("<name>|<timestamp>",
	// in name order); modules listed as finished in "continue" are not run
	// again.
	from := ""
	if ic := r.FormValue("iicontinue"); ic != "" {
		name, ts, ok := strings.Cut(ic, "|")
		if !ok || len(ts) != 14 || strings.Trim(ts, "0123456789") != "" || name == "" {
			apiError(rw, r, "badcontinue", "Invalid continue param. You should pass the original value returned by the previous query.", "imageinfo")
			return
		}
		from = name
	}
	for _, done := range strings.Split(r.FormValue("continue"), "|") {
		if done != "" && done != "-" {
			delete(props, done)
		}
	}
	withFile := []string{}
	for _, t := range titles {
		key := dbKey(strings.TrimPrefix(strings.ReplaceAll(t, "_", " "), "File:"))
		if p, ok := c.pages[key]; ok && p.file != nil && key >= from && !slices.Contains(withFile, key) {
			withFile = append(withFile, key)
		}
	}
	sort.Strings(withFile)
	var next string
	if n := c.opts.ImageInfoPerAnswer; n > 0 && len(withFile) > n {
		next = withFile[n] + "|" + c.pages[withFile[n]].file.Timestamp.UTC().Format("20060102150405")
		withFile = withFile[:n]
	}
	var normalized, pages []any
	for _, t := range titles {
		name, isFile := strings.CutPrefix(strings.ReplaceAll(t, "_", " "), "File:")
		if !isFile {
			apiError(rw, r, "badvalue", "The fake Commons only knows File: pages.", "main")
			return
		}
		if strings.ContainsAny(name, "#<>[]|{}") {
			pages = append(pages, map[string]any{"title": t, "invalidreason": fmt.Sprintf("The requested page title contains invalid characters: %q.", name), "invalid": true})
			continue
		}
		key := dbKey(name)
		title := titleOf(key)
		if title != t {
			normalized = append(normalized, map[string]any{"fromencoded": false, "from": t, "to": title})
		}
		p, ok := c.pages[key]
		if !ok {
			pages = append(pages, map[string]any{"ns": 6, "title": title, "missing": true, "known": false, "imagerepository": ""})
			continue
		}
		x := map[string]any{"pageid": p.id, "ns": 6, "title": title}
		if props["info"] {
			x["contentmodel"], x["pagelanguage"], x["touched"] = "wikitext", "en", p.modified.UTC().Format(time.RFC3339)
			x["lastrevid"] = p.lastRev
		}
		if props["imageinfo"] && p.file != nil && slices.Contains(withFile, key) {
			x["imagerepository"] = "local"
			x["imageinfo"] = []any{imageInfo(*p.file, iiprops)}
		}
		pages = append(pages, x)
	}
	q := map[string]any{"pages": pages}
	if normalized != nil {
		q["normalized"] = normalized
	}
	answer := map[string]any{"batchcomplete": true, "query": q}
	if next != "" {
		delete(answer, "batchcomplete")
		answer["continue"] = map[string]any{"iicontinue": next, "continue": "||info"}
	}
	writeJSON(rw, answer)
}

type logEvent struct {
	id    int64
	title string
	at    time.Time
}

// logEvents answers list=logevents for the deletion log (the only log
// the fake keeps): by title (letitle, one title), newest first.
func (c *Commons) logEvents(rw http.ResponseWriter, r *http.Request) {
	typ, action := r.FormValue("letype"), r.FormValue("leaction")
	if action != "" {
		// leaction overrides letype.
		t, _, ok := strings.Cut(action, "/")
		if !ok || !slices.Contains([]string{"delete/delete", "delete/restore", "delete/revision", "delete/event"}, action) {
			apiError(rw, r, "badvalue", fmt.Sprintf("Unrecognized value for parameter \"leaction\": %s.", action), "logevents")
			return
		}
		typ = t
	}
	if typ != "" && typ != "delete" {
		writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"logevents": []any{}}})
		return
	}
	title := r.FormValue("letitle")
	if strings.Contains(title, "|") || strings.ContainsAny(title, "#<>[]{}") {
		apiError(rw, r, "invalidtitle", fmt.Sprintf("Bad title \"%s\".", title), "logevents")
		return
	}
	if title != "" {
		name, isFile := strings.CutPrefix(strings.ReplaceAll(title, "_", " "), "File:")
		if !isFile {
			apiError(rw, r, "badvalue", "The fake Commons only logs File: pages.", "logevents")
			return
		}
		title = titleOf(dbKey(name))
	}
	limit := 10
	if l := r.FormValue("lelimit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			apiError(rw, r, "badinteger", "Invalid value \""+l+"\" for integer parameter \"lelimit\".", "logevents")
			return
		}
		limit = min(n, 500)
	}
	props := propSet(r.FormValue("leprop"))
	if r.FormValue("leprop") == "" {
		props = map[string]bool{"ids": true, "title": true, "type": true, "user": true, "timestamp": true, "comment": true, "details": true}
	}
	out := []any{}
	for i := len(c.delLog) - 1; i >= 0 && len(out) < limit; i-- {
		e := c.delLog[i]
		if title != "" && e.title != title {
			continue
		}
		x := map[string]any{}
		if props["ids"] {
			x["logid"], x["pageid"], x["logpage"] = e.id, 0, 0
		}
		if props["title"] {
			x["ns"], x["title"] = 6, e.title
		}
		if props["type"] {
			x["type"], x["action"] = "delete", "delete"
		}
		if props["user"] {
			x["user"] = "Admin"
		}
		if props["timestamp"] {
			x["timestamp"] = e.at.Format(time.RFC3339)
		}
		if props["comment"] {
			x["comment"] = "[[Commons:Deletion requests/" + e.title + "]]"
		}
		if props["details"] {
			x["params"] = map[string]any{}
		}
		out = append(out, x)
	}
	writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"logevents": out}})
}

// stashKeyFormat is UploadStash::KEY_FORMAT_REGEX.
var stashKeyFormat = regexp.MustCompile(`^[\w\-.]+\.\w*$`)

// stashImageInfo answers prop=stashimageinfo: the user's stashed files by
// key. A chunk session's entry is its uploadstash row: the size is the
// bytes received so far, the SHA-1 the first chunk's. An unknown or
// expired key fails the whole request, as UploadStash::getFile throws.
func (c *Commons) stashImageInfo(rw http.ResponseWriter, r *http.Request, user string) {
	keys := strings.Split(r.FormValue("siifilekey"), "|")
	switch {
	case r.FormValue("siifilekey") == "":
		apiError(rw, r, "nofilekey", "One of the parameters \"siifilekey\" and \"siisessionkey\" is required.", "stashimageinfo")
		return
	case len(keys) > 50:
		apiError(rw, r, "toomanyvalues", "Too many values supplied for parameter \"siifilekey\". The limit is 50.", "stashimageinfo")
		return
	case user == "":
		apiError(rw, r, "stashnotloggedin", "You must be logged in to save files in the upload stash.", "stashimageinfo")
		return
	}
	c.expireStashLocked()
	props := propSet(r.FormValue("siiprop"))
	if r.FormValue("siiprop") == "" {
		props = map[string]bool{"timestamp": true, "url": true}
	}
	var out []any
	for _, k := range keys {
		if !stashKeyFormat.MatchString(k) {
			apiError(rw, r, "stashpathinvalid", fmt.Sprintf("File key of improper format or otherwise invalid: %s.", k), "stashimageinfo")
			return
		}
		s, ok := c.stash[k]
		if !ok || s.user != user {
			apiError(rw, r, "stashedfilenotfound", fmt.Sprintf("Could not find the file in the stash: Key \"%s\" not found in stash.", k), "stashimageinfo")
			return
		}
		all := map[string]any{"timestamp": s.created.UTC().Format(time.RFC3339), "url": c.stashURL(k), "descriptionurl": c.stashURL(k),
			"size": len(s.data), "width": 640, "height": 480, "sha1": s.firstSHA1, "mime": sniff(s.data)}
		x := map[string]any{}
		for key, v := range all {
			prop := key
			switch key {
			case "width", "height":
				prop = "size"
			case "descriptionurl":
				prop = "url"
			}
			if props[prop] || prop == "size" && props["dimensions"] {
				x[key] = v
			}
		}
		out = append(out, x)
	}
	writeJSON(rw, map[string]any{"batchcomplete": true, "query": map[string]any{"stashimageinfo": out}})
}

func (c *Commons) stashURL(key string) string {
	return "https://commons.wikimedia.org/wiki/Special:UploadStash/file/" + key
}
