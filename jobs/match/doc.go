// Package match is Partnerhub's reconciliation engine: it finds the Wikibase
// item each row of a partner dataset describes. Candidates come from batched
// SPARQL (identifiers, exact labels and the names in item cells in VALUES
// blocks, never a query per row), from the works linked to a row's item
// (an artist's paintings) when its names are titles, and from an optional
// search fallback for rows left without any. Rows with many candidates
// have them ranked on their facts before any cap; one batched query then
// fetches the facts the kept candidates are scored on, and the types'
// subclasses are fetched once. Scoring is done in Go and explains itself,
// so a reviewer can see why a row was auto-accepted or left for review.
// The job template (template.go) says which columns hold names,
// identifiers and facts and how to read them; TEMPLATE.md documents it.
package match
