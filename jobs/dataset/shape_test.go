package dataset

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

func TestBinaryFilesAreNamed(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a PNG image"},
		{"zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00notes.txt", "ZIP archive"},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"},
		{"elf", "\x7fELF\x02\x01\x01\x00", "a Linux program"},
		{"exe", "MZ\x90\x00\x03\x00\x00\x00", "a Windows program"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old-style Excel (.xls)"},
		{"nul bytes", "name,born\nA\x00B,1\n", "a binary file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.data, Options{FileName: "upload." + c.name})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "quote") {
				t.Errorf("a CSV quote error for a binary file: %v", err)
			}
		})
	}
}

func TestOneBadByteKeepsUTF8(t *testing.T) {
	// "Brännsten" in UTF-8, and one stray windows-1252 byte further down.
	data := "name,place\nBrännsten,Göteborg\nÅsa,Malmö\nRen\xe9,Paris\n"
	rd, err := NewReader(strings.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Encoding() != EncodingUTF8 || !strings.Contains(rd.Note(), "1 byte that is not UTF-8 (first on line 4)") {
		t.Fatalf("encoding %s, note %q", rd.Encoding(), rd.Note())
	}
	first, _ := rd.Next()
	if first.Cells[0] != "Brännsten" {
		t.Errorf("first cell %q", first.Cells[0])
	}
	_, _ = rd.Next()
	if _, err := rd.Next(); err == nil || !strings.Contains(err.Error(), "row 3") || !strings.Contains(err.Error(), "windows-1252") {
		t.Errorf("the stray byte: %v", err)
	}
	// A windows-1252 file is detected as such, and the choice can be overridden.
	latin := "name,place\nBr\xe4nnsten,G\xf6teborg\n"
	_, rows, err := readAll(t, latin, Options{})
	if err != nil || rows[0][0] != "Brännsten" {
		t.Fatalf("windows-1252: %v %q", err, rows)
	}
	rd, _ = NewReader(strings.NewReader(latin), Options{})
	if !strings.HasPrefix(rd.Note(), "Encoding windows-1252: the start of the file has 2 bytes that are not UTF-8") {
		t.Errorf("note %q", rd.Note())
	}
	rd, _ = NewReader(strings.NewReader(data), Options{Encoding: EncodingWindows1252, Delimiter: ','})
	if r, _ := rd.Next(); r.Cells[0] != "BrÃ¤nnsten" || !strings.Contains(rd.Note(), "as chosen on the upload form") {
		t.Errorf("override: %q, note %q", r.Cells[0], rd.Note())
	}
}

func TestShapeIsBounded(t *testing.T) {
	wide := func(cols int) string {
		var b strings.Builder
		for i := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("c")
			b.WriteString(strings.Repeat("x", i%3))
		}
		b.WriteString("\n1,2\n")
		return b.String()
	}
	for _, c := range []struct {
		name, data, want string
	}{
		{"100,000 columns", wide(100_000), "the header has at least"},
		{"1M columns", wide(1_000_000), "the header has at least"},
		{"1001 columns in a short line", strings.Repeat("a,", 1000) + "b\n", "at most 1000 are allowed"},
		{"long header", "name," + strings.Repeat("h", 400) + "\n1,2\n", "this column's name is 400 characters long"},
		{"huge cell", "name,notes\nA," + strings.Repeat("n", 70<<10) + "\n", "row 1, line 2, column 2 (\"notes\"): this cell holds 70 KB; at most 64 KB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, c.data, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// Exactly at the limit is fine.
	var b strings.Builder
	for i := range MaxColumns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("c" + strconv.Itoa(i))
	}
	b.WriteString("\n" + strings.Repeat("1,", MaxColumns-1) + "1\n")
	if h, _, err := readAll(t, b.String(), Options{}); err != nil || len(h) != MaxColumns {
		t.Fatalf("%d columns: %v", MaxColumns, err)
	}
}

// FuzzSniffEncoding: valid UTF-8 is always read as UTF-8, and the choice
// always comes with its reason.
func FuzzSniffEncoding(f *testing.F) {
	for _, s := range []string{"Brännsten", "Br\xe4nnsten", "ok\xe9 and ä and ö", "\xc3", "plain"} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, whole bool) {
		enc, why := sniffEncoding(data, whole)
		if why == "" || !strings.HasPrefix(strings.ToLower(why), enc) {
			t.Fatalf("%s without a reason: %q", enc, why)
		}
		if whole && utf8.Valid(data) && enc != EncodingUTF8 {
			t.Fatalf("valid UTF-8 read as %s", enc)
		}
	})
}

func workbook(t *testing.T, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX(t *testing.T) {
	data := workbook(t, map[string][][]any{
		"People": {{"id", "name", "born"}, {"a1", "Brännsten", 1862}, {}, {"a2", "Ada", nil}},
		"Places": {{"place"}, {"Malmö"}},
	}, "People", "Places")
	h, rows, err := readAll(t, string(data), Options{FileName: "catalogue.xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(h, "|") != "id|name|born" || len(rows) != 2 || rows[0][1] != "Brännsten" || rows[0][2] != "1862" || rows[1][2] != "" {
		t.Fatalf("first sheet: %q %q", h, rows)
	}
	rd, _ := NewReader(bytes.NewReader(data), Options{})
	if !strings.Contains(rd.Note(), `Worksheet "People", the first of 2 ("People", "Places")`) {
		t.Errorf("note %q", rd.Note())
	}
	rd.Close()
	h, rows, err = readAll(t, string(data), Options{Sheet: "Places"})
	if err != nil || h[0] != "place" || rows[0][0] != "Malmö" {
		t.Fatalf("chosen sheet: %v %q %q", err, h, rows)
	}
	if _, _, err := readAll(t, string(data), Options{Sheet: "Objects"}); err == nil || !strings.Contains(err.Error(), `no sheet "Objects"; its sheets are "People", "Places"`) {
		t.Errorf("missing sheet: %v", err)
	}
	beyond := workbook(t, map[string][][]any{"S": {{"a", "b"}, {"1", "2", "3"}}}, "S")
	if _, _, err := readAll(t, string(beyond), Options{}); err == nil || !strings.Contains(err.Error(), "row 1, line 2, column 3: has a value in column C") {
		t.Errorf("value beyond the header: %v", err)
	}
	dup := workbook(t, map[string][][]any{"S": {{"a", "a"}, {"1", "2"}}}, "S")
	if _, _, err := readAll(t, string(dup), Options{}); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate header: %v", err)
	}
}
