package web

import (
	"encoding/json"
	"errors"
	"fmt"
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
	var opts dataset.Options
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
			// The reading choices come before the file in the form.
			if err := readUploadChoice(part, &opts); err != nil {
				s.fail(c, err)
				return
			}
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
		optsJSON := ""
		if opts != (dataset.Options{}) {
			b, _ := json.Marshal(opts)
			optsJSON = string(b)
		}
		ds, err := s.store.CreateDatasetVersion(ctx, j.ID, name, path, size, optsJSON)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.queue.EnqueueImport(ctx, ds.ID); err != nil {
			// The dataset is recorded; the worker's sweep will queue it.
			s.logger.Warn("enqueue import failed; the sweep will retry", "dataset_id", ds.ID, "err", err)
		}
		s.logger.Info("dataset uploaded", "job_id", j.ID, "dataset_id", ds.ID, "bytes", size)
		msg := "Uploaded " + name + ". The import is running."
		if !ds.Current {
			msg = fmt.Sprintf("Uploaded %s as version %d. It is imported beside the current version, which stays in use (with its results) until the new one is complete.", name, ds.Version)
		}
		s.setFlash(c, "ok", msg)
		c.Redirect(http.StatusSeeOther, "/jobs/"+strconv.FormatInt(j.ID, 10))
		return
	}
}

// readUploadChoice reads one of the upload form's reading choices.
func readUploadChoice(part io.Reader, opts *dataset.Options) error {
	name := ""
	if p, ok := part.(interface{ FormName() string }); ok {
		name = p.FormName()
	}
	raw, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return jobs.Errorf(jobs.EINVALID, "The upload was cut short; try again.")
	}
	v := strings.TrimSpace(string(raw))
	switch name {
	case "encoding":
		switch v {
		case dataset.EncodingAuto, dataset.EncodingUTF8, dataset.EncodingWindows1252:
			opts.Encoding = v
		default:
			return jobs.Errorf(jobs.EINVALID, "Choose the encoding: detect, UTF-8 or windows-1252.")
		}
	case "delimiter":
		d, ok := map[string]rune{"": 0, "comma": ',', "semicolon": ';', "tab": '\t', "pipe": '|'}[v]
		if !ok {
			return jobs.Errorf(jobs.EINVALID, "Choose the delimiter: detect, comma, semicolon, tab or pipe.")
		}
		opts.Delimiter = d
	case "sheet":
		if len([]rune(v)) > 31 {
			return jobs.Errorf(jobs.EINVALID, "A worksheet name has at most 31 characters.")
		}
		opts.Sheet = v
	}
	return nil
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
