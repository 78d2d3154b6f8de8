package mediaupload

import (
	"context"
	"fmt"
	"io"
	"os"

	"partnerhub/jobs"
	"partnerhub/jobs/media"
)

// PlanSource reads a planned file again from where the media plan found
// it: the URL (fetched with the planner's limits and allow-list) or the
// entry of the plan's uploaded archive.
type PlanSource struct {
	Fetcher *media.Fetcher
	DataDir string
	Zip     media.ZipLimits
}

// Content writes the file's bytes to w.
func (s *PlanSource) Content(ctx context.Context, p *jobs.MediaPlan, f *jobs.MediaFile, w io.Writer) error {
	switch p.SourceKind {
	case jobs.MediaFromURL:
		if s.Fetcher == nil {
			return fmt.Errorf("no fetcher configured for URLs")
		}
		_, err := s.Fetcher.Fetch(ctx, f.Source, w)
		return err
	case jobs.MediaFromZip:
		path, err := media.ArchivePath(s.DataDir, p.ArchivePath)
		if err != nil {
			return err
		}
		fh, err := os.Open(path)
		if err != nil {
			return jobs.Errorf(jobs.EINVALID, "The plan's archive %s is gone; upload it again.", p.ArchiveName)
		}
		defer fh.Close()
		st, err := fh.Stat()
		if err != nil {
			return err
		}
		a, err := media.OpenArchive(fh, st.Size(), s.Zip)
		if err != nil {
			return err
		}
		_, err = a.Read(f.Source, w)
		return err
	}
	return fmt.Errorf("unknown media source %q", p.SourceKind)
}
