// Package commons is the Wikimedia Commons side of a media upload: finding
// a file by its SHA-1 or among a user's uploads, reading file pages, the
// upload module (a small file in one request, a large one in chunks to the
// upload stash and then a commit), the upload's warnings as typed results
// the caller must decide on, and the structured data of a file's MediaInfo
// entity (M<pageid>) in one wbeditentity.
//
// It talks through a *wikidata.Client, whose OAuth signing, User-Agent,
// maxlag, retries of reads and error classification it shares: a write that
// may have been applied wraps wikidata.ErrOutcomeUnknown, one that cannot
// have left wraps wikidata.ErrNotSent, and the wiki's refusals are
// *wikidata.APIError.
package commons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"partnerhub/wikidata"
)

// Client calls the Commons Action API.
type Client struct {
	api *wikidata.Client
}

// New wraps a client of Commons' api.php (with the user's credentials for
// uploads and edits).
func New(api *wikidata.Client) *Client { return &Client{api: api} }

// API is the underlying client (user info, change tags, tokens).
func (c *Client) API() *wikidata.Client { return c.api }

// UserInfo says who the credentials belong to on Commons and what they may
// do there (the "upload" right comes with the grant "Upload new files").
func (c *Client) UserInfo(ctx context.Context) (*wikidata.UserInfo, error) {
	return c.api.UserInfo(ctx)
}

// CheckTag confirms Commons lets uploads and edits carry the configured
// change tag.
func (c *Client) CheckTag(ctx context.Context) error { return c.api.CheckTag(ctx) }

// File is a file on Commons, as list=allimages and prop=imageinfo describe
// its current version.
type File struct {
	Name           string    `json:"name"`  // "Foo.jpg" (allimages only)
	Title          string    `json:"title"` // "File:Foo.jpg"
	SHA1           string    `json:"sha1"`  // hex, lower case
	Size           int64     `json:"size"`
	Mime           string    `json:"mime"`
	URL            string    `json:"url"`
	DescriptionURL string    `json:"descriptionurl"`
	User           string    `json:"user"`
	Timestamp      time.Time `json:"timestamp"`
	Comment        string    `json:"comment"`
	// PageID is the file page's id (prop=imageinfo only; allimages does
	// not give it): the MediaInfo entity is M<PageID>.
	PageID int64 `json:"-"`
}

const fileProps = "sha1|size|mime|url|user|timestamp|comment"

// FindBySHA1 lists the files whose current version has this content
// (list=allimages&aisha1=): a file already on Commons under any name.
func (c *Client) FindBySHA1(ctx context.Context, sha1 string) ([]File, error) {
	sha1 = strings.ToLower(strings.TrimSpace(sha1))
	if len(sha1) != 40 || strings.Trim(sha1, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%q is not a SHA-1 in hex", sha1)
	}
	var r struct {
		Query struct {
			AllImages []File `json:"allimages"`
		} `json:"query"`
	}
	params := url.Values{"action": {"query"}, "list": {"allimages"}, "aisha1": {sha1}, "aiprop": {fileProps}, "ailimit": {"50"}}
	if err := c.api.Query(ctx, params, &r); err != nil {
		return nil, fmt.Errorf("look the file up on Commons by its SHA-1: %w", err)
	}
	return r.Query.AllImages, nil
}

// UserUploads lists the files whose latest version user uploaded, newest
// first, back to since (if not zero), at most limit (1 to 500)
// (list=allimages&aiuser=, which only sorts by timestamp).
func (c *Client) UserUploads(ctx context.Context, user string, since time.Time, limit int) ([]File, error) {
	limit = min(max(limit, 1), 500)
	params := url.Values{"action": {"query"}, "list": {"allimages"}, "aisort": {"timestamp"}, "aidir": {"older"},
		"aiuser": {user}, "aiprop": {fileProps}, "ailimit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		params.Set("aiend", since.UTC().Format(time.RFC3339))
	}
	var r struct {
		Query struct {
			AllImages []File `json:"allimages"`
		} `json:"query"`
	}
	if err := c.api.Query(ctx, params, &r); err != nil {
		return nil, fmt.Errorf("list %s's uploads on Commons: %w", user, err)
	}
	return r.Query.AllImages, nil
}

