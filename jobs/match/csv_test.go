package match

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"partnerhub/sparql/sparqltest"
)

// TestRunCSVIsFormulaSafe: the command line's CSV goes through the same
// formula-safe writer as the web exports, for the partner's cells and for
// what comes from the wiki (a label someone set to a formula).
func TestRunCSVIsFormulaSafe(t *testing.T) {
	srv := sparqltest.Start(t)
	srv.Load(t, smallGraph+`
wd:Q9 rdfs:label "=HYPERLINK(\"https://evil.example/\",\"open\")"@en ; wdt:P31 wd:Q5 ; wdt:P245 "500999999" .
`)
	e := NewEngine(newTestClient(t, srv.Endpoint()), nil, smallTemplate(t), quiet)
	in := "name,born,ulan,country\n@SUM(A1),-1+2,500999999,\n"
	var out bytes.Buffer
	if _, err := RunCSV(context.Background(), strings.NewReader(in), &out, e, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records: %q", len(recs), recs)
	}
	row := recs[1]
	if row[0] != "'@SUM(A1)" || row[1] != "'-1+2" {
		t.Errorf("partner cells not defused: %q", row[:4])
	}
	if row[4] != "Q9" || row[5] != `'=HYPERLINK("https://evil.example/","open")` {
		t.Errorf("match_qid %q, match_label %q: the wiki's formula label should be defused", row[4], row[5])
	}
	for i, rec := range recs {
		for j, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainSigned(cell) {
				t.Errorf("record %d cell %d starts a formula: %q", i, j, cell)
			}
		}
	}
}

func plainSigned(s string) bool {
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || (i == 0 && (r == '+' || r == '-'))) {
			return false
		}
	}
	return true
}
