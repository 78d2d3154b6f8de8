package main

import (
	"partnerhub/jobs/media"
	"partnerhub/wikidata"
	"partnerhub/wikidata/commons"
)

// mediaBuilder builds media plans with the installation's fetch limits,
// asking Commons (anonymously, reads only) whether titles are taken and
// files are there already.
func (a *app) mediaBuilder() (*media.Builder, error) {
	api, err := wikidata.NewClient(wikidata.Config{APIURL: a.cfg.CommonsAPI, UserAgent: a.cfg.UserAgent, Logger: a.logger}, nil)
	if err != nil {
		return nil, err
	}
	return &media.Builder{
		Store:   a.store,
		Fetcher: a.mediaFetcher(),
		DataDir: a.cfg.DataDir,
		Zip:     a.zipLimits(),
		Commons: commons.New(api),
		Logger:  a.logger,
	}, nil
}

// mediaFetcher fetches media files with the installation's limits (the
// planner and the upload executor alike).
func (a *app) mediaFetcher() *media.Fetcher {
	return media.NewFetcher(media.FetchConfig{AllowedHosts: a.cfg.MediaHosts, AllowPrivate: a.cfg.MediaAllowPrivate,
		MaxBytes: a.cfg.MediaMaxBytes, UserAgent: a.cfg.UserAgent})
}

func (a *app) zipLimits() media.ZipLimits {
	return media.ZipLimits{MaxEntryBytes: a.cfg.MediaMaxBytes, MaxTotalBytes: 4 * a.cfg.MediaArchiveBytes}
}

// archiveCleaner deletes uploaded archives no plan needs, and those of
// plans idle past the retention, at each worker sweep.
func (a *app) archiveCleaner() *media.ArchiveCleaner {
	return &media.ArchiveCleaner{Store: a.store, DataDir: a.cfg.DataDir, Retention: a.cfg.MediaArchiveRetention, Logger: a.logger}
}