// Page is a file page as prop=info|imageinfo answers it.
type Page struct {
	Title     string // normalised, with the namespace ("File:Foo.jpg")
	PageID    int64
	LastRevID int64
	Missing   bool // no such page (never was, or deleted)
	// Invalid says the title cannot exist (forbidden characters, too long),
	// with the wiki's reason.
	Invalid       bool
	InvalidReason string
	File          *File // the current version; nil if no file
}

// Pages reads file pages by title (with or without "File:"), 50 titles a
// request, following continuation (an answer too large for the API's
// result limit gives the rest of the imageinfo in the next); the map is
// keyed by the title as asked.
func (c *Client) Pages(ctx context.Context, titles []string) (map[string]*Page, error) {
	out := map[string]*Page{}
	for len(titles) > 0 {
		n := min(len(titles), 50)
		batch := titles[:n]
		titles = titles[n:]
		asked := make([]string, len(batch))
		for i, t := range batch {
			asked[i] = FileTitle(t)
		}
		byTitle, norm, err := c.pagesBatch(ctx, asked)
		if err != nil {
			return nil, err
		}
		for i, t := range asked {
			key := t
			if to, ok := norm[t]; ok {
				key = to
			}
			if pg, ok := byTitle[key]; ok {
				out[batch[i]] = pg
			}
		}
	}
	return out, nil
}

// maxContinuations bounds one batch's continued answers (a wiki answering
// "continue" for ever would otherwise keep the planner asking).
const maxContinuations = 100

// pagesBatch asks prop=info|imageinfo for at most 50 titles, merging the
// continued answers; it returns the pages by normalised title and the
// normalisations.
func (c *Client) pagesBatch(ctx context.Context, asked []string) (map[string]*Page, map[string]string, error) {
	params := url.Values{"action": {"query"}, "prop": {"info|imageinfo"}, "iiprop": {fileProps}, "titles": {strings.Join(asked, "|")}}
	byTitle := map[string]*Page{}
	norm := map[string]string{}
	for round := 0; ; round++ {
		var r struct {
			Continue map[string]string `json:"continue"`
			Query    struct {
				Normalized []struct {
					From string `json:"from"`
					To   string `json:"to"`
				} `json:"normalized"`
				Pages []struct {
					PageID        int64  `json:"pageid"`
					Title         string `json:"title"`
					LastRevID     int64  `json:"lastrevid"`
					Missing       bool   `json:"missing"`
					Invalid       bool   `json:"invalid"`
					InvalidReason string `json:"invalidreason"`
					ImageInfo     []File `json:"imageinfo"`
				} `json:"pages"`
			} `json:"query"`
		}
		if err := c.api.Query(ctx, params, &r); err != nil {
			return nil, nil, fmt.Errorf("read file pages %s…: %w", asked[0], err)
		}
		for _, x := range r.Query.Normalized {
			norm[x.From] = x.To
		}
		for _, p := range r.Query.Pages {
			pg := byTitle[p.Title]
			if pg == nil {
				pg = &Page{Title: p.Title, PageID: p.PageID, Missing: p.Missing, Invalid: p.Invalid, InvalidReason: p.InvalidReason}
				byTitle[p.Title] = pg
			}
			if p.LastRevID != 0 {
				pg.LastRevID = p.LastRevID
			}
			if len(p.ImageInfo) > 0 && pg.File == nil {
				f := p.ImageInfo[0]
				f.Title, f.PageID = p.Title, p.PageID
				f.Name = strings.TrimPrefix(p.Title, "File:")
				pg.File = &f
			}
		}
		if len(r.Continue) == 0 {
			return byTitle, norm, nil
		}
		if round == maxContinuations {
			return nil, nil, fmt.Errorf("read file pages %s…: still continuing after %d answers", asked[0], round+1)
		}
		for k, v := range r.Continue {
			params.Set(k, v)
		}
	}
}

// TitleState is what Commons says of a file name before anything is
// uploaded under it.
type TitleState struct {
	Exists  bool   // a page of this name exists (with a file, or without)
	HasFile bool   // and holds a file
	Invalid string // the title cannot exist: the wiki's reason
}

