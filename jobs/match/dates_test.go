package match

import "testing"

func TestParseDateSpan(t *testing.T) {
	tests := []struct {
		in       string
		from, to int
		ok       bool
	}{
		{"1650", 1650, 1650, true},
		{"1650-03-02", 1650, 1650, true},
		{"c. 1650", 1648, 1652, true},
		{"ca. 1650", 1648, 1652, true},
		{"ca 1650", 1648, 1652, true},
		{"circa 1650", 1648, 1652, true},
		{"omkring 1650", 1648, 1652, true},
		{"1650?", 1648, 1652, true},
		{"[1650]", 1650, 1650, true},
		{"1650s", 1650, 1659, true},
		{"1650-talet", 1650, 1659, true},
		{"1600s", 1600, 1699, true},
		{"1648–1652", 1648, 1652, true},
		{"1648-52", 1648, 1652, true},
		{"1648 - 1652", 1648, 1652, true},
		{"c. 1648–1652", 1648, 1652, true},
		{"before 1700", 1600, 1700, true},
		{"vor 1700", 1600, 1700, true},
		{"after 1700", 1700, 1800, true},
		{"17th century", 1600, 1699, true},
		{"17th c.", 1600, 1699, true},
		{"17. Jahrhundert", 1600, 1699, true},
		{"17. Jh.", 1600, 1699, true},
		{"1600-talet", 1600, 1699, true},
		{"XVIIe siècle", 1600, 1699, true},
		{"17e eeuw", 1600, 1699, true},
		{"XVII secolo", 1600, 1699, true},
		{"early 17th century", 1600, 1640, true},
		{"mid-17th century", 1630, 1670, true},
		{"late 17th century", 1660, 1699, true},
		{"1652-1648", 0, 0, false},
		{"undated", 0, 0, false},
		{"n.d.", 0, 0, false},
		{"", 0, 0, false},
		{"c.", 0, 0, false},
		{"99th century", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDateSpan(tt.in)
		if ok != tt.ok || (ok && (got.from != tt.from || got.to != tt.to)) {
			t.Errorf("parseDateSpan(%q) = %d–%d %v, want %d–%d %v", tt.in, got.from, got.to, ok, tt.from, tt.to, tt.ok)
		}
	}
}

func TestCompareSpan(t *testing.T) {
	y := func(n int) date { return date{year: n, precision: 1} }
	tests := []struct {
		row  string
		item date
		want dateVerdict
	}{
		{"1650", y(1650), dateAgrees},
		{"1650", y(1651), dateNear}, // off by one year: weak disagreement
		{"1650", y(1649), dateNear},
		{"1650", y(1653), dateConflict},
		{"1650-03-02", date{1650, 3, 2, 3}, dateAgrees},
		{"1650-03-02", date{1650, 3, 5, 3}, dateConflict}, // another day is another date
		{"1650-03-02", y(1651), dateNear},
		{"c. 1650", y(1652), dateAgrees},
		{"c. 1650", y(1656), dateNear},
		{"c. 1650", y(1670), dateConflict},
		{"1650s", y(1655), dateInside},
		{"1650s", y(1660), dateNear},
		{"1650s", y(1700), dateConflict},
		{"1648–1652", y(1650), dateAgrees},
		{"1648–1652", y(1653), dateNear},
		{"before 1700", y(1650), dateInside},
		{"before 1700", y(1720), dateConflict},
		{"17th century", y(1650), dateInside},
		{"17th century", y(1700), dateNear},
		{"17th century", y(1750), dateConflict},
	}
	for _, tt := range tests {
		sp, ok := parseDateSpan(tt.row)
		if !ok {
			t.Fatalf("%q not read", tt.row)
		}
		if got := compareSpan(sp, tt.item); got != tt.want {
			t.Errorf("compareSpan(%q, %v) = %d, want %d", tt.row, tt.item, got, tt.want)
		}
	}
}

func FuzzParseDateSpan(f *testing.F) {
	for _, s := range []string{"c. 1650", "1648–52", "17th century", "before 1700", "1650s", "XVIIe siècle", "?", "c.", "-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, ok := parseDateSpan(s)
		if ok && sp.from > sp.to {
			t.Fatalf("parseDateSpan(%q) = %d–%d", s, sp.from, sp.to)
		}
	})
}
