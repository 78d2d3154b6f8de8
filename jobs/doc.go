// Package jobs is the domain of a Partnerhub reconciliation job: the people who
// own and run jobs, the partner dataset a job works on, its rows, and the
// errors the rest of the tool reports to users. Sub-packages hold storage
// (store), dataset import (dataset), background tasks (tasks) and the matching
// engine (reconcile); this package holds only types and rules without I/O.
package jobs