// TitleStates checks file names (without "File:"), 50 titles a request
// (Pages): taken, or not a valid title. The deletion log is WasDeleted's,
// one title a request, for the names a caller still cares about.
func (c *Client) TitleStates(ctx context.Context, names []string) (map[string]TitleState, error) {
	pages, err := c.Pages(ctx, names)
	if err != nil {
		return nil, err
	}
	out := map[string]TitleState{}
	for _, n := range names {
		p := pages[n]
		var st TitleState
		switch {
		case p == nil:
		case p.Invalid:
			st.Invalid = p.InvalidReason
			if st.Invalid == "" {
				st.Invalid = "the title is not valid"
			}
		case !p.Missing:
			st.Exists, st.HasFile = true, p.File != nil
		}
		out[n] = st
	}
	return out, nil
}

// WasDeleted says whether the deletion log has a deletion of this title
// (list=logevents&leaction=delete/delete&letitle=): an upload under it gets
// the was-deleted warning.
func (c *Client) WasDeleted(ctx context.Context, title string) (bool, error) {
	var r struct {
		Query struct {
			LogEvents []struct {
				Title string `json:"title"`
			} `json:"logevents"`
		} `json:"query"`
	}
	params := url.Values{"action": {"query"}, "list": {"logevents"}, "leaction": {"delete/delete"}, "letitle": {title}, "leprop": {"title|timestamp"}, "lelimit": {"1"}}
	if err := c.api.Query(ctx, params, &r); err != nil {
		return false, fmt.Errorf("read the deletion log of %s: %w", title, err)
	}
	return len(r.Query.LogEvents) > 0, nil
}

// FilesWithSHA1 lists the titles of the files on Commons with this content.
func (c *Client) FilesWithSHA1(ctx context.Context, sha1 string) ([]string, error) {
	files, err := c.FindBySHA1(ctx, sha1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Title)
	}
	return out, nil
}

// FileTitle puts "File:" before a file name that has no namespace.
func FileTitle(name string) string {
	if strings.HasPrefix(name, "File:") {
		return name
	}
	return "File:" + name
}

// UploadRequest is one upload: a small file in one request (Body), or the
// commit of a file stashed earlier (FileKey, from UploadChunk or from a
// Warning result).
type UploadRequest struct {
	Filename string // without "File:"
	Text     string // the description page's wikitext
	Comment  string // the upload log summary
	Tags     []string
	Body     []byte
	FileKey  string
	// IgnoreWarnings commits despite warnings. It is only accepted with a
	// FileKey, i.e. after the wiki answered the same upload with warnings
	// that a person or rule then judged harmless: never sent blindly.
	IgnoreWarnings bool
}

// Result is the upload module's answer.
type Result struct {
	Result   string // "Success", "Warning" or, for a chunk, "Continue"
	Filename string // the name the file got, on Success
	FileKey  string // the stashed file, to commit after a Warning or the last chunk
	Offset   int64  // for "Continue": where the next chunk starts
	Warnings Warnings
	File     *File // imageinfo on Success
}

// Warnings are the upload module's warnings, each of which means nothing
// was published: the caller decides (link the existing file, rename, ask a
// person), and only then may commit the stashed file with IgnoreWarnings.
type Warnings struct {
	Duplicate        []string // files with the same content, by name
	DuplicateArchive string   // a deleted file had the same content
	Exists           string   // a file of this name exists (with other content)
	ExistsNormalized string   // a file whose name differs only in case of the extension exists
	PageExists       string   // a page of this name exists without a file
	WasDeleted       string   // a file of this name was deleted
	BadFilename      string   // the name is not acceptable; the value is what the wiki would make of it
	NoChange         bool     // a file of this name exists with exactly this content
	DuplicateVersion bool     // an old version of this file had this content
	// Other holds warnings this client does not know, raw, by code.
	Other map[string]json.RawMessage
}

