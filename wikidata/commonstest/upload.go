package commonstest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// extensionMime is what content each allowed extension must hold.
var extensionMime = map[string]string{
	"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
	"webp": "image/webp", "tif": "image/tiff", "tiff": "image/tiff", "pdf": "application/pdf",
}

// sniff detects a file's MIME type from its bytes, as MediaWiki's
// MimeAnalyzer does for these types.
func sniff(b []byte) string {
	if bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")) {
		return "image/tiff"
	}
	m := http.DetectContentType(b)
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return m
}

// dbKey is a file name as MediaWiki stores it: underscores for spaces,
// the first letter upper case.
func dbKey(name string) string {
	name = strings.TrimSpace(strings.ReplaceAll(name, "_", " "))
	name = strings.Join(strings.Fields(name), " ")
	if r, n := utf8.DecodeRuneInString(name); n > 0 {
		name = string(unicode.ToUpper(r)) + name[n:]
	}
	return strings.ReplaceAll(name, " ", "_")
}

func titleOf(key string) string { return "File:" + strings.ReplaceAll(key, "_", " ") }

// checkName gives the name the file would get (characters MediaWiki
// replaces are replaced by "-", which the badfilename warning reports),
// or an error code and text.
func checkName(desired string) (name, code, text string) {
	if strings.ContainsAny(desired, "#<>[]|{}") || strings.ContainsFunc(desired, unicode.IsControl) {
		return "", "illegal-filename", "The filename is not allowed."
	}
	filtered := strings.Map(func(r rune) rune {
		if r == ':' || r == '/' || r == '\\' {
			return '-'
		}
		return r
	}, desired)
	key := dbKey(filtered)
	ext := strings.TrimPrefix(path.Ext(key), ".")
	switch {
	case ext == "" || ext == key:
		return "", "filetype-missing", "The file is missing an extension."
	case len(strings.TrimSuffix(key, "."+ext)) < 1:
		return "", "filename-tooshort", "The filename is too short."
	case len(key) > 240:
		return "", "filename-toolong", "The filename is too long."
	}
	return key, "", ""
}

// verify checks content against the name's extension, as UploadBase does.
func (c *Commons) verify(rw http.ResponseWriter, r *http.Request, key string, data []byte) bool {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(key), "."))
	want, ok := extensionMime[ext]
	switch {
	case len(data) == 0:
		apiError(rw, r, "empty-file", "The file you submitted was empty.", "upload")
	case int64(len(data)) > c.opts.MaxUploadSize:
		apiError(rw, r, "file-too-large", "The file you submitted was too large.", "upload")
	case !ok:
		writeErrors(rw, r, 0, errEntry{Code: "filetype-banned", Text: fmt.Sprintf("\".%s\" is not a permitted file type.", ext), Module: "upload",
			Data: map[string]any{"filetype": ext, "allowed": slices.Sorted(mapKeys(extensionMime))}})
	case sniff(data) != want:
		got := sniff(data)
		writeErrors(rw, r, 0, errEntry{Code: "verification-error", Text: fmt.Sprintf("File extension \".%s\" does not match the detected MIME type of the file (%s).", ext, got),
			Module: "upload", Data: map[string]any{"details": []any{"filetype-mime-mismatch", ext, got}}})
	default:
		return true
	}
	return false
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// warningsLocked computes the upload warnings for a name and content
// (content nil: a first chunk, whose name alone is checked).
func (c *Commons) warningsLocked(desired, key string, data []byte) map[string]any {
	w := map[string]any{}
	if key != dbKey(desired) {
		w["badfilename"] = key
	}
	sha := ""
	if data != nil {
		sha = SHA1(data)
	}
	if p, ok := c.pages[key]; ok && p.file != nil {
		w["exists"] = key
		if sha != "" && p.file.SHA1 == sha {
			w["nochange"] = map[string]any{"timestamp": p.file.Timestamp.UTC().Format(time.RFC3339)}
		}
	} else if _, ok := c.deleted[key]; ok {
		w["was-deleted"] = key
	}
	if sha != "" {
		var dupes []string
		for name, p := range c.pages {
			if name != key && p.file != nil && p.file.SHA1 == sha {
				dupes = append(dupes, name)
			}
		}
		slices.Sort(dupes)
		if len(dupes) > 0 {
			w["duplicate"] = dupes
		} else {
			for name, s := range c.deleted {
				if s == sha {
					w["duplicate-archive"] = name
					break
				}
			}
		}
	}
	return w
}

