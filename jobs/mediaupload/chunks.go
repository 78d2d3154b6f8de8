package mediaupload

import (
	"context"
	"errors"
	"fmt"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
)

// A large file goes to Commons' upload stash in chunks and is then
// committed. The stash publishes nothing, so a chunk may be sent again at
// no risk; only the commit publishes, and it is recorded before it is sent
// (media_stash.commit_sent_at) so that a commit whose answer was lost is
// looked up on Commons, never sent again blindly. Each accepted chunk's
// file key and offset are recorded too: an upload a crash or a stop
// interrupted goes on from where the stash stands (prop=stashimageinfo),
// straight to the commit if the file was assembled, and from the first
// chunk only if the stash lost it (expired).

// storeError is a database failure in the middle of an upload: the file
// stays "sending" and the run ends with the error.
type storeError struct{ error }

func (e storeError) Unwrap() error { return e.error }

// maxUnknownChunks is how many chunks in a row may lose their answer, or
// be refused for their offset, before the attempt gives up (the stash is
// asked, or says, where it stands after each).
const maxUnknownChunks = 3

// sendChunked sends body to the stash in chunks, resuming a recorded
// upload of the same content, then commits it with req.
func (r *run) sendChunked(ctx context.Context, f *jobs.MediaFile, attempt int, body []byte, req commons.UploadRequest) (*commons.Result, error) {
	size, sha := int64(len(body)), commonsSHA1(body)
	st, err := r.e.store.BeginMediaStash(ctx, r.plan.ID, f.No, attempt, size, sha)
	if err != nil {
		return nil, storeError{err}
	}
	key, off, assembled, err := r.resumePoint(ctx, f, attempt, st, size, sha)
	if err != nil {
		return nil, err
	}
	restarted, unknown := false, 0
	restart := func(why string, cause error) error {
		if restarted {
			return cause
		}
		restarted = true
		r.log.Info("the upload stash lost the file; its chunks are sent again", "file_no", f.No, "why", why, "err", cause)
		key, off, assembled = "", 0, false
		return r.recordChunk(ctx, f, attempt, "", 0, false)
	}
	for {
		for !assembled {
			end := min(off+r.e.cfg.ChunkSize, size)
			rctx, cancel := context.WithTimeout(ctx, r.e.cfg.RequestTimeout)
			res, err := r.c.UploadChunk(rctx, commons.Chunk{Filename: f.Title, FileSize: size, Offset: off, FileKey: key, Body: body[off:end]})
			cancel()
			if want, ok := commons.StashOffset(err); ok && key != "" && want > 0 && want < size && want != off {
				// The stash holds another amount than we knew (a chunk whose
				// answer was lost had arrived): go on from where it stands.
				if unknown++; unknown > maxUnknownChunks {
					return nil, fmt.Errorf("%w: the stash keeps expecting another offset: %w", errStashRestart, err)
				}
				off = want
				if err := r.recordChunk(ctx, f, attempt, key, off, false); err != nil {
					return nil, err
				}
				continue
			}
			switch {
			case errors.Is(err, wikidata.ErrOutcomeUnknown) && ctx.Err() == nil && unknown < maxUnknownChunks:
				// The chunk may or may not have arrived: the stash knows.
				unknown++
				key, off, assembled, err = r.resumePoint(ctx, f, attempt, &store.MediaStash{FileKey: key, Offset: off}, size, sha)
				if err != nil {
					return nil, err
				}
				continue
			case errors.Is(err, wikidata.ErrOutcomeUnknown):
				return nil, fmt.Errorf("%w: %w", errStashRestart, err)
			case commons.IsStashLost(err):
				if err := restart("chunk refused", err); err != nil {
					return nil, err
				}
				continue
			case err != nil:
				return nil, err
			}
			unknown = 0
			if res.Result == "Warning" {
				// Chunks are sent with ignorewarnings; a warning anyway is
				// shown, never passed over.
				return res, nil
			}
			key, off, assembled = res.FileKey, res.Offset, res.Result == "Success"
			if assembled {
				off = size
			}
			if err := r.recordChunk(ctx, f, attempt, key, off, assembled); err != nil {
				return nil, err
			}
		}
		res, err := r.commit(ctx, f, attempt, key, req)
		if commons.IsStashLost(err) {
			if rerr := restart("commit refused", err); rerr != nil {
				return nil, rerr
			}
			continue
		}
		return res, err
	}
}

