package dataset

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func readAll(t *testing.T, data string, opts Options) ([]string, [][]string, error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	var rows [][]string
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd.Header(), rows, nil
		}
		if err != nil {
			return rd.Header(), rows, err
		}
		rows = append(rows, r.Cells)
	}
}

func TestReaderSniffsDelimiterAndEncoding(t *testing.T) {
	cases := []struct {
		name, data, file string
		delim            rune
		enc              string
		bom              bool
		header           []string
		rows             int
	}{
		{"comma", "name,born\nAda,1815\nAlan,1912\n", "", ',', EncodingUTF8, false, []string{"name", "born"}, 2},
		{"semicolon with commas in cells", "name;place\nSmith, John;London, UK\nDoe, Jane;Paris\n", "", ';', EncodingUTF8, false, []string{"name", "place"}, 2},
		{"tab", "id\tname\tborn\n1\tAda\t1815\n", "x.tsv", '\t', EncodingUTF8, false, []string{"id", "name", "born"}, 1},
		{"pipe", "a|b|c\n1|2|3\n4|5|6\n", "", '|', EncodingUTF8, false, []string{"a", "b", "c"}, 2},
		{"BOM and CRLF", "\xEF\xBB\xBFname,born\r\nZoë,1900\r\n", "", ',', EncodingUTF8, true, []string{"name", "born"}, 1},
		{"quoted newline", "name,note\n\"Ada\",\"line one\nline two\"\nAlan,x\n", "", ',', EncodingUTF8, false, []string{"name", "note"}, 2},
		{"windows-1252", "name,born\nRen\xe9,1900\n", "", ',', EncodingWindows1252, false, []string{"name", "born"}, 1},
		{"header trimmed", " name , born \nx,1\n", "", ',', EncodingUTF8, false, []string{"name", "born"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd, err := NewReader(strings.NewReader(c.data), Options{FileName: c.file})
			if err != nil {
				t.Fatal(err)
			}
			if rd.Delimiter() != c.delim || rd.Encoding() != c.enc || rd.HasBOM() != c.bom {
				t.Fatalf("sniffed %q %s bom=%v, want %q %s bom=%v", rd.Delimiter(), rd.Encoding(), rd.HasBOM(), c.delim, c.enc, c.bom)
			}
			if strings.Join(rd.Header(), "|") != strings.Join(c.header, "|") {
				t.Fatalf("header %q, want %q", rd.Header(), c.header)
			}
			_, rows, err := readAll(t, c.data, Options{FileName: c.file})
			if err != nil || len(rows) != c.rows {
				t.Fatalf("rows: %d, %v; want %d", len(rows), err, c.rows)
			}
			for _, r := range rows {
				for _, cell := range r {
					if !utf8.ValidString(cell) {
						t.Fatalf("cell %q is not UTF-8 after decoding", cell)
					}
				}
			}
		})
	}
	_, rows, _ := readAll(t, "name,born\nRen\xe9,1900\n", Options{})
	if rows[0][0] != "René" {
		t.Fatalf("windows-1252 decoded to %q, want René", rows[0][0])
	}
}

func TestReaderRejectsBadInputWithLocation(t *testing.T) {
	cases := []struct {
		name, data string
		opts       Options
		want       []string // substrings of the message
	}{
		{"empty", "", Options{}, []string{"empty"}},
		{"blank", "\n\n  \n", Options{}, []string{"empty"}},
		{"header only", "name,born\n", Options{}, nil}, // valid for the reader; the importer rejects it
		{"empty header", "name,,born\na,b,c\n", Options{}, []string{"column 2", "no header"}},
		{"duplicate header", "name,born,name\na,b,c\n", Options{}, []string{"column 3", `"name"`, "used twice", "columns 1 and 3"}},
		{"ragged short", "name,born,died\nAda,1815,1852\nAlan,1912\n", Options{}, []string{"row 2", "line 3", "has 2 cells", "header has 3"}},
		{"ragged long", "name,born\nAda,1815\nAlan,1912,1954\n", Options{}, []string{"row 2", "line 3", "has 3 cells"}},
		{"bare quote", "name,born\nAda,1815\nThe \"Great\" Alan,1912\n", Options{}, []string{"row 2", "line 3", "quote"}},
		{"unclosed quote", "name,born\n\"Ada,1815\nAlan,1912\n", Options{}, []string{"row 1", "never closed"}},
		{"bad utf-8 forced", "name,born\nAda,1815\nRen\xe9,1900\n", Options{Encoding: EncodingUTF8}, []string{"row 2", "column 1", `"name"`, "not valid UTF-8"}},
		{"utf-16", "\xFF\xFEn\x00a\x00", Options{}, []string{"UTF-16"}},
		{"unknown encoding", "a,b\n1,2\n", Options{Encoding: "ebcdic"}, []string{"unknown encoding"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.data, c.opts)
			if c.want == nil {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want *InputError, got %T %v", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
		})
	}
}

// Invalid UTF-8 beyond the sniffing window, in a file that sniffed as UTF-8,
// is caught at its row.
func TestReaderBadEncodingPastSniffWindow(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,born\n")
	n := 0
	for b.Len() < sniffWindow+1000 {
		n++
		b.WriteString("Ada Lovelace,1815\n")
	}
	b.WriteString("Ren\xe9,1900\n")
	_, _, err := readAll(t, b.String(), Options{})
	if err == nil || !strings.Contains(err.Error(), "row "+strconv.Itoa(n+1)) || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("want UTF-8 error at row %d, got %v", n+1, err)
	}
}

// FuzzReader: whatever the bytes, the reader never panics, every row it
// yields has exactly the header's number of cells, all valid UTF-8, and every
// error it reports is an *InputError that says where.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"name,born\nAda,1815\n", "a;b\n1;2\n", "a\tb\n\"x\ny\"\t2\n", "\xEF\xBB\xBFa,b\n1,2\n",
		"a,b\n\"unterminated\n", "a,a\n1,2\n", ",b\n1,2\n", "a,b\nRen\xe9,1\n", "a|b|c\n1|2\n", "\xFF\xFE",
		"\x89PNG\r\n\x1a\n", "PK\x03\x04[Content_Types].xml", "n\xc3\xa4me,b\nR\xe9,1\n\xc3\xb6,2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("header error is %T: %v", err, err)
			}
			return
		}
		if len(rd.Header()) == 0 {
			t.Fatal("reader accepted a file without columns")
		}
		for i := 0; i < 10000; i++ {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Problem == "" {
					t.Fatalf("row error is %T: %v", err, err)
				}
				return
			}
			if len(row.Cells) != len(rd.Header()) {
				t.Fatalf("row %d has %d cells, header %d", row.Num, len(row.Cells), len(rd.Header()))
			}
			for _, c := range row.Cells {
				if !utf8.ValidString(c) {
					t.Fatalf("row %d: invalid UTF-8 cell %q", row.Num, c)
				}
			}
		}
	})
}