func (c *Commons) newStashLocked(user, filename string, data []byte, filesize int64, chunked bool) string {
	ext := strings.TrimPrefix(path.Ext(filename), ".")
	if ext == "" {
		ext = "bin"
	}
	k := randomKey(strings.ToLower(ext))
	c.stash[k] = &stashed{user: user, filename: filename, data: data, filesize: filesize, chunked: chunked, created: c.opts.Now(), firstSHA1: SHA1(data)}
	return k
}

func readPart(r *http.Request, field string) ([]byte, bool) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil, false
	}
	f, err := r.MultipartForm.File[field][0].Open()
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return b, err == nil
}

func (c *Commons) upload(rw http.ResponseWriter, r *http.Request, user string) {
	if !c.lockWrite(rw, r, user, "upload") {
		return
	}
	defer c.mu.Unlock()
	c.expireStashLocked()
	a, ok := c.account(user)
	switch {
	case !ok:
		apiError(rw, r, "mustbeloggedin", "You must be logged in to upload this file.", "upload")
		return
	case a.Blocked:
		writeErrors(rw, r, 0, errEntry{Code: "blocked", Text: "You have been blocked from editing.", Module: "upload",
			Data: map[string]any{"blockinfo": map[string]any{"blockid": 4242, "blockedby": "Admin", "blockreason": "test block", "blockexpiry": "infinite"}}})
		return
	case !slices.Contains(a.Rights, "upload"):
		apiError(rw, r, "permissiondenied", "You do not have permission to upload this file, for the following reason: The action you have requested is limited to users in one of the groups: Users, Autoconfirmed users.", "upload")
		return
	}
	var tags []string
	if t := r.FormValue("tags"); t != "" {
		tags = strings.Split(t, "|")
		for _, tag := range tags {
			if !slices.Contains(c.opts.AllowedTags, tag) {
				writeErrors(rw, r, 0, errEntry{Code: "badtags", Text: fmt.Sprintf("The tag %q is not allowed to be manually applied.", tag), Module: "upload",
					Data: map[string]any{"disallowedtags": []string{tag}}})
				return
			}
		}
	}
	desired := r.FormValue("filename")
	if desired == "" {
		apiError(rw, r, "missingparam", "The \"filename\" parameter must be set.", "upload")
		return
	}
	key, code, text := checkName(desired)
	if code != "" {
		writeErrors(rw, r, 0, errEntry{Code: code, Text: text, Module: "upload", Data: map[string]any{"invalidparameter": "filename"}})
		return
	}
	_, ignore := r.Form["ignorewarnings"]
	_, stash := r.Form["stash"]
	switch uploadStage(r) {
	case "chunk":
		c.chunk(rw, r, user, desired, key, ignore)
		return
	case "file":
		data, _ := readPart(r, "file")
		if !c.verify(rw, r, key, data) {
			return
		}
		if w := c.warningsLocked(desired, key, data); len(w) > 0 && !ignore {
			fk := c.newStashLocked(user, key, data, int64(len(data)), false)
			writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Warning", "warnings": w, "filekey": fk, "sessionkey": fk}})
			return
		}
		if stash {
			fk := c.newStashLocked(user, key, data, int64(len(data)), false)
			writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Success", "filekey": fk, "sessionkey": fk, "imageinfo": c.stashInfo(user, data)}})
			return
		}
		c.publishAnswer(rw, r, a, key, data, tags)
	case "commit":
		fk := r.FormValue("filekey")
		s, ok := c.stash[fk]
		if !ok || s.user != user {
			apiError(rw, r, "stashedfilenotfound", fmt.Sprintf("Could not find the file in the stash: %s.", fk), "upload")
			return
		}
		if s.chunked {
			apiError(rw, r, "stashfailed", "Chunked upload is not yet completed.", "upload")
			return
		}
		if !c.verify(rw, r, key, s.data) {
			return
		}
		if w := c.warningsLocked(desired, key, s.data); len(w) > 0 && !ignore {
			writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Warning", "warnings": w, "filekey": fk, "sessionkey": fk}})
			return
		}
		if c.publishAnswer(rw, r, a, key, s.data, tags) {
			delete(c.stash, fk)
		}
	default:
		apiError(rw, r, "missingparam", "One of the parameters \"filekey\", \"file\" and \"url\" is required.", "upload")
	}
}