// commit publishes the assembled file, its intent recorded first.
func (r *run) commit(ctx context.Context, f *jobs.MediaFile, attempt int, key string, req commons.UploadRequest) (*commons.Result, error) {
	if err := r.e.store.SetMediaCommitSent(ctx, r.plan.ID, f.No, attempt, true); err != nil {
		return nil, storeError{err}
	}
	req.FileKey = key
	rctx, cancel := context.WithTimeout(ctx, r.e.cfg.RequestTimeout)
	res, err := r.c.Upload(rctx, req)
	cancel()
	if err != nil && errors.Is(err, wikidata.ErrOutcomeUnknown) {
		return nil, err // it may land: looked up once it no longer can
	}
	// The answer is known: no commit is under way any more.
	if cerr := r.e.store.SetMediaCommitSent(ctx, r.plan.ID, f.No, attempt, false); cerr != nil {
		return nil, storeError{cerr}
	}
	return res, err
}

// resumePoint asks the stash where a recorded upload stands: the file key
// to go on with, the offset of the next chunk, or assembled (commit next).
// Nothing recorded, or a stash that lost the upload, means the first chunk.
func (r *run) resumePoint(ctx context.Context, f *jobs.MediaFile, attempt int, st *store.MediaStash, size int64, sha string) (key string, off int64, assembled bool, err error) {
	if st.FileKey == "" {
		return "", 0, false, nil
	}
	info, err := r.c.StashInfo(ctx, st.FileKey)
	switch {
	case commons.IsStashLost(err):
		r.log.Info("the upload stash lost the file (expired?); its chunks are sent again", "file_no", f.No, "err", err)
		return "", 0, false, r.recordChunk(ctx, f, attempt, "", 0, false)
	case err != nil:
		if ctx.Err() != nil {
			return "", 0, false, ctx.Err()
		}
		return "", 0, false, fmt.Errorf("%w: %w", wikidata.ErrNotSent, err)
	}
	switch {
	case st.Assembled && info.Size == size && info.SHA1 == sha:
		r.log.Info("the stash holds the whole file; committing it", "file_no", f.No)
		return st.FileKey, size, true, nil
	case !st.Assembled && info.Size > 0 && info.Size < size:
		if info.Size != st.Offset {
			r.log.Info("the stash holds another amount than recorded; going on from there", "file_no", f.No, "recorded", st.Offset, "stash", info.Size)
		}
		return st.FileKey, info.Size, false, r.recordChunk(ctx, f, attempt, st.FileKey, info.Size, false)
	}
	// Not what was recorded (another file under the key?): start afresh.
	r.log.Warn("the stash holds something else under the recorded key; its chunks are sent again", "file_no", f.No, "size", info.Size)
	return "", 0, false, r.recordChunk(ctx, f, attempt, "", 0, false)
}

// recordChunk records the stash's progress for attempt.
func (r *run) recordChunk(ctx context.Context, f *jobs.MediaFile, attempt int, key string, off int64, assembled bool) error {
	ok, err := r.e.store.RecordMediaChunk(ctx, r.plan.ID, f.No, attempt, key, off, assembled)
	if err != nil {
		return storeError{err}
	}
	if !ok {
		return storeError{fmt.Errorf("file %d: its chunked upload was taken over by another attempt", f.No)}
	}
	return nil
}

// errStashRestart marks chunks whose answers were lost again and again:
// nothing was published, the upload is tried again later.
var errStashRestart = errors.New("chunks' answers were lost")
