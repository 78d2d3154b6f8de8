package web

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
	"partnerhub/jobs/dataset"
)

// previewRows is how many rows a preview page shows.
const previewRows = 50

// uploadDataset streams the multipart file part straight to disk (never the
// whole file in memory), records the dataset and queues its import.
func (s *Server) uploadDataset(c *gin.Context) {
	j := currentJob(c)
	if j.Status == jobs.JobReconciling {
		s.fail(c, jobs.Errorf(jobs.ECONFLICT, "This job is being reconciled; pause or cancel it before replacing its dataset."))
		return
	}
	// Room for the multipart envelope around the file.
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxUploadBytes+64<<10)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, jobs.Errorf(jobs.EINVALID, "Send the file with the upload form (multipart/form-data)."))
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.fail(c, jobs.Errorf(jobs.EINVALID, "Choose a file to upload."))
			return
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.fail(c, jobs.Errorf(jobs.ETOOLARGE, "The file is larger than %s, the most one upload may be.", humanLimit(s.cfg.MaxUploadBytes)))
				return
			}
			s.fail(c, jobs.Errorf(jobs.EINVALID, "The upload was cut short; try again."))
			return
		}
		if part.FormName() != "file" {
			continue
		}
		name := cleanFileName(part.FileName())
		if name == "" {
			s.fail(c, jobs.Errorf(jobs.EINVALID, "Choose a file to upload."))
			return
		}
		path, size, err := dataset.SaveUpload(part, filepath.Join(s.cfg.DataDir, "uploads"), s.cfg.MaxUploadBytes)
		if err != nil {
			s.fail(c, err)
			return
		}
		ctx := c.Request.Context()
		ds, err := s.store.CreateDataset(ctx, j.ID, name, path, size)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.queue.EnqueueImport(ctx, ds.ID); err != nil {
			// The dataset is recorded; the worker's sweep will queue it.
			s.logger.Warn("enqueue import failed; the sweep will retry", "dataset_id", ds.ID, "err", err)
		}
		s.logger.Info("dataset uploaded", "job_id", j.ID, "dataset_id", ds.ID, "bytes", size)
		s.setFlash(c, "ok", "Uploaded "+name+". The import is running.")
		c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
		return
	}
}

// cleanFileName keeps the base name of what the browser sent, for display.
func cleanFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return ""
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

func (s *Server) previewDataset(c *gin.Context) {
	j := currentJob(c)
	ctx := c.Request.Context()
	ds, err := s.store.DatasetOfJob(ctx, j.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ds.Status != jobs.DatasetImported {
		c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
		return
	}
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	if after < 0 {
		after = 0
	}
	rows, err := s.store.Rows(ctx, ds.ID, after, previewRows)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := gin.H{"Job": j, "Dataset": ds, "Stats": ds.ColumnStats, "Rows": rows, "After": after}
	if len(rows) > 0 {
		data["From"], data["To"] = rows[0].Num, rows[len(rows)-1].Num
		if len(rows) == previewRows && rows[len(rows)-1].Num < ds.RowCount {
			data["Next"] = rows[len(rows)-1].Num
		}
	}
	s.render(c, http.StatusOK, "dataset_preview.html", page{Data: data})
}

func humanLimit(n int64) string { return dataset.HumanBytes(n) }
