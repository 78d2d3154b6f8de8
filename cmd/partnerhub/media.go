package main

import (
	"partnerhub/jobs/media"
)

// mediaBuilder builds media plans with the installation's fetch limits.
// Commons is not asked while planning yet (titles and SHA-1s are checked by
// the upload executor before it sends anything).
func (a *app) mediaBuilder() *media.Builder {
	return &media.Builder{
		Store: a.store,
		Fetcher: media.NewFetcher(media.FetchConfig{AllowedHosts: a.cfg.MediaHosts, AllowPrivate: a.cfg.MediaAllowPrivate,
			MaxBytes: a.cfg.MediaMaxBytes, UserAgent: a.cfg.UserAgent}),
		DataDir: a.cfg.DataDir,
		Zip:     a.zipLimits(),
		Logger:  a.logger,
	}
}

func (a *app) zipLimits() media.ZipLimits {
	return media.ZipLimits{MaxEntryBytes: a.cfg.MediaMaxBytes, MaxTotalBytes: 4 * a.cfg.MediaArchiveBytes}
}
