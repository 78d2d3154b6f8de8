package export

import (
	"strings"
	"testing"
)

func TestSafeCell(t *testing.T) {
	cases := map[string]string{
		"":                        "",
		"Ada Lovelace":            "Ada Lovelace",
		"=1+1":                    "'=1+1",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+cmd|' /C calc'!A0":      "'+cmd|' /C calc'!A0",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"-12.5":                   "-12.5",
		"+44":                     "+44",
		"-1e5":                    "-1e5",
		"1879-03-14":              "1879-03-14",
		"＝1+1":                    "'＝1+1",
		"a=b":                     "a=b",
	}
	for in, want := range cases {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeCell: the output never starts with a formula trigger unless it is a
// plain number, and the input is always recoverable.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=1", "+1", "-x", "@a", "\tb", "plain", "-3.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SafeCell(s)
		if out != s && out != "'"+s {
			t.Fatalf("SafeCell(%q) = %q changes more than a prefix", s, out)
		}
		if out == "" {
			return
		}
		switch out[0] {
		case '=', '@', '\t', '\r':
			t.Fatalf("SafeCell(%q) = %q still starts with a trigger", s, out)
		case '+', '-':
			if !plainNumber.MatchString(out) {
				t.Fatalf("SafeCell(%q) = %q starts with a sign but is no number", s, out)
			}
		}
		if strings.HasPrefix(out, "＝") {
			t.Fatalf("full-width trigger kept: %q", out)
		}
	})
}

// TestCSVWriter: every cell is defused, with the chosen separator, and the
// caller's record is left as it was.
func TestCSVWriter(t *testing.T) {
	var b strings.Builder
	w := NewCSVWriter(&b, '\t')
	rec := []string{"=1+1", "plain", "-3", "@x"}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "'=1+1\tplain\t-3\t'@x\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	if rec[0] != "=1+1" || rec[3] != "@x" {
		t.Errorf("the caller's record changed: %q", rec)
	}
}
