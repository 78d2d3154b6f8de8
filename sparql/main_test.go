package sparql_test

import (
	"os"
	"testing"
)

func isCI() bool { return os.Getenv("CI") == "true" }

func TestMain(m *testing.M) {
	code := m.Run()
	if fuzzServer != nil {
		fuzzServer.Stop()
	}
	os.Exit(code)
}
