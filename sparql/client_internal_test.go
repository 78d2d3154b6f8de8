package sparql

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"Tue, 24 Nov 2026 08:00:30 GMT", 30 * time.Second, true},
		{"Tue, 24 Nov 2026 07:59:00 GMT", 0, true}, // already past: retry now
		{"99999999999999999999", 0, false},
	} {
		got, ok := parseRetryAfter(tc.header, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for attempt := range 70 {
		d := backoff(attempt, 2*time.Minute)
		base := min(time.Second<<min(attempt, 30), 2*time.Minute)
		if d < base/2 || d > base {
			t.Fatalf("attempt %d: wait %s outside [%s, %s]", attempt, d, base/2, base)
		}
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := "aé€😀"
	for n := 0; n <= len(s)+1; n++ {
		got := truncate(s, n)
		kept, cut := strings.CutSuffix(got, "…")
		if !utf8.ValidString(got) || !strings.HasPrefix(s, kept) || len(kept) > n || cut != (n < len(s)) || (!cut && kept != s) {
			t.Errorf("truncate(%q, %d) = %q", s, n, got)
		}
	}
}