// chunk takes one chunk of a chunked upload to the stash.
func (c *Commons) chunk(rw http.ResponseWriter, r *http.Request, user, desired, key string, ignore bool) {
	if _, stash := r.Form["stash"]; !stash {
		// Commons only takes chunks into the stash (async publishing is
		// off); a chunked upload is always committed from there.
		apiError(rw, r, "stashfailed", "Chunked uploads must be stashed (stash=1) and then committed with their file key.", "upload")
		return
	}
	data, _ := readPart(r, "chunk")
	filesize, err1 := strconv.ParseInt(r.FormValue("filesize"), 10, 64)
	offset, err2 := strconv.ParseInt(r.FormValue("offset"), 10, 64)
	if err1 != nil || err2 != nil || offset < 0 || filesize < 0 {
		apiError(rw, r, "badinteger", "Invalid value for parameter \"filesize\" or \"offset\".", "upload")
		return
	}
	if filesize > c.opts.MaxUploadSize {
		apiError(rw, r, "file-too-large", "The file you submitted was too large.", "upload")
		return
	}
	total := offset + int64(len(data))
	if total > filesize {
		apiError(rw, r, "invalid-chunk", "Offset plus current chunk is greater than claimed file size.", "upload")
		return
	}
	if total != filesize && int64(len(data)) < c.opts.MinChunkSize {
		apiError(rw, r, "chunk-too-small", fmt.Sprintf("Minimum chunk size is %d bytes for non-final chunks.", c.opts.MinChunkSize), "upload")
		return
	}
	fk := r.FormValue("filekey")
	var s *stashed
	if offset == 0 {
		if fk != "" {
			apiError(rw, r, "badparams", "Cannot supply a filekey when offset is 0.", "upload")
			return
		}
		if w := c.warningsLocked(desired, key, nil); len(w) > 0 && !ignore {
			k := c.newStashLocked(user, key, slices.Clone(data), filesize, true)
			writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Warning", "warnings": w, "filekey": k, "sessionkey": k}})
			return
		}
		fk = c.newStashLocked(user, key, slices.Clone(data), filesize, true)
		s = c.stash[fk]
	} else {
		var ok bool
		s, ok = c.stash[fk]
		switch {
		case fk == "":
			apiError(rw, r, "filekeyneeded", "Must supply a filekey when offset is non-zero.", "upload")
			return
		case !ok || s.user != user:
			apiError(rw, r, "stashfailed", "No chunked upload session with this key.", "upload")
			return
		case !s.chunked:
			apiError(rw, r, "stashfailed", "Chunked upload is already completed, check status for details.", "upload")
			return
		case int64(len(s.data)) != offset:
			writeErrors(rw, r, 0, errEntry{Code: "stashfailed", Text: "Invalid chunk offset", Module: "upload", Data: map[string]any{"offset": len(s.data)}})
			return
		}
		s.data = append(s.data, data...)
	}
	if total < filesize {
		writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Continue", "offset": total, "filekey": fk}})
		return
	}
	// The assembled file gets a key of its own; the chunk session's is gone.
	delete(c.stash, fk)
	nk := c.newStashLocked(user, key, s.data, filesize, false)
	writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Success", "filekey": nk, "imageinfo": c.stashInfo(user, s.data)}})
}

