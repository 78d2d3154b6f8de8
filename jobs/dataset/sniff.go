package dataset

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// fileKinds are binary formats people upload by mistake, told by their first
// bytes so the message says what the file is instead of a CSV error about
// quotes. XLSX (a ZIP with a workbook) is read; the others are refused.
var fileKinds = []struct {
	magic []byte
	name  string
}{
	{[]byte("\x89PNG\r\n\x1a\n"), "a PNG image"},
	{[]byte("\xff\xd8\xff"), "a JPEG image"},
	{[]byte("GIF87a"), "a GIF image"},
	{[]byte("GIF89a"), "a GIF image"},
	{[]byte("%PDF-"), "a PDF document"},
	{[]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "an old-style Excel (.xls) or Word file; save it as .xlsx or CSV UTF-8"},
	{[]byte("PK\x03\x04"), "a ZIP archive"},
	{[]byte("PK\x05\x06"), "an empty ZIP archive"},
	{[]byte("\x1f\x8b"), "a gzip-compressed file; uncompress it first"},
	{[]byte("7z\xbc\xaf\x27\x1c"), "a 7-Zip archive"},
	{[]byte("Rar!\x1a\x07"), "a RAR archive"},
	{[]byte("\x7fELF"), "a Linux program (ELF executable)"},
	{[]byte("MZ"), "a Windows program (EXE or DLL)"},
	{[]byte("\xcf\xfa\xed\xfe"), "a macOS program (Mach-O executable)"},
	{[]byte("\xce\xfa\xed\xfe"), "a macOS program (Mach-O executable)"},
	{[]byte("\xca\xfe\xba\xbe"), "a macOS program or Java class file"},
	{[]byte("SQLite format 3\x00"), "an SQLite database"},
}

// binaryKind names the binary format sample starts with, "" for text. A
// file with NUL bytes that is not UTF-16 is binary of an unknown kind.
func binaryKind(sample []byte) string {
	for _, k := range fileKinds {
		if bytes.HasPrefix(sample, k.magic) {
			return k.name
		}
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return "a binary file, not text"
	}
	return ""
}

// isZIP says whether sample starts a ZIP archive (XLSX files are ZIPs).
func isZIP(sample []byte) bool { return bytes.HasPrefix(sample, []byte("PK\x03\x04")) }

// sniffEncoding decides between UTF-8 and windows-1252 and says why. A file
// is UTF-8 when its non-ASCII bytes are mostly valid UTF-8 sequences: a few
// stray bytes in a UTF-8 file are errors to show at their row and column (the
// user can choose windows-1252 if the file really is), not a reason to read
// every "ä" of the file as "Ã¤". whole says the sample is the whole file (a
// rune cut at the window's end is otherwise allowed).
func sniffEncoding(sample []byte, whole bool) (encoding, why string) {
	s := sample
	if !whole {
		// Drop one rune cut in half by the window's end.
		for i := 1; i <= utf8.UTFMax && i <= len(s); i++ {
			if utf8.RuneStart(s[len(s)-i]) {
				if !utf8.FullRune(s[len(s)-i:]) {
					s = s[:len(s)-i]
				}
				break
			}
		}
	}
	var valid, invalid int
	firstBad := -1
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
			if firstBad < 0 {
				firstBad = i
			}
		} else {
			valid++
		}
		i += size
	}
	where := "the start of the file"
	if !whole {
		where = fmt.Sprintf("the first %d KB", len(sample)>>10)
	}
	switch {
	case invalid == 0 && valid == 0:
		return EncodingUTF8, fmt.Sprintf("UTF-8: %s is plain ASCII", where)
	case invalid == 0:
		return EncodingUTF8, fmt.Sprintf("UTF-8: %s is valid UTF-8 (%d non-ASCII %s)", where, valid, plural(valid, "character", "characters"))
	case valid >= invalid:
		line := bytes.Count(sample[:firstBad], []byte("\n")) + 1
		return EncodingUTF8, fmt.Sprintf("UTF-8: %s has %d UTF-8 %s and %d %s that %s not UTF-8 (first on line %d); those are shown as errors. If the file is windows-1252, choose it",
			where, valid, plural(valid, "character", "characters"), invalid, plural(invalid, "byte", "bytes"), plural(invalid, "is", "are"), line)
	}
	return EncodingWindows1252, fmt.Sprintf("windows-1252: %s has %d %s that %s not UTF-8 and %d UTF-8 %s; if accents look wrong, choose UTF-8",
		where, invalid, plural(invalid, "byte", "bytes"), plural(invalid, "is", "are"), valid, plural(valid, "character", "characters"))
}
