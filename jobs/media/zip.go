package media

import (
	"archive/zip"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"partnerhub/jobs"
)

// ZipLimits bound an uploaded archive of files.
type ZipLimits struct {
	MaxEntries    int   // files in the archive; 0: 10 000
	MaxEntryBytes int64 // one file, uncompressed; 0: DefaultMaxBytes
	MaxTotalBytes int64 // all files, uncompressed; 0: 20 GiB
}

func (l ZipLimits) withDefaults() ZipLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 10000
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = DefaultMaxBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 20 << 30
	}
	return l
}

// Archive is an uploaded ZIP of files, checked when opened. Entries are
// only ever read by name into memory or a stream, never extracted to paths
// built from their names, so a hostile name ("../../etc/passwd") cannot
// write anywhere; such names are refused anyway, so that the plan shows
// what the archive really holds.
type Archive struct {
	r       *zip.Reader
	limits  ZipLimits
	byName  map[string]*zip.File
	byLower map[string][]*zip.File // base name, lower case → entries
}

// nestedArchive are extensions of archives, which a file archive may not
// hold (they would hide their content from these checks).
var nestedArchive = []string{".zip", ".jar", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst"}

// OpenArchive checks an archive of size bytes read from r: at most
// MaxEntries files, none declared larger than MaxEntryBytes, all together
// within MaxTotalBytes, no encrypted entry, no path that leaves the
// archive, no two entries of one name, no archive inside. Every problem is
// a domain error naming the entry.
func OpenArchive(r io.ReaderAt, size int64, limits ZipLimits) (*Archive, error) {
	limits = limits.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, jobs.Errorf(jobs.EINVALID, "The archive is not a ZIP file Partnerhub can read (%v).", err)
	}
	a := &Archive{r: zr, limits: limits, byName: map[string]*zip.File{}, byLower: map[string][]*zip.File{}}
	var total uint64
	files := 0
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory
		}
		files++
		if files > limits.MaxEntries {
			return nil, jobs.Errorf(jobs.ETOOLARGE, "The archive holds more than %d files.", limits.MaxEntries)
		}
		if !utf8.ValidString(name) {
			return nil, jobs.Errorf(jobs.EINVALID, "The archive's entry %q has a name that is not UTF-8; re-create the archive with UTF-8 names.", name)
		}
		if err := checkEntryName(name); err != nil {
			return nil, err
		}
		if f.Flags&0x1 != 0 {
			return nil, jobs.Errorf(jobs.EINVALID, "The archive's entry %q is encrypted; upload an archive without a password.", name)
		}
		lower := strings.ToLower(name)
		for _, ext := range nestedArchive {
			if strings.HasSuffix(lower, ext) {
				return nil, jobs.Errorf(jobs.EINVALID, "The archive's entry %q is an archive itself; put its files in the archive directly.", name)
			}
		}
		if f.UncompressedSize64 > uint64(limits.MaxEntryBytes) {
			return nil, jobs.Errorf(jobs.ETOOLARGE, "The archive's entry %q is %s; files may be at most %s.", name, FormatBytes(int64(min(f.UncompressedSize64, 1<<62))), FormatBytes(limits.MaxEntryBytes))
		}
		total += f.UncompressedSize64
		if total > uint64(limits.MaxTotalBytes) {
			return nil, jobs.Errorf(jobs.ETOOLARGE, "The archive's files add up to more than %s.", FormatBytes(limits.MaxTotalBytes))
		}
		if _, dup := a.byName[name]; dup {
			return nil, jobs.Errorf(jobs.EINVALID, "The archive holds two entries named %q.", name)
		}
		a.byName[name] = f
		base := strings.ToLower(path.Base(name))
		a.byLower[base] = append(a.byLower[base], f)
	}
	if files == 0 {
		return nil, jobs.Errorf(jobs.EINVALID, "The archive holds no files.")
	}
	return a, nil
}

func checkEntryName(name string) error {
	switch {
	case name == "" || strings.ContainsRune(name, 0):
		return jobs.Errorf(jobs.EINVALID, "The archive has an entry without a usable name.")
	case strings.Contains(name, `\`):
		return jobs.Errorf(jobs.EINVALID, "The archive's entry %q uses backslashes; re-create the archive with / as separator.", name)
	case strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':'):
		return jobs.Errorf(jobs.EINVALID, "The archive's entry %q has an absolute path.", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return jobs.Errorf(jobs.EINVALID, "The archive's entry %q points outside the archive (..).", name)
		}
	}
	return nil
}

// Len is the number of files in the archive.
func (a *Archive) Len() int { return len(a.byName) }

// Lookup finds the entry a dataset value names: the exact path, else the
// one entry with that file name in any folder (letter case aside). It says
// in words why nothing fits.
func (a *Archive) Lookup(value string) (string, error) {
	value = strings.TrimSpace(strings.ReplaceAll(value, `\`, "/"))
	value = strings.TrimPrefix(value, "./")
	if _, ok := a.byName[value]; ok {
		return value, nil
	}
	matches := a.byLower[strings.ToLower(path.Base(value))]
	switch len(matches) {
	case 1:
		return matches[0].Name, nil
	case 0:
		return "", jobs.Errorf(jobs.EINVALID, "The archive holds no file named %q.", value)
	}
	names := make([]string, 0, 3)
	for _, m := range matches[:min(3, len(matches))] {
		names = append(names, m.Name)
	}
	return "", jobs.Errorf(jobs.EINVALID, "The archive holds several files named %q (%s): give the path in the column.", value, strings.Join(names, ", "))
}

// Read streams the entry into w, hashing and sniffing it. The size is
// checked on the bytes read, not on what the archive declares.
func (a *Archive) Read(name string, w io.Writer) (FileInfo, error) {
	f, ok := a.byName[name]
	if !ok {
		return FileInfo{}, jobs.Errorf(jobs.EINVALID, "The archive holds no file named %q.", name)
	}
	rc, err := f.Open()
	if err != nil {
		return FileInfo{}, jobs.Errorf(jobs.EINVALID, "The archive's entry %q cannot be read (%v).", name, err)
	}
	defer rc.Close()
	info, err := Read(rc, w, a.limits.MaxEntryBytes)
	if err != nil {
		if jobs.ErrorCode(err) == jobs.ETOOLARGE {
			return info, jobs.Errorf(jobs.ETOOLARGE, "The archive's entry %q is larger than %s.", name, FormatBytes(a.limits.MaxEntryBytes))
		}
		if jobs.ErrorCode(err) != jobs.EINTERNAL {
			return info, err
		}
		return info, jobs.Errorf(jobs.EINVALID, "The archive's entry %q cannot be read (%v).", name, err)
	}
	if isArchiveType(info.ContentType) {
		return info, jobs.Errorf(jobs.EINVALID, "The archive's entry %q is an archive itself; put its files in the archive directly.", name)
	}
	return info, nil
}

func isArchiveType(ct string) bool {
	return ct == "application/zip" || ct == "application/x-gzip" || ct == "application/x-rar-compressed"
}

// String names the archive for logs.
func (a *Archive) String() string { return fmt.Sprintf("archive of %d files", a.Len()) }
