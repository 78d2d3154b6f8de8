package media

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"partnerhub/jobs/store"
)

// ArchiveCleaner deletes uploaded archives from the data directory once no
// plan needs them: the plan finished with nothing left to send, was
// cancelled, failed or was replaced by a newer plan (store.UnneededArchives);
// the archives of abandoned plans after Retention; and files that no plan
// names (an upload cut off before its plan was made) after Retention. A plan
// being built or uploaded keeps its archive, and a plan whose archive was
// deleted is never uploaded again: the removal is recorded first, under the
// same condition, so a resume racing with it either wins or is refused.
type ArchiveCleaner struct {
	Store   *store.Store
	DataDir string
	// Retention is how long an idle plan's archive, or a file no plan
	// names, is kept; 0 keeps them (only unneeded ones are deleted).
	Retention time.Duration
	Logger    *slog.Logger
	Now       func() time.Time // default time.Now
}

// Clean deletes what is no longer needed and says how many files went.
func (c *ArchiveCleaner) Clean(ctx context.Context) (int, error) {
	n, err := c.RemoveUnneeded(ctx)
	if err != nil || c.Retention <= 0 {
		return n, err
	}
	m, err := c.removeStray(ctx)
	return n + m, err
}

func (c *ArchiveCleaner) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *ArchiveCleaner) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// RemoveUnneeded deletes the archives of plans that no longer need them
// (and, with a Retention, of plans idle for longer).
func (c *ArchiveCleaner) RemoveUnneeded(ctx context.Context) (int, error) {
	var abandoned time.Time
	if c.Retention > 0 {
		abandoned = c.now().Add(-c.Retention)
	}
	plans, err := c.Store.UnneededArchives(ctx, abandoned)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range plans {
		ok, err := c.Store.MarkArchiveRemoved(ctx, p.ID, abandoned)
		if err != nil {
			return n, err
		}
		if !ok {
			continue // resumed meanwhile
		}
		if c.remove(p.ArchivePath) {
			n++
		}
		c.logger().Info("media archive deleted", "media_plan_id", p.ID, "job_id", p.JobID, "status", p.Status, "archive", p.ArchiveName)
	}
	return n, nil
}

// RemoveFiles deletes archives by their paths relative to the data
// directory (those of a deleted job).
func (c *ArchiveCleaner) RemoveFiles(paths []string) int {
	n := 0
	for _, p := range paths {
		if c.remove(p) {
			n++
		}
	}
	return n
}

// remove deletes one archive; one already gone counts as removed by
// someone else (another worker's sweep).
func (c *ArchiveCleaner) remove(rel string) bool {
	path, err := ArchivePath(c.DataDir, rel)
	if err != nil {
		c.logger().Error("media archive path refused", "path", rel, "err", err)
		return false
	}
	if err := os.Remove(path); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.logger().Error("delete media archive", "path", rel, "err", err)
		}
		return false
	}
	return true
}

// removeStray deletes files of the archive folder that no plan names and
// that are older than the retention.
func (c *ArchiveCleaner) removeStray(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(filepath.Join(c.DataDir, ArchiveDir))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// Read the plans after the folder: a file saved since is too new to go,
	// and one whose plan is made since is in the list.
	inUse, err := c.Store.ArchivesInUse(ctx)
	if err != nil {
		return 0, err
	}
	cutoff, n := c.now().Add(-c.Retention), 0
	for _, e := range entries {
		rel := filepath.Join(ArchiveDir, e.Name())
		if !e.Type().IsRegular() || inUse[rel] {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if c.remove(rel) {
			n++
			c.logger().Info("stray media archive deleted", "archive", rel, "modified", info.ModTime())
		}
	}
	return n, nil
}
