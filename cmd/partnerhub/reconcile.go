package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"partnerhub/jobs/dataset"
	"partnerhub/jobs/match"
	"partnerhub/sparql"
	"partnerhub/wikidata/wdqs"
)

func init() {
	commands = append(commands, command{"reconcile", "reconcile a CSV file against a Wikibase, without the web server or Redis", runReconcile})
}

// runReconcile is the command-line reconciliation: the same engine as the
// workers, reading a CSV and writing it back with match columns.
func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var input, tmplPath, output, endpoint, apiURL, userAgent string
	var batch, inFlight int
	var budget time.Duration
	var noSearch bool
	err := flags("reconcile", "Reconcile a partner CSV against a Wikibase with a job template", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&input, "input", "", "partner CSV or TSV file (header row required)")
		fs.StringVar(&tmplPath, "template", "", "job template JSON (see jobs/match/TEMPLATE.md)")
		fs.StringVar(&output, "output", "", "where to write the CSV with match columns (\"-\" for standard output)")
		fs.StringVar(&endpoint, "endpoint", "", "SPARQL endpoint, overriding the template's")
		fs.StringVar(&apiURL, "api-url", "", "the wiki's api.php for the search fallback, overriding the template's wikibase.api_url")
		fs.BoolVar(&noSearch, "no-search", false, "no search fallback: only identifiers and exact labels find candidates")
		fs.StringVar(&userAgent, "user-agent", getenv("PARTNERHUB_USER_AGENT"), "User-Agent sent to the endpoint")
		fs.IntVar(&batch, "batch", 200, "rows per batch")
		fs.IntVar(&inFlight, "in-flight", 3, "queries in flight to the endpoint (WDQS allows a few per client)")
		fs.DurationVar(&budget, "budget", sparql.DefaultBudget, "endpoint time per minute to spend at most (WDQS allows 60s)")
	})
	if err != nil {
		return err
	}
	if input == "" || tmplPath == "" || output == "" {
		return errors.New("reconcile needs --input, --template and --output (see --help)")
	}
	raw, err := os.ReadFile(tmplPath)
	if err != nil {
		return fmt.Errorf("read the template: %w", err)
	}
	t, err := match.ParseTemplate(raw)
	if err != nil {
		return fmt.Errorf("template %s: %w", tmplPath, err)
	}
	if endpoint != "" {
		t.Wikibase.SPARQLEndpoint = endpoint
	}
	if apiURL != "" {
		t.Wikibase.APIURL = apiURL
	}
	in, err := os.Open(input)
	if err != nil {
		return fmt.Errorf("open the input: %w", err)
	}
	defer in.Close()
	// Check the template against the file's columns before any query.
	head, err := dataset.NewReader(in, dataset.Options{FileName: input})
	if err != nil {
		return fmt.Errorf("%s: %w", input, err)
	}
	if err := t.Validate(head.Header()); err != nil {
		return fmt.Errorf("template %s does not fit %s: %w", tmplPath, filepath.Base(input), err)
	}
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if inFlight < 1 || inFlight > 20 || budget < time.Second || budget > time.Minute {
		return fmt.Errorf("--in-flight must be between 1 and 20 and --budget between 1s and 60s, not %d and %s", inFlight, budget)
	}
	// The workers' engine and limiter, built the same way: one
	// configuration (the limiter's account is this process's alone).
	limiter := sparql.NewLimiter(sparql.LimiterConfig{InFlight: inFlight, Budget: budget, Logger: logger})
	readers := wdqs.NewReaders(wdqs.ReadersConfig{UserAgent: userAgent, Limiter: limiter, Logger: logger, Reader: match.ReaderConfig()})
	cfg := matcherConfig(userAgent, readers, nil, nil, logger)
	if noSearch {
		cfg.Searcher = nil
	}
	engine, err := match.NewMatcher(cfg).Engine(t, logger)
	if err != nil {
		return err
	}
	out := stdout
	if output != "-" {
		f, err := os.Create(output)
		if err != nil {
			return fmt.Errorf("create the output: %w", err)
		}
		defer f.Close()
		out = f
	}
	sum, err := match.RunCSV(ctx, in, out, engine, match.CSVOptions{BatchSize: batch, Concurrent: inFlight, Progress: stderr})
	if err != nil {
		return err
	}
	searched := "no search fallback"
	if !noSearch {
		searched = "search at " + t.Wikibase.APIURL
	}
	pace, _ := limiter.Pace(ctx, t.Wikibase.SPARQLEndpoint)
	fmt.Fprintf(stderr, "done: %d rows in %s: %d matched, %d to review, %d without candidate; %d requests to %s (%s of endpoint time), %s\n",
		sum.Rows, sum.Elapsed.Round(1e6), sum.Matched, sum.Review, sum.None, sum.Requests, t.Wikibase.SPARQLEndpoint, pace.Total.Round(time.Millisecond), searched)
	return nil
}
