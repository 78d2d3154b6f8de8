// Command goldgen writes the matcher's gold sets for TestGoldSet, one pair
// of files per domain: testdata/gold.ttl and gold.csv (people),
// gold_artworks.*, gold_books.* and gold_places.*; a Wikidata-shaped graph and partner
// rows with the item each should match (expected_qid, empty when the
// entity is not in the graph). The sets themselves are made by
// jobs/match/internal/goldset; TestGoldSetSeeds checks other seeds too.
//
//	cd jobs/match && go run ./testdata/goldgen
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"partnerhub/jobs/match/internal/goldset"
)

func main() {
	seed := flag.Uint64("seed", 0, "generate with this seed instead of each domain's committed one")
	flag.Parse()
	dir := "testdata"
	if _, err := os.Stat(dir); err != nil {
		log.Fatal("run from jobs/match: ", err)
	}
	for _, d := range goldset.Domains {
		s := goldset.Committed(d)
		if *seed != 0 {
			s, _ = goldset.Generate(d, *seed)
		}
		ttl, csvPath := goldset.Files(dir, d)
		if err := os.WriteFile(ttl, []byte(s.TTL), 0o644); err != nil {
			log.Fatal(err)
		}
		if err := writeCSV(csvPath, s); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d rows -> %s, %s\n", d, len(s.Rows), filepath.Base(ttl), filepath.Base(csvPath))
	}
}

func writeCSV(path string, s goldset.Set) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(s.Header)
	_ = w.WriteAll(s.Rows)
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}
