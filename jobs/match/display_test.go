package match

import (
	"testing"
	"unicode/utf8"
)

func TestDisplayName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Olof BRÄNNSTEN", "Olof Brännsten"},
		{"BRÄNNSTEN, Olof", "Olof Brännsten"},
		{"Bergsten, Pehr (1576–1650)", "Pehr Bergsten"},
		{"Lottileschi, Lavinia", "Lavinia Lottileschi"},
		{"REMBRANDT", "Rembrandt"},
		{"Rembrandt van Rijn, 1606-1669", "Rembrandt van Rijn"},
		{"VAN GOGH, VINCENT", "Vincent van Gogh"},
		{"Klint, Hilma af", "Hilma af Klint"},
		{"hilma af klint", "Hilma af Klint"},
		{"Carl Larsson (painter)", "Carl Larsson"},
		{"Zorn, Anders [1860-1920]", "Anders Zorn"},
		{"Sager, Olof, b. 1840", "Olof Sager"},
		{"Berg, Anna, fl. 1650", "Anna Berg"},
		{"ANNA-KARIN LINDQVIST", "Anna-Karin Lindqvist"},
		{"O'KEEFFE, Georgia", "Georgia O'Keeffe"},
		{"J. M. W. TURNER", "J. M. W. Turner"},
		{"J.M.W. TURNER", "J.M.W. Turner"},
		{"GUSTAV III", "Gustav III"},
		{"King, Martin Luther, Jr.", "Martin Luther King Jr."},
		{"Leonardo DA VINCI", "Leonardo da Vinci"},
		{"DeLillo, Don", "Don DeLillo"},
		{"  Anders\tZorn  ", "Anders Zorn"},
		{"ÅKE ÖBERG", "Åke Öberg"},
		{"(1650)", "(1650)"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DisplayName(tt.in); got != tt.want {
			t.Errorf("DisplayName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDisplayName(f *testing.F) {
	for _, s := range []string{"Olof BRÄNNSTEN", "Bergsten, Pehr (1576–1650)", "a,,b", "(((", "ǅ", "ᏺ", "x, 1650", ", Jr."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := DisplayName(s)
		if !utf8.ValidString(d) {
			t.Fatalf("DisplayName(%q) = %q is not valid UTF-8", s, d)
		}
		if tidy(s) != "" && d == "" {
			t.Fatalf("DisplayName(%q) is empty", s)
		}
		if d != tidy(d) {
			t.Fatalf("DisplayName(%q) = %q has stray spaces", s, d)
		}
	})
}
