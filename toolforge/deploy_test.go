package toolforge

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// commandsInMain lists the subcommands cmd/partnerhub declares.
func commandsInMain(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join("..", "cmd", "partnerhub", "*.go"))
	re := regexp.MustCompile(`\{"([a-z]+)", "[^"]+", run[A-Z]\w*\}`)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
	}
	if !out["web"] || !out["worker"] {
		t.Fatalf("could not find the commands in cmd/partnerhub: %v", out)
	}
	return out
}

func TestProcfileAndJobsNameRealCommands(t *testing.T) {
	cmds := commandsInMain(t)
	b, err := os.ReadFile(filepath.Join("..", "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, command, ok := strings.Cut(line, ":")
		f := strings.Fields(command)
		if !ok || len(f) != 2 || f[0] != "partnerhub" || !cmds[f[1]] {
			t.Fatalf("Procfile line %q does not run a partnerhub command", line)
		}
		procs[name] = true
	}
	if !procs["web"] || !procs["worker"] {
		t.Fatalf("Procfile needs web and worker: %v", procs)
	}
	var jobs []struct {
		Name       string `yaml:"name"`
		Image      string `yaml:"image"`
		Command    string `yaml:"command"`
		Continuous bool   `yaml:"continuous"`
	}
	b, _ = os.ReadFile("jobs.yaml")
	if err := yaml.Unmarshal(b, &jobs); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		if !cmds[j.Command] || j.Image == "" {
			t.Fatalf("job %s runs %q", j.Name, j.Command)
		}
		seen[j.Name] = j.Continuous
	}
	if !seen["worker"] {
		t.Fatal("the worker must be a continuous job")
	}
}
