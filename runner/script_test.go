package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genie-cluster/genie/fsm"
)

var awkward = []string{
	"", "plain", "with space", "it's", "''", "'", `"`, "$HOME", "${HOME}", "`id`", "$(id)",
	"a\nb", "\n", "back\\slash", "\\", "*", "?", "~", "#hash", "semi;colon", "a|b", "a&b",
	"tab\there", "\x01ctrl", "ünïcødé", "-n", "--", "!", "{a,b}",
}

// shells lists the POSIX shells on this machine the run script must work
// with. CI installs busybox (the shell of genie's container image) and must
// have them all.
func shells(t *testing.T) []string {
	var out []string
	for _, sh := range []string{"/bin/sh", "dash", "busybox", "bash"} {
		if p, err := exec.LookPath(sh); err == nil {
			out = append(out, p)
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: .ci/run installs it", sh)
		}
	}
	if len(out) == 0 {
		t.Skip("no shell")
	}
	return out
}

// shellCmd runs script with a shell, busybox through its sh applet.
func shellCmd(sh string, args ...string) *exec.Cmd {
	if filepath.Base(sh) == "busybox" {
		return exec.Command(sh, append([]string{"sh"}, args...)...)
	}
	return exec.Command(sh, args...)
}

func TestQuoteRoundTrips(t *testing.T) {
	for _, sh := range shells(t) {
		for _, s := range awkward {
			out, err := shellCmd(sh, "-c", "printf %s "+quote(s)).Output()
			if err != nil {
				t.Fatalf("%s %q: %v", sh, s, err)
			}
			if string(out) != s {
				t.Errorf("%s: %q came back as %q", sh, s, out)
			}
		}
	}
}

// TestRunScriptShells runs a generated script with each shell and checks
// the command gets its arguments, setup runs, and the exit code is recorded.
func TestRunScriptShells(t *testing.T) {
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "genie"), 0o755); err != nil {
				t.Fatal(err)
			}
			setup := filepath.Join(dir, "genie", "setup it's")
			if err := os.WriteFile(setup, []byte("export FROM_SETUP=\"x y\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			spec := Spec{
				Job:     &fsm.Job{ID: "j'1", Request: fsm.JobRequest{Name: "a\nb", CommandArguments: awkward}},
				Cluster: &fsm.Cluster{Resource: fsm.Resource{ID: "c"}},
				Command: &fsm.Command{Resource: fsm.Resource{ID: "cmd"},
					Executable: []string{"/usr/bin/env", "GENIE_RUNNER_TEST_ARGV=1", os.Args[0], "$FROM_SETUP"}},
			}
			script := runScript(dir, spec, []string{setup}, "node")
			run := filepath.Join(dir, "run")
			if err := os.WriteFile(run, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := shellCmd(sh, run)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v\n%s", err, script)
			}
			got := decodeArgv(t, string(out))
			want := append([]string{"$FROM_SETUP"}, awkward...)
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("argv\n got %q\nwant %q", got, want)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, exitCodeFile)); string(b) != "0\n" {
				t.Fatalf("exit-code %q", b)
			}

			// A failing setup file stops the script and records why.
			if err := os.WriteFile(setup, []byte("false\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err = shellCmd(sh, run).Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("failing setup: %v", err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, exitCodeFile)); string(b) != "1\n" {
				t.Fatalf("exit-code after failing setup %q", b)
			}
		})
	}
}
