package media

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/wikidata/commons"
)

// Commons is what planning asks Commons (the read-only half of the Commons
// client; nil skips the checks, and the plan page says they were not made).
type Commons interface {
	// TitleStates says, for file names (without "File:"), whether a page
	// of that name exists and whether the title is valid at all.
	TitleStates(ctx context.Context, names []string) (map[string]commons.TitleState, error)
	// WasDeleted says whether a file page of this title was deleted.
	WasDeleted(ctx context.Context, title string) (bool, error)
	// FilesWithSHA1 lists the titles of files on Commons with this content.
	FilesWithSHA1(ctx context.Context, sha1 string) ([]string, error)
}

// Builder builds media plans: it reads each row's file (to learn its size,
// type and SHA-1; nothing is kept), works out what it becomes, and checks
// the plan as a whole.
type Builder struct {
	Store   *store.Store
	Fetcher *Fetcher
	DataDir string // where uploaded archives lie
	Zip     ZipLimits
	Commons Commons // nil: titles and SHA-1s are not looked up on Commons
	Logger  *slog.Logger
}

// batch is how many files are stored at once while building.
const batch = 50

// Build fills a plan that is being built and leaves it ready, or failed
// with a sentence saying why. Problems with single files never fail the
// plan; they are shown on the file.
func (b *Builder) Build(ctx context.Context, p *jobs.MediaPlan) error {
	logger := b.Logger
	if logger == nil {
		logger = slog.Default()
	}
	fail := func(err error) error {
		logger.Warn("media plan failed", "plan_id", p.ID, "job_id", p.JobID, "err", err)
		return b.Store.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanFailed, jobs.ErrorMessage(err), jobs.MediaPlanBuilding)
	}
	ds, err := b.Store.DatasetOfJob(ctx, p.JobID)
	if err != nil {
		return fail(err)
	}
	s, err := ParseSettings(p.Settings, ds.Columns)
	if err != nil {
		return fail(err)
	}
	maxBytes := b.Fetcher.MaxBytes()
	if s.MaxMB > 0 && s.MaxMB<<20 < maxBytes {
		maxBytes = s.MaxMB << 20
	}
	var archive *Archive
	if p.SourceKind == jobs.MediaFromZip {
		a, closeFn, err := b.openArchive(p)
		if err != nil {
			return fail(err)
		}
		defer closeFn()
		archive = a
	}
	colIndex := map[string]int{}
	for i, c := range ds.Columns {
		colIndex[c] = i
	}
	srcCol, ok := colIndex[p.SourceColumn]
	if !ok {
		return fail(jobs.Errorf(jobs.EINVALID, "The column %q is not in the dataset any more.", p.SourceColumn))
	}

	var (
		pending []jobs.MediaFile // not stored yet
		slim    []jobs.MediaFile // every file's number, title, SHA-1 and problems, for the plan-wide checks
		no      int64
		rows    int64
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := b.Store.AddMediaFiles(ctx, p.ID, pending, rows)
		pending = pending[:0]
		return err
	}
	err = b.Store.EachMediaRow(ctx, p.JobID, ds.ID, func(pr store.PlanRow) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows++
		values := map[string]string{}
		for c, i := range colIndex {
			if i < len(pr.Cells) {
				values[c] = pr.Cells[i]
			}
		}
		source := strings.TrimSpace(values[ds.Columns[srcCol]])
		if source == "" {
			return nil // a row without a file is not part of the media plan
		}
		no++
		var (
			info     FileInfo
			fetchErr error
		)
		switch p.SourceKind {
		case jobs.MediaFromURL:
			info, fetchErr = b.Fetcher.Fetch(ctx, source, io.Discard)
		case jobs.MediaFromZip:
			var entry string
			entry, fetchErr = archive.Lookup(source)
			if fetchErr == nil {
				source = entry
				info, fetchErr = archive.Read(entry, io.Discard)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fetchErr != nil && jobs.ErrorCode(fetchErr) == jobs.EINTERNAL {
			logger.Warn("read media file", "plan_id", p.ID, "row", pr.Row, "err", fetchErr)
		}
		f := s.PlanFile(no, Row{Num: pr.Row, QID: pr.QID, Values: values}, source, info, fetchErr, maxBytes)
		pending = append(pending, f)
		slim = append(slim, jobs.MediaFile{No: f.No, Title: f.Title, SHA1: f.SHA1, Problems: f.Problems})
		if len(pending) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the task is retried; the plan stays building
		}
		return fail(err)
	}
	before := make([]int, len(slim))
	for i := range slim {
		before[i] = len(slim[i].Problems)
	}
	if err := b.checkTitles(ctx, p, slim); err != nil {
		logger.Warn("media plan: title lookup failed", "plan_id", p.ID, "err", err)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fail(jobs.Errorf(jobs.EINVALID, "Commons could not be asked whether the titles are free; build the plan again later."))
	}
	added := map[int64][]jobs.MediaProblem{}
	for i := range slim {
		if extra := slim[i].Problems[before[i]:]; len(extra) > 0 {
			added[slim[i].No] = extra
		}
	}
	if err := b.Store.AddMediaProblems(ctx, p.ID, added); err != nil {
		return err
	}
	return b.Store.SetMediaPlanStatus(ctx, p.ID, jobs.MediaPlanReady, "", jobs.MediaPlanBuilding)
}