// Codes lists the codes of the warnings present, sorted.
func (w Warnings) Codes() []string {
	var out []string
	add := func(ok bool, code string) {
		if ok {
			out = append(out, code)
		}
	}
	add(len(w.Duplicate) > 0, "duplicate")
	add(w.DuplicateArchive != "", "duplicate-archive")
	add(w.Exists != "", "exists")
	add(w.ExistsNormalized != "", "exists-normalized")
	add(w.PageExists != "", "page-exists")
	add(w.WasDeleted != "", "was-deleted")
	add(w.BadFilename != "", "badfilename")
	add(w.NoChange, "nochange")
	add(w.DuplicateVersion, "duplicateversions")
	for k := range w.Other {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Any says whether there is any warning.
func (w Warnings) Any() bool { return len(w.Codes()) > 0 }

// String is the warnings in words, for the plan page and logs.
func (w Warnings) String() string {
	var parts []string
	if len(w.Duplicate) > 0 {
		parts = append(parts, "the same file is already on Commons as "+strings.Join(w.Duplicate, ", "))
	}
	if w.DuplicateArchive != "" {
		parts = append(parts, "the same file was deleted from Commons before (as "+w.DuplicateArchive+")")
	}
	if w.Exists != "" {
		parts = append(parts, "a different file named "+w.Exists+" exists")
	}
	if w.ExistsNormalized != "" {
		parts = append(parts, "a file named "+w.ExistsNormalized+" exists")
	}
	if w.PageExists != "" {
		parts = append(parts, "a page named "+w.PageExists+" exists")
	}
	if w.WasDeleted != "" {
		parts = append(parts, "a file named "+w.WasDeleted+" was deleted before")
	}
	if w.BadFilename != "" {
		parts = append(parts, "the name is not acceptable (the wiki would call it "+w.BadFilename+")")
	}
	if w.NoChange {
		parts = append(parts, "this file is already there under this name")
	}
	if w.DuplicateVersion {
		parts = append(parts, "an old version of the file under this name had this content")
	}
	for k := range w.Other {
		parts = append(parts, "warning "+k)
	}
	return strings.Join(parts, "; ")
}

// UnmarshalJSON reads the warnings object: duplicate is a list of names,
// the name-like warnings strings, nochange an object with the timestamp.
func (w *Warnings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("upload warnings: %w", err)
	}
	str := func(v json.RawMessage) string {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(v)
	}
	for k, v := range raw {
		switch k {
		case "duplicate":
			if err := json.Unmarshal(v, &w.Duplicate); err != nil {
				return fmt.Errorf("upload warning duplicate: %w", err)
			}
		case "duplicate-archive":
			w.DuplicateArchive = str(v)
		case "exists":
			w.Exists = str(v)
		case "exists-normalized":
			w.ExistsNormalized = str(v)
		case "page-exists":
			w.PageExists = str(v)
		case "was-deleted":
			w.WasDeleted = str(v)
		case "badfilename":
			w.BadFilename = str(v)
		case "nochange":
			w.NoChange = true
		case "duplicateversions":
			w.DuplicateVersion = true
		default:
			if w.Other == nil {
				w.Other = map[string]json.RawMessage{}
			}
			w.Other[k] = v
		}
	}
	return nil
}

type uploadAnswer struct {
	Upload *struct {
		Result    string   `json:"result"`
		Filename  string   `json:"filename"`
		FileKey   string   `json:"filekey"`
		Offset    int64    `json:"offset"`
		Warnings  Warnings `json:"warnings"`
		ImageInfo *File    `json:"imageinfo"`
	} `json:"upload"`
}

func (a uploadAnswer) result(what string) (*Result, error) {
	if a.Upload == nil || a.Upload.Result == "" {
		return nil, fmt.Errorf("%s: %w: the answer has no upload result", what, wikidata.ErrOutcomeUnknown)
	}
	u := a.Upload
	res := &Result{Result: u.Result, Filename: u.Filename, FileKey: u.FileKey, Offset: u.Offset, Warnings: u.Warnings, File: u.ImageInfo}
	if res.File != nil && res.Filename != "" {
		res.File.Name, res.File.Title = res.Filename, FileTitle(res.Filename)
	}
	switch u.Result {
	case "Success", "Warning", "Continue":
		return res, nil
	}
	// "Poll" and "Queued" answer async uploads, which are never asked for.
	return nil, fmt.Errorf("%s: %w: unexpected upload result %q", what, wikidata.ErrOutcomeUnknown, u.Result)
}

// Upload sends a small file in one request, or commits a stashed one
// (FileKey). A Warning result published nothing; its FileKey lets the same
// upload be committed once the warnings were decided on.
func (c *Client) Upload(ctx context.Context, req UploadRequest) (*Result, error) {
	what := "upload File:" + req.Filename
	if req.Filename == "" {
		return nil, errors.New("an upload needs a file name")
	}
	if (req.Body == nil) == (req.FileKey == "") {
		return nil, fmt.Errorf("%s: send either the file or the key of a stashed one", what)
	}
	if req.IgnoreWarnings && req.FileKey == "" {
		return nil, fmt.Errorf("%s: warnings may only be ignored when committing a stashed upload whose warnings were seen", what)
	}
	params := url.Values{"action": {"upload"}, "filename": {req.Filename}, "comment": {req.Comment}, "text": {req.Text}}
	var file *wikidata.FilePart
	if req.FileKey != "" {
		params.Set("filekey", req.FileKey)
	} else {
		file = &wikidata.FilePart{Field: "file", Name: req.Filename, Body: req.Body}
	}
	if req.IgnoreWarnings {
		params.Set("ignorewarnings", "1")
	}
	var a uploadAnswer
	if err := c.api.Write(ctx, what, params, req.Tags, file, &a); err != nil {
		return nil, err
	}
	return a.result(what)
}

// Chunk is one piece of a chunked upload to the stash.
type Chunk struct {
	Filename string // the file's intended name (checked, not yet used)
	FileSize int64  // the whole file's size
	Offset   int64  // where this chunk starts
	FileKey  string // from the previous chunk's answer; "" for the first
	Body     []byte
}

// UploadChunk sends one chunk to the stash (stash=1). The answer is
// "Continue" with the next offset, or, after the last chunk, "Success" with
// the stashed file's key, to commit with Upload (FileKey). Chunks are sent
// with ignorewarnings: a stashed file is published by nothing, and its
// commit gets the warnings.
func (c *Client) UploadChunk(ctx context.Context, ch Chunk) (*Result, error) {
	what := fmt.Sprintf("upload a chunk of File:%s at %d", ch.Filename, ch.Offset)
	if (ch.Offset == 0) != (ch.FileKey == "") {
		return nil, fmt.Errorf("%s: the first chunk has no file key, every later one has", what)
	}
	params := url.Values{"action": {"upload"}, "filename": {ch.Filename}, "stash": {"1"}, "ignorewarnings": {"1"},
		"filesize": {strconv.FormatInt(ch.FileSize, 10)}, "offset": {strconv.FormatInt(ch.Offset, 10)}}
	if ch.FileKey != "" {
		params.Set("filekey", ch.FileKey)
	}
	var a uploadAnswer
	if err := c.api.Write(ctx, what, params, nil, &wikidata.FilePart{Field: "chunk", Name: ch.Filename, Body: ch.Body}, &a); err != nil {
		return nil, err
	}
	return a.result(what)
}

// StashOffset says, for a chunk the stash refused (stashfailed, e.g. after
// a chunk whose answer was lost had in fact arrived), the offset the stash
// expects next, if the wiki said.
func StashOffset(err error) (int64, bool) {
	var ae *wikidata.APIError
	if !errors.As(err, &ae) {
		return 0, false
	}
	for _, e := range ae.Entries {
		if e.Code != "stashfailed" || len(e.Data) == 0 {
			continue
		}
		var d struct {
			Offset *int64 `json:"offset"`
		}
		if json.Unmarshal(e.Data, &d) == nil && d.Offset != nil {
			return *d.Offset, true
		}
	}
	return 0, false
}

func has(err error, codes ...string) bool {
	var ae *wikidata.APIError
	return errors.As(err, &ae) && ae.Has(codes...)
}

// StashedFile is what the user's upload stash holds under a file key
// (prop=stashimageinfo). For a chunk session still receiving chunks, Size
// is the bytes received so far (the uploadstash row follows the offset)
// and SHA1 is the first chunk's; for an assembled or stashed file they are
// the whole file's.
type StashedFile struct {
	Size      int64     `json:"size"`
	SHA1      string    `json:"sha1"`
	Mime      string    `json:"mime"`
	Timestamp time.Time `json:"timestamp"`
}

// StashInfo reads what the stash holds under a file key; a key the stash
// no longer knows (expired, committed, never the user's) is an error
// IsStashLost recognises.
func (c *Client) StashInfo(ctx context.Context, fileKey string) (*StashedFile, error) {
	if fileKey == "" {
		return nil, errors.New("look a stashed file up: no file key")
	}
	var r struct {
		Query struct {
			StashImageInfo []StashedFile `json:"stashimageinfo"`
		} `json:"query"`
	}
	params := url.Values{"action": {"query"}, "prop": {"stashimageinfo"}, "siifilekey": {fileKey}, "siiprop": {"size|sha1|mime|timestamp"}}
	if err := c.api.Query(ctx, params, &r); err != nil {
		return nil, fmt.Errorf("look the stashed file %s up: %w", fileKey, err)
	}
	if len(r.Query.StashImageInfo) != 1 {
		return nil, fmt.Errorf("look the stashed file %s up: %d answers for one key", fileKey, len(r.Query.StashImageInfo))
	}
	return &r.Query.StashImageInfo[0], nil
}

// IsNoChange says the commit was refused because a file of that name
// holds exactly this content already (fileexists-no-change): it is there.
func IsNoChange(err error) bool { return has(err, "fileexists-no-change") }

// IsVerificationError says the wiki refused the file's content: not what
// its extension says, a banned type, empty, too large.
func IsVerificationError(err error) bool {
	return has(err, "verification-error", "filetype-banned", "filetype-missing", "empty-file", "file-too-large", "filetype-mime-mismatch")
}

// IsBadFilename says the name cannot be used (forbidden characters, too
// long or short, protected).
func IsBadFilename(err error) bool {
	return has(err, "illegal-filename", "filename-tooshort", "filename-toolong", "fileexists-forbidden", "fileexists-shared-forbidden", "titleprotected")
}

// IsStashLost says the stashed file or chunk session is gone or unusable
// (expired, already committed, wrong key): start the upload again.
func IsStashLost(err error) bool {
	_, resumable := StashOffset(err)
	return !resumable && has(err, "stashfailed", "stashnosuchfilekey", "stashedfilenotfound", "stashpathinvalid", "stashwrongowner",
		"invalid-file-key", "stasherror", "missingresult")
}

// MediaInfo is a file's structured data: captions (labels) and statements.
type MediaInfo struct {
	ID         string
	PageID     int64
	Title      string
	LastRevID  int64
	Missing    bool // the file has no structured data yet (or no page)
	Labels     map[string]wikidata.Term
	Statements map[string][]wikidata.Statement
}

// MediaInfoID is the MediaInfo entity of a file page.
func MediaInfoID(pageID int64) string { return "M" + strconv.FormatInt(pageID, 10) }

// MediaInfo reads a file's structured data. Statements come under
// "statements" (an empty list when there are none), not "claims".
func (c *Client) MediaInfo(ctx context.Context, id string) (*MediaInfo, error) {
	var r struct {
		Entities map[string]json.RawMessage `json:"entities"`
	}
	if err := c.api.Query(ctx, url.Values{"action": {"wbgetentities"}, "ids": {id}}, &r); err != nil {
		return nil, fmt.Errorf("read the structured data of %s: %w", id, err)
	}
	raw, ok := r.Entities[id]
	if !ok {
		return nil, fmt.Errorf("read the structured data of %s: the answer does not hold it", id)
	}
	var e struct {
		ID         string                   `json:"id"`
		PageID     int64                    `json:"pageid"`
		Title      string                   `json:"title"`
		LastRevID  int64                    `json:"lastrevid"`
		Missing    json.RawMessage          `json:"missing"`
		Labels     map[string]wikidata.Term `json:"labels"`
		Statements json.RawMessage          `json:"statements"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("read the structured data of %s: %w", id, err)
	}
	mi := &MediaInfo{ID: id, PageID: e.PageID, Title: e.Title, LastRevID: e.LastRevID, Labels: e.Labels, Statements: map[string][]wikidata.Statement{}}
	mi.Missing = len(e.Missing) > 0 && string(e.Missing) != "false"
	if s := strings.TrimSpace(string(e.Statements)); s != "" && s != "[]" && s != "null" {
		if err := json.Unmarshal(e.Statements, &mi.Statements); err != nil {
			return nil, fmt.Errorf("read the statements of %s: %w", id, err)
		}
	}
	if mi.Labels == nil {
		mi.Labels = map[string]wikidata.Term{}
	}
	return mi, nil
}

// Missing returns what of the planned captions and statements the file's
// structured data does not hold yet: a caption in a language that has none
// (one already there is never overwritten), a statement whose property has
// no statement with the same value. Both empty: nothing to send.
func Missing(mi *MediaInfo, captions map[string]string, statements []wikidata.Statement) (map[string]string, []wikidata.Statement) {
	outC := map[string]string{}
	for lang, text := range captions {
		if strings.TrimSpace(text) == "" {
			continue
		}
		if _, ok := mi.Labels[lang]; !ok {
			outC[lang] = text
		}
	}
	var outS []wikidata.Statement
	for _, st := range statements {
		v, ok := st.Value()
		present := false
		for _, have := range mi.Statements[st.MainSnak.Property] {
			hv, hok := have.Value()
			if ok && hok && wikidata.SameValue(v, hv) || !ok && !hok && have.MainSnak.SnakType == st.MainSnak.SnakType {
				present = true
				break
			}
		}
		if !present {
			outS = append(outS, st)
		}
	}
	return outC, outS
}

// MediaInfoEdit is one wbeditentity on a file's MediaInfo entity.
type MediaInfoEdit struct {
	ID         string // M<pageid>
	BaseRevID  int64  // the file page's revision the edit was computed from; 0 for none
	Captions   map[string]string
	Statements []wikidata.Statement
	Summary    string
	Tags       []string
}

// EditMediaInfo adds captions and statements in one wbeditentity. The data
// uses "labels" and "claims", as wbeditentity wants for MediaInfo too.
func (c *Client) EditMediaInfo(ctx context.Context, ed MediaInfoEdit) (*wikidata.EditResult, error) {
	if !strings.HasPrefix(ed.ID, "M") {
		return nil, fmt.Errorf("%q is not a MediaInfo id", ed.ID)
	}
	data, err := MediaInfoPayload(ed.Captions, ed.Statements)
	if err != nil {
		return nil, fmt.Errorf("edit %s: %w", ed.ID, err)
	}
	return c.api.EditEntity(ctx, wikidata.EditRequest{ID: ed.ID, Data: data, BaseRevID: ed.BaseRevID, Summary: ed.Summary, Tags: ed.Tags})
}

// MediaInfoPayload is the data of a wbeditentity adding captions and
// statements. Snaks go without their datatype, which MediaInfo does not
// serialise.
func MediaInfoPayload(captions map[string]string, statements []wikidata.Statement) (json.RawMessage, error) {
	type term struct {
		Language string `json:"language"`
		Value    string `json:"value"`
	}
	body := map[string]any{}
	if len(captions) > 0 {
		labels := map[string]term{}
		for lang, text := range captions {
			labels[lang] = term{Language: lang, Value: text}
		}
		body["labels"] = labels
	}
	if len(statements) > 0 {
		claims := make([]wikidata.Statement, len(statements))
		for i, st := range statements {
			if st.MainSnak.Property == "" {
				return nil, fmt.Errorf("statement %d has no property", i+1)
			}
			st.ID = ""
			st.Type = "statement"
			if st.Rank == "" {
				st.Rank = wikidata.RankNormal
			}
			st.MainSnak.DataType = ""
			claims[i] = st
		}
		body["claims"] = claims
	}
	if len(body) == 0 {
		return nil, errors.New("nothing to add")
	}
	return json.Marshal(body)
}
