package toolforge

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/robfig/cron/v3"
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

// goBinary is where the Go buildpack installs the command named by go.mod's
// "+heroku install" line: not on PATH (T363417), so the Procfile says it.
const goBinary = "/layers/heroku_go/go_target/bin/partnerhub"

// procfile reads the Procfile's process types and checks each runs the
// binary at its real path with one of its commands.
func procfile(t *testing.T, cmds map[string]bool) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	procs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, command, ok := strings.Cut(line, ":")
		f := strings.Fields(command)
		if !ok || len(f) != 2 || f[0] != goBinary || !cmds[f[1]] {
			t.Fatalf("Procfile line %q does not run %s with a partnerhub command", line, goBinary)
		}
		procs[name] = true
	}
	return procs
}

func TestGoBinaryPathMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^// \+heroku install (\S+)$`).FindSubmatch(b)
	if m == nil || filepath.Base(string(m[1])) != filepath.Base(goBinary) {
		t.Fatalf("go.mod installs %q, the Procfile runs %s", m, goBinary)
	}
}

func TestProcfileAndJobsNameRealCommands(t *testing.T) {
	cmds := commandsInMain(t)
	procs := procfile(t, cmds)
	if !procs["web"] || !procs["worker"] || !procs["migrate"] {
		t.Fatalf("Procfile needs web, worker and migrate: %v", procs)
	}
	var jobs []struct {
		Name       string `yaml:"name"`
		Image      string `yaml:"image"`
		Command    string `yaml:"command"`
		Continuous bool   `yaml:"continuous"`
		Mount      string `yaml:"mount"`
		Mem        string `yaml:"mem"`
		CPU        string `yaml:"cpu"`
		Wait       bool   `yaml:"wait"`
		Emails     string `yaml:"emails"`
		Schedule   string `yaml:"schedule"`
	}
	b, _ := os.ReadFile("jobs.yaml")
	if err := yaml.UnmarshalWithOptions(b, &jobs, yaml.Strict()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	scheduled := map[string]string{} // command → schedule
	for _, j := range jobs {
		// A bare command runs on PATH, where the binary is not: only a
		// Procfile process type reaches it.
		if !procs[j.Command] || j.Image == "" {
			t.Fatalf("job %s runs %q, which is no Procfile process type", j.Name, j.Command)
		}
		seen[j.Name] = j.Continuous
		if j.Schedule != "" {
			if j.Continuous || j.Wait {
				t.Errorf("job %s is scheduled and also continuous or waited for", j.Name)
			}
			// Toolforge takes cron syntax and the @daily-style macros.
			if _, err := cron.ParseStandard(j.Schedule); err != nil {
				t.Errorf("job %s: schedule %q is not cron syntax: %v", j.Name, j.Schedule, err)
			}
			scheduled[j.Command] = j.Schedule
		}
	}
	if !seen["worker"] {
		t.Fatal("the worker must be a continuous job")
	}
	// The watch re-reads what write-backs wrote: a scheduled job running the
	// Procfile's "watch", no more often than hourly (it reads up to every
	// written item).
	if s, ok := scheduled["watch"]; !ok || seen["watch"] {
		t.Fatalf("toolforge/jobs.yaml needs the scheduled job watch: %v", scheduled)
	} else if sched, _ := cron.ParseStandard(s); sched != nil {
		first := sched.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if gap := sched.Next(first).Sub(first); gap < time.Hour {
			t.Errorf("watch runs every %s: at most hourly", gap)
		}
	}
}

// TestComponentsConfig: toolforge.yaml is a components configuration the
// components API accepts (only the keys it knows; a build from the repository
// or reuse of another component's; a run command), and every command is a
// Procfile process type.
func TestComponentsConfig(t *testing.T) {
	procs := procfile(t, commandsInMain(t))
	type component struct {
		Build struct {
			Repository        string `yaml:"repository"`
			Ref               string `yaml:"ref"`
			UseLatestVersions bool   `yaml:"use_latest_versions"`
			ReuseFrom         string `yaml:"reuse_from"`
		} `yaml:"build"`
		Run struct {
			Command           string `yaml:"command"`
			Port              int    `yaml:"port"`
			HealthCheckHTTP   string `yaml:"health_check_http"`
			HealthCheckScript string `yaml:"health_check_script"`
			Mount             string `yaml:"mount"`
			Memory            string `yaml:"memory"`
			CPU               string `yaml:"cpu"`
			Replicas          int    `yaml:"replicas"`
			Schedule          string `yaml:"schedule"`
		} `yaml:"run"`
	}
	var cfg struct {
		ConfigVersion string               `yaml:"config_version"`
		Components    map[string]component `yaml:"components"`
	}
	b, err := os.ReadFile("toolforge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalWithOptions(b, &cfg, yaml.Strict()); err != nil {
		t.Fatalf("toolforge.yaml: %v", err)
	}
	w, ok := cfg.Components["worker"]
	if !ok || len(cfg.Components) == 0 {
		t.Fatalf("toolforge.yaml needs the worker component: %v", cfg.Components)
	}
	if w.Run.Schedule != "" || w.Run.Mount != "all" {
		t.Errorf("the worker runs continuously with the tool's files mounted (uploads in progress): %+v", w.Run)
	}
	for name, c := range cfg.Components {
		if (c.Build.Repository == "") == (c.Build.ReuseFrom == "") {
			t.Errorf("component %s: build from a repository or reuse another component's build", name)
		}
		if c.Build.ReuseFrom != "" && cfg.Components[c.Build.ReuseFrom].Build.Repository == "" {
			t.Errorf("component %s reuses %q, which builds nothing", name, c.Build.ReuseFrom)
		}
		if !procs[c.Run.Command] {
			t.Errorf("component %s runs %q, which is no Procfile process type", name, c.Run.Command)
		}
		if c.Run.HealthCheckHTTP != "" && c.Run.HealthCheckScript != "" {
			t.Errorf("component %s has both health checks", name)
		}
	}
}
