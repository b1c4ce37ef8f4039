package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

// jobEnviron parses env's output.
func jobEnviron(out string) map[string]string {
	env := map[string]string{}
	for _, l := range lines(out) {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	return env
}

func TestJobEnvironmentHoldsNothingOfTheNode(t *testing.T) {
	t.Setenv("GENIE_ENCRYPT", "secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	t.Setenv("GENIE_ACL_TOKEN", "token")
	t.Setenv("TZ", "Europe/Paris")
	t.Setenv("LANG", "")
	e := newTestEnv(t)
	e.conf.JobEnv = map[string]string{"JAVA_HOME": "/opt/java"}
	r := e.runner()
	r.Start(e.spec("env-2", "/usr/bin/env"))
	a := waitArchived(t, e.rep, "env-2")
	if j := e.rep.job("env-2"); j.Status != fsm.JobSucceeded {
		t.Fatalf("status %s %q", j.Status, j.StatusMsg)
	}
	env := jobEnviron(e.readArchived(a, "stdout"))
	dir := r.JobDir("env-2")
	for k, want := range map[string]string{
		"PATH":         os.Getenv("PATH"),
		"HOME":         dir,
		"USER":         selfName(),
		"LOGNAME":      selfName(),
		"TMPDIR":       filepath.Join(dir, tmpDir),
		"LANG":         "C.UTF-8",
		"TZ":           "Europe/Paris",
		"JAVA_HOME":    "/opt/java",
		"GENIE_JOB_ID": "env-2",
	} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("%s=%q (set: %v), want %q", k, got, ok, want)
		}
	}
	// Of the node's own environment, only what it hands on on purpose;
	// the shell keeps a few of its own.
	handedOn := map[string]bool{
		"PATH": true, "LANG": true, "TZ": true, "HOME": true, "USER": true, "LOGNAME": true,
		"TMPDIR": true, "PWD": true, "OLDPWD": true, "SHLVL": true, "_": true,
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := env[k]; ok && !handedOn[k] {
			t.Errorf("the job inherited %s from the node", k)
		}
	}
	for _, k := range []string{"GENIE_ENCRYPT", "AWS_SECRET_ACCESS_KEY", "GENIE_ACL_TOKEN"} {
		if _, ok := env[k]; ok {
			t.Errorf("the job sees %s", k)
		}
	}
}

func TestInheritedEnvDefaults(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv("LANG", "")
	t.Setenv("TZ", "")
	got := readInheritedEnv()
	if got.path != defaultPath || got.lang != "C.UTF-8" || got.tz != "" {
		t.Fatalf("%+v", got)
	}
}
