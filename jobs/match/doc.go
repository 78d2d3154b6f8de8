// Package match is Partnerhub's reconciliation engine: it finds the Wikibase
// item each row of a partner dataset describes. Candidates come from batched
// SPARQL (identifiers and exact labels in VALUES blocks, never a query per
// row), an optional search fallback fills rows left without any, and one
// batched query fetches the facts every candidate is scored on. Scoring is
// done in Go and explains itself, so a reviewer can see why a row was
// auto-accepted or left for review. The job template (template.go) says
// which columns hold names, identifiers and facts; TEMPLATE.md documents it.
package match
