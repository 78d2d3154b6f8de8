package media

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"partnerhub/jobs"
)

type entry struct {
	name string
	body []byte
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestArchive(t *testing.T) {
	pic := pngBytes(t, 5, 7)
	data := makeZip(t, entry{"photos/", nil}, entry{"photos/NM 1.png", pic}, entry{"photos/sub/NM 2.png", pic}, entry{"readme.txt", []byte("hi")},
		entry{"a/dup.png", pic}, entry{"b/dup.png", pic})
	a, err := OpenArchive(bytes.NewReader(data), int64(len(data)), ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 5 {
		t.Fatalf("files: %d", a.Len())
	}
	for value, want := range map[string]string{"photos/NM 1.png": "photos/NM 1.png", "nm 2.PNG": "photos/sub/NM 2.png", `photos\NM 1.png`: "photos/NM 1.png", "./readme.txt": "readme.txt"} {
		if got, err := a.Lookup(value); err != nil || got != want {
			t.Errorf("Lookup(%q) = %q %v, want %q", value, got, err, want)
		}
	}
	if _, err := a.Lookup("dup.png"); err == nil || !strings.Contains(err.Error(), "several files") {
		t.Errorf("ambiguous name: %v", err)
	}
	if _, err := a.Lookup("missing.png"); err == nil || !strings.Contains(err.Error(), `no file named "missing.png"`) {
		t.Errorf("missing: %v", err)
	}
	info, err := a.Read("photos/NM 1.png", io.Discard)
	if err != nil || info.ContentType != "image/png" || info.Width != 5 || info.Height != 7 || info.Size != int64(len(pic)) {
		t.Fatalf("read: %+v %v", info, err)
	}
}

func TestArchiveLimits(t *testing.T) {
	pic := pngBytes(t, 2, 2)
	inner := makeZip(t, entry{"x.png", pic})
	for _, c := range []struct {
		name    string
		entries []entry
		limits  ZipLimits
		want    string
		code    string
	}{
		{"zip slip", []entry{{"../../etc/cron.d/x.png", pic}}, ZipLimits{}, "points outside the archive", jobs.EINVALID},
		{"zip slip inside", []entry{{"a/../../x.png", pic}}, ZipLimits{}, "points outside the archive", jobs.EINVALID},
		{"absolute", []entry{{"/etc/x.png", pic}}, ZipLimits{}, "absolute path", jobs.EINVALID},
		{"drive letter", []entry{{"C:/x.png", pic}}, ZipLimits{}, "absolute path", jobs.EINVALID},
		{"backslash", []entry{{`a\..\x.png`, pic}}, ZipLimits{}, "backslashes", jobs.EINVALID},
		{"nested zip by name", []entry{{"more.zip", inner}}, ZipLimits{}, "is an archive itself", jobs.EINVALID},
		{"nested tar.gz", []entry{{"more.tar.gz", []byte("x")}}, ZipLimits{}, "is an archive itself", jobs.EINVALID},
		{"too many entries", []entry{{"a.png", pic}, {"b.png", pic}, {"c.png", pic}}, ZipLimits{MaxEntries: 2}, "more than 2 files", jobs.ETOOLARGE},
		{"entry too large", []entry{{"a.png", bytes.Repeat([]byte("a"), 5000)}}, ZipLimits{MaxEntryBytes: 4096}, "files may be at most 4.0 KiB", jobs.ETOOLARGE},
		{"total too large", []entry{{"a.png", bytes.Repeat([]byte("a"), 3000)}, {"b.png", bytes.Repeat([]byte("a"), 3000)}}, ZipLimits{MaxTotalBytes: 5000}, "add up to more than", jobs.ETOOLARGE},
		{"duplicate names", []entry{{"a.png", pic}, {"a.png", pic}}, ZipLimits{}, "two entries named", jobs.EINVALID},
		{"empty", []entry{{"dir/", nil}}, ZipLimits{}, "holds no files", jobs.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := makeZip(t, c.entries...)
			_, err := OpenArchive(bytes.NewReader(data), int64(len(data)), c.limits)
			if err == nil || !strings.Contains(jobs.ErrorMessage(err), c.want) || jobs.ErrorCode(err) != c.code {
				t.Fatalf("OpenArchive = %v (%s), want %s saying %q", err, jobs.ErrorCode(err), c.code, c.want)
			}
		})
	}
	if _, err := OpenArchive(bytes.NewReader([]byte("not a zip")), 9, ZipLimits{}); err == nil || !strings.Contains(err.Error(), "not a ZIP file") {
		t.Fatalf("not a zip: %v", err)
	}
}

// A nested archive with an innocent name is caught by its content.
func TestArchiveSniffsNestedArchive(t *testing.T) {
	inner := makeZip(t, entry{"x.png", pngBytes(t, 2, 2)})
	data := makeZip(t, entry{"innocent.png", inner})
	a, err := OpenArchive(bytes.NewReader(data), int64(len(data)), ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Read("innocent.png", io.Discard); err == nil || !strings.Contains(err.Error(), "is an archive itself") {
		t.Fatalf("nested archive: %v", err)
	}
}

// The size is checked on what is read, not on what the archive declares: a
// "zip bomb" whose header lies is stopped at the limit.
func TestArchiveChecksReadSize(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "bomb.png", Method: zip.Store, UncompressedSize64: 10, CompressedSize64: 8000, CRC32: 0})
	w.Write(bytes.Repeat([]byte{0x89}, 8000))
	zw.Close()
	a, err := OpenArchive(bytes.NewReader(b.Bytes()), int64(b.Len()), ZipLimits{MaxEntryBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Read("bomb.png", io.Discard); err == nil {
		t.Fatal("an entry larger than it declares was read")
	}
}

// FuzzOpenArchive: any bytes either are refused with a domain error or give
// an archive whose every entry has a name that stays inside it and reads
// within the limit.
func FuzzOpenArchive(f *testing.F) {
	f.Add(makeZip(f, entry{"a.png", pngBytes(f, 2, 2)}))
	f.Add(makeZip(f, entry{"../x.png", []byte("x")}))
	f.Add(makeZip(f, entry{"d/", nil}, entry{"d/b.jpg", []byte{0xff, 0xd8, 0xff}}))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := OpenArchive(bytes.NewReader(data), int64(len(data)), ZipLimits{MaxEntries: 20, MaxEntryBytes: 1 << 16, MaxTotalBytes: 1 << 18})
		if err != nil {
			if jobs.ErrorCode(err) == jobs.EINTERNAL {
				t.Fatalf("not a domain error: %v", err)
			}
			return
		}
		for name := range a.byName {
			if checkEntryName(name) != nil {
				t.Fatalf("entry %q accepted", name)
			}
			info, err := a.Read(name, io.Discard)
			if err == nil && info.Size > 1<<16 {
				t.Fatalf("entry %q read past the limit: %d", name, info.Size)
			}
		}
	})
}
