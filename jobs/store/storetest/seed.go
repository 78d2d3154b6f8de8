package storetest

import (
	"context"
	"testing"

	"partnerhub/jobs"
	"partnerhub/jobs/store"
	"partnerhub/jobs/vault"
)

// Reconciled is a job as a finished reconciliation leaves it: its template,
// a dataset (File) of Rows under Columns, and each row's result.
type Reconciled struct {
	Title, Template, File string
	Columns               []string
	Rows                  []jobs.Row
	Results               []jobs.RowMatch
}

// ReconciledJob stores r as a job of userID, imported and reconciled in one
// batch, and returns the job and its dataset.
func ReconciledJob(t testing.TB, st *store.Store, userID int64, r Reconciled) (*jobs.Job, *jobs.Dataset) {
	t.Helper()
	ctx := context.Background()
	j, err := st.CreateJob(ctx, userID, r.Title, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetJobTemplate(ctx, j.ID, []byte(r.Template)); err != nil {
		t.Fatal(err)
	}
	ds, err := st.CreateDataset(ctx, j.ID, r.File, "/none", 1)
	if err != nil {
		t.Fatal(err)
	}
	ds.Columns = r.Columns
	n := int64(len(r.Rows))
	if err := st.StartImport(ctx, ds); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendRows(ctx, ds.ID, r.Rows, n); err != nil {
		t.Fatal(err)
	}
	ds.RowCount = n
	if err := st.FinishImport(ctx, ds, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartReconciliation(ctx, j.ID, n, len(r.Rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveBatchResult(ctx, j.ID, 1, r.Results, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FinishReconciliationIfDone(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	return j, ds
}

// SaveTokens stores a user's OAuth access token and secret for the
// consumer, sealed as the login does.
func SaveTokens(t testing.TB, st *store.Store, tokens *vault.Vault, userID int64, consumerKey, token, secret string) {
	t.Helper()
	ts, err := tokens.Seal([]byte(token), vault.TokenAAD(userID, "token"))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := tokens.Seal([]byte(secret), vault.TokenAAD(userID, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveToken(context.Background(), store.SealedToken{UserID: userID, ConsumerKey: consumerKey, TokenSealed: ts, SecretSealed: ss}); err != nil {
		t.Fatal(err)
	}
}

// WritingPlan makes, with build, a plan of the job, approves all of it in
// userID's name and starts its write-back (EditGroups batch
// feedfacecafebeef), as the plan page does; it returns the plan as stored.
func WritingPlan(t testing.TB, st *store.Store, jobID, userID int64, build func(context.Context, *jobs.EditPlan) error) *jobs.EditPlan {
	t.Helper()
	ctx := context.Background()
	p, err := st.CreatePlan(ctx, jobID, userID)
	if err != nil {
		t.Fatal(err)
	}
	if err := build(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := st.ApprovePlan(ctx, p.ID, userID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartWriting(ctx, p.ID, userID, "feedfacecafebeef"); err != nil {
		t.Fatal(err)
	}
	p, err = st.Plan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