// checkTitles adds the plan-wide problems: duplicate titles, titles other
// plans hold, titles taken on Commons or that Commons would refuse, files
// already on Commons (linked, not uploaded), and names under which a file
// was deleted before (the upload would stop at the was-deleted warning).
func (b *Builder) checkTitles(ctx context.Context, p *jobs.MediaPlan, files []jobs.MediaFile) error {
	var titles []string
	for _, f := range files {
		if f.Title != "" {
			titles = append(titles, f.Title)
		}
	}
	taken := map[string]string{}
	held, err := b.Store.MediaTitlesPlanned(ctx, p.ID, titles)
	if err != nil {
		return err
	}
	for t := range held {
		taken[t] = fmt.Sprintf("Another media plan on Partnerhub uses the title %q already.", t)
	}
	if b.Commons == nil {
		CheckPlan(files, taken)
		return nil
	}
	states, err := b.Commons.TitleStates(ctx, titles)
	if err != nil {
		return err
	}
	for t, st := range states {
		switch {
		case st.Invalid != "":
			taken[t] = fmt.Sprintf("Commons would refuse the title File:%s: %s", t, st.Invalid)
		case st.HasFile:
			taken[t] = fmt.Sprintf("Commons has a file File:%s already: change the title pattern, or leave this file out.", t)
		case st.Exists:
			taken[t] = fmt.Sprintf("Commons has a page File:%s (without a file) already: change the title pattern, or leave this file out.", t)
		}
	}
	seen := map[string][]string{}
	for i := range files {
		f := &files[i]
		if f.Blocked() {
			continue
		}
		if f.SHA1 != "" {
			dups, ok := seen[f.SHA1]
			if !ok {
				if dups, err = b.Commons.FilesWithSHA1(ctx, f.SHA1); err != nil {
					return err
				}
				seen[f.SHA1] = dups
			}
			if len(dups) > 0 {
				// The same file is linked, not uploaded: its title does not
				// matter.
				f.Problems = append(f.Problems, jobs.MediaProblem{Code: jobs.ProblemOnCommons,
					Message: fmt.Sprintf("Commons has this file already as %s: it will be linked to the row, not uploaded again.", dups[0])})
				delete(taken, f.Title)
				continue
			}
		}
		if _, ok := taken[f.Title]; ok || f.Title == "" {
			continue
		}
		deleted, err := b.Commons.WasDeleted(ctx, commons.FileTitle(f.Title))
		if err != nil {
			return err
		}
		if deleted {
			f.Problems = append(f.Problems, jobs.MediaProblem{Code: jobs.ProblemWasDeleted,
				Message: fmt.Sprintf("A file named File:%s was deleted from Commons before (see its deletion log): the upload will stop at Commons' was-deleted warning for a person to decide.", f.Title)})
		}
	}
	CheckPlan(files, taken)
	return nil
}

// openArchive opens the plan's uploaded archive.
func (b *Builder) openArchive(p *jobs.MediaPlan) (*Archive, func(), error) {
	path, err := ArchivePath(b.DataDir, p.ArchivePath)
	if err != nil {
		return nil, nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, jobs.Errorf(jobs.EINVALID, "The plan's archive %s is gone; upload it again.", p.ArchiveName)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	a, err := OpenArchive(fh, st.Size(), b.Zip)
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	return a, func() { fh.Close() }, nil
}

// ArchiveDir is the data directory's folder for uploaded archives.
const ArchiveDir = "media"

// ArchivePath resolves a plan's archive path inside dataDir, refusing one
// that would lead outside it.
func ArchivePath(dataDir, rel string) (string, error) {
	clean := filepath.Clean(rel)
	if rel == "" || filepath.IsAbs(clean) || clean != filepath.Join(ArchiveDir, filepath.Base(clean)) {
		return "", jobs.Errorf(jobs.EINVALID, "The plan's archive path %q is not one Partnerhub wrote.", rel)
	}
	return filepath.Join(dataDir, clean), nil
}

// SettingsOf returns the "media" object of a job template ("" when none).
func SettingsOf(template json.RawMessage) json.RawMessage {
	var t struct {
		Media json.RawMessage `json:"media"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return nil
	}
	return t.Media
}

// WithSettings returns a template body with its "media" object replaced by
// raw (the rest of the template kept).
func WithSettings(template, raw json.RawMessage) ([]byte, error) {
	doc := map[string]json.RawMessage{}
	if len(template) > 0 {
		if err := json.Unmarshal(template, &doc); err != nil {
			return nil, jobs.Errorf(jobs.EINVALID, "The job template is not a JSON object.")
		}
	}
	doc["media"] = raw
	return json.MarshalIndent(doc, "", "  ")
}

// SameSettings says whether two media objects say the same (whatever
// their spacing and key order).
func SameSettings(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