// publishAnswer publishes after every check passed (or the warnings were
// ignored) and answers; false when refused.
func (c *Commons) publishAnswer(rw http.ResponseWriter, r *http.Request, a Account, key string, data []byte, tags []string) bool {
	sha := SHA1(data)
	if p, ok := c.pages[key]; ok && p.file != nil {
		if p.file.SHA1 == sha {
			apiError(rw, r, "fileexists-no-change", "The upload is an exact duplicate of the current version of [[:File:"+key+"]].", "upload")
			return false
		}
		if !slices.Contains(a.Rights, "reupload") {
			apiError(rw, r, "fileexists-forbidden", "A file with this name already exists, and cannot be overwritten.", "upload")
			return false
		}
	}
	if rl := c.opts.UploadRateLimit; rl != nil {
		now := c.opts.Now()
		var recent []time.Time
		for _, t := range c.publish[a.Name] {
			if now.Sub(t) < rl.Per {
				recent = append(recent, t)
			}
		}
		if len(recent) >= rl.Hits {
			c.publish[a.Name] = recent
			writeErrors(rw, r, 0, errEntry{Code: "ratelimited", Text: textThrottled, Module: "upload"})
			return false
		}
		c.publish[a.Name] = append(recent, now)
	}
	text := r.FormValue("text")
	if _, ok := r.Form["text"]; !ok {
		text = r.FormValue("comment")
	}
	fv := c.publishLocked(FileVersion{Name: key, SHA1: sha, Size: int64(len(data)), Mime: sniff(data), User: a.Name,
		Comment: r.FormValue("comment"), Text: text, Tags: tags, Timestamp: c.opts.Now().UTC()})
	writeJSON(rw, map[string]any{"upload": map[string]any{"result": "Success", "filename": key, "imageinfo": imageInfo(fv, nil)}})
	return true
}

// imageInfo is a file version as imageinfo/allimages show it; props nil
// means all.
func imageInfo(fv FileVersion, props map[string]bool) map[string]any {
	all := map[string]any{
		"timestamp": fv.Timestamp.UTC().Format(time.RFC3339), "user": fv.User, "userid": 1 + len(fv.User),
		"size": fv.Size, "width": 640, "height": 480, "comment": fv.Comment, "parsedcomment": fv.Comment,
		"canonicaltitle": titleOf(fv.Name), "url": "https://upload.wikimedia.org/wikipedia/commons/" + fv.SHA1[:1] + "/" + fv.SHA1[:2] + "/" + fv.Name,
		"descriptionurl": "https://commons.wikimedia.org/wiki/File:" + fv.Name, "descriptionshorturl": "https://commons.wikimedia.org/w/index.php?curid=" + strconv.FormatInt(fv.PageID, 10),
		"sha1": fv.SHA1, "mime": fv.Mime, "mediatype": "BITMAP",
	}
	if props == nil {
		// The upload module's imageinfo (API:Upload's example) has no short URL.
		delete(all, "descriptionshorturl")
		return all
	}
	out := map[string]any{}
	for k, v := range all {
		switch k {
		case "width", "height":
			if props["size"] {
				out[k] = v
			}
		case "userid":
			if props["userid"] {
				out[k] = v
			}
		case "descriptionurl", "descriptionshorturl":
			if props["url"] {
				out[k] = v
			}
		case "parsedcomment":
			if props["parsedcomment"] {
				out[k] = v
			}
		default:
			if props[k] {
				out[k] = v
			}
		}
	}
	return out
}

// stashInfo is the imageinfo a Success of the stash carries: the stashed
// file's, which has no page yet.
func (c *Commons) stashInfo(user string, data []byte) map[string]any {
	sha := SHA1(data)
	return map[string]any{"timestamp": c.opts.Now().UTC().Format(time.RFC3339), "user": user, "size": len(data), "width": 640, "height": 480,
		"url": "https://commons.wikimedia.org/wiki/Special:UploadStash/file/" + sha, "sha1": sha, "mime": sniff(data), "mediatype": "BITMAP"}
}
